// The gRPC upstreams of the benchmark (primary and shadow): every call is
// answered as a unary gRPC server answers it: 200, content-type application/grpc,
// one framed reply message, then the trailers grpc-status 0.
//
// node:http2 rather than a raw-socket server like upstream.ts: HTTP/2 needs HPACK,
// flow control and SETTINGS, far more than the few lines of HTTP/1.1 that one speaks;
// node:http2 is nghttp2 (C) underneath, the same library as h2load, and no gRPC
// framework runs on top (no @grpc/grpc-js: its per-call machinery would make the
// upstreams, which share the generator's core, the bottleneck first). Envoy's CPU
// per request, the figure the bench reports, does not include the upstreams' time;
// throughput is Envoy-bound as long as Envoy's core is the busier one (the report
// shows both cores' busy shares).
import http2 from "node:http2";
import type { BenchUpstream } from "./upstream.js";

/** ChargeReply{charge_id: "ch_1", approved: true}, framed (examples/grpc/payments.proto). */
const REPLY = Buffer.from([0, 0, 0, 0, 8, 0x0a, 4, 0x63, 0x68, 0x5f, 0x31, 0x10, 1]);
const HEADERS = { ":status": 200, "content-type": "application/grpc" };
const TRAILERS = { "grpc-status": "0" };

export async function startGrpcBenchUpstream(): Promise<BenchUpstream> {
  const state: BenchUpstream = { port: 0, requests: 0, fault: "none", close: async () => {} };
  const server = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
    s.on("error", () => {});
  });
  server.on("stream", (stream) => {
    stream.on("error", () => {});
    // Drain the request; answer once it has ended (a unary call: one message, then the end of the stream).
    stream.on("data", () => {});
    stream.on("end", () => {
      state.requests++;
      state.onRequest?.("", performance.now());
      if (stream.destroyed) return;
      stream.respond(HEADERS, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers(TRAILERS));
      stream.end(REPLY);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  state.port = typeof a === "object" && a ? a.port : 0;
  state.close = () => {
    for (const s of sessions) s.destroy();
    return new Promise((r) => server.close(() => r()));
  };
  return state;
}
