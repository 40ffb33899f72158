// Replays HAR entries (a capture sink's file, or any HAR 1.2) against a target:
// the request of each entry (method, path and query, headers, body byte for
// byte) sent to the target's origin, in order, at a rate (--rate R per second),
// at a multiple of the recorded pace (--speed 2x, from startedDateTime), or one
// after the other; --loop N times. gRPC entries go over HTTP/2 (node:http2,
// cleartext or TLS as the target says), the others through undici.
import { request as undiciRequest, Agent } from "undici";
import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { entryBody, type HarEntry } from "./har.js";

export interface ReplayOptions {
  entries: HarEntry[];
  target: string;
  /** Entries per second. */
  rate?: number;
  /** A multiple of the recorded pace (2: twice as fast). */
  speed?: number;
  loop?: number;
  onlyFailed?: boolean;
  /** Per request, in ms (default 10 s). */
  timeoutMs?: number;
  /** Requests in flight at most when paced (default 32). */
  concurrency?: number;
}

export interface ReplayResult {
  /** Index of the entry in the archive. */
  index: number;
  method: string;
  path: string;
  /** The recorded answer's status (0: none), and what the target answered (a status, or an error's name), with how often. */
  then: number;
  now: Record<string, number>;
}

const HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "host", "content-length", "http2-settings", "expect"]);

/** Whether the recorded answer was a failure: no answer, a 5xx, a gRPC status other than OK, or what mirrorshade captured as a shadow error or timeout. */
export function failed(e: HarEntry): boolean {
  const s = e.response.status;
  if (s === 0 || s >= 500) return true;
  const ms = e._mirrorshade;
  if (ms && ms.reason !== "mismatch") return true;
  const grpc = [...e.response.headers, ...(ms?.responseTrailers ?? [])].find((h) => h.name.toLowerCase() === "grpc-status");
  return grpc !== undefined && grpc.value !== "0";
}

export function parseTarget(target: string): URL {
  let u: URL;
  try {
    u = new URL(target);
  } catch {
    throw new Error(`--target: not a URL: "${target}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`--target: must be an http:// or https:// URL, got "${u.protocol}"`);
  return u;
}

function pathOf(e: HarEntry): string {
  try {
    const u = new URL(e.request.url);
    return u.pathname + u.search;
  } catch {
    return "/";
  }
}

function isGrpc(e: HarEntry): boolean {
  if (e._mirrorshade?.grpc) return true;
  const ct = e.request.headers.find((h) => h.name.toLowerCase() === "content-type");
  return ct !== undefined && ct.value.startsWith("application/grpc");
}

function headersOf(e: HarEntry): [string, string][] {
  return e.request.headers.filter((h) => !h.name.startsWith(":") && !HOP.has(h.name.toLowerCase())).map((h) => [h.name, h.value]);
}

/** The longest wait between two entries under --speed, in ms. */
export const MAX_GAP_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ReplayRun {
  results: ReplayResult[];
  sent: number;
}

/** The entries the run replays, each `loop` times: bounded by the archive and --loop. */
export async function replay(o: ReplayOptions, onStep?: (done: number, total: number, r: ReplayResult, now: string) => void): Promise<ReplayRun> {
  const target = parseTarget(o.target);
  const loop = o.loop ?? 1;
  if (!Number.isInteger(loop) || loop < 1 || loop > 100000) throw new Error(`--loop: must be a whole number from 1 to 100000, got ${o.loop}`);
  if (o.rate !== undefined && o.speed !== undefined) throw new Error("--rate and --speed: give one of them");
  if (o.rate !== undefined && !(o.rate > 0 && o.rate <= 100000)) throw new Error(`--rate: must be more than 0 and at most 100000 per second, got ${o.rate}`);
  if (o.speed !== undefined && !(o.speed > 0 && o.speed <= 10000)) throw new Error(`--speed: must be more than 0 and at most 10000, got ${o.speed}`);
  const timeout = o.timeoutMs ?? 10000;
  const chosen = o.entries.map((e, index) => ({ e, index })).filter(({ e }) => !o.onlyFailed || failed(e));
  const results: ReplayResult[] = chosen.map(({ e, index }) => ({ index, method: e.request.method, path: pathOf(e), then: e.response.status, now: {} }));
  const total = chosen.length * loop;
  const agent = new Agent({ connections: 64, headersTimeout: timeout, bodyTimeout: timeout });
  let h2: ClientHttp2Session | null = null;
  const session = () => {
    if (h2 === null || h2.closed || h2.destroyed) {
      h2 = h2connect(target.origin);
      h2.on("error", () => {});
    }
    return h2;
  };
  const one = async (e: HarEntry): Promise<string> => {
    const body = entryBody(e);
    const path = pathOf(e);
    if (isGrpc(e)) {
      return await new Promise<string>((resolve) => {
        const headers: Record<string, string> = { ":method": e.request.method, ":path": path };
        for (const [k, v] of headersOf(e)) headers[k.toLowerCase()] = v;
        // gRPC servers expect it (hop-by-hop otherwise, so not taken from the entry).
        headers.te = "trailers";
        const s = session().request(headers, { endStream: false });
        let status = "";
        let grpc = "";
        s.setTimeout(timeout, () => s.close());
        s.on("response", (h) => {
          status = String(h[":status"]);
          if (h["grpc-status"] !== undefined) grpc = String(h["grpc-status"]);
        });
        s.on("trailers", (t) => {
          if (t["grpc-status"] !== undefined) grpc = String(t["grpc-status"]);
        });
        s.on("data", () => {});
        s.on("close", () => resolve(status ? (grpc ? `${status} grpc-status ${grpc}` : status) : "error: no answer"));
        s.on("error", (err) => resolve(`error: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        s.end(body);
      });
    }
    try {
      const r = await undiciRequest(new URL(path, target.origin), {
        method: e.request.method as "GET",
        // A flat list keeps repeated headers as they were.
        headers: headersOf(e).flat(),
        body: body.length > 0 || e.request.postData ? body : undefined,
        dispatcher: agent,
      });
      await r.body.dump();
      return String(r.statusCode);
    } catch (err) {
      return `error: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    }
  };
  let done = 0;
  const recorded = chosen.map(({ e }) => Date.parse(e.startedDateTime));
  // Recorded gaps, each at most MAX_GAP_MS (an archive spanning days must not make a replay wait for days).
  const offset: number[] = [];
  for (let k = 0, t = 0; k < recorded.length; k++) {
    const gap = k === 0 || Number.isNaN(recorded[k]) || Number.isNaN(recorded[k - 1]) ? 0 : Math.min(MAX_GAP_MS, Math.max(0, recorded[k] - recorded[k - 1]));
    offset.push((t += gap));
  }
  const span = offset.length > 0 ? offset[offset.length - 1] : 0;
  /** When the n-th request of the run starts, in ms from the start (nothing is laid out ahead: a long --loop holds nothing). */
  const startAt = (l: number, k: number): number => {
    if (o.rate !== undefined) return ((l * chosen.length + k) * 1000) / o.rate;
    if (o.speed !== undefined) return (l * (span + 1) + offset[k]) / o.speed;
    return 0;
  };
  const paced = o.rate !== undefined || o.speed !== undefined;
  const limit = paced ? (o.concurrency ?? 32) : 1;
  const started = Date.now();
  const inflight = new Set<Promise<void>>();
  try {
    for (let l = 0; l < loop; l++) {
      for (let k = 0; k < chosen.length; k++) {
        const wait = started + startAt(l, k) - Date.now();
        if (wait > 0) await sleep(wait);
        while (inflight.size >= limit) await Promise.race(inflight);
        const p: Promise<void> = one(chosen[k].e).then((now) => {
          const r = results[k];
          r.now[now] = (r.now[now] ?? 0) + 1;
          done++;
          onStep?.(done, total, r, now);
          inflight.delete(p);
        });
        inflight.add(p);
      }
    }
    await Promise.all(inflight);
  } finally {
    await agent.close();
    const s = h2 as ClientHttp2Session | null;
    if (s !== null) s.close();
  }
  return { results, sent: done };
}

/** The summary: per entry, the recorded status and what the target answered (each distinct answer with its count). */
export function summaryTable(results: ReplayResult[]): string {
  const rows = results.map((r) => {
    const counts = Object.entries(r.now);
    const times = counts.reduce((n, [, c]) => n + c, 0);
    const now = counts.map(([k, c]) => (times > 1 ? `${k} ×${c}` : k)).join(", ") || "-";
    return [String(r.index), r.method, r.path.length > 60 ? r.path.slice(0, 57) + "..." : r.path, r.then === 0 ? "none" : String(r.then), now];
  });
  const head = ["#", "method", "path", "then", "now"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}
