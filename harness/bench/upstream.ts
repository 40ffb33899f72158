// Lean upstreams for the benchmark. The recording upstreams (upstreams.ts) keep
// every request and go through node:http: fine for tests, too slow for tens of
// thousands of requests a second on a core shared with the load generator. This
// one speaks just enough HTTP/1.1 on a raw socket (keep-alive, content-length and
// chunked request bodies; Envoy never pipelines, but back-to-back requests in one
// read are handled) and answers every request 200 with a small JSON body from a
// prebuilt buffer.
//
// The shadow variant can misbehave for the fault runs: `slow` answers after 2 s,
// `reset` resets the connection once a request is in, `error` answers 503.
// (A shadow that is down is a port nobody listens on.)
import { createServer, type Server, type Socket } from "node:net";

export type ShadowFault = "none" | "slow" | "reset" | "error";

export interface BenchUpstream {
  port: number;
  /** Complete requests received (body included). */
  requests: number;
  fault: ShadowFault;
  /**
   * Called for every complete request (body included) before it is answered, with its head (request line
   * and headers, lower-cased) and performance.now() when its last byte was read (bench/worker.ts times uploads by it).
   */
  onRequest?: (head: string, atMs: number) => void;
  close(): Promise<void>;
}

const BODY = JSON.stringify({ ok: true, id: 42, items: [1, 2, 3] });
const OK = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`);
const ERR = Buffer.from("HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 4\r\n\r\nbusy");
const SLOW_MS = 2000;
const CRLFCRLF = Buffer.from("\r\n\r\n");
const HEADERS = -1;
const CHUNKED = -2;

export async function startBenchUpstream(): Promise<BenchUpstream> {
  const state: BenchUpstream = { port: 0, requests: 0, fault: "none", close: async () => {} };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  /** Answers one complete request; false when the connection is gone. */
  const answer = (sock: Socket, head: string): boolean => {
    state.requests++;
    state.onRequest?.(head, performance.now());
    switch (state.fault) {
      case "reset":
        sock.resetAndDestroy();
        return false;
      case "error":
        sock.write(ERR);
        return true;
      case "slow": {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!sock.destroyed) sock.write(OK);
        }, SLOW_MS);
        timers.add(t);
        return true;
      }
      default:
        sock.write(OK);
        return true;
    }
  };

  const server: Server = createServer({ noDelay: true }, (sock) => {
    sockets.add(sock);
    let buf: Buffer = Buffer.alloc(0);
    /** Body bytes still to skip (content-length), or HEADERS, or CHUNKED. */
    let need = HEADERS;
    /** The head of the request being read (only kept for onRequest). */
    let head = "";
    sock.on("data", (d: Buffer) => {
      if (need > 0 && buf.length === 0 && d.length < need) {
        need -= d.length; // a body chunk that does not finish the request
        return;
      }
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      for (;;) {
        if (need === HEADERS) {
          const end = buf.indexOf(CRLFCRLF);
          if (end < 0) return;
          const h = buf.subarray(0, end).toString("latin1").toLowerCase();
          if (state.onRequest) head = h;
          buf = buf.subarray(end + 4);
          const cl = /\r\ncontent-length:\s*(\d+)/.exec(h);
          need = cl ? Number(cl[1]) : /\r\ntransfer-encoding:[^\r]*chunked/.test(h) ? CHUNKED : 0;
        }
        if (need === CHUNKED) {
          // Skip chunks up to the last (size 0) one and its blank line; no trailers expected.
          for (;;) {
            const eol = buf.indexOf("\r\n");
            if (eol < 0) return;
            const size = parseInt(buf.subarray(0, eol).toString("latin1"), 16);
            const end = size === 0 ? eol + 4 : eol + 2 + size + 2;
            if (buf.length < end) return;
            buf = buf.subarray(end);
            if (size === 0) break;
          }
          need = 0;
        }
        if (need > 0) {
          if (buf.length < need) {
            need -= buf.length;
            buf = Buffer.alloc(0);
            return;
          }
          buf = buf.subarray(need);
        }
        need = HEADERS;
        if (!answer(sock, head)) return;
        if (buf.length === 0) return;
      }
    });
    sock.on("error", () => {});
    sock.on("close", () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  state.port = typeof a === "object" && a ? a.port : 0;
  state.close = () => {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(() => r()));
  };
  return state;
}
