// Several shadows in the mirror role, through the emulator: each shadow gets the
// copies its own select passes (after the policy's), the body is redacted once
// and sent to each, limits and counters are per shadow, and shares nest.
import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { loadFilter, send, header, text } from "../../support/filter.js";
import type { DispatchedCall, ProxyWasmHost } from "../../../harness/emulator/index.js";

const consistentIn = (value: string, percent: number) => createHash("sha256").update(value).digest().readUInt32BE(0) < (percent / 100) * 2 ** 32;
const TWO = { role: "mirror", shadows: [{ name: "v2", cluster: "shadow-v2" }, { name: "canary", cluster: "shadow-canary" }] };
const callsSince = (host: ProxyWasmHost, n: number): DispatchedCall[] => host.calls.slice(n);

describe("several shadows (emulator)", () => {
  it.each([1, 3, 7, 1000])("sends one copy to each shadow, the body collected once (%i-byte chunks)", async (chunkSize) => {
    const { host, ok } = await loadFilter(TWO);
    expect(ok).toBe(true);
    const body = '{"order":7,"note":"zoë ☕"}';
    const { stream } = send(host, { path: "/api/orders", headers: [["content-type", "application/json"]], body, chunkSize });
    const calls = host.calls;
    expect(calls.map((c) => c.cluster)).toEqual(["shadow-v2", "shadow-canary"]);
    for (const c of calls) {
      expect(text(c.body)).toBe(body);
      expect(header(c.headers, ":path")).toBe("/api/orders");
      expect(header(c.headers, ":authority")).toBe("orders.example-shadow:8080");
      expect(header(c.headers, "x-shadow-request")).toBe("true");
    }
    expect(stream.results.every((r) => r.action === "continue")).toBe(true);
    expect(host.metric("mirrorshade.requests")).toBe(1n);
    expect(host.metric("mirrorshade.mirrored")).toBe(2n);
    expect(host.metric("mirrorshade.shadows.v2.mirrored")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.canary.mirrored")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.v2.inflight")).toBe(1n);
    host.respondToCall(calls[0].token, { headers: [[":status", "200"], ["x-envoy-upstream-service-time", "1"]] });
    host.respondToCall(calls[1].token, { headers: [[":status", "503"], ["x-envoy-upstream-service-time", "1"]] });
    expect(host.metric("mirrorshade.shadows.v2.responses.2xx")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.canary.responses.5xx")).toBe(1n);
    expect(host.metric("mirrorshade.shadow.responses.2xx")).toBe(1n);
    expect(host.metric("mirrorshade.shadow.responses.5xx")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.v2.inflight")).toBe(0n);
    expect(host.metric("mirrorshade.shadow.inflight")).toBe(0n);
  });

  it("redacts once: both copies carry the same redacted body, counted once", async () => {
    const { host } = await loadFilter({ ...TWO, redact: { json: { mask: ["$..password"] }, detectors: ["card"], headers: { drop: ["authorization"] } } });
    const { stream } = send(host, {
      headers: [["content-type", "application/json"], ["authorization", "Bearer x"]],
      body: '{"password":"hunter2","card":"4111 1111 1111 1111"}',
      chunkSize: 5,
    });
    const [a, b] = host.calls;
    expect(text(a.body)).toBe(text(b.body));
    expect(text(a.body)).not.toContain("hunter2");
    expect(text(a.body)).not.toContain("4111 1111 1111 1111");
    expect(header(a.headers, "authorization")).toBeUndefined();
    expect(header(b.headers, "authorization")).toBeUndefined();
    expect(header(stream.upstreamRequest.headers, "authorization")).toBe("Bearer x");
    expect(host.metric("mirrorshade.redact.json.masked")).toBe(1n);
    expect(host.metric("mirrorshade.redact.detector.card")).toBe(1n);
    expect(host.metric("mirrorshade.redact.headers.dropped")).toBe(1n);
  });

  it("shares nest: with one hash_header, every user the 10% shadow gets is one the 50% shadow gets, as the formula says", async () => {
    const { host } = await loadFilter({
      role: "mirror",
      shadows: [
        { name: "v2", cluster: "v2", select: { percent: 50, hash_header: "x-user-id" } },
        { name: "canary", cluster: "canary", select: { percent: 10, hash_header: "x-user-id" } },
      ],
    });
    const seen = { v2: new Set<string>(), canary: new Set<string>() };
    for (let i = 0; i < 2000; i++) {
      const user = `user-${i}`;
      const before = host.calls.length;
      send(host, { headers: [["x-user-id", user]] });
      for (const c of callsSince(host, before)) {
        seen[c.cluster as "v2" | "canary"].add(user);
        host.respondToCall(c.token, { headers: [[":status", "200"]] });
      }
    }
    for (let i = 0; i < 2000; i++) {
      const user = `user-${i}`;
      expect(seen.v2.has(user), user).toBe(consistentIn(user, 50));
      expect(seen.canary.has(user), user).toBe(consistentIn(user, 10));
    }
    for (const u of seen.canary) expect(seen.v2.has(u)).toBe(true);
    expect(host.metric("mirrorshade.shadows.canary.select.selected")).toBe(BigInt(seen.canary.size));
    expect(host.metric("mirrorshade.shadows.canary.select.sampled_out")).toBe(BigInt(2000 - seen.canary.size));
    expect(host.metric("mirrorshade.shadows.v2.select.selected")).toBe(BigInt(seen.v2.size));
  });

  it("shares nest without a hash header too: one random draw per request against each threshold", async () => {
    const { host } = await loadFilter({
      role: "mirror",
      shadows: [{ name: "half", cluster: "half", select: { percent: 50 } }, { name: "tenth", cluster: "tenth", select: { percent: 10 } }],
    });
    let half = 0;
    let tenth = 0;
    for (let i = 0; i < 3000; i++) {
      const before = host.calls.length;
      send(host, {});
      const calls = callsSince(host, before);
      for (const c of calls) host.respondToCall(c.token, { headers: [[":status", "200"]] });
      const clusters = calls.map((c) => c.cluster);
      if (clusters.includes("tenth")) {
        tenth++;
        expect(clusters).toContain("half");
      }
      if (clusters.includes("half")) half++;
    }
    // Binomial bounds far outside chance (about 8 standard deviations).
    expect(half).toBeGreaterThan(1280);
    expect(half).toBeLessThan(1720);
    expect(tenth).toBeGreaterThan(170);
    expect(tenth).toBeLessThan(430);
  });

  it("the policy's select comes first: what it excludes goes to no shadow", async () => {
    const { host } = await loadFilter({ ...TWO, select: { exclude: [{ path: { prefix: "/admin" } }] } });
    send(host, { path: "/admin/users" });
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.select.excluded")).toBe(1n);
    send(host, { path: "/api" });
    expect(host.calls).toHaveLength(2);
  });

  it("each copy names the rule that selected it: the shadow's own, else the policy's", async () => {
    const { host } = await loadFilter({
      role: "mirror",
      select: { match: [{ name: "api", path: { prefix: "/api" } }] },
      shadows: [
        { name: "v2", cluster: "v2" },
        { name: "eu", cluster: "eu", select: { match: [{ name: "eu-users", header: "x-region", exact: "eu" }] } },
      ],
    });
    send(host, { path: "/api/x", headers: [["x-region", "eu"]] });
    const [v2, eu] = host.calls;
    expect(header(v2.headers, "x-shadow-rule")).toBe("api");
    expect(header(eu.headers, "x-shadow-rule")).toBe("eu-users");
    send(host, { path: "/api/y", headers: [["x-region", "us"]] });
    expect(host.calls.slice(2).map((c) => c.cluster)).toEqual(["v2"]);
    expect(host.metric("mirrorshade.shadows.eu.select.not_matched")).toBe(1n);
  });

  it.each([1, 7])("max_body_bytes is per shadow: the small one gets headers only, flagged; the other the body (%i-byte chunks)", async (chunkSize) => {
    const { host } = await loadFilter({
      role: "mirror",
      shadows: [
        { name: "small", cluster: "small", max_body_bytes: 10, on_body_too_large: "headers_only", body_dropped_header: "x-small-dropped" },
        { name: "big", cluster: "big" },
        { name: "tiny", cluster: "tiny", max_body_bytes: 4 },
      ],
    });
    const body = "x".repeat(100);
    send(host, { body, chunkSize, headers: [["content-type", "text/plain"]] });
    const byCluster = Object.fromEntries(host.calls.map((c) => [c.cluster, c]));
    expect(Object.keys(byCluster).sort()).toEqual(["big", "small"]);
    expect(byCluster.small.body.length).toBe(0);
    expect(header(byCluster.small.headers, "x-small-dropped")).toBe("too_large");
    expect(text(byCluster.big.body)).toBe(body);
    expect(header(byCluster.big.headers, "x-small-dropped")).toBeUndefined();
    expect(host.metric("mirrorshade.shadows.small.mirrored_without_body")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.tiny.skipped.body_too_large")).toBe(1n);
    expect(host.metric("mirrorshade.skipped.body_too_large")).toBe(1n);
    expect(host.metric("mirrorshade.mirrored")).toBe(2n);
  });

  it("a body over every shadow's limit is not collected: headers-only copies go when the request ends", async () => {
    const { host } = await loadFilter({ role: "mirror", shadows: [{ name: "a", cluster: "a", max_body_bytes: 5, on_body_too_large: "headers_only" }, { name: "b", cluster: "b", max_body_bytes: 5 }] });
    for (const [what, contentLength] of [["announced", "50"], ["chunked", undefined]] as const) {
      const before = host.calls.length;
      const stream = host.newStream();
      stream.requestHeaders([[":method", "POST"], [":path", "/"], [":authority", "x"], ...(contentLength ? [["content-length", contentLength] as [string, string]] : [])], false);
      for (let i = 0; i < 10; i++) stream.requestBody("y".repeat(5), false);
      expect(host.calls.length - before, what).toBe(0);
      stream.requestBody("", true);
      stream.complete();
      const calls = host.calls.slice(before);
      expect(calls.map((c) => c.cluster), what).toEqual(["a"]);
      expect(calls[0].body.length).toBe(0);
      expect(header(calls[0].headers, "x-mirrorshade-body-dropped")).toBe("too_large");
    }
    expect(host.metric("mirrorshade.shadows.b.skipped.body_too_large")).toBe(2n);
  });

  it.each([["announced", "2000000"], ["chunked", undefined]] as const)("a request over every limit that never ends is copied to no shadow (%s)", async (_what, contentLength) => {
    const { host } = await loadFilter({ role: "mirror", shadows: [{ name: "a", cluster: "a", max_body_bytes: 5, on_body_too_large: "headers_only" }, { name: "b", cluster: "b", max_body_bytes: 8, on_body_too_large: "headers_only" }] });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/charge"], [":authority", "x"], ...(contentLength ? [["content-length", contentLength] as [string, string]] : [])], false);
    stream.requestBody("0123456789", false);
    stream.complete();
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.skipped.request_incomplete")).toBe(1n);
  });

  it("trailers end a request whose copies wait without a body", async () => {
    const { host } = await loadFilter({ role: "mirror", shadows: [{ name: "a", cluster: "a", max_body_bytes: 2, on_body_too_large: "headers_only" }] });
    send(host, { body: "0123456789", chunkSize: 3, trailers: [["x-checksum", "1"]] });
    expect(host.calls).toHaveLength(1);
    expect(header(host.calls[0].headers, "x-mirrorshade-body-dropped")).toBe("too_large");
  });

  it("max_inflight is per shadow: one full shadow does not stop the other", async () => {
    const { host } = await loadFilter({ role: "mirror", shadows: [{ name: "slow", cluster: "slow", max_inflight: 2 }, { name: "fast", cluster: "fast" }] });
    for (let i = 0; i < 5; i++) send(host, {});
    expect(host.calls.filter((c) => c.cluster === "slow")).toHaveLength(2);
    expect(host.calls.filter((c) => c.cluster === "fast")).toHaveLength(5);
    expect(host.metric("mirrorshade.shadows.slow.skipped.inflight_full")).toBe(3n);
    expect(host.metric("mirrorshade.shadows.fast.skipped.inflight_full")).toBe(0n);
  });

  it("a request that ends early sends nothing to any shadow and gives back the policy's in-flight slot", async () => {
    const { host } = await loadFilter({ ...TWO, select: { max_inflight: 1 } });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/"], [":authority", "x"], ["content-length", "10"]], false);
    stream.requestBody("12345", false);
    stream.complete();
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.skipped.request_incomplete")).toBe(1n);
    // The slot came back: the next request is selected, and holds it until both its copies answer.
    send(host, {});
    expect(host.calls).toHaveLength(2);
    send(host, {});
    expect(host.metric("mirrorshade.select.inflight_full")).toBe(1n);
    host.respondToCall(host.calls[0].token, { headers: [[":status", "200"]] });
    send(host, {});
    expect(host.metric("mirrorshade.select.inflight_full")).toBe(2n);
    host.respondToCall(host.calls[1].token, null);
    send(host, {});
    expect(host.calls).toHaveLength(4);
  });

  it("an unscannable body with on_unscannable skip goes to no shadow", async () => {
    const { host } = await loadFilter({ ...TWO, redact: { body: { on_unscannable: "skip" } } });
    send(host, { body: "{not json", headers: [["content-type", "application/json"]] });
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.shadows.v2.skipped.unscannable_body")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.canary.skipped.unscannable_body")).toBe(1n);
    expect(host.metric("mirrorshade.redact.body_unscannable.invalid_json")).toBe(1n);
  });

  it("the comparison pairs the primary's answer with each shadow's; records name the shadow", async () => {
    const { host } = await loadFilter({ ...TWO, compare: {}, redact: { hash_key: "inline:compare-test-key-0123456789" } });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/quote"], [":authority", "x"]], true);
    const [v2, canary] = host.calls;
    stream.responseHeaders([[":status", "200"], ["content-type", "application/json"]], false);
    stream.responseBody('{"price":10}', true);
    stream.complete();
    const json = (body: string) => ({ headers: [[":status", "200"], ["content-type", "application/json"], ["x-envoy-upstream-service-time", "1"]] as [string, string][], body });
    host.respondToCall(v2.token, json('{"price":10}'));
    host.respondToCall(canary.token, json('{"price":11}'));
    expect(host.metric("mirrorshade.compare.compared")).toBe(2n);
    expect(host.metric("mirrorshade.compare.matched")).toBe(1n);
    expect(host.metric("mirrorshade.compare.mismatched")).toBe(1n);
    const records = host.logs.filter((l) => l.message.startsWith("mirrorshade.diff ")).map((l) => JSON.parse(l.message.slice(17)));
    expect(records).toHaveLength(1);
    expect(records[0].shadow).toBe("canary");
    expect(records[0].differences[0].path).toBe("$.price");
  });
});

describe("headers the filter sets on copies cannot be forged (every role)", () => {
  const FORGED: [string, string][] = [["x-shadow-rule", "forged"], ["x-mirrorshade-body-dropped", "forged"], ["x-shadow-request", "forged"]];

  it("mirror: the tag, x-shadow-rule and body-dropped headers in underscore spelling (read as the same by CGI-style stacks) reach neither the primary nor a copy", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow", body_dropped_header: "x-bd" } });
    const { stream, call } = send(host, { headers: [["x_shadow_request", "true"], ["x-shadow_request", "true"], ["x_shadow_rule", "forged"], ["x_bd", "forged"], ["x-mirrorshade-body-dropped", "forged"], ["x_user", "kept"]] });
    expect(stream.upstreamRequest.headers.filter(([k]) => k.replace(/_/g, "-") === "x-shadow-request")).toEqual([]);
    expect(header(stream.upstreamRequest.headers, "x_shadow_rule")).toBe("forged");
    const names = call!.headers.map(([k]) => k);
    expect(names.filter((k) => k.replace(/_/g, "-") === "x-shadow-request")).toEqual(["x-shadow-request"]);
    for (const k of ["x_shadow_rule", "x_bd", "x-mirrorshade-body-dropped"]) expect(names).not.toContain(k);
    expect(header(call!.headers, "x_user")).toBe("kept");
    expect(host.metric("mirrorshade.primary.tag_stripped")).toBe(1n);
  });

  it("mirror: the issue's reproduction shows one x-shadow-rule, the selecting rule's", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, select: { match: [{ name: "alice-rule", header: "x-user-id", exact: "alice" }] } });
    const { call } = send(host, { path: "/a", headers: [["x-user-id", "alice"], ...FORGED] });
    const h = call!.headers;
    expect(h.filter(([k]) => k === "x-shadow-rule")).toEqual([["x-shadow-rule", "alice-rule"]]);
    expect(h.filter(([k]) => k === "x-mirrorshade-body-dropped")).toEqual([]);
    expect(h.filter(([k]) => k === "x-shadow-request")).toEqual([["x-shadow-request", "true"]]);
  });

  it("mirror: a forged body-dropped header of any shadow is removed from every copy; the real one stays", async () => {
    const { host } = await loadFilter({
      role: "mirror",
      shadows: [{ name: "a", cluster: "a", body_dropped_header: "x-a-dropped" }, { name: "b", cluster: "b", max_body_bytes: 1, on_body_too_large: "headers_only" }],
    });
    send(host, { body: "hello", headers: [["content-type", "text/plain"], ["x-a-dropped", "forged"], ...FORGED] });
    const [a, b] = host.calls;
    for (const c of [a, b]) {
      expect(header(c.headers, "x-a-dropped")).toBeUndefined();
      expect(header(c.headers, "x-shadow-rule")).toBeUndefined();
    }
    expect(text(a.body)).toBe("hello");
    expect(header(a.headers, "x-mirrorshade-body-dropped")).toBeUndefined();
    expect(b.headers.filter(([k]) => k === "x-mirrorshade-body-dropped")).toEqual([["x-mirrorshade-body-dropped", "too_large"]]);
  });

  it.each(["upstream", "shadow"])("%s role: forged x-shadow-rule and body-dropped headers never reach the copy", async (role) => {
    const { host } = await loadFilter({ role, select: { match: [{ name: "all", path: { prefix: "/" } }] } });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/a"], [":authority", "orders-shadow"], ["x-shadow-request", "true"], ["x-shadow-rule", "forged"], ["x-mirrorshade-body-dropped", "forged"]], true);
    stream.complete();
    const h = stream.upstreamRequest.headers;
    expect(h.filter(([k]) => k === "x-shadow-rule")).toEqual([["x-shadow-rule", "all"]]);
    expect(h.filter(([k]) => k === "x-mirrorshade-body-dropped")).toEqual([]);
    expect(h.filter(([k]) => k === "x-shadow-request")).toEqual([["x-shadow-request", "true"]]);
  });
});

describe("forged marks in request trailers (mirror role)", () => {
  it.each([1, 5])("the tag and the baggage member in trailers never reach the primary; other trailers do (%i-byte chunks)", async (chunkSize) => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" } });
    const { stream, call } = send(host, {
      body: "hello",
      chunkSize,
      headers: [["content-type", "text/plain"]],
      trailers: [["x-shadow-request", "true"], ["x_shadow_request", "true"], ["baggage", "a=1,mirrorshade.shadow=true"], ["x-checksum", "abc"]],
    });
    const t = stream.upstreamRequest.trailers;
    expect(t.filter(([k]) => k.replace(/_/g, "-") === "x-shadow-request")).toEqual([]);
    expect(header(t, "baggage")).toBe("a=1");
    expect(header(t, "x-checksum")).toBe("abc");
    expect(text(call!.body)).toBe("hello");
    expect(host.metric("mirrorshade.primary.tag_stripped")).toBe(1n);
  });
});

describe("forged baggage members (mirror role): every one goes, nothing else of the client's", () => {
  const CASES: [string, [string, string][], [string, string][]][] = [
    ["the member twice", [["baggage", "mirrorshade.shadow=true,mirrorshade.shadow=true"]], []],
    ["a percent-encoded value (OpenTelemetry decodes it)", [["baggage", "mirrorshade.shadow=tru%65"]], []],
    ["with properties and spaces, between others", [["baggage", "a=1, mirrorshade.shadow = true;p=1 , b=2"]], [["baggage", "a=1, b=2"]]],
    ["the mark in the second of two headers", [["baggage", "userId=alice"], ["baggage", "mirrorshade.shadow=true"]], [["baggage", "userId=alice"]]],
    ["the mark in the first of two headers", [["baggage", "mirrorshade.shadow=true,x=1"], ["baggage", "y=2"]], [["baggage", "x=1"], ["baggage", "y=2"]]],
    ["a key in another case is another key (W3C keys are case-sensitive)", [["baggage", "MIRRORSHADE.SHADOW=true"]], [["baggage", "MIRRORSHADE.SHADOW=true"]]],
    ["another value is not the mark", [["baggage", "mirrorshade.shadow=false"]], [["baggage", "mirrorshade.shadow=false"]]],
  ];
  it.each(CASES)("%s", async (_name, sent, expected) => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" } });
    const { stream, call } = send(host, { headers: [["x-before", "1"], ...sent, ["x-after", "2"]] });
    const h = stream.upstreamRequest.headers;
    expect(h.filter(([k]) => k === "baggage")).toEqual(expected);
    expect(header(h, "x-before")).toBe("1");
    expect(header(h, "x-after")).toBe("2");
    // The order of everything else is kept.
    expect(h.map(([k]) => k).filter((k) => k.startsWith("x-"))).toEqual(["x-before", "x-after"]);
    const changed = JSON.stringify(expected) !== JSON.stringify(sent);
    expect(host.metric("mirrorshade.primary.tag_stripped")).toBe(changed ? 1n : 0n);
    expect(call).toBeDefined();
  });

  it("the egress guard and the shadow role recognize a percent-encoded mark too", async () => {
    const guard = await loadFilter({ role: "egress-guard", guard: { destinations: [{ host: { exact: "pay.example" } }] } });
    const s = guard.host.newStream();
    s.requestHeaders([[":method", "POST"], [":path", "/charge"], [":authority", "pay.example"], ["baggage", "a=1,mirrorshade.shadow=tru%65"]], true);
    expect(guard.host.metric("mirrorshade.guard.blocked")).toBe(1n);
  });
});

describe("limits.max_buffered_bytes: bodies held at once, per VM", () => {
  it.each([1, 7, 100])("a copy whose body would go over the budget goes to no shadow; the budget comes back when copies finish (%i-byte chunks)", async (chunk) => {
    const { host } = await loadFilter({ role: "mirror", shadows: [{ name: "a", cluster: "a" }, { name: "b", cluster: "b" }], limits: { max_buffered_bytes: 1000 } });
    const open = (path: string) => {
      const s = host.newStream();
      s.requestHeaders([[":method", "POST"], [":path", path], [":authority", "x"], ["content-type", "text/plain"]], false);
      return s;
    };
    const feed = (s: ReturnType<typeof open>, text: string, end: boolean) => {
      for (let i = 0; i < text.length; i += chunk) s.requestBody(text.slice(i, i + chunk), end && i + chunk >= text.length);
    };
    const first = open("/first");
    feed(first, "x".repeat(600), false);
    const second = open("/second");
    feed(second, "y".repeat(600), true);
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.skipped.memory_budget")).toBe(2n);
    expect(host.metric("mirrorshade.shadows.a.skipped.memory_budget")).toBe(1n);
    feed(first, "z", true);
    expect(host.calls.map((c) => c.cluster)).toEqual(["a", "b"]);
    expect(text(host.calls[0].body)).toBe("x".repeat(600) + "z");
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
    second.complete();
    first.complete();
    // The budget is free again.
    const third = open("/third");
    feed(third, "w".repeat(900), true);
    expect(host.calls).toHaveLength(4);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });

  it("a stream that ends early gives its bytes back", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, limits: { max_buffered_bytes: 100 } });
    const s = host.newStream();
    s.requestHeaders([[":method", "POST"], [":path", "/"], [":authority", "x"]], false);
    s.requestBody("x".repeat(80), false);
    expect(host.metric("mirrorshade.buffered_bytes")).toBeGreaterThan(0n);
    s.complete();
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
    send(host, { body: "y".repeat(90) });
    expect(host.calls).toHaveLength(1);
  });
});
