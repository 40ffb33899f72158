// Shared setup for the gRPC e2e tests: a real Envoy (h2c listener, HTTP/2
// primary and shadow clusters) in front of two recording @grpc/grpc-js Payments
// servers (v1 primary, v2 shadow), optionally without the filter (the baseline
// every primary call is compared with); logs of Envoy and both servers printed
// when a test fails.
import { afterEach } from "vitest";
import { createHmac } from "node:crypto";
import { startEnvoyOnFreePorts, waitForStats, type Backend, type EnvoyInstance } from "../../harness/envoy/index.js";
import { buildBootstrap, type BootstrapSpec, type ClusterSpec } from "../../harness/envoy/bootstrap.js";
import { freePort } from "../../harness/net/ports.js";
import { BUILD_DIR } from "../../harness/paths.js";
import { startPaymentsServer, paymentsClient, type PaymentsServer, type PaymentsClient, type PaymentsBehaviour, type ReceivedCall, type CallResult } from "../../harness/grpc/index.js";
import { WASM } from "./fixture.js";

export const HASH_KEY = "grpc-e2e-hash-key-0123456789abcdef";
export const hmacToken = (v: string) => "hmac:" + createHmac("sha256", HASH_KEY).update(v).digest().subarray(0, 16).toString("hex");

export interface GrpcRig {
  envoy: EnvoyInstance;
  primary: PaymentsServer;
  shadow: PaymentsServer;
  client: PaymentsClient;
  port: number;
  stat(name: string): Promise<number>;
  waitStat(name: string, atLeast: number, timeoutMs?: number): Promise<number>;
  /** Everything logged so far: Envoy, then both servers. */
  logs(): string;
  clear(): void;
  close(): Promise<void>;
}

export interface GrpcRigOptions {
  backend: Backend;
  /** The filter's configuration; null: an Envoy without the filter. */
  config: object | null;
  shadowDown?: boolean;
  /** Point the shadow cluster at this port instead of the rig's shadow server (e.g. a shadow-side Envoy). */
  shadowPort?: number;
  shadowBehaviour?: Partial<PaymentsBehaviour>;
  /** Envoy's native mirroring to the shadow cluster (placements with the in-place roles). */
  nativeMirror?: boolean;
  /** Extra fields of the shadow cluster (e.g. upstreamFilters for the upstream role). */
  shadowCluster?: Partial<ClusterSpec>;
  bootstrap?: Partial<BootstrapSpec>;
}

export async function startGrpcRig(opts: GrpcRigOptions): Promise<GrpcRig> {
  const primary = await startPaymentsServer({ version: 1, name: "primary-v1" });
  const shadow = await startPaymentsServer({ version: 2, name: "shadow-v2", behaviour: opts.shadowBehaviour });
  const shadowPort = opts.shadowPort ?? (opts.shadowDown ? await freePort() : shadow.port);
  const bootstrap = (adminPort: number, listenerPort: number) =>
    buildBootstrap({
      adminPort,
      listenerPort,
      primary: { name: "primary", port: primary.port, http2: true },
      extraClusters: [{ name: "shadow", port: shadowPort, http2: true, ...opts.shadowCluster }],
      ...(opts.config ? { wasm: { wasmPath: WASM, configuration: opts.config } } : {}),
      ...(opts.nativeMirror ? { nativeMirror: { cluster: "shadow" } } : {}),
      ...opts.bootstrap,
    });
  let envoy: EnvoyInstance;
  let port: number;
  try {
    ({ envoy, listenerPort: port } = await startEnvoyOnFreePorts(bootstrap, { backend: opts.backend, mounts: [BUILD_DIR] }));
  } catch (e) {
    await primary.stop();
    await shadow.stop();
    throw e;
  }
  const client = paymentsClient(port, { authority: "payments.shop.svc:50051" });
  return {
    envoy,
    primary,
    shadow,
    client,
    port,
    stat: async (name) => (await envoy.stats()).get(name) ?? 0,
    async waitStat(name, atLeast, timeoutMs = 10_000) {
      const s = await waitForStats(envoy, (m) => (m.get(name) ?? 0) >= atLeast, timeoutMs);
      return s.get(name) ?? 0;
    },
    logs: () => `--- envoy (${envoy.backend}) log ---\n${envoy.logs()}\n--- ${primary.name} ---\n${primary.log.join("\n")}\n--- ${shadow.name} ---\n${shadow.log.join("\n")}`,
    clear() {
      primary.clear();
      shadow.clear();
    },
    async close() {
      client.close();
      await envoy.stop();
      await primary.stop();
      await shadow.stop();
    },
  };
}

/** In a describe block: print Envoy's and the servers' logs after each failed test. */
export function printGrpcLogsAfterFailures(rigs: () => (GrpcRig | undefined)[]): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") for (const r of rigs()) if (r) console.error(r.logs());
  });
}

/** Headers each hop sets for itself, or that vary from call to call (grpc-timeout counts down). */
const PER_HOP = new Set(["x-envoy-expected-rq-timeout-ms", "x-forwarded-proto", "x-request-id", "grpc-timeout", "x-harness-call-seq", "date", "x-envoy-upstream-service-time"]);

export function comparable(pairs: [string, string][]): [string, string][] {
  return pairs.filter(([k]) => !PER_HOP.has(k));
}

/** What a primary received, as comparable between two Envoys: headers (but per-hop ones), body and messages, bytes. */
export function primaryView(c: ReceivedCall) {
  return { path: c.path, headers: comparable(c.headers), body: c.body.toString("base64"), messages: c.messages.map((m) => m.toString("base64")) };
}

/** What a client got back, as comparable between two Envoys. */
export function answerView(r: CallResult) {
  return { code: r.codeName, details: r.details, headers: comparable(r.headers), trailers: comparable(r.trailers), messages: r.messages.map((m) => m.toString("base64")) };
}
