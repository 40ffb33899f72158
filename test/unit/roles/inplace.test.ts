// The in-place roles through the emulator: the copy Envoy sends (native
// mirroring) is selected, redacted and tagged where it passes; requests that are
// not copies pass untouched (shadow role).
import { describe, it, expect } from "vitest";
import { loadFilter, header, text } from "../../support/filter.js";
import type { HeaderList, ProxyWasmHost } from "../../../harness/emulator/index.js";

const REDACT = {
  headers: { drop: ["authorization"], mask: ["x-api-key"] },
  query: { mask: ["token"] },
  json: { mask: ["$..password"] },
  detectors: ["card"],
};

function pass(host: ProxyWasmHost, headers: HeaderList, body?: string, chunk = 4) {
  const stream = host.newStream();
  stream.requestHeaders(headers, body === undefined);
  if (body !== undefined) {
    for (let i = 0; i < body.length; i += chunk) stream.requestBody(body.slice(i, i + chunk), i + chunk >= body.length);
  }
  stream.complete();
  return stream;
}

const req = (authority: string, extra: HeaderList = [], path = "/pay?token=abc&x=1"): HeaderList => [
  [":method", "POST"], [":path", path], [":authority", authority], [":scheme", "http"], ["content-type", "application/json"], ["authorization", "Bearer s3cret"], ["x-api-key", "k-1"], ...extra,
];

describe("upstream role", () => {
  it("redacts headers, query and body in place and tags the copy", async () => {
    const { host, ok } = await loadFilter({ role: "upstream", redact: REDACT, upstream: { restore_host: true } });
    expect(ok).toBe(true);
    const body = '{"user":"zoë","password":"hunter2","card":"4111 1111 1111 1111"}';
    const s = pass(host, req("orders-shadow:8080", [["content-length", String(Buffer.byteLength(body))]]), body, 5);
    const h = s.upstreamRequest.headers;
    expect(header(h, "authorization")).toBeUndefined();
    expect(header(h, "x-api-key")).toBe("***");
    expect(header(h, ":path")).toBe("/pay?token=***&x=1");
    expect(header(h, ":authority")).toBe("orders:8080");
    expect(header(h, "x-shadow-request")).toBe("true");
    expect(header(h, "content-length")).toBeUndefined();
    const out = text(s.upstreamRequest.body);
    expect(JSON.parse(out).password).toBe("*******");
    expect(out).not.toContain("4111 1111 1111 1111");
    expect(JSON.parse(out).user).toBe("zoë");
    expect(host.metric("mirrorshade.inplace.copies")).toBe(1n);
  });

  it("a copy selection does not pass is answered locally and never leaves", async () => {
    const { host } = await loadFilter({ role: "upstream", select: { match: [{ header: "x-user-id", exact: "alice" }] }, upstream: { not_selected_status: 202 } });
    const s = pass(host, req("orders-shadow", [["x-user-id", "bob"]]));
    expect(s.localResponse?.status).toBe(202);
    expect(s.upstreamRequest.headersSent).toBe(false);
    const t = pass(host, req("orders-shadow", [["x-user-id", "alice"]]));
    expect(t.localResponse).toBeUndefined();
    expect(header(t.upstreamRequest.headers, "x-shadow-rule")).toBe("0");
    expect(host.metric("mirrorshade.inplace.not_selected")).toBe(1n);
  });

  it("an unscannable body is emptied and flagged; an invalid one found at the end is emptied", async () => {
    const { host } = await loadFilter({ role: "upstream", redact: REDACT });
    const gz = pass(host, req("o-shadow", [["content-encoding", "gzip"]]), "\x1f\x8bxxxx");
    expect(gz.upstreamRequest.body.length).toBe(0);
    expect(header(gz.upstreamRequest.headers, "x-mirrorshade-body-dropped")).toBe("compressed");
    const bad = pass(host, req("o-shadow"), '{"password": "x",}');
    expect(bad.upstreamRequest.body.length).toBe(0);
    expect(host.metric("mirrorshade.redact.body_unscannable.invalid_json")).toBe(1n);
  });

  it("without a redact section the body streams through untouched, content-length kept", async () => {
    const { host } = await loadFilter({ role: "upstream" });
    const s = pass(host, req("o-shadow", [["content-length", "7"]]), '{"a":1}', 2);
    expect(text(s.upstreamRequest.body)).toBe('{"a":1}');
    expect(header(s.upstreamRequest.headers, "content-length")).toBe("7");
    expect(s.results.every((r) => r.action === "continue")).toBe(true);
  });
});

describe("shadow role", () => {
  it("recognizes copies by the -shadow Host suffix or the tag; other requests pass untouched", async () => {
    const { host } = await loadFilter({ role: "shadow", redact: REDACT, inbound: { restore_host: true } });
    const copy = pass(host, req("payments.default.svc-shadow:8080"));
    expect(header(copy.upstreamRequest.headers, "authorization")).toBeUndefined();
    expect(header(copy.upstreamRequest.headers, ":authority")).toBe("payments.default.svc:8080");
    const tagged = pass(host, req("payments", [["x-shadow-request", "true"]]));
    expect(header(tagged.upstreamRequest.headers, "authorization")).toBeUndefined();
    const normal = pass(host, req("payments"));
    expect(header(normal.upstreamRequest.headers, "authorization")).toBe("Bearer s3cret");
    expect(header(normal.upstreamRequest.headers, "x-shadow-request")).toBeUndefined();
    expect(header(normal.upstreamRequest.headers, ":path")).toBe("/pay?token=abc&x=1");
    expect(host.metric("mirrorshade.inplace.copies")).toBe(2n);
    expect(host.metric("mirrorshade.inplace.passed")).toBe(1n);
  });

  it("recognize can be narrowed to the tag", async () => {
    const { host } = await loadFilter({ role: "shadow", redact: REDACT, inbound: { recognize: ["tag"] } });
    expect(header(pass(host, req("payments-shadow")).upstreamRequest.headers, "authorization")).toBe("Bearer s3cret");
  });

  it('recognize ["all"]: every request is a copy, with or without the suffix or tag (Istio\'s mirror drops the suffix)', async () => {
    const { host } = await loadFilter({ role: "shadow", redact: REDACT, inbound: { recognize: ["all"] } });
    for (const h of ["payments", "payments-shadow"]) {
      const r = pass(host, req(h));
      expect(header(r.upstreamRequest.headers, "authorization"), h).toBeUndefined();
      expect(header(r.upstreamRequest.headers, "x-shadow-request"), h).toBe("true");
    }
    expect(host.metric("mirrorshade.inplace.copies")).toBe(2n);
    expect(host.metric("mirrorshade.inplace.passed")).toBe(0n);
  });

  it.each([
    [{ role: "shadow", shadow: { cluster: "s" } }, 'shadow: not used by role "shadow"'],
    [{ role: "upstream", inbound: {} }, 'inbound: not used by role "upstream"'],
    [{ role: "shadow", inbound: { recognize: ["cookie"] } }, 'inbound.recognize[0]: must be "host_suffix", "tag" or "all"'],
    [{ role: "upstream", select: { max_inflight: 5 } }, "select.max_inflight: not used by role \"upstream\""],
    [{ role: "mirror", shadow: { cluster: "s" }, upstream: {} }, 'upstream: not used by role "mirror"'],
  ])("invalid in-place policy %#", async (config, message) => {
    const { host, ok } = await loadFilter(config);
    expect(ok).toBe(false);
    expect(host.logs.filter((l) => l.level === 5).map((l) => l.message).join("\n")).toContain(message);
  });
});
