// The mirror role through the host emulator: what the copy contains, what the
// primary keeps, bodies fed in chunks as Envoy delivers them, and the counters.
import { describe, it, expect } from "vitest";
import { loadFilter, send, header, text } from "../../support/filter.js";

const BASE = { role: "mirror", shadow: { cluster: "shadow" } };

describe("mirror role (emulator)", () => {
  it("copies method, path, headers and body to the shadow cluster, tagged, with the -shadow authority", async () => {
    const { host, ok } = await loadFilter(BASE);
    expect(ok).toBe(true);
    const { stream, call } = send(host, {
      method: "POST",
      path: "/api/orders?id=7",
      headers: [["content-type", "application/json"], ["x-user-id", "alice"], ["connection", "keep-alive"]],
      body: '{"a":1}',
    });
    expect(call).toBeDefined();
    expect(call!.cluster).toBe("shadow");
    expect(call!.timeoutMs).toBe(2000);
    expect(header(call!.headers, ":method")).toBe("POST");
    expect(header(call!.headers, ":path")).toBe("/api/orders?id=7");
    expect(header(call!.headers, ":authority")).toBe("orders.example-shadow:8080");
    expect(header(call!.headers, "x-shadow-request")).toBe("true");
    expect(header(call!.headers, "x-user-id")).toBe("alice");
    expect(header(call!.headers, "connection")).toBeUndefined();
    // The filter does not copy content-length; the host sets it for the call's body, as Envoy does.
    expect(header(call!.headers, "content-length")).toBe("7");
    expect(text(call!.body)).toBe('{"a":1}');
    // The primary request went on unchanged.
    expect(text(stream.upstreamRequest.body)).toBe('{"a":1}');
    expect(header(stream.upstreamRequest.headers, "x-shadow-request")).toBeUndefined();
    expect(host.metric("mirrorshade.mirrored")).toBe(1n);
  });

  it.each([1, 3, 7, 64, 1000])("collects a body fed in %i-byte chunks without holding the stream", async (chunkSize) => {
    const { host } = await loadFilter(BASE);
    const body = "0123456789".repeat(50) + "é☕";
    const { stream, call } = send(host, { body, chunkSize, headers: [["content-type", "text/plain"]] });
    expect(text(call!.body)).toBe(body);
    expect(text(stream.upstreamRequest.body)).toBe(body);
    // Every callback returned Continue: nothing was buffered or delayed.
    expect(stream.results.every((r) => r.action === "continue")).toBe(true);
  });

  it.each([
    ["a configured authority", { authority: "payments-shadow" }, "orders.example:8080", "payments-shadow"],
    ["no port", {}, "orders.example", "orders.example-shadow"],
    ["an IPv6 literal", {}, "[::1]:8080", "[::1]-shadow:8080"],
    // Credentials never travel in a copy's authority (#13).
    ["userinfo with a password", {}, "alice:Hunter2-Pa55word@api.test:8080", "api.test-shadow:8080"],
    ["userinfo with an '@' in it", {}, "a@b:c@api.test", "api.test-shadow"],
  ])("authority: %s", async (_n, shadow, authority, expected) => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow", ...shadow } });
    const { call } = send(host, { authority });
    expect(header(call!.headers, ":authority")).toBe(expected);
  });

  it("strips a forged tag from the primary unless told not to", async () => {
    for (const strip of [true, false]) {
      const { host } = await loadFilter({ ...BASE, tag: { header: "x-shadow", value: "yes", strip_from_primary: strip } });
      const { stream, call } = send(host, { headers: [["x-shadow", "forged"]] });
      expect(header(stream.upstreamRequest.headers, "x-shadow")).toBe(strip ? undefined : "forged");
      expect(header(call!.headers, "x-shadow")).toBe("yes");
      expect(host.metric("mirrorshade.primary.tag_stripped")).toBe(strip ? 1n : 0n);
    }
  });

  it("sends trailers-terminated requests when the trailers arrive", async () => {
    const { host } = await loadFilter(BASE);
    const { call } = send(host, { body: "payload", chunkSize: 3, trailers: [["x-checksum", "abc"]] });
    expect(text(call!.body)).toBe("payload");
    expect(call!.trailers).toEqual([["x-checksum", "abc"]]);
  });

  it("does not send a copy of a request the client abandoned", async () => {
    const { host } = await loadFilter(BASE);
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/"], [":authority", "a"], ["content-length", "10"]], false);
    stream.requestBody("01234", false);
    stream.complete();
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.skipped.request_incomplete")).toBe(1n);
  });

  it("bodies over max_body_bytes: skip, or headers only with the flag", async () => {
    const skip = await loadFilter({ role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 10 } });
    expect(send(skip.host, { body: "x".repeat(11) }).call).toBeUndefined();
    expect(send(skip.host, { body: "x".repeat(30), chunkSize: 4, headers: [["transfer-encoding", "chunked"]] }).call).toBeUndefined();
    expect(send(skip.host, { body: "x".repeat(10) }).call).toBeDefined();
    expect(skip.host.metric("mirrorshade.skipped.body_too_large")).toBe(2n);

    const flag = await loadFilter({ role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 10, on_body_too_large: "headers_only" } });
    const { call, stream } = send(flag.host, { body: "y".repeat(50), chunkSize: 7 });
    expect(call!.body.length).toBe(0);
    expect(header(call!.headers, "x-mirrorshade-body-dropped")).toBe("too_large");
    expect(stream.upstreamRequest.body.length).toBe(50);
  });

  it("caps copies in flight and counts shadow answers by class", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow", max_inflight: 2 } });
    const a = send(host, {}).call!;
    const b = send(host, {}).call!;
    expect(send(host, {}).call).toBeUndefined();
    expect(host.metric("mirrorshade.skipped.inflight_full")).toBe(1n);
    expect(host.metric("mirrorshade.shadow.inflight")).toBe(2n);
    host.respondToCall(a.token, { headers: [[":status", "503"]] });
    host.timeoutCall(b.token);
    expect(host.metric("mirrorshade.shadow.responses.5xx")).toBe(1n);
    expect(host.metric("mirrorshade.shadow.timeouts")).toBe(1n);
    expect(host.metric("mirrorshade.shadow.failures")).toBe(1n);
    expect(host.metric("mirrorshade.shadow.inflight")).toBe(0n);
    expect(send(host, {}).call).toBeDefined();
  });

  it("counts a dispatch Envoy refuses (unknown cluster) and the primary goes on", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "nope" } }, { clusters: ["shadow"] });
    const { call, stream } = send(host, { body: "x" });
    expect(call).toBeUndefined();
    expect(host.metric("mirrorshade.skipped.dispatch_failed")).toBe(1n);
    expect(text(stream.upstreamRequest.body)).toBe("x");
    expect(host.vmFailed).toBe(false);
  });

  it("logs nothing per request at the default level (no string building on the hot path)", async () => {
    const { host } = await loadFilter(BASE);
    const before = host.logs.length;
    for (let i = 0; i < 20; i++) send(host, { body: "abc", chunkSize: 1 });
    expect(host.logs.slice(before)).toEqual([]);
  });

  it("survives a long run with bounded memory", async () => {
    const { host } = await loadFilter(BASE);
    const body = "z".repeat(4096);
    for (let i = 0; i < 300; i++) {
      const { call } = send(host, { body, chunkSize: 1000, headers: [["x-i", String(i)]] });
      host.respondToCall(call!.token, { headers: [[":status", "200"]] });
    }
    const after300 = host.memoryBytes();
    for (let i = 0; i < 1500; i++) {
      const { call } = send(host, { body, chunkSize: 1000, headers: [["x-i", String(i)]] });
      host.respondToCall(call!.token, { headers: [[":status", "200"]] });
    }
    expect(host.memoryBytes()).toBeLessThanOrEqual(after300 + 256 * 1024);
    expect(host.vmFailed).toBe(false);
  });
});
