// The selection counters agree with the copies: select.selected counts every
// request the policy's selection lets through, with or without a select section
// (no section: every request), so it never contradicts mirrored (mirror role) or
// inplace.copies (upstream, shadow roles).
import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { loadFilter, send } from "../../support/filter.js";
import type { HeaderList, ProxyWasmHost } from "../../../harness/emulator/index.js";

const inShare = (value: string, percent: number) => createHash("sha256").update(value).digest().readUInt32BE(0) < (percent / 100) * 2 ** 32;
const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
const body = '{"amount":1200,"email":"ann@example.com"}';
const m = (host: ProxyWasmHost, name: string) => host.metric("mirrorshade." + name) ?? 0n;

type MirrorCase = [string, object, (user: string) => boolean];
const mirrorCases: MirrorCase[] = [
  ["no select section: every request", {}, () => true],
  ["a select section matching", { select: { match: [{ header: "x-user-id", prefix: "user-" }] } }, () => true],
  ["a select section not matching", { select: { match: [{ path: { prefix: "/other" } }] } }, () => false],
  ["a share by user", { select: { percent: 50, hash_header: "x-user-id" } }, (u) => inShare(u, 50)],
  ["a match and a share", { select: { percent: 30, hash_header: "x-user-id", match: [{ methods: ["POST"] }] } }, (u) => inShare(u, 30)],
];

describe("mirror role: select.selected == mirrored", () => {
  it.each(mirrorCases)("%s", async (_name, extra, expected) => {
    const { host, ok } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, ...extra });
    expect(ok).toBe(true);
    let copies = 0;
    for (const [i, user] of users.entries()) {
      const { call } = send(host, { path: "/api/payments", headers: [["x-user-id", user], ["content-type", "application/json"]], body, chunkSize: 1 + (i % 7) });
      expect(call !== undefined, user).toBe(expected(user));
      if (call) copies++;
    }
    const want = BigInt(users.filter(expected).length);
    expect(BigInt(copies)).toBe(want);
    expect(m(host, "mirrored")).toBe(want);
    expect(m(host, "select.selected")).toBe(want);
    const decided = ["selected", "not_matched", "excluded", "sampled_out", "rate_limited", "inflight_full"].reduce((s, d) => s + m(host, "select." + d), 0n);
    expect(decided).toBe(m(host, "requests"));
  });

  it("selected but over max_body_bytes: counted selected and skipped, never mirrored", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 8 } });
    send(host, { headers: [["content-type", "application/json"]], body, chunkSize: 3 });
    send(host, { path: "/short" });
    expect(m(host, "select.selected")).toBe(2n);
    expect(m(host, "mirrored")).toBe(1n);
    expect(m(host, "skipped.body_too_large")).toBe(1n);
  });

  it("several shadows with their own shares and no top-level select: every request selected at the top, each shadow's own counters agree with its copies", async () => {
    const { host } = await loadFilter({
      role: "mirror",
      shadows: [
        { name: "v2", cluster: "v2", select: { percent: 50, hash_header: "x-user-id" } },
        { name: "canary", cluster: "canary", select: { percent: 10, hash_header: "x-user-id" } },
      ],
    });
    for (const user of users) send(host, { headers: [["x-user-id", user]] });
    const v2 = BigInt(users.filter((u) => inShare(u, 50)).length);
    const canary = BigInt(users.filter((u) => inShare(u, 10)).length);
    expect(m(host, "select.selected")).toBe(BigInt(users.length));
    expect(m(host, "shadows.v2.select.selected")).toBe(v2);
    expect(m(host, "shadows.v2.mirrored")).toBe(v2);
    expect(m(host, "shadows.canary.select.selected")).toBe(canary);
    expect(m(host, "shadows.canary.mirrored")).toBe(canary);
    expect(m(host, "mirrored")).toBe(v2 + canary);
  });
});

function pass(host: ProxyWasmHost, headers: HeaderList, text: string, chunk: number) {
  const stream = host.newStream();
  stream.requestHeaders(headers, false);
  for (let i = 0; i < text.length; i += chunk) stream.requestBody(text.slice(i, i + chunk), i + chunk >= text.length);
  stream.complete();
  return stream;
}

type InplaceCase = [string, object, (user: string) => boolean];
const inplaceCases: InplaceCase[] = [
  ["upstream, no select section", { role: "upstream" }, () => true],
  ["upstream, a select section matching", { role: "upstream", select: { match: [{ header: "x-user-id", prefix: "user-" }] } }, () => true],
  ["upstream, a select section not matching", { role: "upstream", select: { match: [{ header: "x-user-id", exact: "nobody" }] } }, () => false],
  ["upstream, a share by user", { role: "upstream", select: { percent: 50, hash_header: "x-user-id" } }, (u) => inShare(u, 50)],
  ["shadow, no select section", { role: "shadow" }, () => true],
  ["shadow, a share by user", { role: "shadow", select: { percent: 50, hash_header: "x-user-id" } }, (u) => inShare(u, 50)],
];

describe("in-place roles: select.selected == the copies that went on", () => {
  it.each(inplaceCases)("%s", async (_name, policy, expected) => {
    const { host, ok } = await loadFilter(policy);
    expect(ok).toBe(true);
    const head = (authority: string, user?: string): HeaderList => [
      [":method", "POST"], [":path", "/pay"], [":authority", authority], [":scheme", "http"], ["content-type", "application/json"], ...(user ? [["x-user-id", user] as [string, string]] : []),
    ];
    let through = 0;
    for (const [i, user] of users.entries()) {
      const s = pass(host, head("payments-shadow", user), body, 1 + (i % 7));
      expect(s.localResponse === undefined, user).toBe(expected(user));
      if (s.localResponse === undefined) through++;
    }
    const want = BigInt(users.filter(expected).length);
    expect(BigInt(through)).toBe(want);
    expect(m(host, "select.selected")).toBe(want);
    expect(m(host, "select.selected") + m(host, "inplace.not_selected")).toBe(m(host, "inplace.copies"));
    if ((policy as { role: string }).role === "shadow") {
      // A request that is not a copy passes untouched: neither selected nor not.
      pass(host, head("payments"), body, 4);
      expect(m(host, "inplace.passed")).toBe(1n);
      expect(m(host, "select.selected")).toBe(want);
    }
  });
});
