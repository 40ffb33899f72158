// Redaction through the compiled filter in the emulator: with the example
// policy, nothing sensitive reaches the copy, the rest arrives byte for byte, and
// the primary is never touched. Bodies are fed in small chunks, as Envoy does.
import { describe, it, expect, beforeAll } from "vitest";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFilter, send, header, text } from "../../support/filter.js";
import { projectRoot } from "../../../harness/paths.js";
import type { ProxyWasmHost } from "../../../harness/emulator/index.js";

const KEY = "0123456789abcdef0123456789abcdef";
const token = (v: string) => "hmac:" + createHmac("sha256", KEY).update(v).digest().subarray(0, 16).toString("hex");
const POLICY = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));

let host: ProxyWasmHost;
beforeAll(async () => {
  const loaded = await loadFilter(POLICY, { env: { MIRRORSHADE_HASH_KEY: KEY } });
  expect(loaded.ok).toBe(true);
  host = loaded.host;
});

describe("headers", () => {
  it("drops, masks and hashes by name, case-insensitively; other headers unchanged", () => {
    const { call, stream } = send(host, {
      headers: [
        ["authorization", "Bearer abc.def"],
        ["cookie", "sid=1"],
        ["x-api-key", "k-12345"],
        ["x-user-email", "alice@example.com"],
        ["x-plain", "hello world"],
      ],
    });
    const h = call!.headers;
    expect(header(h, "authorization")).toBeUndefined();
    expect(header(h, "cookie")).toBeUndefined();
    expect(header(h, "x-api-key")).toBe("*******");
    expect(header(h, "x-user-email")).toBe(token("alice@example.com"));
    expect(header(h, "x-plain")).toBe("hello world");
    // The primary keeps everything.
    expect(header(stream.upstreamRequest.headers, "authorization")).toBe("Bearer abc.def");
    expect(header(stream.upstreamRequest.headers, "x-user-email")).toBe("alice@example.com");
    expect(host.metric("mirrorshade.redact.headers.dropped")).toBeGreaterThanOrEqual(2n);
  });

  it("hash tokens are stable across requests and fresh VMs", async () => {
    const a = send(host, { headers: [["x-user-email", "bob@example.com"]] }).call!;
    const other = await loadFilter(POLICY, { env: { MIRRORSHADE_HASH_KEY: KEY } });
    const b = send(other.host, { headers: [["x-user-email", "bob@example.com"]] }).call!;
    expect(header(a.headers, "x-user-email")).toBe(header(b.headers, "x-user-email"));
    expect(header(a.headers, "x-user-email")).toBe(token("bob@example.com"));
  });

  it("detectors scrub values in other headers", () => {
    const { call } = send(host, { headers: [["x-note", "card 4111 1111 1111 1111 ok"], ["x-contact", "mail carol@example.org"]] });
    expect(header(call!.headers, "x-note")).not.toContain("4111 1111 1111 1111");
    expect(header(call!.headers, "x-note")).toMatch(/^card 4\d{3} \d{4} \d{4} 1111 ok$/);
    expect(header(call!.headers, "x-contact")).not.toContain("carol@example.org");
  });
});

describe("query", () => {
  it.each([
    ["/p?token=abc123&x=1", "/p?token=******&x=1"],
    ["/p?x=1&session=s%20p&y=2", "/p?x=1&session=***&y=2"],
    ["/p?TOKEN=abc", "/p?TOKEN=***"],
    ["/p?a=1&b=&c", "/p?a=1&b=&c"],
    ["/p", "/p"],
  ])("%s -> %s", (path, expected) => {
    const { call } = send(host, { path });
    expect(header(call!.headers, ":path")).toBe(expected);
  });

  it("detectors see percent-decoded values and '+' as space", () => {
    const { call } = send(host, { path: "/s?q=4111+1111+1111+1111&e=dave%40example.com&k=plain" });
    const p = header(call!.headers, ":path")!;
    expect(p).not.toContain("1111+1111+1111");
    expect(decodeURIComponent(p)).not.toContain("dave@example.com");
    expect(p).toMatch(/&k=plain$/);
  });
});

describe("JSON bodies", () => {
  const doc = `{
  "order": 42, "note": "Zoë \\u00e9 ☕ \\"quoted\\"", "big": 123456789012345678901234567890,
  "card": {"number": "4111111111111111", "cvv": "123", "holder": "Zoë"},
  "user": {"email": "erin@example.com", "password": "hunter2", "tags": ["a", "b"]},
  "debug": {"trace": true},
  "items": [{"cvv": 999}, {"sku": "x"}]
}`;

  it.each([1, 5, 64, 100000])("rewrites only matched values (chunks of %i bytes)", (chunkSize) => {
    const { call, stream } = send(host, { body: doc, chunkSize, headers: [["content-type", "application/json; charset=utf-8"]] });
    const out = text(call!.body);
    const parsed = JSON.parse(out);
    expect(parsed.card.number).toMatch(/^\*+$/);
    expect(parsed.card.cvv).toBe("***");
    expect(parsed.items[0].cvv).toBe(0);
    expect(parsed.user.password).toBe("*******");
    expect(parsed.user.email).toBe(token("erin@example.com"));
    expect(parsed.debug).toBeUndefined();
    // Everything else as written, byte for byte.
    expect(out).toContain(`"note": "Zoë \\u00e9 ☕ \\"quoted\\""`);
    expect(out).toContain(`"big": 123456789012345678901234567890`);
    expect(out).toContain(`"holder": "Zoë"`);
    expect(out).toContain(`"tags": ["a", "b"]`);
    expect(text(stream.upstreamRequest.body)).toBe(doc);
  });

  it("application/*+json counts as JSON", () => {
    const { call } = send(host, { body: '{"password":"x"}', headers: [["content-type", "application/problem+json"]] });
    expect(JSON.parse(text(call!.body)).password).toBe("*");
  });

  it("detectors catch values no path names, even split across chunks", () => {
    const body = JSON.stringify({ comment: "call me at +14155552671 or mail frank@example.com", n: 4111111111111111 });
    const { call } = send(host, { body, chunkSize: 3, headers: [["content-type", "application/json"]] });
    const out = text(call!.body);
    expect(out).not.toContain("+14155552671");
    expect(out).not.toContain("frank@example.com");
    expect(out).not.toContain("4111111111111111");
    expect(() => JSON.parse(out)).not.toThrow();
  });
});

describe("bodies that cannot be scanned are never mirrored as they are", () => {
  it.each([
    ["invalid JSON", [["content-type", "application/json"]], '{"password": "x",}', "invalid_json"],
    ["compressed", [["content-type", "application/json"], ["content-encoding", "gzip"]], "\x1f\x8b binary", "compressed"],
    ["unknown type", [["content-type", "application/octet-stream"]], "\x00\x01\x02", "unsupported_type"],
    ["no content type", [], "password=x", "unsupported_type"],
    ["binary under text/", [["content-type", "text/plain"]], "a\x00b", "binary"],
  ] as [string, [string, string][], string, string][])("%s: sent without body, flagged, counted", (_n, headers, body, reason) => {
    const before = host.metric(`mirrorshade.redact.body_unscannable.${reason}`) ?? 0n;
    const { call, stream } = send(host, { body, headers, chunkSize: 4 });
    expect(call).toBeDefined();
    expect(call!.body.length).toBe(0);
    expect(header(call!.headers, "x-mirrorshade-body-dropped")).toBe(reason);
    expect(text(stream.upstreamRequest.body)).toBe(body);
    expect(host.metric(`mirrorshade.redact.body_unscannable.${reason}`)).toBe(before + 1n);
  });

  it("on_unscannable skip: no copy at all", async () => {
    const { host: h } = await loadFilter({ ...POLICY, redact: { ...POLICY.redact, hash_key: `inline:${KEY}`, body: { on_unscannable: "skip" } } });
    expect(send(h, { body: "{nope", headers: [["content-type", "application/json"]] }).call).toBeUndefined();
    expect(h.metric("mirrorshade.skipped.unscannable_body")).toBe(1n);
  });

  it("pass_through types are mirrored unscanned, by explicit choice", async () => {
    const { host: h } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["card"], body: { pass_through: ["image/*"] } } });
    const { call } = send(h, { body: "\x89PNG 4111111111111111", headers: [["content-type", "image/png"]] });
    expect(text(call!.body)).toBe("\x89PNG 4111111111111111");
  });
});

describe("text and form bodies", () => {
  it("form bodies follow the query rules and the detectors", () => {
    const { call } = send(host, { body: "token=abc&card=4111111111111111&name=Zo%C3%AB", headers: [["content-type", "application/x-www-form-urlencoded"]], chunkSize: 6 });
    const out = text(call!.body);
    expect(out).toMatch(/^token=\*\*\*&card=4\d{11}1111&name=Zo%C3%AB$/);
    expect(out).not.toContain("4111111111111111");
  });

  it("text bodies go through the detectors", () => {
    const { call } = send(host, { body: "SSN 123-45-6789, IBAN GB82 WEST 1234 5698 7654 32.", headers: [["content-type", "text/plain"]], chunkSize: 5 });
    const out = text(call!.body);
    expect(out).not.toContain("123-45-6789");
    expect(out).not.toContain("GB82 WEST 1234 5698 7654 32");
    expect(out).toMatch(/^SSN \*\*\*-\*\*-6789, IBAN /);
  });
});

describe("empty and huge bodies", () => {
  it("a JSON request without body is mirrored without body", () => {
    const { call } = send(host, { method: "POST", headers: [["content-type", "application/json"]] });
    expect(call!.body.length).toBe(0);
    expect(header(call!.headers, "x-mirrorshade-body-dropped")).toBeUndefined();
  });

  it("a 900 KB JSON document fed in 16 KB chunks is scrubbed everywhere", async () => {
    const { host: h } = await loadFilter({ ...POLICY, shadow: { cluster: "shadow", max_body_bytes: 1048576 }, redact: { ...POLICY.redact, hash_key: `inline:${KEY}` } });
    const records = Array.from({ length: 7000 }, (_, i) => ({ id: i, user: { email: `u${i}@example.com`, password: `pw-${i}` }, card: { number: "5555555555554444", cvv: "321" }, note: "Grüße ☕" }));
    const body = JSON.stringify({ records });
    expect(body.length).toBeGreaterThan(900_000);
    const { call } = send(h, { body, chunkSize: 16384, headers: [["content-type", "application/json"]] });
    const out = text(call!.body);
    expect(out).not.toMatch(/pw-\d+|5555555555554444|@example\.com/);
    const parsed = JSON.parse(out);
    expect(parsed.records).toHaveLength(7000);
    expect(parsed.records[6999].note).toBe("Grüße ☕");
    expect(parsed.records[17].user.email).toBe(token("u17@example.com"));
  });
});

describe("trailers", () => {
  it("are redacted like headers on the copy; the primary keeps them as sent", () => {
    const body = JSON.stringify({ n: 1 });
    const { call, stream } = send(host, {
      headers: [["content-type", "application/json"]],
      body,
      chunkSize: 4,
      trailers: [["authorization", "Bearer t0k3n"], ["x-api-key", "k-12345"], ["x-note", "mail alice@example.com"], ["x-checksum", "abc"], ["x-shadow-request", "true"]],
    });
    const t = call!.trailers;
    expect(header(t, "authorization")).toBeUndefined();
    expect(header(t, "x-api-key")).toBe("*******");
    expect(header(t, "x-note")).not.toContain("alice@example.com");
    expect(header(t, "x-checksum")).toBe("abc");
    expect(header(t, "x-shadow-request")).toBeUndefined();
    const primary = stream.upstreamRequest.trailers;
    expect(header(primary, "authorization")).toBe("Bearer t0k3n");
    expect(header(primary, "x-note")).toBe("mail alice@example.com");
  });
});

describe("header rules and the spellings applications read as the same header", () => {
  it("'_' for '-' (CGI, WSGI, Rack, PHP read x_api_key as X-Api-Key)", () => {
    const { call } = send(host, { headers: [["x_api_key", "k-12345"], ["x_user_email", "bob@example.org"], ["proxy_authorization", "kept"]] });
    const h = call!.headers;
    expect(header(h, "x_api_key")).toBe("*******");
    expect(header(h, "x_user_email")).toBe(token("bob@example.org"));
    expect(header(h, "proxy_authorization")).toBe("kept");
  });
});
