// filter/proto/json.ts (messageToJson) through the compiled fixture: messages
// made by protobufjs from the fixture .proto files read back as protobufjs's own
// toObject reads them, and, byte by byte, what protobufjs cannot say: 64-bit
// integers in full, field-number order, packed and unpacked runs mixed, the last
// scalar winning and messages merging, map keys of every kind, unknown fields,
// escapes, and every malformed message refused (null), never a trap.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import type protobuf from "protobufjs";
import { protoFixture, shopSet, shopRoot } from "../../support/proto-fixture.js";

const fx = protoFixture();
let root: protobuf.Root;
beforeAll(() => {
  expect(fx.parse(shopSet()).error).toBe("");
  root = shopRoot();
});

const OBJECT = { longs: Number, enums: Number, bytes: String, json: true };
const toJson = (type: string, bytes: Uint8Array) => fx.toJson(type, bytes);
const parsed = (type: string, bytes: Uint8Array) => {
  const text = toJson(type, bytes);
  expect(text).not.toBeNull();
  return JSON.parse(text!);
};
/** protobufjs: the object from the plain one, its bytes, and what its toObject reads back from them. */
function viaProtobufjs(type: string, object: object) {
  const T = root.lookupType(type);
  const bytes = T.encode(T.fromObject(object)).finish();
  return { bytes, expected: T.toObject(T.decode(bytes), OBJECT) };
}

// -------------------------------------------------------------- wire writer

const varint = (v: bigint | number): number[] => {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
};
const tag = (n: number, w: number) => varint((n << 3) | w);
const V = (n: number, v: bigint | number) => [...tag(n, 0), ...varint(v)];
const L = (n: number, body: number[] | string) => {
  const b = typeof body === "string" ? [...Buffer.from(body)] : body;
  return [...tag(n, 2), ...varint(b.length), ...b];
};
const F64 = (n: number, v: bigint) => [...tag(n, 1), ...Buffer.from(new BigUint64Array([BigInt.asUintN(64, v)]).buffer)];
const F32 = (n: number, v: number) => [...tag(n, 5), ...Buffer.from(new Uint32Array([v >>> 0]).buffer)];
const G = (n: number, body: number[]) => [...tag(n, 3), ...body, ...tag(n, 4)];
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());

// -------------------------------------------------------------- as protobufjs reads them

const text = fc.string({ unit: "binary", maxLength: 12 });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
const double = fc.double();
const float = fc.float();
const b64 = fc.uint8Array({ maxLength: 9 }).map((b) => Buffer.from(b).toString("base64"));
const currency = fc.integer({ min: 0, max: 5 });

const money = fc.record({ units: int64, nanos: int32, currency }, { requiredKeys: [] });
const item = fc.record({ sku: text, quantity: uint32, note: text, price: money }, { requiredKeys: [] });
const order = fc.record(
  {
    id: text,
    card: fc.record({ number: text, cvv: text, holder: fc.record({ full_name: text, billing_address: fc.record({ street: text, city: text, postal_code: text }, { requiredKeys: [] }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    items: fc.array(item, { maxLength: 3 }),
    labels: fc.dictionary(text, text, { maxKeys: 3 }),
    by_line: fc.dictionary(int32.map(String), item, { maxKeys: 3 }),
    codes: fc.array(int32, { maxLength: 5 }),
    note: text,
    total: money,
    currency,
    blob: b64,
    created_at: fc.record({ seconds: int64, nanos: int32 }, { requiredKeys: [] }),
    tags: fc.array(text, { maxLength: 3 }),
    email: text,
  },
  { requiredKeys: [] },
);
const scalars = fc.record(
  {
    f_double: double, f_float: float, f_int64: int64, f_uint64: uint64, f_int32: int32, f_fixed64: uint64, f_fixed32: uint32, f_bool: fc.boolean(),
    f_string: text, f_bytes: b64, f_uint32: uint32, f_enum: currency, f_sfixed32: int32, f_sfixed64: int64, f_sint32: int32, f_sint64: int64,
    r_double: fc.array(double, { maxLength: 4 }), r_float: fc.array(float, { maxLength: 4 }), r_int64: fc.array(int64, { maxLength: 4 }), r_uint64: fc.array(uint64, { maxLength: 4 }),
    r_sint32: fc.array(int32, { maxLength: 4 }), r_sint64: fc.array(int64, { maxLength: 4 }), r_fixed32: fc.array(uint32, { maxLength: 4 }), r_sfixed64: fc.array(int64, { maxLength: 4 }),
    r_bool: fc.array(fc.boolean(), { maxLength: 4 }), r_enum: fc.array(currency, { maxLength: 4 }), r_bytes: fc.array(b64, { maxLength: 3 }),
    children: fc.dictionary(text, fc.record({ f_int32: int32, f_string: text }, { requiredKeys: [] }), { maxKeys: 2 }),
    child: fc.record({ f_sint64: int64, r_float: fc.array(float, { maxLength: 2 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const old = fc.record(
  {
    meta: fc.record({ tag: text, marks: fc.array(int32, { maxLength: 3 }) }, { requiredKeys: [] }),
    id: int32,
    unpacked: fc.array(int32, { maxLength: 3 }),
    packed: fc.array(int32, { maxLength: 3 }),
    s: text,
    next: fc.record({ id: int32, s: text }),
    entry: fc.array(fc.record({ key: text }, { requiredKeys: [] }), { maxLength: 3 }),
  },
  { requiredKeys: ["id"] },
);

describe("messages protobufjs makes read as its toObject reads them", () => {
  it.each([
    ["shop.v1.Order", order],
    ["shop.v1.Scalars", scalars],
    ["Old", old],
  ] as [string, fc.Arbitrary<object>][])("%s", (type, arb) => {
    fc.assert(
      fc.property(arb, (object) => {
        const { bytes, expected } = viaProtobufjs(type, object);
        expect(parsed(type, bytes)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it("proto3 optional, proto2 groups and the empty message", () => {
    for (const [type, object] of [["shop.v1.Order", { note: "" }], ["Old", { id: 0, meta: {}, entry: [{}, { key: "k" }] }], ["shop.v1.Order", {}]] as const) {
      const { bytes, expected } = viaProtobufjs(type, object);
      expect(parsed(type, bytes)).toEqual(expected);
    }
    expect(toJson("shop.v1.Order", new Uint8Array(0))).toBe("{}");
    expect(toJson("shop.v1.Order", viaProtobufjs("shop.v1.Order", { note: "" }).bytes)).toBe('{"note":""}');
  });
});

// -------------------------------------------------------------- byte by byte

const S = "shop.v1.Scalars";

describe("values", () => {
  it.each([
    ["int64 extremes", bytes(V(3, -(2n ** 63n))), '{"f_int64":-9223372036854775808}'],
    ["int64 past 2^53", bytes(V(3, 2n ** 53n + 1n)), '{"f_int64":9007199254740993}'],
    ["uint64 max", bytes(V(4, 2n ** 64n - 1n)), '{"f_uint64":18446744073709551615}'],
    ["int32 -1 (ten bytes)", bytes(V(5, -1)), '{"f_int32":-1}'],
    ["int32 from a varint past 32 bits: the low 32", bytes(V(5, 2n ** 32n + 7n)), '{"f_int32":7}'],
    ["uint32 max", bytes(V(13, 2 ** 32 - 1)), '{"f_uint32":4294967295}'],
    ["fixed64 max", bytes(F64(6, 2n ** 64n - 1n)), '{"f_fixed64":18446744073709551615}'],
    ["sfixed64 min", bytes(F64(16, -(2n ** 63n))), '{"f_sfixed64":-9223372036854775808}'],
    ["fixed32 max", bytes(F32(7, 2 ** 32 - 1)), '{"f_fixed32":4294967295}'],
    ["sfixed32 -1", bytes(F32(15, -1)), '{"f_sfixed32":-1}'],
    ["sint32 zigzag", bytes(V(17, 1), V(25, 0), V(25, 3), V(25, 2 ** 32 - 1)), '{"f_sint32":-1,"r_sint32":[0,-2,-2147483648]}'],
    ["sint64 zigzag extremes", bytes(V(18, 2n ** 64n - 1n), V(26, 2n ** 64n - 2n)), '{"f_sint64":-9223372036854775808,"r_sint64":[9223372036854775807]}'],
    ["bool from any non-zero varint", bytes(V(8, 2), V(29, 0), V(29, 300)), '{"f_bool":true,"r_bool":[false,true]}'],
    ["an enum value the enum does not name", bytes(V(14, 99), V(30, -3)), '{"f_enum":99,"r_enum":[-3]}'],
    ["NaN and the infinities as strings", bytes(F64(1, 0x7ff8000000000000n), F32(2, 0xff800000), F64(21, 0x7ff0000000000000n)), '{"f_double":"NaN","f_float":"-Infinity","r_double":["Infinity"]}'],
    ["whole doubles without a fraction, -0 as -0", bytes(F64(1, 0x4059000000000000n), F64(21, 0x8000000000000000n), F64(21, 0x4415af1d78b58c40n)), '{"f_double":100,"r_double":[-0,100000000000000000000]}'],
    ["bytes as base64, padded", bytes(L(31, []), L(31, [1]), L(31, [1, 2]), L(31, [1, 2, 3]), L(31, [0xfb, 0xff, 0xbf, 0xfe])), '{"r_bytes":["","AQ==","AQI=","AQID","+/+//g=="]}'],
  ])("%s", (_name, message, expected) => {
    expect(toJson(S, message)).toBe(expected);
  });

  it("floats widened exactly, doubles as they are", () => {
    const f = new DataView(new ArrayBuffer(4));
    for (const x of [0.1, 1, -2.5, 3.4028234663852886e38, 1.401298464324817e-45, 16777217, -0]) {
      f.setFloat32(0, x, true);
      const out = parsed(S, bytes(F32(2, f.getUint32(0, true))));
      expect(Object.is(out.f_float, Math.fround(x))).toBe(true);
    }
    const d = new DataView(new ArrayBuffer(8));
    for (const x of [0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, -0, 123456789.125]) {
      d.setFloat64(0, x, true);
      expect(Object.is(parsed(S, bytes(F64(1, d.getBigUint64(0, true)))).f_double, x)).toBe(true);
    }
  });

  it("strings escaped so JSON reads them back, and not UTF-8 is no message", () => {
    for (const s of ['"quoted"', "back\\slash", "\u0000\u0001\u001f\u007f", "\b\f\n\r\t", "é漢😀", "\u2028\u2029", "</script>"]) {
      expect(parsed(S, bytes(L(9, s))).f_string).toBe(s);
    }
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe6, 0xbc], [0x61, 0x80]]) {
      expect(toJson(S, bytes(L(9, bad)))).toBeNull();
      expect(toJson(S, bytes(L(32, [...V(1, 1), ...L(2, bad)])))).toBeNull(); // a map value
    }
  });
});

describe("fields", () => {
  it("come in field-number order whatever the wire order", () => {
    const forward = bytes(V(3, 1), V(5, 2), L(9, "s"), L(34, V(5, 3)));
    const backward = bytes(L(34, V(5, 3)), L(9, "s"), V(5, 2), V(3, 1));
    expect(toJson(S, backward)).toBe(toJson(S, forward));
    expect(toJson(S, forward)).toBe('{"f_int64":1,"f_int32":2,"f_string":"s","child":{"f_int32":3}}');
  });

  it("repeated numbers packed and unpacked, mixed, in wire order", () => {
    const m = bytes(V(23, 1), L(23, [...varint(2), ...varint(-3)]), V(23, 4), L(23, []), L(22, [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]), F32(22, 0x40400000));
    expect(toJson(S, m)).toBe('{"r_float":[1,2,3],"r_int64":[1,2,-3,4]}');
    expect(parsed(S, m)).toEqual({ r_float: [1, 2, 3], r_int64: [1, 2, -3, 4] });
  });

  it("a scalar given twice: the last wins; a message given twice: they merge", () => {
    expect(toJson(S, bytes(V(5, 1), L(9, "a"), V(5, 2), L(9, "b")))).toBe('{"f_int32":2,"f_string":"b"}');
    expect(toJson(S, bytes(L(34, [...V(5, 1), ...L(9, "x")]), L(34, [...V(5, 2), ...V(3, 7)])))).toBe('{"child":{"f_int64":7,"f_int32":2,"f_string":"x"}}');
    expect(toJson("Old", bytes(G(1, L(2, "a")), V(2, 1), G(1, V(3, 5))))).toBe('{"meta":{"tag":"a","marks":[5]},"id":1}');
  });

  it("maps: keys as text, the last entry of a key wins, missing keys and values are defaults", () => {
    const O = "shop.v1.Order";
    expect(toJson(O, bytes(L(4, [...L(1, "a"), ...L(2, "1")]), L(4, [...L(1, "b"), ...L(2, "2")]), L(4, [...L(2, "3"), ...L(1, "a")])))).toBe('{"labels":{"a":"3","b":"2"}}');
    expect(toJson(O, bytes(L(4, []), L(4, L(1, "k"))))).toBe('{"labels":{"":"","k":""}}');
    expect(toJson(O, bytes(L(13, [...V(1, 1), ...V(2, 9)]), L(13, V(2, 1)), L(5, [...V(1, -1)]), L(5, [...V(1, 7), ...L(2, L(1, "x"))])))).toBe('{"by_line":{"-1":{},"7":{"sku":"x"}},"flags":{"true":-5,"false":-1}}');
    expect(toJson(S, bytes(L(32, [...V(1, 2n ** 64n - 1n), ...L(2, "max")]), L(33, [...L(1, 'q"'), ...L(2, V(5, 1))])))).toBe('{"by_id":{"18446744073709551615":"max"},"children":{"q\\"":{"f_int32":1}}}');
  });

  it("unknown fields under their number: numbers unsigned, bytes and groups base64, arrays when repeated", () => {
    const m = bytes(V(99, -1), F64(100, 5n), F32(101, 6), L(102, [1, 2, 3]), G(103, V(1, 1)), V(99, 2), V(5, 1));
    expect(toJson(S, m)).toBe('{"f_int32":1,"99":[18446744073709551615,2],"100":5,"101":6,"102":"AQID","103":"CAE="}');
  });
});

describe("malformed messages are null", () => {
  it.each([
    ["a string as a varint", bytes(V(9, 1))],
    ["a singular number packed", bytes(L(5, [1]))],
    ["a message as a varint", bytes(V(34, 1))],
    ["a double as a length-delimited record", bytes(L(1, []))],
    ["a message field as a group", bytes(G(34, []))],
    ["a packed run cut inside a varint", bytes(L(23, [0x80]))],
    ["a packed run of doubles not a multiple of 8", bytes(L(21, [0, 0, 0, 0]))],
    ["a packed run of fixed32 not a multiple of 4", bytes(L(27, [0, 0, 0, 0, 0]))],
    ["a nested message that does not parse", bytes(L(34, [0xff]))],
    ["a map entry that does not parse", bytes(L(32, [0x0a]))],
    ["a map key of the wrong wire type", bytes(L(32, L(1, "x")))],
    ["a map value of the wrong wire type", bytes(L(32, V(2, 1)))],
    ["an end group without its start", bytes(tag(103, 4))],
    ["a group left open", bytes(tag(103, 3), V(1, 1))],
    ["wire type 6", bytes([0x36])],
  ])("%s", (_name, m) => {
    expect(toJson(S, m)).toBeNull();
  });

  it("a message cut at every byte is null, except between two of its records", () => {
    const { bytes: whole } = viaProtobufjs("shop.v1.Order", { id: "o1", card: { number: "4111", holder: { full_name: "A B" } }, items: [{ sku: "s", price: { units: 5 } }], labels: { a: "b" }, codes: [1, -2, 300], note: "n", blob: "AQID" });
    const boundaries = new Set<number>([0]);
    for (let i = 0; i < whole.length; ) {
      const t = whole[i++];
      if ((t & 7) === 0) while (whole[i++] & 0x80);
      else {
        let n = 0;
        for (let s = 0; ; s += 7) {
          const b = whole[i++];
          n |= (b & 0x7f) << s;
          if (b < 0x80) break;
        }
        i += n;
      }
      boundaries.add(i);
    }
    for (let n = 0; n <= whole.length; n++) expect(toJson("shop.v1.Order", whole.subarray(0, n)) !== null, `cut at ${n}`).toBe(boundaries.has(n));
  });

  it("nesting: 63 messages deep is read, 64 is null", () => {
    const chain = (depth: number): number[] => (depth === 0 ? V(5, 1) : L(34, chain(depth - 1)));
    expect(toJson(S, bytes(chain(63)))).toContain('{"f_int32":1}');
    expect(toJson(S, bytes(chain(64)))).toBeNull();
    expect(toJson("Old", bytes(...Array(70).fill(tag(1, 3)), ...Array(70).fill(tag(1, 4))))).toBeNull();
  });

  it("random bytes are read or null, never a trap", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.constantFrom(S, "shop.v1.Order", "Old"), (b, type) => {
        const out = toJson(type, b);
        if (out !== null) JSON.parse(out);
      }),
      { numRuns: 1000 },
    );
  });
});
