// Counters that dashboards, alerts and rollout gates read by label: comparisons by
// shadow and selection rule (shadows.<name>.compare.<rule>.*), and the share each
// shadow is configured to get (shadows.<name>.configured_share_ppm).
import { describe, it, expect } from "vitest";
import { loadFilter } from "../../support/filter.js";
import type { ProxyWasmHost } from "../../../harness/emulator/index.js";

function exchange(host: ProxyWasmHost, path: string, primaryStatus: string, shadowStatus: string | "reset") {
  const stream = host.newStream();
  stream.requestHeaders([[":method", "GET"], [":path", path], [":authority", "pay"]], true);
  const call = host.calls.at(-1)!;
  stream.responseHeaders([[":status", primaryStatus], ["content-type", "text/plain"]], false);
  stream.responseBody("same", true);
  stream.complete();
  if (shadowStatus === "reset") host.respondToCall(call.token, null);
  else host.respondToCall(call.token, { headers: [[":status", shadowStatus], ["content-type", "text/plain"]], body: "same" });
}

const C = (shadow: string, rule: string, name: string) => `mirrorshade.shadows.${shadow}.compare.${rule}.${name}`;

describe("comparison counters by shadow and rule", () => {
  it.each([
    ["named rules", [{ name: "payments", path: { prefix: "/api/payments" } }, { name: "refunds v1", path: { prefix: "/api/refunds" } }], "payments", "refunds_v1"],
    ["unnamed rules: their positions", [{ path: { prefix: "/api/payments" } }, { path: { prefix: "/api/refunds" } }], "0", "1"],
  ])("%s", async (_n, match, payments, refunds) => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, select: { match }, compare: {} });
    exchange(host, "/api/payments/1", "200", "422");
    exchange(host, "/api/payments/2", "200", "200");
    exchange(host, "/api/refunds/1", "200", "200");
    exchange(host, "/api/refunds/2", "200", "reset");
    expect(host.metric(C("shadow", payments, "compared"))).toBe(2n);
    expect(host.metric(C("shadow", payments, "mismatched"))).toBe(1n);
    expect(host.metric(C("shadow", payments, "mismatched.status"))).toBe(1n);
    expect(host.metric(C("shadow", payments, "mismatched.body"))).toBe(0n);
    expect(host.metric(C("shadow", payments, "matched"))).toBe(1n);
    expect(host.metric(C("shadow", refunds, "matched"))).toBe(1n);
    expect(host.metric(C("shadow", refunds, "unmatched"))).toBe(1n);
    expect(host.metric(C("shadow", refunds, "mismatched"))).toBe(0n);
    // The totals still count every pair.
    expect(host.metric("mirrorshade.compare.compared")).toBe(3n);
    expect(host.metric("mirrorshade.compare.mismatched")).toBe(1n);
  });

  it("without match rules a shadow's comparisons count under the rule 'all', per shadow", async () => {
    const { host } = await loadFilter({
      role: "mirror",
      shadows: [{ name: "v2", cluster: "a" }, { name: "canary", cluster: "b" }],
      compare: {},
    });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/x"], [":authority", "pay"]], true);
    const [a, b] = host.calls.slice(-2);
    stream.responseHeaders([[":status", "200"], ["content-type", "text/plain"]], false);
    stream.responseBody("same", true);
    stream.complete();
    host.respondToCall(a.token, { headers: [[":status", "500"], ["content-type", "text/plain"]], body: "same" });
    host.respondToCall(b.token, { headers: [[":status", "200"], ["content-type", "text/plain"]], body: "same" });
    const byCluster = (c: string) => (a.cluster === c ? "v2" : "canary");
    expect(host.metric(C(byCluster("a"), "all", "mismatched"))).toBe(1n);
    expect(host.metric(C(byCluster("b"), "all", "matched"))).toBe(1n);
    expect(host.metric(C(byCluster("b"), "all", "mismatched"))).toBe(0n);
  });

  it("a client's own x-shadow-rule names no counter: the labels stay the policy's (bounded)", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, compare: {} });
    for (const forged of ["evil-1", "evil-2"]) {
      const stream = host.newStream();
      stream.requestHeaders([[":method", "GET"], [":path", "/x"], [":authority", "pay"], ["x-shadow-rule", forged]], true);
      const call = host.calls.at(-1)!;
      stream.responseHeaders([[":status", "200"], ["content-type", "text/plain"]], false);
      stream.responseBody("same", true);
      stream.complete();
      host.respondToCall(call.token, { headers: [[":status", "200"], ["content-type", "text/plain"]], body: "same" });
    }
    expect(host.metric(C("shadow", "all", "compared"))).toBe(2n);
    expect([...host.metrics.keys()].filter((k) => k.includes("evil"))).toEqual([]);
  });

  it("a pair that times out counts as unmatched for its rule", async () => {
    let now = 1_000_000_000_000n;
    const policy = { role: "mirror", shadow: { cluster: "shadow" }, select: { match: [{ name: "p", path: { prefix: "/" } }] }, compare: { pair_timeout_ms: 100 } };
    const { host } = await loadFilter(policy, { now: () => now });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/x"], [":authority", "pay"]], true);
    stream.responseHeaders([[":status", "200"]], true);
    stream.complete();
    now += 1_000_000_000n;
    host.tick();
    expect(host.metric(C("shadow", "p", "unmatched"))).toBe(1n);
  });
});

describe("configured share", () => {
  it.each([
    ["no select", { shadow: { cluster: "s" } }, [["shadow", 1_000_000n]]],
    ["policy percent", { shadow: { cluster: "s" }, select: { percent: 12.5 } }, [["shadow", 125_000n]]],
    [
      "nested shares on one hash header: the smaller",
      { shadows: [{ name: "v2", cluster: "a", select: { percent: 50, hash_header: "x-user" } }, { name: "canary", cluster: "b", select: { percent: 10, hash_header: "x-user" } }], select: { percent: 30, hash_header: "x-user" } },
      [["v2", 300_000n], ["canary", 100_000n]],
    ],
    [
      "different hash headers: independent, the product",
      { shadows: [{ name: "v2", cluster: "a", select: { percent: 50, hash_header: "x-session" } }], select: { percent: 20, hash_header: "x-user" } },
      [["v2", 100_000n]],
    ],
  ])("%s", async (_n, policy, expected) => {
    const { host } = await loadFilter({ role: "mirror", ...policy });
    for (const [shadow, ppm] of expected as [string, bigint][]) expect(host.metric(`mirrorshade.shadows.${shadow}.configured_share_ppm`)).toBe(ppm);
  });
});
