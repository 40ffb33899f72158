// Comparison in the mirror role, through the emulator: the primary's answer (response
// callbacks) against the shadow's (the call's answer), structurally for JSON, with
// ignore paths and numeric tolerance; only real differences are reported, hashed.
import { describe, it, expect } from "vitest";
import { loadFilter, send } from "../../support/filter.js";
import type { ProxyWasmHost, HeaderList } from "../../../harness/emulator/index.js";

const POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: { hash_key: "inline:compare-test-key-0123456789" },
  compare: { headers: ["content-type", "x-api-version"], ignore_paths: ["$.timestamp", "$..id"], numeric_tolerance: 0.01 },
};

function exchange(host: ProxyWasmHost, primary: { status?: string; headers?: HeaderList; body?: string }, shadow: { status?: string; headers?: HeaderList; body?: string } | "timeout" | "reset") {
  const stream = host.newStream();
  stream.requestHeaders([[":method", "POST"], [":path", "/api/payments?x=1"], [":authority", "pay"], ["x-request-id", "req-1"], ["content-length", "2"]], false);
  stream.requestBody("{}", true);
  const call = host.calls.at(-1)!;
  stream.responseHeaders([[":status", primary.status ?? "200"], ["content-type", "application/json"], ...(primary.headers ?? [])], primary.body === undefined);
  if (primary.body !== undefined) {
    const b = primary.body;
    for (let i = 0; i < b.length; i += 5) stream.responseBody(b.slice(i, i + 5), i + 5 >= b.length);
  }
  stream.complete();
  if (shadow === "timeout") host.timeoutCall(call.token);
  else if (shadow === "reset") host.respondToCall(call.token, null);
  else host.respondToCall(call.token, { headers: [[":status", shadow.status ?? "200"], ["content-type", "application/json"], ...(shadow.headers ?? [])], body: shadow.body });
}

const diffs = (host: ProxyWasmHost) => host.logs.filter((l) => l.message.startsWith("mirrorshade.diff ")).map((l) => JSON.parse(l.message.slice("mirrorshade.diff ".length)));

describe("compare", () => {
  it("equal answers (key order, whitespace, noise in ignored paths, tolerance) match", async () => {
    const { host } = await loadFilter(POLICY);
    exchange(host, { body: '{"a":1,"b":[1,2],"timestamp":"t1","items":[{"id":7,"v":1.000}]}' }, { body: '{ "b": [1, 2], "a": 1.004, "timestamp": "t2", "items": [{"v": 1, "id": 9}] }' });
    expect(host.metric("mirrorshade.compare.compared")).toBe(1n);
    expect(host.metric("mirrorshade.compare.matched")).toBe(1n);
    expect(diffs(host)).toEqual([]);
  });

  it("reports a changed field, a changed status and a changed header, with hashed values", async () => {
    const { host } = await loadFilter(POLICY);
    exchange(host, { body: '{"status":"accepted","amount":10}', headers: [["x-api-version", "1"]] }, { status: "422", body: '{"status":"rejected","amount":10,"reason":"address"}', headers: [["x-api-version", "2"]] });
    expect(host.metric("mirrorshade.compare.mismatched")).toBe(1n);
    expect(host.metric("mirrorshade.compare.mismatched.status")).toBe(1n);
    expect(host.metric("mirrorshade.compare.mismatched.header")).toBe(1n);
    expect(host.metric("mirrorshade.compare.mismatched.body")).toBe(1n);
    const [d] = diffs(host);
    expect(d).toMatchObject({ type: "mirrorshade.diff", request_id: "req-1", method: "POST", route: "/api/payments", status: [200, 422], mismatch: ["status", "header", "body"] });
    const paths = d.differences.map((x: { path: string; kind: string }) => `${x.path}:${x.kind}`);
    expect(paths).toEqual([":status:value", "header:x-api-version:value", "$.status:value", "$.reason:extra_in_shadow"]);
    const field = d.differences.find((x: { path: string }) => x.path === "$.status");
    expect(field.primary).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(JSON.stringify(d)).not.toContain("accepted");
    expect(JSON.stringify(d)).not.toContain("rejected");
  });

  it("non-JSON bodies compare by hash", async () => {
    const { host } = await loadFilter(POLICY);
    exchange(host, { headers: [["content-type", "text/plain"]], body: "hello" }, { body: "hello!" });
    expect(host.metric("mirrorshade.compare.mismatched.body")).toBe(1n);
  });

  it("a record holds only what the copy holds: the redacted route and request id, bodies as keyed hashes", async () => {
    for (const policy of [POLICY, { ...POLICY, redact: { detectors: ["card", "email"] } }]) {
      const { host } = await loadFilter(policy);
      const stream = host.newStream();
      stream.requestHeaders([[":method", "GET"], [":path", "/users/hank@example.com/cards/4539578763621486?token=t"], [":authority", "pay"], ["x-request-id", "4539578763621486-hank@example.com"]], true);
      const call = host.calls.at(-1)!;
      stream.responseHeaders([[":status", "200"], ["content-type", "text/plain"]], false);
      stream.responseBody("primary ok", true);
      stream.complete();
      host.respondToCall(call.token, { headers: [[":status", "200"], ["content-type", "text/plain"]], body: "shadow ok" });
      const [d] = diffs(host);
      const record = JSON.stringify(d);
      const detecting = "detectors" in policy.redact;
      if (detecting) for (const secret of ["hank", "4539578763621486", "539578763621"]) expect(record).not.toContain(secret);
      expect(d.route).toBe(detecting ? "/users/****@*******.com/cards/4000000000031486" : "/users/hank@example.com/cards/4539578763621486");
      // Keyed (hmac:, with the policy's key or the VM's own), never a plain digest of the body a guess could match.
      const body = d.differences.find((x: { path: string }) => x.path === "body");
      expect(body.primary).toMatch(/^hmac:[0-9a-f]{32}$/);
      expect(body.primary).not.toBe(body.shadow);
    }
  });

  it("a shadow that times out or resets leaves the pair unmatched, not mismatched", async () => {
    const { host } = await loadFilter(POLICY);
    exchange(host, { body: "{}" }, "timeout");
    exchange(host, { body: "{}" }, "reset");
    expect(host.metric("mirrorshade.compare.unmatched")).toBe(2n);
    expect(host.metric("mirrorshade.compare.compared") ?? 0n).toBe(0n);
  });

  it("a pair whose shadow never answers is dropped after pair_timeout_ms", async () => {
    let now = 1_000_000_000_000n;
    const { host } = await loadFilter({ ...POLICY, compare: { ...POLICY.compare, pair_timeout_ms: 2000 } }, { now: () => now });
    send(host, { body: "{}" });
    now += 1_000_000_000n;
    host.tick();
    expect(host.metric("mirrorshade.compare.unmatched") ?? 0n).toBe(0n);
    now += 1_500_000_000n;
    host.tick();
    expect(host.metric("mirrorshade.compare.unmatched")).toBe(1n);
  });

  it("bodies over compare.max_body_bytes: status and headers still compared, body not", async () => {
    const { host } = await loadFilter({ ...POLICY, compare: { ...POLICY.compare, max_body_bytes: 8 } });
    exchange(host, { body: '{"a":"long body one"}' }, { body: '{"a":"long body two"}' });
    expect(host.metric("mirrorshade.compare.matched")).toBe(1n);
  });

  it.each([
    [{ compare: { ignore_paths: ["timestamp"] } }, 'compare.ignore_paths[0]: "timestamp"'],
    [{ compare: { log_level: "loud" } }, "compare.log_level: must be one of"],
    [{ compare: { sink: {} } }, "compare.sink.cluster: is required"],
    [{ compare: { pair_timeout_ms: 5 } }, "compare.pair_timeout_ms: must be a whole number from 100"],
    [{ compare: { numeric_tolerance: -1 } }, "compare.numeric_tolerance: must be a number from 0"],
  ])("invalid compare policy %#", async (extra, message) => {
    const { host, ok } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, ...extra });
    expect(ok).toBe(false);
    expect(host.logs.filter((l) => l.level === 5).map((l) => l.message).join("\n")).toContain(message);
  });
});

describe("noise cancellation", () => {
  const NOISY = { role: "mirror", shadow: { cluster: "shadow" }, compare: { noise: { cluster: "primary-2", percent: 100 } } };

  function triple(host: ProxyWasmHost, primary: string, secondary: string, shadow: string, id: string) {
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/api/orders/7"], [":authority", "orders"], ["x-request-id", id]], true);
    const [toShadow, toSecond] = host.calls.slice(-2);
    expect(toShadow.cluster).toBe("shadow");
    expect(toSecond.cluster).toBe("primary-2");
    stream.responseHeaders([[":status", "200"], ["content-type", "application/json"]], false);
    stream.responseBody(primary, true);
    stream.complete();
    host.respondToCall(toSecond.token, { headers: [[":status", "200"], ["content-type", "application/json"]], body: secondary });
    host.respondToCall(toShadow.token, { headers: [[":status", "200"], ["content-type", "application/json"]], body: shadow });
  }

  it("fields that differ between two primaries are learned as noise and not reported", async () => {
    const { host, ok } = await loadFilter(NOISY);
    expect(ok).toBe(true);
    triple(host, '{"a":1,"served_at":"t1","items":[{"etag":"x"}]}', '{"a":1,"served_at":"t2","items":[{"etag":"y"}]}', '{"a":1,"served_at":"t3","items":[{"etag":"z"}]}', "n1");
    expect(host.metric("mirrorshade.compare.matched")).toBe(1n);
    expect(host.metric("mirrorshade.compare.noise_suppressed")).toBe(2n);
    expect(host.metric("mirrorshade.compare.noise_paths")).toBe(2n);
    expect(host.logs.map((l) => l.message)).toEqual(expect.arrayContaining([
      "mirrorshade: learned noise $.served_at (differs between two primaries; not reported)",
      "mirrorshade: learned noise $.items[*].etag (differs between two primaries; not reported)",
    ]));
    // A real change still shows, without the noise.
    triple(host, '{"a":1,"served_at":"t4","items":[{"etag":"p"}]}', '{"a":1,"served_at":"t5","items":[{"etag":"q"}]}', '{"a":2,"served_at":"t6","items":[{"etag":"r"}]}', "n2");
    const [d] = diffs(host);
    expect(d.request_id).toBe("n2");
    expect(d.differences.map((x: { path: string }) => x.path)).toEqual(["$.a"]);
  });
});
