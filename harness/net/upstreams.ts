// Recording upstreams: HTTP servers on 127.0.0.1 that keep every request they
// receive (method, path, headers in arrival order, body bytes), so a test can
// compare what the primary and the shadow each saw. A request whose connection
// closed before its end (Envoy resetting the upstream stream) is kept apart, with
// the body received so far: what a reset left the upstream with is observable too.
import { createServer, type Server, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  /** Header pairs as received, names lower-cased. */
  headers: [string, string][];
  body: Buffer;
  /** Trailer pairs as received (HTTP/1.1 chunked trailers), names lower-cased. */
  trailers: [string, string][];
  receivedAt: number;
}

export interface UpstreamBehaviour {
  status: number;
  /** Delay before answering. */
  delayMs: number;
  /** Destroy the connection instead of answering. */
  reset: boolean;
  body: string;
}

export interface RecordingUpstream {
  readonly name: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Requests whose connection closed before they ended, with the body received until then. */
  readonly incomplete: RecordedRequest[];
  /** The requests still arriving, with their body so far (a snapshot). */
  inProgress(): RecordedRequest[];
  behaviour: UpstreamBehaviour;
  /** Resolves once `count` requests were recorded (or rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  header(req: RecordedRequest, name: string): string | undefined;
  clear(): void;
  close(): Promise<void>;
}

export async function startRecordingUpstream(name: string, port = 0, behaviour: Partial<UpstreamBehaviour> = {}): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const incomplete: RecordedRequest[] = [];
  const arriving = new Map<IncomingMessage, Buffer[]>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const state: UpstreamBehaviour = { status: 200, delayMs: 0, reset: false, body: `${name} ok`, ...behaviour };

  const record = (req: IncomingMessage, chunks: Buffer[]): RecordedRequest => {
    const pairs: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
    const trailers: [string, string][] = [];
    for (let i = 0; i < req.rawTrailers.length; i += 2) trailers.push([req.rawTrailers[i].toLowerCase(), req.rawTrailers[i + 1]]);
    return { method: req.method ?? "", path: req.url ?? "", headers: pairs, body: Buffer.concat(chunks), trailers, receivedAt: Date.now() };
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    arriving.set(req, chunks);
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("close", () => {
      // 'close' after 'end' is the ordinary close; before it, the request never ended.
      if (arriving.delete(req)) incomplete.push(record(req, chunks));
    });
    req.on("end", () => {
      arriving.delete(req);
      requests.push(record(req, chunks));
      for (const w of waiters.splice(0)) {
        if (requests.length >= w.count) w.resolve();
        else waiters.push(w);
      }
      const b = { ...upstream.behaviour };
      const answer = () => {
        if (b.reset) {
          req.socket.destroy();
          return;
        }
        res.writeHead(b.status, { "content-type": "text/plain", "x-upstream": name });
        res.end(b.body);
      };
      if (b.delayMs > 0) setTimeout(answer, b.delayMs);
      else answer();
    });
  };

  const server: Server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const boundPort = typeof addr === "object" && addr ? addr.port : port;

  const upstream: RecordingUpstream = {
    name,
    port: boundPort,
    requests,
    incomplete,
    inProgress: () => [...arriving].map(([req, chunks]) => record(req, chunks)),
    behaviour: state,
    waitFor(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${name}: expected ${count} request(s), got ${requests.length} after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(requests);
          },
        });
      });
    },
    header(req, h) {
      const n = h.toLowerCase();
      const found = req.headers.filter(([k]) => k === n).map(([, v]) => v);
      return found.length ? found.join(",") : undefined;
    },
    clear() {
      requests.length = 0;
      incomplete.length = 0;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}
