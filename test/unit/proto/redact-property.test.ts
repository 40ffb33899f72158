// filter/proto/redact.ts over random messages and random bytes: it never traps,
// never returns a message that holds a planted card or e-mail address (unless
// it could not walk the message: then the body is not sent), its output still
// parses, and a run cut into slices at any byte gives the same output.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { ProtoFixture, loadProtoFixture, loadProto, ALL, INVALID_PROTOBUF, TOO_MANY_FINDINGS, fLen, fVarint, fGroup, fFixed32, fFixed64 } from "../../support/proto-redact.js";

let fx: ProtoFixture;

beforeAll(() => {
  fx = loadProtoFixture();
  fx.loadRoot(loadProto("redact-cases.proto"));
});

const SECRETS = ["4111111111111111", "5500000000000004", "ann@example.com", "x.y@corp.example.org"];

type Node =
  | { k: "varint"; n: number; v: number }
  | { k: "fixed32"; n: number; b: number[] }
  | { k: "fixed64"; n: number; b: number[] }
  | { k: "text"; n: number; s: string }
  | { k: "msg"; n: number; body: Node[] }
  | { k: "group"; n: number; body: Node[] };

const fieldNo = fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 536870911 }));
const word = fc.string({ unit: fc.constantFrom(..."abc XYZ-_.:/"), maxLength: 8 });
const text = fc.oneof(
  word,
  fc.tuple(word, fc.constantFrom(...SECRETS), word).map(([a, s, b]) => `${a} ${s} ${b}`),
);
const tree = fc.letrec<{ node: Node; body: Node[] }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ k: fc.constant("varint" as const), n: fieldNo, v: fc.integer({ min: 0, max: 2 ** 31 }) }),
    fc.record({ k: fc.constant("fixed32" as const), n: fieldNo, b: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }) }),
    fc.record({ k: fc.constant("fixed64" as const), n: fieldNo, b: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }) }),
    fc.record({ k: fc.constant("text" as const), n: fieldNo, s: text }),
    fc.record({ k: fc.constant("msg" as const), n: fieldNo, body: tie("body") as fc.Arbitrary<Node[]> }),
    fc.record({ k: fc.constant("group" as const), n: fieldNo, body: tie("body") as fc.Arbitrary<Node[]> }),
  ),
  body: fc.array(tie("node") as fc.Arbitrary<Node>, { maxLength: 4 }),
}));

function bytesOf(body: Node[]): number[] {
  const out: number[] = [];
  for (const n of body) {
    if (n.k === "varint") out.push(...fVarint(n.n, n.v));
    else if (n.k === "fixed32") out.push(...fFixed32(n.n, n.b));
    else if (n.k === "fixed64") out.push(...fFixed64(n.n, n.b));
    else if (n.k === "text") out.push(...fLen(n.n, n.s));
    else if (n.k === "msg") out.push(...fLen(n.n, bytesOf(n.body)));
    else out.push(...fGroup(n.n, bytesOf(n.body)));
  }
  return out;
}

/** Whether b parses as a message, flat (decode_raw's first level). */
function parses(b: Buffer): boolean {
  let i = 0;
  const groups: number[] = [];
  const varint = (): bigint | null => {
    let v = 0n, shift = 0n;
    while (i < b.length && shift < 70n) {
      const c = b[i++];
      v |= BigInt(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
      shift += 7n;
    }
    return null;
  };
  while (i < b.length) {
    const t = varint();
    if (t === null || t >> 3n === 0n || t > 0xffffffffn) return false;
    const w = Number(t & 7n);
    const n = Number(t >> 3n);
    if (w === 0) { if (varint() === null) return false; }
    else if (w === 1) i += 8;
    else if (w === 5) i += 4;
    else if (w === 2) { const l = varint(); if (l === null) return false; i += Number(l); }
    else if (w === 3) groups.push(n);
    else if (w === 4) { if (groups.pop() !== n) return false; }
    else return false;
    if (i > b.length) return false;
  }
  return groups.length === 0;
}

describe("random messages", () => {
  it("no planted secret gets through; the output parses; slices change nothing", () => {
    fc.assert(
      fc.property(tree.body, fc.constantFrom<string | null>(null, "rc.Order"), fc.boolean(), fc.integer({ min: 1, max: 7 }), (body, schema, hash, budget) => {
        const msg = Buffer.from(bytesOf(body));
        const r = fx.redact(msg, schema, "", ALL, hash);
        // With a schema, a random field can be a known one with another wire type: invalid_protobuf.
        expect(schema === null ? [0, 1] : [0, 1, INVALID_PROTOBUF]).toContain(r.status);
        if (r.status <= 1) {
          for (const s of SECRETS) expect(r.bytes.includes(s), s).toBe(false);
          expect(parses(r.bytes)).toBe(true);
        }
        const sliced = fx.redact(msg, schema, "", ALL, hash, budget);
        expect(sliced.status).toBe(r.status);
        expect(sliced.bytes.equals(r.bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("rules and the allow-list over random messages of the schema's fields never trap", () => {
    const rules = fc.constantFrom("mask $..number", "drop $.items[*].note\nhash $..email", "mask $.card\nmask $.labels.*", "keep $.card.holder_name", "keep", "drop $..*", "mask $.nums[1]\ndrop $.codes[0]");
    fc.assert(
      fc.property(tree.body, rules, fc.integer({ min: 1, max: 7 }), (body, spec, budget) => {
        const msg = Buffer.from(bytesOf(body));
        const r = fx.redact(msg, "rc.Order", spec, ALL);
        expect([0, 1, INVALID_PROTOBUF]).toContain(r.status);
        if (r.status <= 1) expect(parses(r.bytes)).toBe(true);
        expect(fx.redact(msg, "rc.Order", spec, ALL, false, budget).bytes.equals(r.bytes)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("random bytes", () => {
  it("never trap; whatever comes back parses; slices change nothing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom<string | null>(null, "rc.Order"), fc.integer({ min: 1, max: 7 }), (bytes, schema, budget) => {
        const msg = Buffer.from(bytes);
        const r = fx.redact(msg, schema, "mask $..number\ndrop $.items", ALL, true);
        expect([0, 1, INVALID_PROTOBUF, TOO_MANY_FINDINGS]).toContain(r.status);
        if (r.status <= 1) expect(parses(r.bytes)).toBe(true);
        const sliced = fx.redact(msg, schema, "mask $..number\ndrop $.items", ALL, true, budget);
        expect(sliced.status).toBe(r.status);
        expect(sliced.bytes.equals(r.bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
