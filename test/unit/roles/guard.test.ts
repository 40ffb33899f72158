// The egress-guard role and the baggage mark, through the emulator: tagged
// requests (header or baggage) to side-effect destinations get the stub and never
// leave; everything else passes untouched.
import { describe, it, expect } from "vitest";
import { loadFilter, send, header, text } from "../../support/filter.js";
import { GUARD_POLICY as GUARD, invalidGuardPolicies } from "../../support/policy-cases.js";

describe("egress guard", () => {
  it.each([
    ["tag header to a payment", [["x-shadow-request", "true"]], "api.payments.example", "POST", "/v1/charges", "payments"],
    ["baggage only", [["baggage", "userId=alice, mirrorshade.shadow=true;prop=1"]], "api.payments.example:443", "POST", "/v1/charges/9", "payments"],
    ["second rule by index", [["x-shadow-request", "true"]], "mail.internal", "GET", "/send", "1"],
  ] as [string, [string, string][], string, string, string, string][])("%s: answered with the stub, never forwarded", async (_n, headers, authority, method, path, label) => {
    const { host } = await loadFilter(GUARD);
    const { stream } = send(host, { headers, authority, method, path });
    expect(stream.localResponse?.status).toBe(200);
    expect(text(stream.localResponse!.body)).toBe('{"id":"ch_shadow","status":"succeeded"}');
    expect(header(stream.localResponse!.headers, "x-mirrorshade-guard")).toBe("blocked");
    expect(header(stream.localResponse!.headers, "content-type")).toBe("application/json");
    expect(stream.upstreamRequest.headersSent).toBe(false);
    expect(host.metric("mirrorshade.guard.blocked")).toBe(1n);
    expect(host.metric(`mirrorshade.guard.blocked.${label}`)).toBe(1n);
  });

  it.each([
    ["untagged payment", [], "api.payments.example", "POST", "/v1/charges", "untagged"],
    ["wrong tag value", [["x-shadow-request", "false"]], "api.payments.example", "POST", "/v1/charges", "untagged"],
    ["baggage with another value", [["baggage", "mirrorshade.shadow=no"]], "api.payments.example", "POST", "/v1/charges", "untagged"],
    ["baggage key as a value", [["baggage", "x=mirrorshade.shadow"]], "api.payments.example", "POST", "/v1/charges", "untagged"],
    ["tagged read-only call", [["x-shadow-request", "true"]], "api.payments.example", "GET", "/v1/charges", "tagged_allowed"],
    ["tagged other host", [["x-shadow-request", "true"]], "catalog.internal", "POST", "/v1/charges", "tagged_allowed"],
  ] as [string, [string, string][], string, string, string, string][])("%s: passes untouched", async (_n, headers, authority, method, path, counter) => {
    const { host } = await loadFilter(GUARD);
    const { stream } = send(host, { headers, authority, method, path, body: method === "POST" ? "{}" : undefined });
    expect(stream.localResponse).toBeUndefined();
    expect(stream.upstreamRequest.headersSent).toBe(true);
    expect(text(stream.upstreamRequest.body)).toBe(method === "POST" ? "{}" : "");
    expect(host.metric(`mirrorshade.guard.${counter}`)).toBe(1n);
  });

  it.each(invalidGuardPolicies)("invalid guard policy: %s", async (_name, config, message) => {
    const { host, ok } = await loadFilter(config);
    expect(ok).toBe(false);
    expect(host.logs.filter((l) => l.level === 5).map((l) => l.message).join("\n")).toContain(message);
  });
});

describe("baggage mark in the mirror role", () => {
  const MIRROR = { role: "mirror", shadow: { cluster: "shadow" }, tag: { baggage: true } };

  it("adds the member to the copy's baggage, or a baggage header when there is none", async () => {
    const { host } = await loadFilter(MIRROR);
    expect(header(send(host, {}).call!.headers, "baggage")).toBe("mirrorshade.shadow=true");
    expect(header(send(host, { headers: [["baggage", "userId=alice"]] }).call!.headers, "baggage")).toBe("userId=alice,mirrorshade.shadow=true");
  });

  it.each([
    ["a client's member under the key, another value", [["baggage", "mirrorshade.shadow=false"]], ["mirrorshade.shadow=true"]],
    ["a client's member first in line", [["baggage", "mirrorshade.shadow=false, userId=alice"]], ["userId=alice,mirrorshade.shadow=true"]],
    ["the key in three fields", [["baggage", "e=5"], ["baggage", "mirrorshade.shadow=true"], ["baggage", "f=6,mirrorshade.shadow=no"]], ["e=5,mirrorshade.shadow=true", "f=6"]],
  ] as [string, [string, string][], string[]][])("the copy carries exactly one member under the key, the filter's: %s", async (_name, headers, expected) => {
    const { host } = await loadFilter(MIRROR);
    const h = send(host, { headers }).call!.headers;
    expect(h.filter(([k]) => k === "baggage").map(([, v]) => v)).toEqual(expected);
  });

  it("strips a forged member from the primary's baggage, keeping the rest", async () => {
    const { host } = await loadFilter(MIRROR);
    const a = send(host, { headers: [["baggage", "userId=alice, mirrorshade.shadow=true, k=v"]] });
    expect(header(a.stream.upstreamRequest.headers, "baggage")).toBe("userId=alice, k=v");
    const b = send(host, { headers: [["baggage", "mirrorshade.shadow=true"]] });
    expect(header(b.stream.upstreamRequest.headers, "baggage")).toBeUndefined();
    expect(host.metric("mirrorshade.primary.tag_stripped")).toBe(2n);
  });
});
