// The body assembled once (copy/body.ts): a body that arrives whole in one chunk
// is not copied into a buffer of its own when its copy goes within that callback
// (no redaction, or redacted inline); when the copy waits in the redaction queue
// it is copied then and held, counted in buffered_bytes until it goes. Either way
// the shadow gets the same bytes as from a body in many chunks.
import { describe, it, expect } from "vitest";
import { loadFilter, drainRedaction, text } from "../../support/filter.js";
import type { ProxyWasmHost } from "../../../harness/emulator/index.js";

const KEY = "0123456789abcdef0123456789abcdef";
const env = { MIRRORSHADE_HASH_KEY: KEY };
const BODY = JSON.stringify({ user: { email: "eve@example.com", name: "Eve" }, card: "4111 1111 1111 1111", note: "x".repeat(900) });
const REDACT = { json: { mask: ["$..name"] }, detectors: ["email", "card"] };

function post(host: ProxyWasmHost, chunks: Uint8Array[]): void {
  const s = host.newStream();
  const len = chunks.reduce((n, c) => n + c.length, 0);
  s.requestHeaders([[":method", "POST"], [":path", "/o"], [":authority", "svc"], ["content-type", "application/json"], ["content-length", String(len)]], false);
  chunks.forEach((c, i) => s.requestBody(c, i === chunks.length - 1));
  s.complete();
}

const split = (b: Uint8Array, n: number) => Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, (i + 1) * n));

describe("a body in one chunk", () => {
  const bytes = new TextEncoder().encode(BODY);
  it.each([
    ["copied unredacted", { role: "mirror", shadow: { cluster: "shadow" } }],
    ["redacted inline", { role: "mirror", shadow: { cluster: "shadow" }, redact: REDACT }],
    ["redacted from the queue", { role: "mirror", shadow: { cluster: "shadow" }, redact: REDACT, limits: { redaction_inline_bytes: 0 } }],
  ])("%s: the shadow gets what a body in small chunks gives, and nothing stays held", async (_name, policy) => {
    const loaded = await loadFilter(policy, { env });
    expect(loaded.ok).toBe(true);
    const one = loaded.host;
    const many = (await loadFilter(policy, { env })).host;
    post(one, [bytes]);
    post(many, split(bytes, 7));
    drainRedaction(one);
    drainRedaction(many);
    expect(one.calls).toHaveLength(1);
    expect(many.calls).toHaveLength(1);
    expect(text(one.calls[0].body)).toBe(text(many.calls[0].body));
    if ("redact" in policy) expect(text(one.calls[0].body)).not.toContain("eve@example.com");
    expect(one.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });

  it("waiting in the redaction queue, it is held in memory of its own and counted until it goes", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, redact: REDACT, limits: { redaction_inline_bytes: 0 } }, { env });
    post(host, [bytes]);
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(BigInt(bytes.length));
    // Streams starting meanwhile collect garbage: the queued body must not be part of it.
    post(host, [new TextEncoder().encode("{}")]);
    drainRedaction(host);
    expect(host.calls).toHaveLength(2);
    const copy = host.calls.find((c) => c.body.length > 100)!;
    expect(text(copy.body)).toContain('"note":"' + "x".repeat(900));
    expect(text(copy.body)).not.toContain("eve@example.com");
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });
});
