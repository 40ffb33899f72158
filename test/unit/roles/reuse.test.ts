// The mirror role reuses its per-request objects (stream contexts, call records,
// header cursors; roles/mirror.ts, roles/mirror-dispatch.ts) and writes each
// copy's header map into buffers it keeps (copy/map.ts). Whatever came before
// on a VM (abandoned requests, trailers, bodies over a limit, streams open at
// once, more streams than are kept), a request's copies must be exactly what a
// fresh VM makes of the same request.
import { describe, it, expect } from "vitest";
import { loadFilter, send, type TestRequest } from "../../support/filter.js";
import type { ProxyWasmHost, DispatchedCall, HeaderList } from "../../../harness/emulator/index.js";

const POLICY = {
  role: "mirror",
  shadows: [
    { name: "a", cluster: "shadow-a", max_inflight: 2048, max_body_bytes: 4096, on_body_too_large: "headers_only" },
    { name: "b", cluster: "shadow-b", max_inflight: 2048, authority: "configured-shadow.example" },
  ],
  redact: { headers: { mask: ["x-api-key"], drop: ["cookie"] }, query: { mask: ["token"] } },
};

const REQUESTS: [string, TestRequest][] = [
  ["a JSON POST in 3-byte chunks", { method: "POST", path: "/orders?token=t&id=7", headers: [["content-type", "application/json"], ["x-api-key", "k-123"], ["cookie", "s=1"]], body: '{"id":7,"note":"x"}', chunkSize: 3 }],
  ["a GET with hop-by-hop headers", { method: "GET", path: "/q", authority: "api.example", headers: [["te", "trailers"], ["connection", "close"], ["keep-alive", "5"], ["upgrade", "h2c"], ["x-long-header-name-of-seventeen", "v"]] }],
  ["a body over one shadow's limit", { method: "PUT", path: "/big", headers: [["content-type", "text/plain"]], body: "y".repeat(6000), chunkSize: 1000 }],
  ["trailers", { method: "POST", path: "/t", headers: [["content-type", "text/plain"]], body: "abc", trailers: [["x-checksum", "1"], ["x-api-key", "late"]] }],
  ["an IPv6 authority with a port", { method: "GET", path: "/v6", authority: "[::1]:8443", headers: [["x-api-key", "k"]] }],
  ["no headers but the pseudo-headers", { method: "DELETE", path: "/d/1" }],
];

type Copy = { cluster: string; headers: HeaderList; body: string };
const copies = (calls: DispatchedCall[]): Copy[] =>
  calls.map((c) => ({ cluster: c.cluster, headers: c.headers, body: new TextDecoder().decode(c.body) })).sort((x, y) => x.cluster.localeCompare(y.cluster));

/** The copies a request makes on the VM, answered. */
function copiesOf(host: ProxyWasmHost, req: TestRequest): Copy[] {
  const before = host.calls.length;
  send(host, req);
  const made = host.calls.slice(before);
  for (const c of made) if (host.pendingCalls.has(c.token)) host.respondToCall(c.token, { headers: [[":status", "200"]] });
  return copies(made);
}

async function fresh(req: TestRequest): Promise<Copy[]> {
  const { host, ok } = await loadFilter(POLICY);
  expect(ok).toBe(true);
  return copiesOf(host, req);
}

/** A request the client abandons mid-body: no copy, its stream deleted. */
function abandon(host: ProxyWasmHost): void {
  const s = host.newStream();
  s.requestHeaders([[":method", "POST"], [":path", "/gone"], [":authority", "x"], ["content-length", "100"], ["content-type", "text/plain"], ["x-api-key", "abandoned"]], false);
  s.requestBody("partial", false);
  s.complete();
}

describe("per-request objects reused", () => {
  it("every request's copies equal a fresh VM's, after any history on the VM", async () => {
    const expected = await Promise.all(REQUESTS.map(([, r]) => fresh(r)));
    for (const [, r] of REQUESTS) expect((await fresh(r)).length).toBeGreaterThan(0);
    const { host } = await loadFilter(POLICY);
    // Three passes in different orders, with abandoned requests in between.
    for (const order of [[0, 1, 2, 3, 4, 5], [5, 3, 1, 4, 2, 0], [2, 2, 0, 3, 3, 1]]) {
      for (const i of order) {
        abandon(host);
        expect(copiesOf(host, REQUESTS[i][1]), REQUESTS[i][0]).toEqual(expected[i]);
      }
    }
    expect(host.metric("mirrorshade.skipped.request_incomplete")).toBe(18n);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
    expect(host.metric("mirrorshade.shadow.inflight")).toBe(0n);
    expect(host.vmFailed).toBe(false);
  });

  it("streams open at once, more of them than are kept, each copied as a fresh VM copies it", async () => {
    const req = REQUESTS[0][1];
    const expected = await fresh(req);
    const { host } = await loadFilter(POLICY);
    const n = 1100;
    const open = Array.from({ length: n }, () => host.newStream());
    const body = new TextEncoder().encode(req.body as string);
    const headers: HeaderList = [[":method", "POST"], [":path", req.path!], [":authority", "orders.example:8080"], [":scheme", "http"], ...req.headers!];
    for (const s of open) s.requestHeaders(headers, false);
    // Bodies arrive in the opposite order, then every stream ends.
    for (let i = n - 1; i >= 0; i--) open[i].requestBody(body, true);
    for (const s of open) {
      s.responseHeaders([[":status", "200"]], true);
      s.complete();
    }
    expect(host.calls).toHaveLength(2 * n);
    for (let i = 0; i < host.calls.length; i += 2) expect(copies(host.calls.slice(i, i + 2))).toEqual(expected);
    for (const t of [...host.pendingCalls.keys()]) host.respondToCall(t, { headers: [[":status", "200"]] });
    expect(host.metric("mirrorshade.shadow.inflight")).toBe(0n);
    // Streams and calls come from what was kept from here on: still the same copies.
    host.calls.length = 0;
    for (let i = 0; i < 5; i++) expect(copiesOf(host, req)).toEqual(expected);
  });
});
