// filter/proto/redact.ts with a schema: redact.json rules select protobuf fields
// by their .proto or JSON names (mask, hash, drop of every kind of field:
// scalars, strings, bytes, messages, repeated and packed fields, maps), lengths
// re-encoded, every byte not selected kept. Outputs are decoded by protobufjs.
import { describe, it, expect, beforeAll } from "vitest";
import { createHmac } from "node:crypto";
import protobuf from "protobufjs";
import { ProtoFixture, loadProtoFixture, loadProto, INVALID_PROTOBUF, TOO_MANY_FINDINGS, ALL, raw, fLen, fVarint, fFixed64, fGroup, tag, varint } from "../../support/proto-redact.js";

let fx: ProtoFixture;
let Order: protobuf.Type;
const hmac = (v: string | Buffer) => "hmac:" + createHmac("sha256", "test-key").update(v).digest("hex").slice(0, 32);
const stars = (s: string) => "*".repeat(Buffer.byteLength(s));

beforeAll(() => {
  const root = loadProto("redact-cases.proto");
  fx = loadProtoFixture();
  fx.loadRoot(root);
  Order = root.lookupType("rc.Order");
});

const base = {
  card: { number: "4111111111111111", holder_name: "Ann Lee", cvv: 123, token: "99" },
  items: [{ note: "first", qty: 2, blob: Buffer.from("b1") }, { note: "second", qty: 3 }, { note: "third" }],
  labels: { secret: "s3cr3t", plain: "hello" },
  email: "ann@example.com",
  nums: [5, 300, 70000],
  tags: ["red", "blue"],
  payload: Buffer.from("raw bytes"),
  flag: true,
  price: 12.5,
  delta: -7,
  cards_by_id: { 7: { number: "5500000000000004", cvv: 9 } },
  customer_phone: "n/a",
  child: { email: "kid@example.com", card: { number: "340000000000009", cvv: 1 } },
  codes: [1, 2, 3],
  kind: 1,
  ratio: 0.5,
};

const encode = (o: object) => Buffer.from(Order.encode(Order.fromObject(o)).finish());
const decodeAs = (b: Uint8Array, defaults: boolean) => Order.toObject(Order.decode(b), { longs: String, bytes: String, defaults, enums: Number });
// Masked numbers are written as 0 where absent ones are not: compared with defaults filled in.
const decode = (b: Uint8Array) => decodeAs(b, true);
const clone = () => decodeAs(encode(base), false) as any;

interface Case {
  name: string;
  rules: string;
  change: (o: any) => void;
  counts?: [number, number, number]; // masked, hashed, dropped
}

const b64 = (b: Buffer) => b.toString("base64");

const cases: Case[] = [
  { name: "mask a nested string by its .proto name", rules: "mask $.card.number", change: (o) => (o.card.number = stars("4111111111111111")), counts: [1, 0, 0] },
  { name: "mask a string by its JSON name", rules: "mask $.card.holderName", change: (o) => (o.card.holder_name = stars("Ann Lee")) },
  { name: "names fold by default", rules: "mask $.CARD.Number", change: (o) => (o.card.number = stars("4111111111111111")) },
  { name: "match_case: the exact spelling only", rules: "mask! $.CARD.number\nmask! $.card.holder_name", change: (o) => (o.card.holder_name = stars("Ann Lee")) },
  { name: "bracket names", rules: "mask $['email']", change: (o) => (o.email = stars("ann@example.com")) },
  { name: "hash a string: the hmac token", rules: "hash $.email", change: (o) => (o.email = hmac("ann@example.com")), counts: [0, 1, 0] },
  { name: "hash a nested string: enclosing lengths re-encoded", rules: "hash $.child.card.number", change: (o) => (o.child.card.number = hmac("340000000000009")) },
  { name: "drop a descendant everywhere", rules: "drop $..cvv", change: (o) => { delete o.card.cvv; delete o.child.card.cvv; delete o.cards_by_id[7].cvv; }, counts: [0, 0, 3] },
  { name: "mask a number: 0", rules: "mask $.card.cvv", change: (o) => delete o.card.cvv },
  { name: "hash a number masks it", rules: "hash $.card.cvv", change: (o) => delete o.card.cvv, counts: [0, 1, 0] },
  { name: "mask fixed64, double, float, sint64, bool, enum", rules: "mask $.card.token\nmask $.price\nmask $.ratio\nmask $.delta\nmask $.flag\nmask $.kind", change: (o) => { delete o.card.token; delete o.price; delete o.ratio; delete o.delta; delete o.flag; delete o.kind; } },
  { name: "every element of a repeated field", rules: "mask $.items[*].note", change: (o) => o.items.forEach((i: any) => (i.note = stars(i.note))) },
  { name: "one element by its index", rules: "mask $.items[1].note", change: (o) => (o.items[1].note = stars("second")) },
  { name: "drop one element", rules: "drop $.items[0]", change: (o) => o.items.shift() },
  { name: "drop a repeated field: every occurrence", rules: "drop $.items", change: (o) => delete o.items, counts: [0, 0, 3] },
  { name: "repeated strings", rules: "mask $.tags[1]", change: (o) => (o.tags[1] = stars("blue")) },
  { name: "a map value by its key", rules: "mask $.labels.secret", change: (o) => (o.labels.secret = stars("s3cr3t")) },
  { name: "hash a map value", rules: "hash $.labels.secret", change: (o) => (o.labels.secret = hmac("s3cr3t")) },
  { name: "drop a map entry", rules: "drop $.labels.secret", change: (o) => delete o.labels.secret },
  { name: "every map value", rules: "mask $.labels.*", change: (o) => { o.labels.secret = stars("s3cr3t"); o.labels.plain = stars("hello"); } },
  { name: "an integer-keyed map, the key in decimal", rules: "mask $.cardsById['7'].number", change: (o) => (o.cards_by_id[7].number = stars("5500000000000004")) },
  { name: "a message masked: every scalar in it", rules: "mask $.card", change: (o) => (o.card = { number: stars("4111111111111111"), holder_name: stars("Ann Lee") }) },
  { name: "a message dropped", rules: "drop $.child", change: (o) => delete o.child },
  { name: "packed numbers masked: every element 0", rules: "mask $.nums", change: (o) => (o.nums = [0, 0, 0]) },
  { name: "one packed element", rules: "mask $.nums[1]", change: (o) => (o.nums = [5, 0, 70000]) },
  { name: "one packed element dropped", rules: "drop $.nums[2]", change: (o) => (o.nums = [5, 300]) },
  { name: "packed fixed32 masked", rules: "mask $.codes", change: (o) => (o.codes = [0, 0, 0]) },
  { name: "bytes masked: zeros of the same length", rules: "mask $.payload", change: (o) => (o.payload = b64(Buffer.alloc(9))) },
  { name: "bytes hashed", rules: "hash $.payload", change: (o) => (o.payload = b64(Buffer.from(hmac("raw bytes")))) },
  { name: "descendants through nested messages", rules: "mask $..number", change: (o) => {
    o.card.number = stars(o.card.number); o.child.card.number = stars(o.child.card.number); o.cards_by_id[7].number = stars(o.cards_by_id[7].number);
  } },
  { name: "a path no field has", rules: "mask $.nothing\nmask $.card.number.deeper", change: () => {} },
];

describe("rules select protobuf fields", () => {
  it.each(cases)("$name", ({ rules, change, counts }) => {
    const input = encode(base);
    const r = fx.redact(input, "rc.Order", rules);
    const want = clone();
    change(want);
    expect(r.status).toBeLessThan(2);
    expect(decode(r.bytes)).toEqual(decode(encode(want)));
    if (counts) expect([r.masked, r.hashed, r.dropped]).toEqual(counts);
    // In slices of a few bytes of work: the same bytes.
    for (const budget of [1, 3, 7]) expect(fx.redact(input, "rc.Order", rules, 0, false, budget).bytes.equals(r.bytes)).toBe(true);
  });

  it("leaves every byte outside the selected value as it was", () => {
    // Unknown fields, fields out of order, a non-minimal varint, a packed array: only the email's bytes change.
    const msg = raw(fVarint(99, 5), fLen(4, "ann@example.com"), [...tag(8, 0), 0x81, 0x80, 0x00], fLen(5, [1, 2, 3]), fLen(1, fLen(1, "x")));
    const r = fx.redact(msg, "rc.Order", "mask $.email");
    const want = Buffer.from(msg);
    const at = want.indexOf("ann@example.com");
    want.fill("*", at, at + 15);
    expect(r.bytes.equals(want)).toBe(true);
  });

  it("re-encodes every enclosing length when a value's length changes", () => {
    const inner = fLen(1, "4111111111111111");
    // The card's length written non-minimally: a change inside re-encodes it minimally.
    const msg = raw(fLen(13, fLen(1, inner)), [...tag(1, 2), ...[0x92, 0x00], ...inner], fVarint(99, 1));
    const r = fx.redact(msg, "rc.Order", "hash $..number");
    const out = decode(r.bytes) as any;
    expect(out.card.number).toBe(hmac("4111111111111111"));
    expect(out.child.card.number).toBe(hmac("4111111111111111"));
    // The unknown field after them is kept as it was.
    expect(r.bytes.subarray(r.bytes.length - 3)).toEqual(Buffer.from(fVarint(99, 1)));
  });

  it("an unchanged message comes back as null (unchanged)", () => {
    expect(fx.redact(encode(base), "rc.Order", "mask $.nothing").status).toBe(1);
  });
});

describe("messages a schema does not accept are invalid_protobuf", () => {
  const bad: [string, Buffer][] = [
    ["a truncated length", raw([...tag(4, 2), 10], [...Buffer.from("abc")])],
    ["a known string with a varint", raw(fVarint(4, 1))],
    ["a known message with a fixed64", raw(fFixed64(1, [0, 0, 0, 0, 0, 0, 0, 0]))],
    ["a known int32 as fixed64", raw(fFixed64(5, [0, 0, 0, 0, 0, 0, 0, 0]))],
    ["field number 0", raw([0x02, 0x00])],
    ["wire type 7", raw([0x0f])],
    ["an end-group with no group", raw([...tag(20, 4)])],
    ["a group not closed", raw([...tag(20, 3)], fVarint(1, 1))],
    ["a nested message that does not parse", raw(fLen(1, [0xff]))],
    ["a packed int32 that is cut", raw(fLen(5, [0x80]))],
    ["a packed fixed32 of 3 bytes", raw(fLen(14, [1, 2, 3]))],
    ["a tag past 32 bits", raw([0x82, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00])],
    ["nesting deeper than 64", (() => {
      let m: number[] = fLen(4, "x");
      for (let i = 0; i < 65; i++) m = fLen(13, m);
      return Buffer.from(m);
    })()],
  ];
  it.each(bad)("%s", (_, msg) => {
    expect(fx.redact(msg, "rc.Order", "mask $.email", 63).status).toBe(INVALID_PROTOBUF);
  });

  it("nesting to 64 levels is walked", () => {
    let m: number[] = fLen(4, "ann@example.com");
    for (let i = 0; i < 63; i++) m = fLen(13, m);
    const r = fx.redact(Buffer.from(m), "rc.Order", "hash $..email");
    expect(r.status).toBe(0);
    let o = decode(r.bytes) as any;
    while (o.child) o = o.child;
    expect(o.email).toBe(hmac("ann@example.com"));
  });

  it("varint and length values are read as they are written", () => {
    expect(varint(300)).toEqual([0xac, 0x02]);
  });
});

describe("bounds", () => {
  it("more edits than a body may have: too_many_findings", () => {
    const nums = Buffer.alloc(70000, 1);
    const r = fx.redact(raw(fLen(5, [...nums])), "rc.Order", "keep $.nums[0]");
    expect(r.status).toBe(TOO_MANY_FINDINGS);
    // The whole array masked is one edit.
    expect(fx.redact(raw(fLen(5, [...nums])), "rc.Order", "mask $.nums").status).toBe(0);
  });

  it("groups nested deeper than 64: invalid_protobuf at the top, text inside a payload", () => {
    const deep = (n: number) => {
      let m: number[] = fLen(1, "ann@example.com");
      for (let i = 0; i < n; i++) m = fGroup(30, m);
      return m;
    };
    expect(fx.redact(raw(deep(70)), null, "", ALL).status).toBe(INVALID_PROTOBUF);
    expect(fx.redact(raw(deep(64)), null, "", ALL).status).toBe(0);
    const r = fx.redact(raw(fLen(99, deep(70))), null, "", ALL);
    expect(r.status).toBe(0);
    expect(r.bytes.includes("ann@example.com")).toBe(false);
  });
});
