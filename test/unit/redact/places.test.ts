// Places the filter used never to look (#13): path segments (percent-decoded),
// matrix parameters, redact.path templates, the authority's host labels, header
// names and URL-valued headers. Each corpus is planted secrets that must not reach
// the copy, next to bytes that must arrive as they were written.
import { describe, it, expect, beforeAll } from "vitest";
import { createHmac } from "node:crypto";
import { loadFilter, send, header } from "../../support/filter.js";
import type { ProxyWasmHost } from "../../../harness/emulator/index.js";
import { PATH_SECRETS, PLACES_QUERY_RULES, JWT } from "../../support/places-corpus.js";

const KEY = "0123456789abcdef0123456789abcdef";
const token = (v: string) => "hmac:" + createHmac("sha256", KEY).update(v).digest().subarray(0, 16).toString("hex");

const POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    headers: { drop: ["authorization"] },
    query: PLACES_QUERY_RULES,
    path: { mask: ["/accounts/{id}/statements/*", "/vault/{*}/**"], hash: ["/customers/{customer}/orders/{*}"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
    hash_key: `inline:${KEY}`,
  },
};

let host: ProxyWasmHost;
beforeAll(async () => {
  const loaded = await loadFilter(POLICY);
  expect(loaded.ok).toBe(true);
  host = loaded.host;
});

const copyOf = (req: Parameters<typeof send>[1]) => {
  const { call, stream } = send(host, req);
  expect(call).toBeDefined();
  return { h: call!.headers, primary: stream.upstreamRequest.headers };
};
const decoded = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};


describe("path segments", () => {
  it.each(PATH_SECRETS)("%s: the secret does not reach the copy; the primary keeps it", (path, secret) => {
    const { h, primary } = copyOf({ path: `${path}?page=2` });
    const copy = header(h, ":path")!;
    expect(copy).not.toContain(secret);
    expect(decoded(copy)).not.toContain(secret);
    // The path keeps its shape: as many segments, the query as it was.
    expect(copy.split("/").length).toBe(path.split("/").length);
    expect(copy.endsWith("?page=2")).toBe(true);
    expect(header(primary, ":path")).toBe(`${path}?page=2`);
  });

  it.each([
    ["/users/%7Ealice/x%2Fy/4111111111111111?a=1+2&b=%41", /^\/users\/%7Ealice\/x%2Fy\/4\d{11}1111\?a=1\+2&b=%41$/],
    ["/files/caf%C3%A9/bob%40example.com;v=1", /^\/files\/caf%C3%A9\/[^/]*;v=1$/],
    ["/a//b/4111111111111111/", /^\/a\/\/b\/4\d{11}1111\/$/],
    ["/cards/4111%201111%201111%201111/x", /^\/cards\/4\d{3}%20\d{4}%20\d{4}%201111\/x$/],
    ["/app;jsessionid=ABC;v=2/cart", /^\/app;jsessionid=\*\*\*;v=2\/cart$/],
    ["/app;sid=1;v=2", /^\/app;v=2$/],
  ])("%s: only the hit changes, every other byte as written", (path, expected) => {
    const copy = header(copyOf({ path }).h, ":path")!;
    expect(copy).toMatch(expected);
  });

  // An ordinary corpus: ids, timestamps, ISBNs, UUIDs, SKUs stay as they are.
  it.each([
    "/", "/plain/path/v1/items/12345", "/a;b=c/d", "/x%20y/%E2%98%95", "/orders/2024-01-02/ids/1234567",
    "/events/1700000000", "/users/1234567890/x", "/o/9780131103627", "/o/550e8400-e29b-41d4-a716-446655440000",
    "/ts/1700000000123", "/v2/items/20240102123045", "/sku/ABC12345678", "/a;v=1.2.3;lang=en-US/b",
  ])("%s: nothing found, nothing changed", (path) => {
    expect(header(copyOf({ path }).h, ":path")).toBe(path);
  });

  it("a masked segment stays one valid segment (no '/', '?', '#', space)", () => {
    const copy = header(copyOf({ path: "/x/4111%201111%2F1111%3F1111%231/card%20bob%40example.com%2Fx/y" }).h, ":path")!;
    expect(copy.split("/").length).toBe(5);
    expect(copy).not.toMatch(/[?# ]/);
  });
});

describe("redact.path templates", () => {
  it.each([
    ["/accounts/12345/statements/2024", "/accounts/*****/statements/2024"],
    ["/Accounts/12345/STATEMENTS/2024/", "/Accounts/*****/STATEMENTS/2024/"],
    ["/accounts//12345/statements/2024", "/accounts//*****/statements/2024"],
    ["/accounts/12%2045/statements/2024", "/accounts/*****/statements/2024"],
    ["/accounts;v=1/12345;x=y/statements/2024", "/accounts;v=1/*********/statements/2024"],
    ["/vault/k-1/a/b/c", "/vault/***/a/b/c"],
    ["/vault/k-1", "/vault/***"],
    // dot segments resolved as the application resolves them (Tomcat's "..;" too)
    ["/accounts/./12345/statements/2024", "/accounts/./*****/statements/2024"],
    ["/x/../accounts/12345/statements/2024", "/x/../accounts/*****/statements/2024"],
    ["/accounts/9/../12345/statements/2024", "/accounts/9/../*****/statements/2024"],
    ["/accounts/9/..;x=1/12345/%2e/statements/2024", "/accounts/9/..;x=1/*****/%2e/statements/2024"],
    ["/accounts/9/%2E%2E/12345/statements/2024", "/accounts/9/%2E%2E/*****/statements/2024"],
    ["/accounts/;x=1/12345/statements/2024", "/accounts/;x=1/*****/statements/2024"],
    ["/accounts/.../12345/statements/2024", "/accounts/.../12345/statements/2024"],
    ["/customers/c-991/orders/7?token=z", `/customers/${token("c-991")}/orders/${token("7")}?token=*`],
    // no match: the path is left to the detectors
    ["/accounts/12345/statements", "/accounts/12345/statements"],
    ["/accounts/12345/statements/2024/pdf", "/accounts/12345/statements/2024/pdf"],
    ["/accountsx/12345/statements/2024", "/accountsx/12345/statements/2024"],
  ])("%s -> %s", (path, expected) => {
    expect(header(copyOf({ path }).h, ":path")).toBe(expected);
  });

  it("counts what templates did", () => {
    const masked = host.metric("mirrorshade.redact.path.masked") ?? 0n;
    const hashed = host.metric("mirrorshade.redact.path.hashed") ?? 0n;
    copyOf({ path: "/accounts/1/statements/2" });
    copyOf({ path: "/customers/c/orders/o" });
    expect(host.metric("mirrorshade.redact.path.masked")).toBeGreaterThan(masked);
    expect(host.metric("mirrorshade.redact.path.hashed")).toBeGreaterThan(hashed);
  });
});

describe("authority", () => {
  it.each([
    ["4111111111111111.tenant.example", /^4\d{11}1111\.tenant\.example-shadow$/, "4111111111111111"],
    ["4111111111111111.tenant.example:8443", /^4\d{11}1111\.tenant\.example-shadow:8443$/, "4111111111111111"],
    ["alice:Hunter2-Pa55word@4111111111111111.t.example", /^4\d{11}1111\.t\.example-shadow$/, "Hunter2"],
    ["536-22-8147.ssn.example", /^[a-z0-9-]+\.ssn\.example-shadow$/, "536-22"],
    ["DE89370400440532013000.bank.example", /^[A-Za-z0-9-]+\.bank\.example-shadow$/, "370400440532"],
  ])("%s: detector hits masked with host characters", (authority, expected, secret) => {
    const { h, primary } = copyOf({ authority });
    const a = header(h, ":authority")!;
    expect(a).toMatch(expected);
    expect(a).not.toContain(secret);
    expect(header(primary, ":authority")).toBe(authority);
  });

  it.each(["orders.example:8080", "api-1234.example", "10.0.0.12:8080", "[2001:db8::1]:443", "1700000000.cdn.example", "eu-west-1.api.example"])("%s: left as it was", (authority) => {
    expect(header(copyOf({ authority }).h, ":authority")).toMatch(/-shadow(:\d+)?$/);
    expect(header(copyOf({ authority }).h, ":authority")!.replace("-shadow", "")).toBe(authority);
  });
});

describe('detector_action "hash"', () => {
  it("a hit in the path becomes a token segment, in the host the token's hex digits (one label)", async () => {
    const { host: h } = await loadFilter({ ...POLICY, redact: { ...POLICY.redact, detector_action: "hash" } });
    const { call } = send(h, { path: "/c/4111111111111111/x;m=bob%40example.com", authority: "4111111111111111.t.example:81" });
    expect(header(call!.headers, ":path")).toBe(`/c/${token("4111111111111111")}/x;m=${token("bob@example.com")}`);
    expect(header(call!.headers, ":authority")).toBe(`${token("4111111111111111").slice(5)}.t.example-shadow:81`);
  });
});

describe("header names", () => {
  it.each([
    ["x-4111111111111111", "card"],
    ["x-user-zq.alice77@mail.io", "email"],
    ["x-ssn-536-22-8147", "ssn"],
  ])("%s: a header whose name holds a finding is dropped, and counted", (name, detector) => {
    const before = host.metric(`mirrorshade.redact.detector.${detector}`) ?? 0n;
    const { h, primary } = copyOf({ headers: [[name, "v"], ["x-plain-2024", "ok"]] });
    expect(h.some(([k]) => k === name)).toBe(false);
    expect(header(h, "x-plain-2024")).toBe("ok");
    expect(header(primary, name)).toBe("v");
    expect(host.metric(`mirrorshade.redact.detector.${detector}`)).toBeGreaterThan(before);
  });

  it("trailers' names too", () => {
    const { call } = send(host, { body: "x", headers: [["content-type", "text/plain"]], trailers: [["x-4111111111111111", "v"], ["x-ok", "1"]] });
    const t = call!.trailers ?? [];
    expect(t.some(([k]) => k === "x-4111111111111111")).toBe(false);
    expect(header(t, "x-ok")).toBe("1");
  });
});

describe("URL-valued headers", () => {
  it.each([
    ["referer", "https://shop.example/cart?token=abc123&x=1", "https://shop.example/cart?token=******&x=1"],
    ["referer", "https://alice:pw@shop.example/c", "https://shop.example/c"],
    ["referer", "https://shop.example/cb#token=abc&state=1", "https://shop.example/cb#token=***&state=1"],
    ["x-original-url", "/users/zq.alice77@mailhost-secret.io/cards/4111111111111111?jsessionid=s1", null],
    ["x-forwarded-uri", "/pay;jsessionid=XYZ?token=t1&page=2", "/pay;jsessionid=***?token=**&page=2"],
    ["x_forwarded_uri", "/pay?token=t1", "/pay?token=**"],
    ["x-envoy-original-path", "/accounts/12345/statements/2024?token=t", "/accounts/*****/statements/2024?token=*"],
    ["location", "https://4111111111111111.tenant.example:8443/x", null],
    ["origin", "https://shop.example", "https://shop.example"],
    ["origin", "null", "null"],
    ["content-location", "//cdn.example/a?token=x", "//cdn.example/a?token=*"],
    ["referer", "https://shop.example/?sid=1", "https://shop.example/"],
  ])("%s: %s", (name, value, expected) => {
    const { h, primary } = copyOf({ headers: [[name, value]] });
    const v = header(h, name)!;
    if (expected !== null) expect(v).toBe(expected);
    expect(v).not.toContain("4111111111111111");
    expect(decoded(v)).not.toContain("zq.alice77@mailhost-secret.io");
    expect(v).not.toContain("s1");
    expect(header(primary, name)).toBe(value);
  });

  it("detectors scan a fragment and percent-decoded parts", () => {
    const v = header(copyOf({ headers: [["referer", `https://a.example/p%2Fq/bob%40example.com?q=1#id_token=${JWT}`]] }).h, "referer")!;
    expect(v).not.toContain(JWT);
    expect(decoded(v)).not.toContain("bob@example.com");
    expect(v.startsWith("https://a.example/p%2Fq/")).toBe(true);
  });

  it("redact.url_headers replaces the list; [] leaves URL headers to the detectors", async () => {
    const own = await loadFilter({ ...POLICY, redact: { ...POLICY.redact, url_headers: ["x-my-url"] } });
    const none = await loadFilter({ ...POLICY, redact: { ...POLICY.redact, url_headers: [] } });
    const req = { headers: [["x-my-url", "/a?token=abc"], ["referer", "/a?token=abc"]] as [string, string][] };
    const a = send(own.host, req).call!.headers;
    expect(header(a, "x-my-url")).toBe("/a?token=***");
    expect(header(a, "referer")).toBe("/a?token=abc");
    const b = send(none.host, req).call!.headers;
    expect(header(b, "x-my-url")).toBe("/a?token=abc");
    expect(header(b, "referer")).toBe("/a?token=abc");
  });
});

describe("the allow-list mode", () => {
  it("segments pass, detectors and templates still run, matrix values not kept are masked", async () => {
    const { host: keep } = await loadFilter({ ...POLICY, redact: { ...POLICY.redact, keep: { query: ["page", "v"] } } });
    const p = header(send(keep, { path: "/items/42;v=3;jsessionid=A1;theme=dark/4111111111111111/accounts" }).call!.headers, ":path")!;
    expect(p.startsWith("/items/42;v=3;jsessionid=**;theme=")).toBe(true);
    expect(p).not.toContain("dark");
    expect(p).not.toContain("4111111111111111");
    expect(p.endsWith("/accounts")).toBe(true);
  });
});
