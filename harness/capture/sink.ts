// The capture sink: a small HTTP receiver for the filter's captures (capture,
// compare.capture) that appends each one to a HAR file as it arrives.
// One POST = one capture (frame.ts); it is answered 204 once the entry is in the
// file, 400 for a body that is no capture frame, 413 past maxBytes.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeFrame, FrameError } from "./frame.js";
import { HarWriter, toEntry, type HarEntry } from "./har.js";

export interface SinkOptions {
  out: string;
  host?: string;
  port?: number;
  /** The largest capture accepted, in bytes (default 32 MiB). */
  maxBytes?: number;
  /** The creator version written into the HAR (the package's). */
  version?: string;
  /** Called after each entry is in the file. */
  onEntry?: (e: HarEntry, count: number) => void;
}

export interface Sink {
  url: string;
  port: number;
  /** Entries appended since the sink started, and requests refused (not a frame, too large). */
  readonly appended: number;
  readonly refused: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size <= max) return void chunks.push(c);
      // Past the limit nothing more is read: the answer says so and the connection closes.
      over = true;
      chunks.length = 0;
      req.pause();
      resolve(null);
    });
    req.on("end", () => resolve(over ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startSink(o: SinkOptions): Promise<Sink> {
  const writer = await HarWriter.open(o.out, o.version ?? "0");
  const max = o.maxBytes ?? 32 * 1048576;
  let appended = 0;
  let refused = 0;
  const answer = (res: ServerResponse, code: number, text = "") => {
    res.writeHead(code, text ? { "content-type": "text/plain" } : {});
    res.end(text);
  };
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== "POST") {
        req.resume();
        return answer(res, 405, "captures are POSTed\n");
      }
      const body = await readBody(req, max);
      if (body === null) {
        refused++;
        res.writeHead(413, { "content-type": "text/plain", connection: "close" });
        res.end("capture too large\n", () => req.socket.destroy());
        return;
      }
      const entry = toEntry(decodeFrame(body));
      await writer.append(entry);
      appended++;
      o.onEntry?.(entry, writer.entries);
      answer(res, 204);
    } catch (e) {
      if (e instanceof FrameError) {
        refused++;
        return answer(res, 400, `${e.message}\n`);
      }
      answer(res, 500, `${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    port: addr.port,
    get appended() {
      return appended;
    },
    get refused() {
      return refused;
    },
    async close() {
      // No new captures; those being written finish, then the file is synced and closed (it is valid after every append anyway).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await writer.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
