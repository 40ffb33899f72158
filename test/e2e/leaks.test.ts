// The leak corpus (test/support/leak-corpus.ts) through real Envoy: every case is
// sent over HTTP/1.1 with a content-length, over HTTP/1.1 chunked in small
// pieces, and over h2c; per class, no planted secret reaches the shadow and every
// keep-marker arrives byte for byte. And `preview` must show exactly what Envoy
// sent: the same cases through preview give the same copies, byte for byte.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { request as httpRequest } from "node:http";
import { connect as http2Connect, type ClientHttp2Session } from "node:http2";
import { startRig, printLogsAfterFailures, type Rig } from "./fixture.js";
import { e2eBackends } from "./backends.js";
import { preview } from "../../harness/preview.js";
import { FILTER_WASM } from "../../harness/paths.js";
import type { RecordedRequest } from "../../harness/net/upstreams.js";
import { leakCorpus, tally, formatTally, previewRequestOf, receivedOf, STRICT_POLICY, KEEP_POLICY, type LeakCase, type ReceivedCopy } from "../support/leak-corpus.js";

const corpus = leakCorpus();
type Transport = "h1" | "h1-chunked" | "h2c";
const TRANSPORTS: Transport[] = ["h1", "h1-chunked", "h2c"];
const ID = "x-corpus-id";

function applies(c: LeakCase, t: Transport): boolean {
  return c.only === undefined || (c.only === "h2") === (t === "h2c");
}

function sendH1(port: number, c: LeakCase, id: string, chunked: boolean): Promise<void> {
  const flat: string[] = [];
  const headers: [string, string][] = [...c.headers, [ID, id]];
  if (!headers.some(([k]) => k === "host")) headers.push(["host", "service.local"]);
  // Node sends GET bodies unframed unless told: say how the body is framed.
  if (c.body) headers.push(chunked ? ["transfer-encoding", "chunked"] : ["content-length", String(c.body.length)]);
  for (const [k, v] of headers) flat.push(k, v);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method: c.method, path: c.path, headers: flat, setHost: false, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve());
      res.on("error", reject);
    });
    req.on("error", reject);
    if (!c.body) return req.end();
    if (!chunked) return req.end(c.body);
    // Pieces of 1 to 7 bytes, a few at a time, so Envoy sees several body callbacks.
    let at = 0;
    let n = 0;
    const next = () => {
      while (at < c.body!.length) {
        const size = 1 + ((c.id + n++) % 7);
        req.write(c.body!.subarray(at, at + size));
        at += size;
        if (n % 16 === 0) return setTimeout(next, 1);
      }
      req.end();
    };
    next();
  });
}

function sendH2(session: ClientHttp2Session, c: LeakCase, id: string): Promise<void> {
  const headers: Record<string, string | string[]> = { ":method": c.method, ":path": c.path, [ID]: id };
  if (!c.headers.some(([k]) => k === "host")) headers[":authority"] = "service.local";
  for (const [k, v] of c.headers) {
    const name = k === "host" ? ":authority" : k.toLowerCase();
    const had = headers[name];
    headers[name] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
  }
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { waitForTrailers: Boolean(c.trailers), endStream: !c.body && !c.trailers });
    if (c.trailers) stream.on("wantTrailers", () => stream.sendTrailers(Object.fromEntries(c.trailers!)));
    stream.on("error", reject);
    stream.on("response", () => undefined);
    stream.resume();
    stream.on("end", () => resolve());
    if (c.body && c.emptyDataEnd) {
      stream.write(c.body);
      setTimeout(() => stream.end(), 5);
    } else if (c.body || c.trailers) stream.end(c.body);
  });
}

function asCopy(r: RecordedRequest): ReceivedCopy {
  return { path: r.path, headers: r.headers, body: r.body, trailers: r.trailers };
}

/** Headers Envoy adds to a dispatched call, or that describe the hop (absent from preview's copy). */
const HOP = new Set(["x-envoy-expected-rq-timeout-ms", "x-envoy-internal", "x-forwarded-proto", "x-request-id", "content-length", "transfer-encoding"]);
function headerSet(pairs: [string, string][]): string[] {
  return pairs
    .map(([k, v]): [string, string] => [k === ":authority" ? "host" : k, v])
    .filter(([k]) => !HOP.has(k) && !(k.startsWith(":")))
    .map(([k, v]) => `${k}: ${v}`)
    .sort();
}

describe.each(e2eBackends())("the leak corpus through envoy as %s", (backend) => {
  const rigs = new Map<string, Rig>();
  const received = new Map<string, RecordedRequest>();
  beforeAll(async () => {
    for (const [name, policy] of [["strict", STRICT_POLICY], ["keep", KEEP_POLICY]] as const) {
      rigs.set(name, await startRig({ backend, config: policy }));
    }
    for (const [name, rig] of rigs) {
      const session = http2Connect(`http://127.0.0.1:${rig.listenerPort}`);
      session.on("error", () => undefined);
      let expected = 0;
      for (const c of corpus.filter((x) => x.policy === name)) {
        for (const t of TRANSPORTS) {
          if (!applies(c, t)) continue;
          const id = `${t}-${c.id}`;
          if (t === "h2c") await sendH2(session, c, id);
          else await sendH1(rig.listenerPort, c, id, t === "h1-chunked");
          expected++;
        }
      }
      session.close();
      // Every case is mirrored (the policies select everything); wait for the copies, then index them by id.
      await rig.shadow.waitFor(expected, 120_000).catch(() => undefined);
      for (const r of rig.shadow.requests) {
        const id = r.headers.find(([k]) => k === ID)?.[1];
        if (id) received.set(id, r);
      }
    }
  }, 900_000);
  afterAll(async () => {
    for (const r of rigs.values()) await r.close();
  });
  printLogsAfterFailures(() => rigs.get("strict"));

  it("every case reached the shadow (nothing was skipped unnoticed)", () => {
    const missing = TRANSPORTS.flatMap((t) => corpus.filter((c) => applies(c, t) && !received.has(`${t}-${c.id}`)).map((c) => `${t}-${c.id} ${c.what}`));
    expect(missing).toEqual([]);
  });

  it.each(TRANSPORTS)("no secret leaks and no marker changes over %s", (t) => {
    const results = corpus.filter((c) => applies(c, t)).map((c) => ({ c, copy: received.has(`${t}-${c.id}`) ? asCopy(received.get(`${t}-${c.id}`)!) : null }));
    const tl = tally(results);
    const bad = [...tl.values()].filter((x) => x.leaked || x.altered);
    console.log(formatTally(`envoy (${backend}) over ${t}`, tl));
    expect(bad.flatMap((x) => x.examples)).toEqual([]);
  });

  it.each(["h1", "h2c"] as const)("preview shows exactly what Envoy sent over %s, byte for byte", async (t) => {
    const diffs: string[] = [];
    for (const [name, policy] of [["strict", STRICT_POLICY], ["keep", KEEP_POLICY]] as const) {
      // preview has no trailers and no DATA frames: the cases that need them are Envoy's alone.
      const cases = corpus.filter((c) => c.policy === name && applies(c, t) && !c.trailers && !c.emptyDataEnd);
      const results = await preview({
        wasm: FILTER_WASM,
        policy: JSON.stringify(policy),
        protocol: t === "h1" ? "http1" : "h2",
        requests: cases.map((c) => previewRequestOf(c, [[ID, `${t}-${c.id}`]])),
      });
      results.forEach((r, i) => {
        const c = cases[i];
        const sent = received.get(`${t}-${c.id}`);
        const copy = r.copies[0];
        if (!sent || !copy) {
          if (Boolean(sent) !== Boolean(copy)) diffs.push(`#${c.id} ${c.what}: envoy ${sent ? "sent" : "did not send"} a copy, preview ${copy ? "did" : "did not"}`);
          return;
        }
        const { body } = receivedOf(copy);
        if (copy.path !== sent.path) diffs.push(`#${c.id} ${c.what}: path ${JSON.stringify(sent.path)} in envoy, ${JSON.stringify(copy.path)} in preview`);
        if (!body.equals(sent.body)) diffs.push(`#${c.id} ${c.what}: body ${JSON.stringify(sent.body.toString())} in envoy, ${JSON.stringify(body.toString())} in preview`);
        const a = headerSet(sent.headers);
        const b = headerSet(copy.headers);
        if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`#${c.id} ${c.what}: headers ${JSON.stringify(a)} in envoy, ${JSON.stringify(b)} in preview`);
      });
    }
    expect(diffs.slice(0, 20)).toEqual([]);
  }, 300_000);
});
