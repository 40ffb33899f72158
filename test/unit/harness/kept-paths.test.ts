// preview's list of what the allow-list mode (redact.keep) let through a JSON
// body: the paths of the strings and numbers the copy carries unchanged.
import { describe, it, expect } from "vitest";
import { keptPaths, usesKeep } from "../../../harness/kept-paths.js";
import { preview } from "../../../harness/preview.js";
import { FILTER_WASM } from "../../../harness/paths.js";

const b = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

const CASES: [string, unknown, unknown, string[] | null][] = [
  ["unchanged leaves are kept, masked ones not", { a: "x", n: 12, card: "4111111111111111" }, { a: "x", n: 12, card: "4000000000001111" }, ["$.a", "$.n"]],
  ["nested and in arrays", { u: { id: "u1", pw: "p" }, items: [{ sku: "A" }, { sku: "B" }] }, { u: { id: "u1", pw: "*" }, items: [{ sku: "A" }, { sku: "*" }] }, ["$.u.id", "$.items[0].sku"]],
  ["odd names are bracketed", { "a.b": "1", "it's": "2" }, { "a.b": "1", "it's": "2" }, ["$['a.b']", "$['it\\'s']"]],
  ["a dropped member is not kept", { a: "1", b: "2" }, { a: "1" }, ["$.a"]],
  ["booleans and nulls are not values a keep list is about", { t: true, z: null, s: "s" }, { t: true, z: null, s: "s" }, ["$.s"]],
  ["a BOM before either is skipped", "\ufeff" + JSON.stringify({ a: "1" }), { a: "1" }, ["$.a"]],
  ["not JSON: none", "a=1&b=2", "a=1&b=*", null],
];

describe("keptPaths", () => {
  it.each(CASES)("%s", (_name, original, copy, paths) => {
    expect(keptPaths(b(original), b(copy))).toEqual(paths);
  });

  it("usesKeep reads redact.keep", () => {
    expect(usesKeep(JSON.stringify({ redact: { keep: { json: ["$.a"] } } }))).toBe(true);
    expect(usesKeep(JSON.stringify({ redact: { detectors: ["email"] } }))).toBe(false);
    expect(usesKeep("{")).toBe(false);
  });
});

describe("preview", () => {
  const request = { path: "/p", headers: { "content-type": "application/json" }, body: JSON.stringify({ sku: "A-1", email: "alice@example.com" }) };
  it("lists the kept paths of a JSON copy with redact.keep, and only then", async () => {
    const base = { role: "mirror", shadow: { cluster: "shadow" } };
    const [withKeep] = await preview({ wasm: FILTER_WASM, policy: JSON.stringify({ ...base, redact: { keep: { json: ["$.sku"] }, detectors: ["email"] } }), requests: [request] });
    const kept = withKeep.copies[0].keptPaths!;
    expect(kept).toContain("$.sku");
    // The detector masked the e-mail: not kept.
    expect(kept).not.toContain("$.email");
    const [without] = await preview({ wasm: FILTER_WASM, policy: JSON.stringify({ ...base, redact: { detectors: ["email"] } }), requests: [request] });
    expect(without.copies[0].keptPaths).toBeUndefined();
  });
});
