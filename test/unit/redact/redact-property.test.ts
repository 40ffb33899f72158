// Property: sensitive values planted anywhere in generated requests never reach
// the shadow; everything else arrives byte for byte; the filter never faults.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFilter, send, header, text } from "../../support/filter.js";
import { projectRoot } from "../../../harness/paths.js";
import type { ProxyWasmHost, HeaderList } from "../../../harness/emulator/index.js";

const POLICY = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));
POLICY.redact.hash_key = "inline:property-test-key-0123456789";

// Background data avoids digits, '@' and '+', so no detector fires on it by chance.
const word = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzZÖéü☕ _-.,'\"\\/\n"), maxLength: 12 });
const key = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz_"), minLength: 1, maxLength: 8 })
  .filter((k) => !["password", "cvv", "email", "debug", "card"].includes(k));
const leaf = fc.oneof(word, fc.boolean(), fc.constant(null), fc.integer({ min: -999, max: 999 }).map(() => 0.5));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(key, tie("node"), { maxKeys: 4 })),
})).node;
const secret = fc.string({ unit: fc.constantFrom(..."ABCDEFGHJKLMNPQRSTUVWXYZ"), minLength: 10, maxLength: 16 }).map((s) => `SECRET${s}`);

/** Places {"password": secret} at a random object inside doc (or wraps doc). */
function plant(doc: unknown, value: string, pick: number): unknown {
  const objects: Record<string, unknown>[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      objects.push(v as Record<string, unknown>);
      Object.values(v).forEach(walk);
    }
  };
  walk(doc);
  if (objects.length === 0) return { password: value, data: doc };
  objects[pick % objects.length].password = value;
  return doc;
}

/** The document with every password value removed, for comparing the rest. */
function withoutPasswords(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutPasswords);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "password").map(([k, x]) => [k, withoutPasswords(x)]));
  }
  return v;
}

let host: ProxyWasmHost;
beforeAll(async () => {
  const loaded = await loadFilter(POLICY);
  expect(loaded.ok).toBe(true);
  host = loaded.host;
});

describe("planted secrets never reach the shadow", () => {
  it("headers, query and JSON body, any shape, any chunking", () => {
    fc.assert(
      fc.property(json, secret, secret, secret, fc.nat(), fc.integer({ min: 1, max: 64 }), fc.array(fc.tuple(key.map((k) => `x-${k}`), word.map((w) => w.replace(/[\n"\\]/g, ""))), { maxLength: 4 }), fc.integer({ min: 0, max: 4 }), (doc, s1, s2, s3, pick, chunkSize, extra, pad) => {
        const planted = plant(structuredClone(doc), s1, pick);
        const body = JSON.stringify(planted, null, pad);
        const headers: HeaderList = [["content-type", "application/json"], ["authorization", `Bearer ${s2}`], ...extra, ["x-api-key", s3]];
        const { call, stream } = send(host, { path: `/p?a=1&token=${s1}&b=2`, headers, body, chunkSize });
        expect(host.vmFailed).toBe(false);
        expect(call).toBeDefined();
        host.respondToCall(call!.token, { headers: [[":status", "200"]] });
        const shadow = `${JSON.stringify(call!.headers)}${text(call!.body)}`;
        for (const s of [s1, s2, s3]) expect(shadow).not.toContain(s);
        // Everything else as the client sent it.
        expect(header(call!.headers, ":path")).toBe(`/p?a=1&token=${"*".repeat(s1.length)}&b=2`);
        for (const [k, v] of extra) expect(call!.headers.filter(([n]) => n === k).map(([, x]) => x)).toEqual(extra.filter(([n]) => n === k).map(([, x]) => x));
        expect(withoutPasswords(JSON.parse(text(call!.body)))).toEqual(withoutPasswords(planted));
        // And the primary got exactly what was sent.
        expect(text(stream.upstreamRequest.body)).toBe(body);
      }),
      { numRuns: 300 },
    );
  });

  it("random bytes under every content type never fault the filter and never pass unscanned", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "application/octet-stream", "application/vnd.api+json"), fc.integer({ min: 1, max: 50 }), (bytes, type, chunkSize) => {
        const { call } = send(host, { body: bytes, headers: [["content-type", type]], chunkSize });
        expect(host.vmFailed).toBe(false);
        expect(call).toBeDefined();
        host.respondToCall(call!.token, { headers: [[":status", "200"]] });
        if (type === "application/octet-stream") expect(call!.body.length).toBe(0);
      }),
      { numRuns: 400 },
    );
  });
});
