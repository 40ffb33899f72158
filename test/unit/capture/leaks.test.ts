// The leak corpus (test/support/leak-corpus.ts) through capture: every case's copy
// fails at the shadow and is captured; the capture carries the copy byte for byte
// (so the copy's checks hold for it), and the same secret checks run over the whole
// capture, answers included, with a primary that echoes every request header the
// client sent (unredacted) in its answer under the same names, and a set-cookie of
// all of them; and a shadow that echoes what it got.
import { describe, it, expect } from "vitest";
import { loadFilter, drainRedaction } from "../../support/filter.js";
import { leakCorpus, leaked, STRICT_POLICY, KEEP_POLICY, type LeakCase } from "../../support/leak-corpus.js";
import { decodeFrame, type RawHeaders } from "../../../harness/capture/frame.js";
import type { ProxyWasmHost, HeaderList } from "../../../harness/emulator/index.js";

const corpus = leakCorpus().filter((c) => c.only !== "h2");
const str = (m: RawHeaders): [string, string][] => m.map(([k, v]) => [k.toString("latin1"), v.toString("latin1")]);
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "upgrade", "proxy-connection", "content-length", "host"]);

function run(host: ProxyWasmHost, c: LeakCase, chunk: number) {
  const before = host.calls.length;
  const stream = host.newStream();
  const authority = c.headers.find(([k]) => k === "host")?.[1] ?? "service.local";
  const headers: HeaderList = [[":method", c.method], [":path", c.path], [":authority", authority], [":scheme", "http"], ...c.headers.filter(([k]) => k !== "host")];
  const body = c.body ?? Buffer.alloc(0);
  if (body.length > 0 && !c.headers.some(([k]) => k === "content-length")) headers.push(["content-length", String(body.length)]);
  stream.requestHeaders(headers, body.length === 0 && !c.trailers);
  const size = chunk || body.length;
  for (let i = 0; i < body.length; i += size) stream.requestBody(body.subarray(i, Math.min(body.length, i + size)), i + size >= body.length && !c.trailers);
  if (c.trailers) stream.requestTrailers(c.trailers);
  drainRedaction(host);
  const call = host.calls.slice(before).find((x) => x.cluster === "shadow");
  // The primary answers first, echoing every header the client sent, by the same names (a Location, a Set-Cookie, an X-Customer).
  stream.responseHeaders([[":status", "200"], ...c.headers.filter(([k]) => !HOP.has(k) && !k.startsWith(":")), ["set-cookie", c.headers.map(([, v]) => v).join(";")]], true);
  if (call) host.respondToCall(call.token, { headers: [[":status", "500"], ...call.headers.filter(([k]) => !k.startsWith(":") && !HOP.has(k)).map(([k, v]) => [`x-got-${k}`.slice(0, 60), v] as [string, string])] });
  stream.complete();
  const cap = host.calls.slice(before).find((x) => x.cluster === "capture");
  return { call, cap };
}

describe("the leak corpus through capture", () => {
  it.each([0, 7])("the capture is the copy, and no secret is anywhere in it (chunks of %i; 0: whole)", async (chunk) => {
    const bad: string[] = [];
    let captured = 0;
    for (const [name, policy] of [["strict", STRICT_POLICY], ["keep", KEEP_POLICY]] as const) {
      const { host } = await loadFilter({ ...policy, capture: { cluster: "capture", rate_limit_per_second: 100000, max_body_bytes: 16777216 }, limits: { redaction_bytes_per_second: 67108864, max_buffered_bytes: 536870912 } });
      for (const c of corpus.filter((x) => x.policy === name)) {
        const { call, cap } = run(host, c, chunk);
        if (!call) continue;
        expect(cap, `case ${c.id}`).toBeDefined();
        captured++;
        const f = decodeFrame(Buffer.from(cap!.body));
        const req = str(f.request.headers);
        if (JSON.stringify(req) !== JSON.stringify(call.headers.filter(([k]) => k !== "content-length"))) bad.push(`${c.id} ${c.cls}: capture headers differ from the copy's`);
        if (Buffer.compare(f.request.body, Buffer.from(call.body)) !== 0) bad.push(`${c.id} ${c.cls}: capture body differs from the copy's`);
        const all = [...req, ...str(f.shadow?.headers ?? []), ...str(f.primary?.headers ?? [])];
        const trailers = [...str(f.request.trailers), ...str(f.shadow?.trailers ?? [])];
        const path = req.find(([k]) => k === ":path")?.[1] ?? "";
        const found = leaked(c, { path, headers: all, body: f.request.body, trailers });
        if (found.length) bad.push(`${c.id} ${c.cls} (${c.what}): ${found.join(", ")}`);
      }
    }
    expect(captured).toBeGreaterThan(500);
    expect(bad).toEqual([]);
  }, 300_000);
});
