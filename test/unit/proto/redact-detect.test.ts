// filter/proto/redact.ts: the detectors over every string (fields, repeated
// strings, map keys and values, unknown fields, bytes), with and without a
// schema; payloads walked as messages the way `protoc --decode_raw` reads them,
// and probed as text first (a secret that happens to parse as a message); the
// allow-list mode (redact.keep).
import { describe, it, expect, beforeAll } from "vitest";
import { createHmac } from "node:crypto";
import protobuf from "protobufjs";
import {
  ProtoFixture, loadProtoFixture, loadProto, ALL, EMAIL, CARD, INVALID_PROTOBUF, raw, fLen, fVarint, fGroup, fFixed64, varint,
} from "../../support/proto-redact.js";

let fx: ProtoFixture;
// The type at load time: the tables below encode messages before any test runs.
const Order: protobuf.Type = loadProto("redact-cases.proto").lookupType("rc.Order");
const hmac = (v: string | Buffer) => "hmac:" + createHmac("sha256", "test-key").update(v).digest("hex").slice(0, 32);

beforeAll(() => {
  const root = loadProto("redact-cases.proto");
  fx = loadProtoFixture();
  fx.loadRoot(root);
});

const encode = (o: object) => Buffer.from(Order.encode(Order.fromObject(o)).finish());
const decode = (b: Uint8Array) => Order.toObject(Order.decode(b), { longs: String, bytes: String, defaults: true, enums: Number }) as any;

const SECRETS = ["4111111111111111", "ann@example.com", "536-22-8147", "kid@example.org"];
const order = {
  card: { number: "4111111111111111", holder_name: "Ann", cvv: 7 },
  items: [{ note: "mail kid@example.org now", qty: 1, blob: Buffer.from("ann@example.com") }],
  labels: { "ann@example.com": "owner", ssn: "536228147" },
  email: "ann@example.com",
  tags: ["ok", "536-22-8147"],
  ssn: "536228147",
  customer_phone: "4155550123",
  price: 2.5,
  child: { email: "kid@example.org" },
};

const absent = (b: Buffer, secrets = SECRETS) => secrets.filter((s) => b.includes(s));

describe("detectors over a message", () => {
  for (const schema of ["rc.Order", null]) {
    for (const hash of [false, true]) {
      it(`${schema ?? "no schema"}, ${hash ? "hashed" : "masked"}: no secret remains, the message still parses`, () => {
        const input = encode(order);
        const r = fx.redact(input, schema, "", ALL, hash);
        expect(r.status).toBe(0);
        expect(absent(r.bytes)).toEqual([]);
        expect(absent(r.bytes, ["536228147", "4155550123"])).toEqual(schema ? [] : ["536228147", "4155550123"]);
        const out = decode(r.bytes);
        // What no detector hit is as it was.
        expect(out.card.holder_name).toBe("Ann");
        expect(out.card.cvv).toBe(7);
        expect(out.price).toBe(2.5);
        expect(out.tags[0]).toBe("ok");
        expect(out.items[0].qty).toBe("1");
        expect(Object.values(out.labels)).toContain("owner");
        if (schema && hash) expect(out.email).toBe(hmac("ann@example.com"));
        if (schema && !hash) expect(out.email).toBe("***@*******.com");
        expect(r.hits[0]).toBeGreaterThan(0);
        expect(r.hits[1]).toBeGreaterThan(0);
        for (const budget of [1, 2, 5, 7]) expect(fx.redact(input, schema, "", ALL, hash, budget).bytes.equals(r.bytes)).toBe(true);
      });
    }
  }

  // A URL's query kept percent-encoded in a string field (filter/redact/percent.ts): found in
  // the decoded view, masked in the client's spelling, every other byte as sent.
  for (const schema of ["rc.Order", null]) {
    it(`${schema ?? "no schema"}: percent-encoded secrets in a string are masked in their spelling`, () => {
      const note = "https://x.example/pay?pan=4556%207375%208689%209855&to=%2B14155552671&e=bob%40example%2Eorg";
      const r = fx.redact(encode({ items: [{ note, qty: 1 }], email: "x" }), schema, "", ALL);
      expect(r.status).toBe(0);
      const out = decode(r.bytes);
      expect(out.items[0].note).toBe("https://x.example/pay?pan=4000%200000%200009%209855&to=%2B00000000071&e=***%40*******%2Eorg");
      expect(out.items[0].qty).toBe("1");
      for (const budget of [1, 3, 7]) expect(fx.redact(encode({ items: [{ note, qty: 1 }], email: "x" }), schema, "", ALL, false, budget).bytes.equals(r.bytes)).toBe(true);
    });
  }

  it("labels: a field named ssn or phone makes bare numbers count", () => {
    const r = fx.redact(encode({ ssn: "536228147", customer_phone: "4155550123", email: "536228147" }), "rc.Order", "", ALL);
    const out = decode(r.bytes);
    expect(out.ssn).not.toBe("536228147");
    expect(out.customer_phone).not.toBe("4155550123");
    expect(out.email).toBe("536228147");
  });

  it("a map value is labelled by its key", () => {
    const out = decode(fx.redact(encode({ labels: { ssn: "536228147", other: "536228147" } }), "rc.Order", "", ALL).bytes);
    expect(out.labels.ssn).not.toBe("536228147");
    expect(out.labels.other).toBe("536228147");
  });

  const hidden: [string, Buffer, string][] = [
    // 'A' is field 8 as fixed64: "Aab@cd.ef" parses as a message whose only field is a number.
    ["a secret that parses as a message (unknown field)", raw(fLen(99, "Aab@cd.ef")), "ab@cd.ef"],
    ["the same in a bytes field", raw(fLen(7, "Aab@cd.ef")), "ab@cd.ef"],
    ["inside a group of an unknown field", raw(fGroup(40, fLen(1, "ann@example.com"))), "ann@example.com"],
    ["an unknown nested message", raw(fLen(99, fLen(3, fLen(2, "ann@example.com")))), "ann@example.com"],
    ["a string that is not UTF-8", raw(fLen(4, [0xff, 0xfe, ...Buffer.from(" ann@example.com")])), "ann@example.com"],
    ["an email in a map key", encode({ labels: { "ann@example.com": "x" } }), "ann@example.com"],
    ["deep schemaless nesting", (() => {
      let m: number[] = fLen(1, "ann@example.com");
      for (let i = 0; i < 60; i++) m = fLen(2, m);
      return raw(fLen(99, m));
    })(), "ann@example.com"],
  ];
  for (const schema of ["rc.Order", null]) {
    it.each(hidden)(`${schema ?? "no schema"}: %s`, (_, msg, secret) => {
      for (const hash of [false, true]) {
        const r = fx.redact(msg, schema, "", ALL, hash);
        expect(r.status).toBe(0);
        expect(r.bytes.includes(secret)).toBe(false);
        for (const budget of [1, 4]) expect(fx.redact(msg, schema, "", ALL, hash, budget).bytes.equals(r.bytes)).toBe(true);
      }
    });
  }

  it("a payload whose hit touches its tags or numbers is text: hashed as a whole string", () => {
    const r = fx.redact(raw(fLen(99, "Aab@cd.ef")), null, "", EMAIL, true);
    expect(r.bytes).toEqual(raw(fLen(99, hmac("Aab@cd.ef"))));
  });

  it("a walked nested message's hashed strings re-encode its lengths", () => {
    const msg = raw(fLen(99, fLen(2, "x ann@example.com y")), fVarint(5, 1));
    const r = fx.redact(msg, null, "", EMAIL, true);
    const outer = protobuf.Reader.create(r.bytes);
    expect(outer.uint32()).toBe((99 << 3) | 2);
    const inner = outer.bytes();
    const ir = protobuf.Reader.create(inner);
    expect(ir.uint32()).toBe((2 << 3) | 2);
    expect(Buffer.from(ir.bytes()).toString()).toBe(`x ${hmac("ann@example.com")} y`);
    expect(outer.uint32()).toBe(5 << 3);
  });

  it("packed numbers whose bytes are text: hits masked in place, every element still an element", () => {
    const msg = raw(fLen(5, " 4111111111111111 "), fLen(14, "ann@example.com!"));
    for (const hash of [false, true]) {
      const r = fx.redact(msg, "rc.Order", "", ALL, hash);
      expect(r.bytes.length).toBe(msg.length);
      expect(absent(r.bytes)).toEqual([]);
      const out = decode(r.bytes);
      expect(out.nums.length).toBe(18);
      expect(out.codes.length).toBe(4);
    }
  });

  it("integers the hostile review sent (#14): a card in a packed int64 element, a double, an unknown 64-bit value", () => {
    const le64 = (v: bigint) => [...Array(8).keys()].map((k) => Number((v >> BigInt(8 * k)) & 0xffn));
    const dbl = (v: number) => [...Buffer.from(new Float64Array([v]).buffer)];
    const card = 4111111111111111n;
    // scores (18) packed [1, card, 7]: the hit zeroes the array, still three elements.
    const packed = raw(fLen(18, [...varint(1), ...varint(card), ...varint(7)]));
    const p = fx.redact(packed, "rc.Order", "", ALL);
    expect(p.hits[0]).toBe(1);
    expect(decode(p.bytes).scores).toEqual(["0", "0", "0"]);
    // price (9, double) = the card as a whole number: masked to another whole number of 16 digits.
    const price = fx.redact(raw(fFixed64(9, dbl(Number(card)))), "rc.Order", "", ALL);
    expect(price.hits[0]).toBe(1);
    const masked = decode(price.bytes).price;
    expect(masked).not.toBe(Number(card));
    expect(String(masked)).toMatch(/^4\d{15}$/);
    // A fraction is no card; neither is a double of the schema that is not whole.
    expect(fx.redact(raw(fFixed64(9, dbl(2.5))), "rc.Order", "", ALL).hits[0]).toBe(0);
    // Unknown 64-bit values, with or without a schema: as an integer, then as a double.
    for (const v of [le64(card), dbl(Number(card))]) {
      for (const type of ["rc.Order", null]) {
        const r = fx.redact(raw(fFixed64(99, v)), type, "", ALL);
        expect(r.hits[0], `${type} ${v}`).toBe(1);
        expect(Buffer.from(r.bytes).equals(raw(fFixed64(99, v)))).toBe(false);
      }
    }
  });

  it("integers: a card whatever the field, SSNs and phones where the name says so; masked as numbers", () => {
    const le64 = (v: bigint) => [...Array(8).keys()].map((k) => Number((v >> BigInt(8 * k)) & 0xffn));
    const card = 4111111111111111n;
    const msg = raw(fLen(1, fFixed64(4, le64(card))), fVarint(10, 2n * 5500000000000004n), fVarint(99, card), fVarint(8, 1));
    const hidden = (b: Buffer) => b.includes(Buffer.from(varint(card)));
    const r = fx.redact(msg, "rc.Order", "", ALL);
    expect(r.hits[0]).toBe(3);
    const d = decode(r.bytes);
    // fixed64 and sint64 (zigzag) read as the numbers they decode to; the unknown varint as an int64; the bool stays.
    expect(d.card.token).toMatch(/^4\d{11}1111$/);
    expect(d.card.token).not.toBe(String(card));
    expect(d.delta).toMatch(/^5\d{11}0004$/);
    expect(d.delta).not.toBe("5500000000000004");
    expect(d.flag).toBe(true);
    expect(hidden(r.bytes)).toBe(false);
    expect(r.bytes.length).toBe(msg.length);
    // Without a schema: the unknown fixed64 is read as an integer (a card), the zigzag varint is no card as an int64.
    const n = fx.redact(msg, null, "", ALL);
    expect(n.hits[0]).toBe(2);
    expect(hidden(n.bytes)).toBe(false);
    // A bare 9-digit integer is no SSN unless labelled.
    expect(fx.redact(raw(fVarint(99, 536228147)), null, "", ALL).status).toBe(1);
  });

  it("a message whose unknown numbers hide a hit as text: its unknown fields are dropped", () => {
    // "aa 4111…" as a Card: fields 12 and 6 as fixed64, unknown to Card, the card's digits in their bytes.
    const hidden = raw(fLen(1, "aa 4111111111111111 aaaaaaa"), fLen(4, "x"));
    const r = fx.redact(hidden, "rc.Order", "", ALL);
    expect(r.status).toBe(0);
    expect(r.bytes).toEqual(raw(fLen(1, []), fLen(4, "x")));
    expect(r.hits[0]).toBe(1);
    // Without a schema the top level is read so too: 'A' is field 8 as fixed64.
    expect(fx.redact(raw(fLen(4, "x"), [...Buffer.from("Aab@cd.ef")]), null, "", ALL).bytes).toEqual(raw(fLen(4, "x")));
    for (const budget of [1, 3]) expect(fx.redact(hidden, "rc.Order", "", ALL, false, budget).bytes.equals(r.bytes)).toBe(true);
  });

  it("a hit that only glues to the next tag (a letter) is the walk's: the nested message is walked", () => {
    // Field 12's tag is 'b': "ann@example.comb" as text, the e-mail inside field 2 as a message.
    const msg = raw(fLen(99, [...fLen(2, "ann@example.com"), ...fLen(12, "zz")]));
    const r = fx.redact(msg, null, "", EMAIL, true);
    expect(r.bytes).toEqual(raw(fLen(99, [...fLen(2, hmac("ann@example.com")), ...fLen(12, "zz")])));
  });

  it("with no schema the top level must parse", () => {
    expect(fx.redact(Buffer.from("ann@example.com"), null, "", ALL).status).toBe(INVALID_PROTOBUF);
    expect(fx.redact(Buffer.alloc(0), null, "", ALL).status).toBe(1);
  });

  it("nothing enabled: the message is walked and kept", () => {
    expect(fx.redact(encode(order), null, "", 0).status).toBe(1);
    expect(fx.redact(raw(fFixed64(3, [1, 2, 3, 4, 5, 6, 7, 8])), null, "", CARD).status).toBe(1);
  });
});

describe("redact.keep: the allow-list mode", () => {
  it("every scalar not under a kept path is masked, keeping its shape", () => {
    const input = encode(order);
    const r = fx.redact(input, "rc.Order", "keep $.card.holder_name\nkeep $.items[*].qty\nkeep $.labels", 0);
    expect(r.status).toBe(0);
    const out = decode(r.bytes);
    expect(out.card.holder_name).toBe("Ann");
    expect(out.items[0].qty).toBe("1");
    expect(out.labels).toEqual(order.labels);
    expect(out.card.number).toMatch(/^4\d{15}$/);
    expect(out.card.number).not.toBe("4111111111111111");
    expect(out.card.cvv).toBe(0);
    expect(out.price).toBe(0);
    expect(Buffer.from(out.items[0].blob, "base64")).toEqual(Buffer.alloc(15));
    expect(out.email).not.toBe(order.email);
    expect(out.email.length).toBe(order.email.length);
    expect(r.keepMasked).toBeGreaterThan(0);
    // The map is kept, its key "ann@example.com" with it (no detector on here).
    expect(absent(r.bytes)).toEqual(["ann@example.com"]);
  });

  it("explicit rules win; detectors still read kept strings", () => {
    const r = fx.redact(encode(order), "rc.Order", "keep $.email\nkeep $.card\nhash $.card.number", ALL);
    const out = decode(r.bytes);
    expect(out.email).toBe("***@*******.com");
    expect(out.card.number).toBe(hmac("4111111111111111"));
    expect(out.card.holder_name).toBe("Ann");
  });

  for (const schema of ["rc.Order", null]) {
    it(`${schema ?? "no schema"}, no kept path: nothing of any value remains`, () => {
      const input = encode(order);
      const r = fx.redact(input, schema, "keep", 0);
      expect(r.status).toBe(0);
      expect(absent(r.bytes, [...SECRETS, "Ann", "owner"])).toEqual([]);
      for (const budget of [1, 3]) expect(fx.redact(input, schema, "keep", 0, false, budget).bytes.equals(r.bytes)).toBe(true);
    });
  }
});
