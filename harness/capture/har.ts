// Captures as HTTP Archive (HAR 1.2) entries, and a HAR file that is valid JSON
// after every append: the entries array is closed after each entry and the next
// one is written over that close (one writer, appends in order).
import { open, readFile, rename, writeFile, type FileHandle } from "node:fs/promises";
import { existsSync } from "node:fs";
import type { Capture, RawHeaders } from "./frame.js";

export interface HarHeader { name: string; value: string; comment?: string }
export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string; url: string; httpVersion: string; cookies: []; headers: HarHeader[];
    queryString: { name: string; value: string }[];
    postData?: { mimeType: string; text: string; encoding?: "base64" };
    headersSize: number; bodySize: number;
  };
  response: {
    status: number; statusText: string; httpVersion: string; cookies: []; headers: HarHeader[];
    content: { size: number; mimeType: string; text?: string }; redirectURL: string; headersSize: number; bodySize: number; comment?: string;
  };
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  _mirrorshade?: MirrorshadeFields;
}

/** What HAR has no field for (custom fields start with "_"). */
export interface MirrorshadeFields {
  reason: string;
  detail: string;
  shadow: string;
  grpc: boolean;
  requestTrailers: HarHeader[];
  /** The shadow's answer trailers (gRPC: grpc-status, grpc-message). */
  responseTrailers: HarHeader[];
  /** The primary's answer (status and headers, redacted) when it was known; null otherwise. */
  primary: { status: number; headers: HarHeader[] } | null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A header's bytes as a HAR string: UTF-8, or (not UTF-8) latin1 with a comment saying so, so the bytes survive. */
function text(b: Buffer): { value: string; latin1: boolean } {
  try {
    return { value: utf8.decode(b), latin1: false };
  } catch {
    return { value: b.toString("latin1"), latin1: true };
  }
}

function headers(map: RawHeaders, pseudo = false): HarHeader[] {
  const out: HarHeader[] = [];
  for (const [k, v] of map) {
    const name = k.toString("latin1");
    if (name.startsWith(":") !== pseudo) continue;
    const t = text(v);
    out.push(t.latin1 ? { name, value: t.value, comment: "latin1" } : { name, value: t.value });
  }
  return out;
}

function get(map: RawHeaders, name: string): string | undefined {
  for (const [k, v] of map) if (k.toString("latin1") === name) return text(v).value;
  return undefined;
}

function query(path: string): { name: string; value: string }[] {
  const q = path.indexOf("?");
  if (q < 0) return [];
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  return path.slice(q + 1).split("&").filter((s) => s.length > 0).map((pair) => {
    const eq = pair.indexOf("=");
    return eq < 0 ? { name: dec(pair), value: "" } : { name: dec(pair.slice(0, eq)), value: dec(pair.slice(eq + 1)) };
  });
}

/** The HAR entry of one capture: request = the copy as the shadow received it, response = the shadow's answer. */
export function toEntry(c: Capture, at: Date = new Date()): HarEntry {
  const rq = c.request.headers;
  const method = get(rq, ":method") ?? "GET";
  const path = get(rq, ":path") ?? "/";
  const authority = get(rq, ":authority") ?? "shadow";
  const scheme = get(rq, ":scheme") ?? "http";
  const httpVersion = c.meta.grpc ? "HTTP/2" : "HTTP/1.1";
  const body = c.request.body;
  let postData: HarEntry["request"]["postData"];
  if (body.length > 0 || method === "POST" || method === "PUT" || method === "PATCH") {
    const mimeType = get(rq, "content-type") ?? "";
    let t: string | null = null;
    try {
      t = utf8.decode(body);
    } catch {
      t = null;
    }
    postData = t !== null ? { mimeType, text: t } : { mimeType, text: body.toString("base64"), encoding: "base64" };
  }
  const sh = c.shadow;
  const status = sh ? Number(get(sh.headers, ":status") ?? 0) : 0;
  const started = typeof c.meta.started_ms === "number" && Number.isFinite(c.meta.started_ms) && c.meta.started_ms > 0 ? new Date(c.meta.started_ms) : at;
  const elapsed = typeof c.meta.elapsed_ms === "number" && Number.isFinite(c.meta.elapsed_ms) && c.meta.elapsed_ms >= 0 ? c.meta.elapsed_ms : 0;
  const primary = c.primary ? { status: Number(get(c.primary.headers, ":status") ?? 0), headers: headers(c.primary.headers) } : null;
  return {
    // When the filter sent the copy (else when the sink got it), and how long the shadow took.
    startedDateTime: (Number.isNaN(started.getTime()) ? at : started).toISOString(),
    time: elapsed,
    request: {
      method,
      url: `${scheme}://${authority}${path}`,
      httpVersion,
      cookies: [],
      headers: headers(rq),
      queryString: query(path),
      ...(postData ? { postData } : {}),
      headersSize: -1,
      bodySize: body.length,
    },
    response: {
      status,
      statusText: "",
      httpVersion,
      cookies: [],
      headers: sh ? headers(sh.headers) : [],
      content: { size: 0, mimeType: sh ? (get(sh.headers, "content-type") ?? "") : "" },
      redirectURL: "",
      headersSize: -1,
      bodySize: -1,
      ...(sh ? {} : { comment: "no answer from the shadow (reset or connect failure)" }),
    },
    cache: {},
    timings: { send: 0, wait: elapsed, receive: 0 },
    _mirrorshade: {
      reason: c.meta.reason,
      detail: c.meta.detail,
      shadow: c.meta.shadow,
      grpc: c.meta.grpc,
      requestTrailers: headers(c.request.trailers),
      responseTrailers: sh ? headers(sh.trailers) : [],
      primary,
    },
  };
}

/** The request body of an entry as bytes (postData text, base64-decoded when its encoding says so). */
export function entryBody(e: HarEntry): Buffer {
  const p = e.request.postData;
  if (!p) return Buffer.alloc(0);
  return p.encoding === "base64" ? Buffer.from(p.text, "base64") : Buffer.from(p.text, "utf8");
}

export interface Har { log: { version: string; creator: { name: string; version: string }; entries: HarEntry[] } }

export function readHar(file: string): Promise<Har> {
  return readFile(file, "utf8").then((t) => {
    const h = JSON.parse(t) as Har;
    if (!h || typeof h !== "object" || !h.log || !Array.isArray(h.log.entries)) throw new Error(`${file}: not an HTTP Archive (no log.entries)`);
    return h;
  });
}

const TAIL = "\n]}}\n";

/**
 * A HAR file appended to entry by entry; valid JSON after every append. An
 * existing file is kept: its entries stay, new ones follow.
 */
export class HarWriter {
  private fh: FileHandle | null = null;
  private at = 0;
  private count = 0;
  private chain: Promise<void> = Promise.resolve();

  private constructor(private file: string, private creatorVersion: string) {}

  static async open(file: string, creatorVersion: string): Promise<HarWriter> {
    const w = new HarWriter(file, creatorVersion);
    let entries: HarEntry[] = [];
    if (existsSync(file)) {
      try {
        entries = (await readHar(file)).log.entries;
      } catch (e) {
        throw new Error(`--out: ${file} exists and is not a HAR file (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    const head = JSON.stringify({ log: { version: "1.2", creator: { name: "mirrorshade", version: creatorVersion }, entries: [] } }).replace(/\[\]\}\}$/, "[");
    const body = entries.map((e) => JSON.stringify(e)).join(",\n");
    const start = head + (entries.length > 0 ? "\n" + body : "");
    // Written whole to a new file, then renamed over: an existing archive is never left half-rewritten.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, start + TAIL);
    await rename(tmp, file);
    w.fh = await open(file, "r+");
    w.at = Buffer.byteLength(start);
    w.count = entries.length;
    return w;
  }

  get entries(): number {
    return this.count;
  }

  /** Appends one entry (appends run one after the other, in call order). */
  append(e: HarEntry): Promise<void> {
    const next = this.chain.then(async () => {
      const fh = this.fh;
      if (!fh) throw new Error("HAR file is closed");
      const piece = Buffer.from((this.count > 0 ? ",\n" : "\n") + JSON.stringify(e));
      const out = Buffer.concat([piece, Buffer.from(TAIL)]);
      await fh.write(out, 0, out.length, this.at);
      this.at += piece.length;
      this.count++;
    });
    this.chain = next.catch(() => {});
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    const fh = this.fh;
    this.fh = null;
    if (fh) {
      await fh.sync();
      await fh.close();
    }
  }
}
