// Shared setup for e2e tests: recording primary and shadow upstreams, Envoy with
// the mirrorshade filter, and Envoy's log printed when a test fails.
import { onTestFailed, afterEach } from "vitest";
import { request as httpRequest } from "node:http";
import { connect as http2Connect, constants as h2 } from "node:http2";
import { startEnvoyOnFreePorts, waitForStats, type Backend, type EnvoyInstance } from "../../harness/envoy/index.js";
import { buildBootstrap, type BootstrapSpec } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { freePort } from "../../harness/net/ports.js";
import { BUILD_DIR, FILTER_WASM } from "../../harness/paths.js";

export const WASM = FILTER_WASM;

export interface Rig {
  envoy: EnvoyInstance;
  primary: RecordingUpstream;
  shadow: RecordingUpstream;
  /** The extra shadow clusters (RigOptions.shadows), by cluster name. */
  shadows: Map<string, RecordingUpstream>;
  listenerPort: number;
  url(path: string): string;
  stat(name: string): Promise<number>;
  waitStat(name: string, atLeast: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export interface RigOptions {
  backend?: Backend;
  config?: object | string;
  /** Point the shadow cluster at a port nothing listens on. */
  shadowDown?: boolean;
  bootstrap?: Partial<BootstrapSpec>;
  concurrency?: number;
  /** Environment of the Envoy process; with wasmEnvKeys, passed on to the filter's VM. */
  env?: Record<string, string>;
  wasmEnvKeys?: string[];
  /** The primary cluster receives request trailers (HTTP/1.1 enable_trailers). */
  primaryTrailers?: boolean;
  /** More shadow clusters, each with its own recording upstream (down: a port nothing listens on). */
  shadows?: { cluster: string; down?: boolean }[];
}

export async function startRig(opts: RigOptions = {}): Promise<Rig> {
  const primary = await startRecordingUpstream("primary");
  const shadow = await startRecordingUpstream("shadow");
  const shadowPort = opts.shadowDown ? await freePort() : shadow.port;
  const shadows = new Map<string, RecordingUpstream>();
  const extra: { name: string; port: number }[] = [];
  for (const s of opts.shadows ?? []) {
    const upstream = await startRecordingUpstream(s.cluster);
    shadows.set(s.cluster, upstream);
    extra.push({ name: s.cluster, port: s.down ? await freePort() : upstream.port });
  }
  const bootstrap = (adminPort: number, listenerPort: number) =>
    buildBootstrap({
      adminPort,
      listenerPort,
      primary: { name: "primary", port: primary.port, http1Trailers: opts.primaryTrailers },
      extraClusters: [{ name: "shadow", port: shadowPort }, ...extra],
      wasm: {
        wasmPath: WASM,
        configuration: opts.config ?? { role: "mirror", shadow: { cluster: "shadow" } },
        envKeys: opts.wasmEnvKeys,
      },
      ...opts.bootstrap,
    });
  let envoy: EnvoyInstance;
  let listenerPort: number;
  try {
    ({ envoy, listenerPort } = await startEnvoyOnFreePorts(bootstrap, {
      backend: opts.backend,
      mounts: [BUILD_DIR],
      concurrency: opts.concurrency,
      env: opts.env,
    }));
  } catch (e) {
    await primary.close();
    await shadow.close();
    for (const u of shadows.values()) await u.close();
    throw e;
  }
  const stat = async (name: string) => (await envoy.stats()).get(name) ?? 0;
  return {
    envoy,
    primary,
    shadow,
    shadows,
    listenerPort,
    url: (path) => `http://127.0.0.1:${listenerPort}${path}`,
    stat,
    async waitStat(name, atLeast, timeoutMs = 10_000) {
      const s = await waitForStats(envoy, (m) => (m.get(name) ?? 0) >= atLeast, timeoutMs);
      return s.get(name) ?? 0;
    },
    async close() {
      await envoy.stop();
      await primary.close();
      await shadow.close();
      for (const u of shadows.values()) await u.close();
    },
  };
}

function printLog(r: Rig | undefined): void {
  if (r) console.error(`--- envoy (${r.envoy.backend}) log ---\n${r.envoy.logs()}`);
}

/** Inside a test: print Envoy's log if this test fails. */
export function printLogsOnFailure(rig: () => Rig | undefined): void {
  onTestFailed(() => printLog(rig()));
}

/** In a describe block: print the shared Envoy's log after each failed test. */
export function printLogsAfterFailures(rig: () => Rig | undefined): void {
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail") printLog(rig());
  });
}

export const S = (name: string) => `wasmcustom.mirrorshade.${name}`;

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** HTTP/1.1 request; `chunks` are written one by one with a pause, as a streaming upload (chunked encoding). */
export function http1(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; chunks?: (Buffer | string)[]; chunkPauseMs?: number } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (opts.chunks) {
      const chunks = [...opts.chunks];
      const next = () => {
        const c = chunks.shift();
        if (c === undefined) return req.end();
        req.write(c);
        setTimeout(next, opts.chunkPauseMs ?? 20);
      };
      next();
    } else {
      req.end(opts.body);
    }
  });
}

/** HTTP/2 over cleartext with prior knowledge (h2c), as gRPC and service-mesh clients speak it. */
export function h2c(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; trailers?: Record<string, string> } = {},
): Promise<SimpleResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const session = http2Connect(`http://${u.host}`);
    session.on("error", reject);
    const stream = session.request(
      { [h2.HTTP2_HEADER_METHOD]: opts.method ?? "GET", [h2.HTTP2_HEADER_PATH]: u.pathname + u.search, ...opts.headers },
      { waitForTrailers: Boolean(opts.trailers) },
    );
    if (opts.trailers) stream.on("wantTrailers", () => stream.sendTrailers(opts.trailers!));
    const parts: Buffer[] = [];
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    stream.on("response", (h) => {
      status = Number(h[h2.HTTP2_HEADER_STATUS]);
      headers = h as Record<string, string | string[] | undefined>;
    });
    stream.on("data", (c: Buffer) => parts.push(c));
    stream.on("end", () => {
      session.close();
      resolve({ status, headers, body: Buffer.concat(parts) });
    });
    stream.on("error", reject);
    stream.end(opts.body);
  });
}

/** Header pairs without the ones each hop legitimately sets for itself. */
export function comparableHeaders(pairs: [string, string][], drop: string[] = []): [string, string][] {
  const hop = new Set(["x-envoy-expected-rq-timeout-ms", "x-envoy-internal", "content-length", "transfer-encoding", "host", ...drop]);
  return pairs.filter(([k]) => !hop.has(k));
}
