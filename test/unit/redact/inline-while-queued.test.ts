// A small body redacted at once (limits.redaction_inline_bytes) while a large one
// of the same kind is half-scanned in the queue: the codecs are shared, so the
// small one must not reset the large one's scan (which would then go out with
// the small one's outcome, or none: unredacted). Through the compiled filter in
// the emulator, with a clock that spends each slice at once.
import { describe, it, expect } from "vitest";
import { loadFilter, drainRedaction, text } from "../../support/filter.js";

function jumpingClock() {
  let t = 1_700_000_000_000_000_000n;
  return () => (t += 1_000_000n);
}

const POLICY = { role: "mirror", shadow: { cluster: "shadow" }, redact: { json: { mask: ["$..password"] }, detectors: ["email"] }, limits: { redaction_inline_bytes: 64 } };
const big = (type: string) =>
  type.includes("json") || type === "text/plain"
    ? JSON.stringify({ pad: "x".repeat(300), password: "hunter2", note: "mail alice@example.com" })
    : "pad=" + "x".repeat(300) + "&note=alice%40example.com";

describe.each([
  ["application/json", "application/json"],
  ["text/plain", "text/plain"],
  ["text/plain", "application/x-www-form-urlencoded"],
  ["application/x-www-form-urlencoded", "text/plain"],
])("a %s body queued, a small %s body inline", (bigType, smallType) => {
  it("each copy is redacted as if alone", async () => {
    const { host, ok } = await loadFilter(POLICY, { now: jumpingClock() });
    expect(ok).toBe(true);
    const send = (path: string, type: string, body: string) => {
      const s = host.newStream();
      const bytes = new TextEncoder().encode(body);
      s.requestHeaders([[":method", "POST"], [":path", path], [":authority", "svc"], ["content-type", type], ["content-length", String(bytes.length)]], false);
      s.requestBody(bytes, true);
      return s;
    };
    const a = send("/big", bigType, big(bigType));
    // A few slices of the big one's scan, not all of it.
    host.tick();
    host.tick();
    expect(host.calls.length).toBe(0);
    const small = smallType === "application/x-www-form-urlencoded" ? "e=bob%40example.org" : '{"password":"pw"}';
    const b = send("/small", smallType, small);
    drainRedaction(host);
    for (const s of [a, b]) {
      s.responseHeaders([[":status", "200"]], true);
      s.complete();
    }
    const byPath = (p: string) => host.calls.find((c) => c.headers.some(([k, v]) => k === ":path" && v === p))!;
    const bigCopy = text(byPath("/big").body);
    expect(bigCopy).not.toMatch(/hunter2|alice@example\.com|alice%40example\.com/);
    expect(bigCopy).toContain("x".repeat(300));
    expect(text(byPath("/small").body)).not.toMatch(/"pw"|bob%40example\.org/);
  });
});
