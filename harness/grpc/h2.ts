// A gRPC call made with node:http2 directly, for what @grpc/grpc-js will not
// send on request: a message compressed by the caller with `grpc-encoding: gzip`
// (grpc-js compresses only when a channel option asks, and then not every
// message), or a body framed by hand. Answers come back raw: headers, DATA bytes,
// trailers (where grpc-status is, unless the answer is trailers-only).
import { connect, constants as h2 } from "node:http2";
import { gzipSync } from "node:zlib";
import { frame } from "./proto.js";

export interface RawAnswer {
  /** HTTP :status. */
  status: number;
  headers: [string, string][];
  body: Buffer;
  trailers: [string, string][];
  /** grpc-status from the trailers, or from the headers of a trailers-only answer. */
  grpcStatus: number | null;
}

function toPairs(h: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(":")) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.push([k, String(x)]);
  }
  return out;
}

/**
 * POSTs `body` to `path` on 127.0.0.1:`port` over h2c with the gRPC request
 * headers plus `headers`. An array body is written piece by piece, `pauseMs`
 * apart, each piece its own DATA frame (a frame prefix can be split anywhere).
 */
export function rawGrpcCall(
  port: number,
  path: string,
  body: Buffer | Buffer[],
  headers: Record<string, string> = {},
  opts: { timeoutMs?: number; pauseMs?: number } = {},
): Promise<RawAnswer> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`rawGrpcCall ${path}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      session.destroy();
      reject(e);
    };
    session.on("error", fail);
    const stream = session.request({
      [h2.HTTP2_HEADER_METHOD]: "POST",
      [h2.HTTP2_HEADER_PATH]: path,
      [h2.HTTP2_HEADER_AUTHORITY]: "payments.shop.svc:50051",
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    const answer: RawAnswer = { status: 0, headers: [], body: Buffer.alloc(0), trailers: [], grpcStatus: null };
    const parts: Buffer[] = [];
    stream.on("response", (h) => {
      answer.status = Number(h[h2.HTTP2_HEADER_STATUS]);
      answer.headers = toPairs(h);
    });
    stream.on("trailers", (t) => (answer.trailers = toPairs(t)));
    stream.on("data", (c: Buffer) => parts.push(c));
    stream.on("error", fail);
    stream.on("close", () => {
      clearTimeout(timer);
      answer.body = Buffer.concat(parts);
      const s = [...answer.trailers, ...answer.headers].find(([k]) => k === "grpc-status");
      answer.grpcStatus = s ? Number(s[1]) : null;
      session.close();
      resolve(answer);
    });
    if (Buffer.isBuffer(body)) return void stream.end(body);
    const rest = [...body];
    const next = () => {
      const piece = rest.shift();
      if (piece === undefined) return void stream.end();
      stream.write(piece, () => setTimeout(next, opts.pauseMs ?? 20));
    };
    next();
  });
}

/** One message gzip-compressed, framed with the compressed flag set (as a `grpc-encoding: gzip` caller sends it). */
export function gzipFrame(message: Uint8Array): Buffer {
  return frame(gzipSync(message), true);
}
