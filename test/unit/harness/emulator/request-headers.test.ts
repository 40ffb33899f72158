// The request headers as Envoy 1.40 hands them to a filter (harness/emulator/
// request-headers.ts), and `preview` built on it: repeated inline headers merged
// with ",", h2 cookies joined with "; ", internal headers removed, BOMs kept.
// test/e2e/parity.test.ts checks the same against real Envoy.
import { describe, it, expect } from "vitest";
import { presentRequestHeaders, type HeaderList, type Protocol } from "../../../../harness/emulator/index.js";
import { preview } from "../../../../harness/preview.js";
import { FILTER_WASM } from "../../../../harness/paths.js";

const CASES: [string, Protocol, HeaderList, HeaderList][] = [
  ["an inline header twice: one, joined with ',' at the first one's place", "http1",
    [["Content-Type", "text/plain"], ["x-a", "1"], ["content-type", "application/json"]],
    [["content-type", "text/plain,application/json"], ["x-a", "1"], ["x-forwarded-proto", "http"]]],
  ["another header twice: both, in order", "h2", [["x-api-key", "k1"], ["x-api-key", "k2"]], [["x-api-key", "k1"], ["x-api-key", "k2"], ["x-forwarded-proto", "http"]]],
  ["authorization and user-agent are inline", "h2", [["authorization", "a"], ["user-agent", "u1"], ["authorization", "b"], ["user-agent", "u2"]],
    [["authorization", "a,b"], ["user-agent", "u1,u2"], ["x-forwarded-proto", "http"]]],
  ["HTTP/1.1 cookies stay apart", "http1", [["cookie", "a=1"], ["x", "y"], ["cookie", "b=2"]], [["cookie", "a=1"], ["x", "y"], ["cookie", "b=2"], ["x-forwarded-proto", "http"]]],
  ["h2 cookies become one, after the others", "h2", [["cookie", "a=1"], ["x", "y"], ["cookie", "b=2"]], [["x", "y"], ["cookie", "a=1; b=2"], ["x-forwarded-proto", "http"]]],
  ["internal and hop-by-hop headers are removed", "http1", [["x-envoy-internal", "true"], ["x-envoy-retry-on", "5xx"], ["connection", "close"], ["keep-alive", "1"], ["x-b", "1"]],
    [["x-b", "1"], ["x-forwarded-proto", "http"]]],
  ["te survives only as trailers", "h2", [["te", "trailers"]], [["te", "trailers"], ["x-forwarded-proto", "http"]]],
  ["te gzip is removed", "http1", [["te", "gzip"]], [["x-forwarded-proto", "http"]]],
  ["the client's x-forwarded-proto stays (merged when repeated)", "http1", [["x-forwarded-proto", "https"], ["x-forwarded-proto", "http"]], [["x-forwarded-proto", "https,http"]]],
];

describe("request headers as Envoy presents them", () => {
  it.each(CASES)("%s", (_name, protocol, sent, seen) => {
    expect(presentRequestHeaders(sent, protocol)).toEqual(seen);
  });
});

describe("preview", () => {
  const policy = JSON.stringify({ role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["email"] } });
  const BOM = "\ufeff";

  it.each([1, 3, 7, 0])("keeps a body's BOM (chunks of %i bytes)", async (chunkSize) => {
    const [r] = await preview({ wasm: FILTER_WASM, policy, requests: [{ path: "/t", headers: { "content-type": "text/plain" }, body: BOM + "mail bob@example.org" }], chunkSize });
    expect(r.copies[0].body!.startsWith(BOM)).toBe(true);
    expect(r.primary.body).toBe(BOM + "mail bob@example.org");
    expect(r.copies[0].body).not.toContain("bob@example.org");
  });

  it.each(["http1", "h2"] as Protocol[])("merges repeated headers as Envoy does (%s)", async (protocol) => {
    const [r] = await preview({
      wasm: FILTER_WASM,
      policy,
      protocol,
      requests: [{ path: "/t", headers: [["content-type", "text/plain"], ["content-type", "application/json"], ["cookie", "a=1"], ["cookie", "b=2"]], body: "x" }],
    });
    const copy = r.copies[0];
    expect(copy.headers.filter(([k]) => k === "content-type")).toEqual([["content-type", "text/plain,application/json"]]);
    // Two media types: the body's type is unknown.
    expect(copy.headers.find(([k]) => k === "x-mirrorshade-body-dropped")?.[1]).toBe("unsupported_type");
    const cookies = copy.headers.filter(([k]) => k === "cookie");
    expect(cookies).toEqual(protocol === "h2" ? [["cookie", "a=1; b=2"]] : [["cookie", "a=1"], ["cookie", "b=2"]]);
    // h2 has no content-length unless the client sent one.
    expect(r.primary.headers.some(([k]) => k === "content-length")).toBe(protocol === "http1");
  });
});
