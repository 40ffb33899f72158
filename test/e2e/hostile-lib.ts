// Hostile-review probe runner: send many requests through one Envoy, record what the
// primary and the shadow received for each (correlated by an x-pid header), and
// check for planted secrets in every reading of the copy.
import { connect as netConnect } from "node:net";
import { connect as http2Connect, constants as h2 } from "node:http2";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { http1, type Rig } from "./fixture.js";
import type { RecordedRequest } from "../../harness/net/upstreams.js";

export interface Probe {
  id: string;
  transport?: "h1" | "h2" | "raw";
  method?: string;
  path: string;
  headers?: Record<string, string> | [string, string][];
  body?: Buffer | string;
  chunks?: (Buffer | string)[];
  trailers?: Record<string, string>;
  /** raw: the whole request bytes (x-pid is inserted after the request line). */
  raw?: Buffer | string;
  /** secrets that must not reach the copy. */
  secrets: string[];
  /** the copy must equal the original (path and body). */
  identical?: boolean;
  note?: string;
  /** pause between chunks (HTTP/1.1 chunked and h2). */
  pauseMs?: number;
}

export interface Outcome {
  id: string;
  note?: string;
  status: number | string;
  primary?: { path: string; headers: [string, string][]; body: string; trailers: [string, string][] };
  shadow?: { path: string; headers: [string, string][]; body: string; bodyB64?: string; trailers: [string, string][] };
  leaks: string[];
  primaryAltered: string[];
  copyAltered: string[];
}

function pidOf(r: RecordedRequest): string | undefined {
  return r.headers.find(([k]) => k === "x-pid")?.[1];
}

async function waitPid(list: RecordedRequest[], pid: string, ms: number): Promise<RecordedRequest | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const f = list.find((r) => pidOf(r) === pid);
    if (f || Date.now() > end) return f;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function h2send(url: string, p: Probe, headers: [string, string][]): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const session = http2Connect(`http://${u.host}`);
    session.on("error", reject);
    const hs: Record<string, string | string[]> = { [h2.HTTP2_HEADER_METHOD]: p.method ?? "GET", [h2.HTTP2_HEADER_PATH]: p.path };
    for (const [k, v] of headers) {
      const prev = hs[k];
      if (prev === undefined) hs[k] = v;
      else hs[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const stream = session.request(hs, { waitForTrailers: Boolean(p.trailers) });
    if (p.trailers) stream.on("wantTrailers", () => stream.sendTrailers(p.trailers!));
    let status = 0;
    stream.on("response", (h) => (status = Number(h[h2.HTTP2_HEADER_STATUS])));
    stream.on("data", () => {});
    stream.on("end", () => {
      session.close();
      resolve(status);
    });
    stream.on("error", reject);
    if (p.chunks) {
      const cs = [...p.chunks];
      const next = () => {
        const c = cs.shift();
        if (c === undefined) return void stream.end();
        stream.write(c);
        setTimeout(next, p.pauseMs ?? 0);
      };
      next();
    } else stream.end(p.body);
  });
}

function rawSend(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect(port, "127.0.0.1");
    let out = "";
    const t = setTimeout(() => {
      s.destroy();
      resolve(out.split("\r\n")[0] || "timeout");
    }, 3000);
    s.on("data", (d) => {
      out += d.toString("latin1");
      if (out.includes("\r\n\r\n")) {
        clearTimeout(t);
        s.destroy();
        resolve(out.split("\r\n")[0]);
      }
    });
    s.on("error", () => {
      clearTimeout(t);
      resolve(out.split("\r\n")[0] || "error");
    });
    s.on("close", () => {
      clearTimeout(t);
      resolve(out.split("\r\n")[0] || "closed");
    });
    s.write(bytes);
  });
}

function safeDecode(s: string, plus: boolean): string {
  if (plus) s = s.replace(/\+/g, " ");
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return Buffer.from(m.replace(/%/g, ""), "hex").toString("latin1");
    }
  });
}
function jsonUnescape(s: string): string {
  return s
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\(["\\/])/g, "$1");
}
function readings(s: string): string[] {
  const out = new Set<string>();
  for (const base of [s, safeDecode(s, false), safeDecode(s, true), safeDecode(safeDecode(s, true), true)]) {
    out.add(base);
    const j = jsonUnescape(base);
    out.add(j);
    out.add(j.normalize("NFKC"));
    out.add(base.normalize("NFKC"));
  }
  return [...out];
}

export function findLeaks(fields: string[], secrets: string[]): string[] {
  const leaks: string[] = [];
  for (const sec of secrets) {
    const digits = /^[0-9\s\-.()+/]+$/.test(sec) ? sec.replace(/\D/g, "") : undefined;
    const alnum = /^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]+$/.test(sec) ? sec.replace(/\s/g, "").toLowerCase() : undefined;
    let hit = false;
    for (const f of fields) {
      for (const r of readings(f)) {
        if (digits && digits.length >= 7) {
          if (r.replace(/\D/g, "").includes(digits)) hit = true;
        } else if (alnum) {
          if (r.replace(/[^A-Za-z0-9]/g, "").toLowerCase().includes(alnum)) hit = true;
        } else if (r.toLowerCase().includes(sec.toLowerCase())) hit = true;
        if (hit) break;
      }
      if (hit) break;
    }
    if (hit) leaks.push(sec);
  }
  return leaks;
}

/** Sends each probe and reads what the primary and the shadow got (waiting up to waitMs for the copy); outFile: also written there as JSON. */
export async function runProbes(rig: Rig, probes: Probe[], outFile?: string, waitMs = 1500): Promise<Outcome[]> {
  const results: Outcome[] = [];
  for (const p of probes) {
    const pid = p.id;
    const hdrs: [string, string][] = Array.isArray(p.headers) ? [...p.headers] : Object.entries(p.headers ?? {});
    hdrs.unshift(["x-pid", pid]);
    let status: number | string = 0;
    try {
      if (p.transport === "h2") status = await h2send(rig.url(""), p, hdrs);
      else if (p.transport === "raw") {
        const raw = Buffer.isBuffer(p.raw) ? p.raw : Buffer.from(p.raw ?? "", "latin1");
        const i = raw.indexOf("\r\n");
        const bytes = Buffer.concat([raw.subarray(0, i + 2), Buffer.from(`x-pid: ${pid}\r\n`), raw.subarray(i + 2)]);
        status = await rawSend(rig.listenerPort, bytes);
      } else {
        const headers: Record<string, string> = {};
        // node http: duplicate names via array values are not possible in a Record; join with raw when needed
        for (const [k, v] of hdrs) headers[k] = headers[k] !== undefined ? headers[k] + ", " + v : v;
        const r = await http1(rig.url(p.path), { method: p.method, headers, body: p.body, chunks: p.chunks, chunkPauseMs: p.pauseMs ?? 5 });
        status = r.status;
      }
    } catch (e) {
      status = `error: ${(e as Error).message}`;
    }
    const prim = await waitPid(rig.primary.requests, pid, 500);
    const sh = await waitPid(rig.shadow.requests, pid, waitMs);
    const o: Outcome = { id: pid, note: p.note, status, leaks: [], primaryAltered: [], copyAltered: [] };
    if (prim) o.primary = { path: prim.path, headers: prim.headers, body: prim.body.toString("latin1"), trailers: prim.trailers };
    if (sh) {
      const isText = !sh.body.includes(0) && Buffer.from(sh.body.toString("utf8"), "utf8").equals(sh.body);
      o.shadow = { path: sh.path, headers: sh.headers, body: sh.body.toString(isText ? "utf8" : "latin1"), trailers: sh.trailers };
      if (!isText) o.shadow.bodyB64 = sh.body.toString("base64");
      const fields = [sh.path, ...sh.headers.flatMap(([k, v]) => [k, v]), ...sh.trailers.flatMap(([k, v]) => [k, v]), sh.body.toString("utf8"), sh.body.toString("latin1")];
      o.leaks = findLeaks(fields, p.secrets);
    }
    const sentBody = p.body !== undefined ? Buffer.from(p.body as string) : p.chunks ? Buffer.concat(p.chunks.map((c) => Buffer.from(c as string))) : undefined;
    if (prim && p.transport !== "raw") {
      if (prim.path !== p.path) o.primaryAltered.push(`path ${prim.path}`);
      if (sentBody && !prim.body.equals(sentBody)) o.primaryAltered.push(`body ${prim.body.toString("latin1").slice(0, 200)}`);
    }
    if (p.identical && sh) {
      if (sh.path !== (prim?.path ?? p.path)) o.copyAltered.push(`path ${sh.path}`);
      if (prim && !sh.body.equals(prim.body)) o.copyAltered.push(`body`);
      if (sh.headers.some(([k]) => k === "x-mirrorshade-body-dropped")) o.copyAltered.push("body-dropped");
    }
    if (p.identical && !sh) o.copyAltered.push("no copy");
    results.push(o);
  }
  if (outFile) {
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(results, null, 1));
  }
  return results;
}
