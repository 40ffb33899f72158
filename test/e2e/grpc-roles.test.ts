// The mirror role's gRPC plumbing against real Envoy, with an HTTP/2 shadow
// cluster (node:http2 as the shadow): dispatch_http_call carries te: trailers and
// gRPC's metadata to the shadow, the framed body arrives intact, and the shadow's
// answers are counted by grpc-status from the call's real trailers and from a
// trailers-only answer. (Real gRPC clients and servers: harness/grpc, e2e tests of #14.)
import { describe, it, expect, afterAll } from "vitest";
import { createServer } from "node:http2";
import { startRig, h2c, S, type Rig } from "./fixture.js";
import { frame, concat, message } from "../support/grpc-frames.js";

describe("gRPC copies through real Envoy (mirror role)", () => {
  let rig: Rig | undefined;
  const seen: { headers: Record<string, unknown>; body: Buffer }[] = [];
  let mode = 0;
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      seen.push({ headers: { ...req.headers }, body: Buffer.concat(parts) });
      if (mode === 0) {
        res.writeHead(200, { "content-type": "application/grpc" });
        res.addTrailers({ "grpc-status": "5", "grpc-message": "nope" });
        res.end(frame(message("r", 1, "s")));
      } else {
        res.writeHead(200, { "content-type": "application/grpc", "grpc-status": "14" });
        res.end();
      }
    });
  });
  afterAll(async () => {
    await rig?.close();
    server.close();
  });

  it("te kept, body intact, grpc-status counted from real trailers and trailers-only", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    rig = await startRig({
      config: { role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["card", "email"] } },
      bootstrap: { extraClusters: [{ name: "shadow", port, http2: true }] },
    });
    const body = Buffer.from(concat(frame(message("Zoë", 7, "blue")), frame(message("x".repeat(300), 2, "y"))));
    const headers = { "content-type": "application/grpc", te: "trailers", "grpc-timeout": "5S", "grpc-accept-encoding": "identity,gzip" };
    await h2c(rig.url("/shop.v1.Orders/Create"), { method: "POST", headers, body });
    await rig.waitStat(S("shadow.grpc.not_found"), 1);
    mode = 1;
    await h2c(rig.url("/shop.v1.Orders/Create"), { method: "POST", headers, body });
    await rig.waitStat(S("shadow.grpc.unavailable"), 1);
    const s = seen[0];
    expect(s.headers["te"]).toBe("trailers");
    expect(s.headers["grpc-timeout"]).toBe("5S");
    expect(s.body.equals(body)).toBe(true);
    expect(await rig.stat(S("shadows.shadow.grpc.not_found"))).toBe(1);
    expect(await rig.stat(S("shadow.responses.2xx"))).toBe(2);
  });
});
