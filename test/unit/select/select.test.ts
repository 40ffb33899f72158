// Selection through the compiled filter in the emulator: every condition, exclude
// over match, consistent sampling (statistics and cross-VM stability, checked
// against the documented formula), the rate budget and the in-flight cap.
import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFilter, send, header } from "../../support/filter.js";
import { projectRoot } from "../../../harness/paths.js";
import type { HeaderList } from "../../../harness/emulator/index.js";

const base = { role: "mirror", shadow: { cluster: "shadow" } };
const withSelect = (select: object) => ({ ...base, select });

/** The documented formula: in when the first 4 bytes of SHA-256(value), big-endian, are below percent% of 2^32. */
const consistentIn = (value: string, percent: number) => createHash("sha256").update(value).digest().readUInt32BE(0) < (percent / 100) * 2 ** 32;

type Case = [string, object, { method?: string; path?: string; authority?: string; headers?: HeaderList }, boolean];
const conditions: Case[] = [
  ["header exact hit", { header: "x-user-id", exact: "alice" }, { headers: [["x-user-id", "alice"]] }, true],
  ["header exact miss", { header: "x-user-id", exact: "alice" }, { headers: [["x-user-id", "alicia"]] }, false],
  ["header name case-insensitive", { header: "X-User-Id", exact: "alice" }, { headers: [["x-user-id", "alice"]] }, true],
  ["header value case-sensitive", { header: "x-user-id", exact: "alice" }, { headers: [["x-user-id", "Alice"]] }, false],
  ["header in", { header: "x-user-id", in: ["alice", "bob"] }, { headers: [["x-user-id", "bob"]] }, true],
  ["header in miss", { header: "x-user-id", in: ["alice", "bob"] }, { headers: [["x-user-id", "carol"]] }, false],
  ["header prefix", { header: "x-transaction-id", prefix: "tx-debug-" }, { headers: [["x-transaction-id", "tx-debug-42"]] }, true],
  ["header prefix miss", { header: "x-transaction-id", prefix: "tx-debug-" }, { headers: [["x-transaction-id", "tx-42"]] }, false],
  ["header suffix", { header: "x-tenant", suffix: "-beta" }, { headers: [["x-tenant", "acme-beta"]] }, true],
  ["header contains", { header: "user-agent", contains: "canary" }, { headers: [["user-agent", "app/1.2 canary build"]] }, true],
  ["header contains miss", { header: "user-agent", contains: "canary" }, { headers: [["user-agent", "app/1.2"]] }, false],
  ["header present", { header: "x-debug", present: true }, { headers: [["x-debug", ""]] }, true],
  ["header present miss", { header: "x-debug", present: true }, {}, false],
  ["header absent", { header: "x-debug", absent: true }, {}, true],
  ["header absent miss", { header: "x-debug", absent: true }, { headers: [["x-debug", "1"]] }, false],
  ["header missing for exact", { header: "x-user-id", exact: "alice" }, {}, false],
  ["path exact", { path: { exact: "/healthz" } }, { path: "/healthz?full=1" }, true],
  ["path exact miss", { path: { exact: "/healthz" } }, { path: "/healthz/deep" }, false],
  ["path prefix", { path: { prefix: "/api/payments" } }, { path: "/api/payments/42" }, true],
  ["path prefix miss", { path: { prefix: "/api/payments" } }, { path: "/api/pay" }, false],
  ["path glob *", { path: { glob: "/api/*/refund" } }, { path: "/api/42/refund" }, true],
  ["path glob * stays in a segment", { path: { glob: "/api/*/refund" } }, { path: "/api/4/2/refund" }, false],
  ["path glob **", { path: { glob: "/api/**/refund" } }, { path: "/api/4/2/refund" }, true],
  ["path glob ?", { path: { glob: "/v?/users" } }, { path: "/v2/users" }, true],
  ["methods", { methods: ["POST", "PUT"] }, { method: "PUT" }, true],
  ["methods miss", { methods: ["POST", "PUT"] }, { method: "GET" }, false],
  ["query exact", { query: { name: "debug", exact: "1" } }, { path: "/x?a=2&debug=1" }, true],
  ["query decoded", { query: { name: "user id", exact: "a b" } }, { path: "/x?user%20id=a+b" }, true],
  ["query miss", { query: { name: "debug", exact: "1" } }, { path: "/x?debug=0" }, false],
  ["query absent", { query: { name: "debug", absent: true } }, { path: "/x?a=1" }, true],
  ["host exact ignores port and case", { host: { exact: "Payments.Example" } }, { authority: "payments.example:8443" }, true],
  ["host suffix", { host: { suffix: ".internal" } }, { authority: "orders.internal" }, true],
  ["host miss", { host: { exact: "payments.example" } }, { authority: "orders.example" }, false],
  ["all conditions of a rule", { path: { prefix: "/api/payments" }, methods: ["POST"] }, { method: "POST", path: "/api/payments" }, true],
  ["one condition fails the rule", { path: { prefix: "/api/payments" }, methods: ["POST"] }, { method: "GET", path: "/api/payments" }, false],
];

describe("match conditions", () => {
  it.each(conditions)("%s", async (_name, rule, req, selected) => {
    const { host, ok } = await loadFilter(withSelect({ match: [rule] }));
    expect(ok).toBe(true);
    const { call } = send(host, req);
    expect(call !== undefined).toBe(selected);
    expect(host.metric(selected ? "mirrorshade.select.selected" : "mirrorshade.select.not_matched")).toBe(1n);
  });
});

describe("rules", () => {
  it("any rule selects; the copy names the rule (its name, or its index)", async () => {
    const { host } = await loadFilter(
      withSelect({ match: [{ header: "x-user-id", in: ["alice"], name: "staff" }, { path: { prefix: "/pay" } }] }),
    );
    expect(header(send(host, { headers: [["x-user-id", "alice"]] }).call!.headers, "x-shadow-rule")).toBe("staff");
    expect(header(send(host, { path: "/pay/1" }).call!.headers, "x-shadow-rule")).toBe("1");
    expect(send(host, { path: "/other" }).call).toBeUndefined();
  });

  it("exclude wins over match", async () => {
    const { host } = await loadFilter(JSON.parse(readFileSync(join(projectRoot, "examples", "select.json"), "utf8")));
    send(host, { headers: [["x-user-id", "alice"], ["x-internal-healthcheck", "1"]] });
    send(host, { path: "/healthz", headers: [["x-user-id", "alice"]] });
    expect(host.calls).toHaveLength(0);
    expect(host.metric("mirrorshade.select.excluded")).toBe(2n);
  });

  it("no select section: every request is mirrored, and no x-shadow-rule", async () => {
    const { host } = await loadFilter(base);
    expect(header(send(host, {}).call!.headers, "x-shadow-rule")).toBeUndefined();
  });
});

describe("percent", () => {
  it("consistent by hash_header: 10 000 users at 25% land within 2 points, exactly as the formula says", async () => {
    const { host } = await loadFilter(withSelect({ percent: 25, hash_header: "x-user-id" }));
    let selected = 0;
    for (let i = 0; i < 10_000; i++) {
      const user = `user-${i}`;
      const { call } = send(host, { headers: [["x-user-id", user]] });
      if (call) {
        selected++;
        host.respondToCall(call.token, { headers: [[":status", "200"]] });
      }
      expect(call !== undefined, user).toBe(consistentIn(user, 25));
    }
    expect(Math.abs(selected / 100 - 25)).toBeLessThanOrEqual(2);
  });

  it("the same user gets the same decision in fresh VMs, request after request", async () => {
    const users = Array.from({ length: 200 }, (_, i) => `u${i * 7919}`);
    const decide = async () => {
      const { host } = await loadFilter(withSelect({ percent: 30, hash_header: "x-user-id" }));
      return users.map((u) => [0, 1, 2].map(() => send(host, { headers: [["x-user-id", u]] }).call !== undefined));
    };
    const a = await decide();
    const b = await decide();
    expect(a).toEqual(b);
    for (const perUser of a) expect(new Set(perUser).size).toBe(1);
  });

  it("fractions are allowed (0.1%)", async () => {
    const { host } = await loadFilter(withSelect({ percent: 0.1, hash_header: "x-user-id" }));
    let n = 0;
    for (let i = 0; i < 5000; i++) if (send(host, { headers: [["x-user-id", `f${i}`]] }).call) n++;
    const expected = Array.from({ length: 5000 }, (_, i) => consistentIn(`f${i}`, 0.1)).filter(Boolean).length;
    expect(n).toBe(expected);
    expect(n).toBeLessThan(25);
  });

  it("without hash_header it is random per request", async () => {
    const { host } = await loadFilter(withSelect({ percent: 40, max_inflight: 1000000 }));
    let n = 0;
    for (let i = 0; i < 5000; i++) {
      const { call } = send(host, { headers: [["x-user-id", "same-user"]] });
      if (call) {
        n++;
        host.respondToCall(call.token, { headers: [[":status", "200"]] });
      }
    }
    expect(n / 50).toBeGreaterThan(36);
    expect(n / 50).toBeLessThan(44);
    expect(host.metric("mirrorshade.select.sampled_out")).toBe(BigInt(5000 - n));
  });
});

describe("budgets", () => {
  it("rate_limit: a token bucket of burst, refilled per_second", async () => {
    let now = 1_000_000_000_000n;
    const { host } = await loadFilter(withSelect({ rate_limit: { per_second: 10, burst: 5 } }), { now: () => now });
    const burst = Array.from({ length: 8 }, () => send(host, {}).call !== undefined);
    expect(burst).toEqual([true, true, true, true, true, false, false, false]);
    expect(host.metric("mirrorshade.select.rate_limited")).toBe(3n);
    now += 300_000_000n; // 0.3 s: three tokens
    const later = Array.from({ length: 4 }, () => send(host, {}).call !== undefined);
    expect(later).toEqual([true, true, true, false]);
  });

  it("max_inflight: copies in flight are capped until the shadow answers", async () => {
    const { host } = await loadFilter(withSelect({ max_inflight: 2 }));
    const a = send(host, {}).call!;
    send(host, {});
    expect(send(host, {}).call).toBeUndefined();
    expect(host.metric("mirrorshade.select.inflight_full")).toBe(1n);
    host.respondToCall(a.token, { headers: [[":status", "200"]] });
    expect(send(host, {}).call).toBeDefined();
  });

  it("a selected request that is then not sent gives its in-flight slot back", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 5 }, select: { max_inflight: 1 } });
    for (let i = 0; i < 3; i++) expect(send(host, { body: "too large body" }).call).toBeUndefined();
    expect(send(host, {}).call).toBeDefined();
  });
});

describe("decision log", () => {
  it("logs each decision with its reason at debug level, and nothing when debug is off", async () => {
    const policy = withSelect({ match: [{ name: "staff", header: "x-user-id", exact: "alice" }] });
    const debug = await loadFilter(policy, { logLevel: 1 });
    send(debug.host, { headers: [["x-user-id", "alice"]] });
    send(debug.host, { headers: [["x-user-id", "bob"]] });
    const lines = debug.host.logs.map((l) => l.message).filter((m) => m.includes("decision="));
    expect(lines).toEqual(["mirrorshade: decision=selected rule=staff", "mirrorshade: decision=not_matched rule="]);
    const info = await loadFilter(policy, { logLevel: 2 });
    send(info.host, { headers: [["x-user-id", "alice"]] });
    expect(info.host.logs.some((l) => l.message.includes("decision="))).toBe(false);
  });
});

describe("paths are matched in the form the primary reads them", () => {
  const EXCLUDE = { role: "mirror", shadow: { cluster: "shadow" }, select: { exclude: [{ path: { prefix: "/api/payments" } }, { path: { glob: "/admin/**" } }, { path: { exact: "/api/secret" } }, { path: { prefix: "/internal", ignore_case: true } }] } };
  const BYPASSES = [
    "/api//payments/charge", "/api/%70ayments/charge", "/api/./payments/charge", "/%61pi/payments/charge", "/admin%2Fusers", "//admin/users",
    "/api/x/../payments/charge", "/api/payments;v=1/charge", "/api\\\\payments/charge", "/api/%2e/payments", "/api/%2E%2E/api/payments",
    "/api/secret/", "/api/secret;x", "/api/%73ecret", "/INTERNAL/x", "/Internal/x", "/%49nternal",
    // Empty segments holding only path parameters (found by a hostile review): Tomcat and Spring merge them.
    "/;/admin/users", "/;x/admin/users", "//;x/admin/users", "/;x;y/admin/users", "/;/;/admin/users", "/x/;/../admin/users", "/api/;v=1/payments/charge",
  ];
  it.each(BYPASSES)("%s is excluded", async (path) => {
    const { host } = await loadFilter(EXCLUDE);
    const { call } = send(host, { path });
    expect(call).toBeUndefined();
    expect(host.metric("mirrorshade.select.excluded")).toBe(1n);
  });

  it.each([["/API/payments/charge", true], ["/Admin/users", true], ["/api/paymentsx", false], ["/apix/payments", true], ["/api/secretary", true], ["/api/secret/x", true]])("%s: case counts unless the rule says ignore_case; a prefix is a prefix (mirrored: %s)", async (path, mirrored) => {
    const { host } = await loadFilter(EXCLUDE);
    const { call } = send(host, { path });
    // /api/paymentsx starts with the prefix /api/payments: excluded, as before.
    expect(call !== undefined).toBe(mirrored);
  });

  it("the copy keeps the path as the client wrote it", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, select: { match: [{ path: { prefix: "/api/orders" } }] } });
    const { call } = send(host, { path: "/api//%6frders/./7?x=%41" });
    expect(call).toBeDefined();
    expect(header(call!.headers, ":path")).toBe("/api//%6frders/./7?x=%41");
  });

  it.each(["/", "", "/a/b/../../..", "//", "/a/./", "/.", "/..;x/a"])("normalizing %j does not trap", async (path) => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, select: { match: [{ path: { glob: "/**" } }] } });
    send(host, { path: path || "/" });
    expect(host.vmFailed).toBe(false);
  });
});
