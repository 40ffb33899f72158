// The egress guard in real Envoy: a shadow app that calls a payment gateway
// (forwarding only W3C baggage, as OpenTelemetry-instrumented apps do) never
// reaches it; the primary app's identical call does. Two Envoys: the mirror role
// in front of the apps, the egress guard on the apps' outbound path.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer, request, type Server } from "node:http";
import { startEnvoyOnFreePorts, type EnvoyInstance } from "../../harness/envoy/index.js";
import { buildBootstrap } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { projectRoot } from "../../harness/paths.js";
import { e2eBackends } from "./backends.js";
import { http1, WASM, S } from "./fixture.js";
import { join } from "node:path";

/** An app that charges a card: it calls the gateway through the egress Envoy, forwarding baggage only. */
async function startApp(name: string, egressPort: number): Promise<{ server: Server; port: number; charges: number[] }> {
  const charges: number[] = [];
  const server = createServer((req, res) => {
    const baggage = req.headers.baggage;
    const call = request(
      { host: "127.0.0.1", port: egressPort, path: "/v1/charges", method: "POST", headers: { host: "api.payments.example", "content-type": "application/json", ...(baggage ? { baggage } : {}) }, agent: false },
      (up) => {
        up.resume();
        up.on("end", () => {
          charges.push(up.statusCode ?? 0);
          res.writeHead(200, { "content-type": "text/plain" });
          res.end(`${name} charged: ${up.statusCode} ${up.headers["x-mirrorshade-guard"] ?? "real"}`);
        });
      },
    );
    call.on("error", () => res.writeHead(502).end());
    call.end('{"amount": 1299}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr ? addr.port : 0, charges };
}

describe.each(e2eBackends())("egress guard, envoy as %s", (backend) => {
  let gateway: RecordingUpstream;
  let ingress: EnvoyInstance | undefined;
  let egress: EnvoyInstance | undefined;
  let primaryApp: Awaited<ReturnType<typeof startApp>>;
  let shadowApp: Awaited<ReturnType<typeof startApp>>;
  let ingressPort = 0;

  beforeAll(async () => {
    gateway = await startRecordingUpstream("gateway");
    const opts = { backend, mounts: [join(projectRoot, "build")] };
    const egressStarted = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "gateway", port: gateway.port },
          wasm: {
            wasmPath: WASM,
            // The guard fails closed: if it cannot run, shadow calls must not get through.
            failurePolicy: "FAIL_CLOSED",
            configuration: {
              role: "egress-guard",
              guard: {
                destinations: [{ name: "payments", host: { suffix: "payments.example" }, path: { prefix: "/v1/charges" }, methods: ["POST"] }],
                response: { status: 200, body: '{"id":"ch_shadow","status":"succeeded"}', headers: { "content-type": "application/json" } },
              },
            },
          },
        }),
      opts,
    );
    egress = egressStarted.envoy;
    primaryApp = await startApp("primary", egressStarted.listenerPort);
    shadowApp = await startApp("shadow", egressStarted.listenerPort);
    const ingressStarted = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "primary", port: primaryApp.port },
          extraClusters: [{ name: "shadow", port: shadowApp.port }],
          wasm: { wasmPath: WASM, configuration: { role: "mirror", shadow: { cluster: "shadow" }, tag: { baggage: true } } },
        }),
      opts,
    );
    ingress = ingressStarted.envoy;
    ingressPort = ingressStarted.listenerPort;
  });
  afterAll(async () => {
    await ingress?.stop();
    await egress?.stop();
    primaryApp?.server.close();
    shadowApp?.server.close();
    await gateway?.close();
  });

  it("the shadow app's charge is answered by the stub; only the primary's reaches the gateway", async () => {
    try {
      for (let i = 0; i < 3; i++) {
        const res = await http1(`http://127.0.0.1:${ingressPort}/checkout/${i}`, { method: "POST", body: "{}", headers: { "content-type": "application/json", baggage: "userId=alice" } });
        expect(res.body.toString()).toBe("primary charged: 200 real");
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(shadowApp.charges).toEqual([200, 200, 200]);
      expect(primaryApp.charges).toEqual([200, 200, 200]);
      // Exactly the primary's three charges reached the gateway, none marked as shadow.
      expect(gateway.requests).toHaveLength(3);
      for (const r of gateway.requests) expect(gateway.header(r, "baggage")).toBe("userId=alice");
      const stats = await egress!.stats();
      expect(stats.get(S("guard.blocked"))).toBe(3);
      expect(stats.get(S("guard.blocked.payments"))).toBe(3);
      expect(stats.get(S("guard.untagged"))).toBe(3);
    } catch (e) {
      console.error(`--- ingress log ---\n${ingress?.logs()}\n--- egress log ---\n${egress?.logs()}`);
      throw e;
    }
  });
});
