// Lean upstreams for the benchmark (the recording upstreams keep every request:
// fine for tests, not for a million). The shadow variant can be down, slow,
// resetting, or answer 5xx, for the fault runs.
import { createServer, type Server } from "node:http";

export type ShadowFault = "none" | "slow" | "reset";

export interface BenchUpstream {
  port: number;
  requests: number;
  fault: ShadowFault;
  close(): Promise<void>;
}

const BODY = JSON.stringify({ ok: true, id: 42, items: [1, 2, 3] });

export async function startBenchUpstream(): Promise<BenchUpstream> {
  const state: BenchUpstream = { port: 0, requests: 0, fault: "none", close: async () => {} };
  const server: Server = createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => {
      state.requests++;
      if (state.fault === "reset") {
        req.socket.destroy();
        return;
      }
      const answer = () => {
        res.writeHead(200, { "content-type": "application/json", "content-length": String(BODY.length) });
        res.end(BODY);
      };
      if (state.fault === "slow") setTimeout(answer, 2000);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  state.port = typeof a === "object" && a ? a.port : 0;
  state.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return state;
}
