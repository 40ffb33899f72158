// Redaction runs off the primary's path, in slices from the root context's tick
// (filter/roles/mirror-queue.ts). Through the compiled filter in the emulator:
// a scan cut into slices of any size (down to one byte, forced with a clock that
// jumps a millisecond at every look) yields the copy a scan in one go yields;
// nothing on the request's callbacks scans a body; the redaction budget and the
// cap on findings fail closed, counted.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFilter, send, drainRedaction, header, text } from "../../support/filter.js";
import { projectRoot } from "../../../harness/paths.js";
import type { ProxyWasmHost } from "../../../harness/emulator/index.js";

const KEY = "0123456789abcdef0123456789abcdef";
// Every body through the queue, however small (limits.redaction_inline_bytes 0).
const POLICY = { ...JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8")), limits: { redaction_inline_bytes: 0 } };
const env = { MIRRORSHADE_HASH_KEY: KEY };

/** A clock that moves `stepNs` at every look: each slice's time is spent at once, so it takes one step, sized down to a byte. */
function jumpingClock(stepNs: () => bigint) {
  let t = 1_700_000_000_000_000_000n;
  return () => (t += stepNs());
}

/** A small deterministic generator, for step sizes that vary from one look to the next. */
function lcg(seed: number) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

// The detector spellings of #13 (docs/hardening.md "Detectors (#13)"), repeated so every
// label, separator and multi-byte digit is once where a slice stops.
const SPELLINGS = Array.from({ length: 12 }, (_, i) =>
  `ssn: 53622814${i % 10}; tel:202555014${i % 10}; \uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11\uff11\uff11\uff11, ` +
  `4111\u00a01111\u00a01111\u00a01111, gb82 west 1234 5698 7654 32, "ann lee"@example.com, j${i}%40example.com\n`,
).join("");
const escaped = JSON.stringify({ note: "mail \u00e9 bob@example.com \\ \"x\" 4111 1111 1111 1111", k: "a\"b" });
const BODIES: [string, string, string][] = [
  ["json with rules, detectors, escapes and unicode", "application/json", JSON.stringify({
    customer: { name: "Zoë", email: "alice@example.com", password: "hunter2", phone: "+1 415 555 0100" },
    card: { number: "4111111111111111", cvv: "123" },
    items: [{ sku: "A-1", note: "call 415-555-0100 or mail carol@example.org" }, 4111111111111111, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"],
    debug: { trace: "x" },
    iban: "DE89 3704 0044 0532 0130 00",
  })],
  ["json whose strings carry escapes", "application/json", escaped],
  ["json with one long string full of findings", "application/json", JSON.stringify({ blob: Array.from({ length: 60 }, (_, i) => `u${i}@ex.com 4111-1111-1111-1111 `).join("") })],
  ["invalid json (unterminated string after a long prefix)", "application/json", '{"a":"' + "x".repeat(300)],
  ["form with rules, detectors and percent-encoding", "application/x-www-form-urlencoded", "token=abc123&email=dave%40example.com&note=card+4111+1111+1111+1111&x=%E2%98%95&session=s1&plain=ok"],
  ["text with findings across the whole body", "text/plain", Array.from({ length: 40 }, (_, i) => `line ${i}: mail user${i}@example.com, ssn 123-45-6789, +44 20 7946 0958\n`).join("")],
  ["text whose digits are glued to words (no finding starts inside a word)", "text/plain", "ref x4111111111111111, code Q123-45-6789, id 9a4111111111111111 and 4111111111111111 alone"],
  ["json whose digits are glued to words", "application/json", JSON.stringify({ ref: "x4111111111111111 and 4111111111111111", jwt: "aeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl" })],
  ["text with a NUL late in the body", "text/plain", "hello ".repeat(50) + "\u0000 end"],
  ["json with findings in member names, escapes kept around hits", "application/json",
    '{"zq.alice77@mailhost.io":{"' + "k".repeat(90) + ' 4111111111111111":1},"n":"Zo\\u00eb \\/ 4111\\u00201111 1111 1111 \\/ a\\u0040b.io","password":"x"}'],
  // $..email is hashed four values at a time, the rest when the scan ends: eleven of them, one escaped (hashed decoded), one too long for a batch.
  ["json with many hashed values", "application/json",
    '{"users":[' + Array.from({ length: 11 }, (_, i) => `{"email":"${i === 3 ? "u3\\u00e9@ex.com" : i === 5 ? "x".repeat(70) + "@example.com" : `user${i}@example.com`}","n":${i}}`).join(",") + "]}"],
  ["invalid json after hashed values", "application/json", '{"users":[{"email":"a@b.io"},{"email":"c@d.io"},{"email":"e@f.io"},{"email":"g@h.io"},{"email":"i@j.io"}],"x":tru'],
  ["json numbers read by value", "application/json", "[4111111111111111e0, 4.111111111111111e15, 41111111111111110E-1, -4111111111111111, 1e999999, 12.5]"],
  ["text with the #13 spellings (labels read back, full-width digits, no-break spaces)", "text/plain", SPELLINGS],
];

async function copyOf(contentType: string, body: string, now?: () => bigint, chunkSize = 7) {
  const { host, ok } = await loadFilter(POLICY, { env, now });
  expect(ok).toBe(true);
  const { call } = send(host, { path: "/orders?token=t1&x=1", headers: [["content-type", contentType]], body, chunkSize });
  return {
    host,
    body: call ? text(call.body) : null,
    dropped: call ? header(call.headers, "x-mirrorshade-body-dropped") : undefined,
    path: call ? header(call.headers, ":path") : undefined,
  };
}

describe("a scan cut into slices yields the copy a scan in one go yields", () => {
  it.each(BODIES)("%s", async (_name, type, body) => {
    const whole = await copyOf(type, body, undefined, body.length);
    expect(whole.body).not.toBeNull();
    // One byte per slice: every position of the body is once where a slice stops.
    const bytewise = await copyOf(type, body, jumpingClock(() => 1_000_000n));
    expect(bytewise.body).toBe(whole.body);
    expect(bytewise.dropped).toBe(whole.dropped);
    expect(bytewise.path).toBe(whole.path);
    // Slices of varying sizes.
    const r = lcg(body.length);
    const varying = await copyOf(type, body, jumpingClock(() => BigInt(Math.floor(r() * 600_000))), 3);
    expect(varying.body).toBe(whole.body);
    expect(varying.dropped).toBe(whole.dropped);
  });

  it("the allow-list mode (redact.keep) in slices", async () => {
    const policy = { ...POLICY, redact: { ...POLICY.redact, keep: { headers: ["content-type"], json: ["$.customer.name", "$.items"] } } };
    const body = BODIES[0][2];
    const go = async (now?: () => bigint) => {
      const { host } = await loadFilter(policy, { env, now });
      const { call } = send(host, { path: "/o", headers: [["content-type", "application/json"]], body, chunkSize: 7 });
      return text(call!.body);
    };
    const whole = await go();
    expect(JSON.parse(whole).customer.name).toBe("Zoë");
    expect(whole).not.toContain("hunter2");
    expect(await go(jumpingClock(() => 1_000_000n))).toBe(whole);
  });

  it("the #13 spellings are masked in a text body", async () => {
    const copy = (await copyOf("text/plain", SPELLINGS)).body!;
    for (const secret of ["53622814", "202555014", "\uff14\uff11\uff11\uff11 \uff11\uff11\uff11\uff11 \uff11", "1111\u00a01111", "west", "ann lee", "%40example"]) expect(copy).not.toContain(secret);
    expect(copy).toContain("ssn: *****");
    expect(Buffer.byteLength(copy)).toBe(Buffer.byteLength(SPELLINGS));
  });

  it("the one-byte run really ran in many slices", async () => {
    const body = BODIES[0][2];
    const { host } = await copyOf("application/json", body, jumpingClock(() => 1_000_000n));
    // The first steps are larger (64 bytes, then what the clock allows); from there one byte per slice.
    expect(host.metric("mirrorshade.redaction.slices")).toBeGreaterThanOrEqual(BigInt(body.length - 100));
  });
});

describe("nothing on the request's path scans a body", () => {
  let host: ProxyWasmHost;
  beforeAll(async () => {
    host = (await loadFilter(POLICY, { env })).host;
  });

  it("the copy waits in the queue after the last chunk, and goes from the tick", () => {
    const before = host.calls.length;
    const s = host.newStream();
    const body = new TextEncoder().encode(BODIES[0][2]);
    s.requestHeaders([[":method", "POST"], [":path", "/o"], [":authority", "svc"], ["content-type", "application/json"], ["content-length", String(body.length)]], false);
    s.requestBody(body, true);
    expect(host.calls.length).toBe(before);
    expect(host.metric("mirrorshade.redaction.queued")).toBe(1n);
    // The primary got its bytes unchanged, at once.
    expect(text(s.upstreamRequest.body)).toBe(BODIES[0][2]);
    expect(host.tickPeriodMs).toBe(1);
    drainRedaction(host);
    expect(host.calls.length).toBe(before + 1);
    expect(text(host.calls.at(-1)!.body)).not.toContain("alice@example.com");
    expect(host.metric("mirrorshade.redaction.queued")).toBe(0n);
    // Idle again: no tick without work (no compare section).
    expect(host.tickPeriodMs).toBe(0);
    s.responseHeaders([[":status", "200"]], true);
    s.complete();
  });

  it("a body up to limits.redaction_inline_bytes is redacted at once; one byte more waits for the tick", async () => {
    const small = (await loadFilter({ ...POLICY, limits: { redaction_inline_bytes: 64 } }, { env })).host;
    const go = (n: number) => {
      const body = new TextEncoder().encode(JSON.stringify({ email: "eve@example.com", pad: "x".repeat(n - 36) }));
      expect(body.length).toBe(n);
      const s = small.newStream();
      s.requestHeaders([[":method", "POST"], [":path", "/o"], [":authority", "svc"], ["content-type", "application/json"], ["content-length", String(n)]], false);
      s.requestBody(body, true);
      return small.calls.length;
    };
    expect(go(64)).toBe(1);
    expect(text(small.calls[0].body)).not.toContain("eve@example.com");
    expect(go(65)).toBe(1);
    drainRedaction(small);
    expect(small.calls.length).toBe(2);
    expect(text(small.calls[1].body)).not.toContain("eve@example.com");
  });

  it("a body that needs no scan goes at once (no redaction section)", async () => {
    const plain = (await loadFilter({ role: "mirror", shadow: { cluster: "shadow" } })).host;
    const s = plain.newStream();
    s.requestHeaders([[":method", "POST"], [":path", "/o"], [":authority", "svc"], ["content-type", "application/json"], ["content-length", "2"]], false);
    s.requestBody(new TextEncoder().encode("{}"), true);
    expect(plain.calls.length).toBe(1);
  });

  it("a client that goes away after its request ended does not take the copy with it", () => {
    const before = host.calls.length;
    const s = host.newStream();
    const body = new TextEncoder().encode('{"email":"eve@example.com"}');
    s.requestHeaders([[":method", "POST"], [":path", "/o"], [":authority", "svc"], ["content-type", "application/json"], ["content-length", String(body.length)]], false);
    s.requestBody(body, true);
    s.complete();
    drainRedaction(host);
    expect(host.calls.length).toBe(before + 1);
    expect(text(host.calls.at(-1)!.body)).not.toContain("eve@example.com");
  });
});

describe("bounded work, failing closed", () => {
  it("past limits.redaction_bytes_per_second copies are skipped and counted, never queued", async () => {
    const policy = { ...POLICY, shadow: { cluster: "shadow", max_body_bytes: 4096 }, limits: { redaction_bytes_per_second: 4096 } };
    // A clock that does not move: the bucket never refills.
    const { host } = await loadFilter(policy, { env, now: () => 1_700_000_000_000_000_000n });
    const body = JSON.stringify({ email: "a@example.com", pad: "x".repeat(1500) });
    const sent = [0, 1, 2].map(() => send(host, { headers: [["content-type", "application/json"]], body }).call);
    expect(sent.filter(Boolean)).toHaveLength(2);
    expect(host.metric("mirrorshade.skipped.redaction_budget")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.shadow.skipped.redaction_budget")).toBe(1n);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });

  it.each([
    ["text", "text/plain", "a@b.cc ".repeat(70000)],
    ["json", "application/json", JSON.stringify("a@b.cc ".repeat(70000))],
    ["form", "application/x-www-form-urlencoded", "e=" + "a%40b.cc+".repeat(70000)],
  ])("a %s body with more findings than a body may have is not sent (too_many_findings)", async (_n, type, body) => {
    const { host } = await loadFilter(POLICY, { env });
    const { call } = send(host, { headers: [["content-type", type]], body, chunkSize: 65536 });
    expect(call).toBeDefined();
    expect(call!.body.length).toBe(0);
    expect(header(call!.headers, "x-mirrorshade-body-dropped")).toBe("too_many_findings");
    expect(host.metric("mirrorshade.redact.body_unscannable.too_many_findings")).toBe(1n);
  });
});
