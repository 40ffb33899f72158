// Shared by the real-Istio e2e files: which releases are built, the skip line, and
// the mirror-role mesh (payments with mirrorshade on its sidecar, payments-v2 the shadow).
import { join } from "node:path";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { istioLines, istioPlan, INSTALL_COMMAND, type IstioInstall } from "../../harness/istio/versions.js";
import { startMesh, type Mesh, type Manifest } from "../../harness/istio/mesh.js";
import { renderIstio, DEFAULTS, type RenderOptions } from "../../harness/render.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { freePort } from "../../harness/net/ports.js";
import { projectRoot, FILTER_WASM } from "../../harness/paths.js";

export const NAMESPACE = "shop";
export const HASH_KEY = "istio-mesh-test-key-0123456789ab";

/**
 * Per Istio line (scripts/istio-versions.txt) its first built candidate; prints one line
 * per line it skips, naming why (not built, with the install command; or every candidate
 * refused by the Go module proxy, with its answer). Under CI=true (.ci/run builds every
 * line) a line with a candidate the proxy did not refuse must be built, and at least one
 * 1.30+ release must run: either missing is a failure, not a skip.
 */
export function builtReleases(file: string): { release: string; install: IstioInstall | null }[] {
  const lines = istioLines();
  const { skips, errors } = istioPlan(lines, process.env.CI === "true", INSTALL_COMMAND);
  for (const s of skips) console.log(s.startsWith("WARNING: ") ? `WARNING: ${file}: ${s.slice(9)}` : `${file}: ${s}`);
  if (errors.length) throw new Error(`${file}: ${errors.join("; ")}`);
  return lines.map((l) => ({ release: l.install?.release ?? l.line, install: l.install }));
}

export const example = (role: string) => JSON.parse(readFileSync(join(projectRoot, "examples", `${role}.json`), "utf8"));
export const wasmSha256 = () => createHash("sha256").update(readFileSync(FILTER_WASM)).digest("hex");

/** A 127.0.N.x block of its own for this file's workloads. */
export function addressBlock(): (host: number) => string {
  const n = 10 + Math.floor(Math.random() * 240);
  return (host) => `127.0.${n}.${host}`;
}

export interface MirrorMesh {
  mesh: Mesh;
  app: RecordingUpstream;
  shadowApp: RecordingUpstream;
  port: number;
  /** http://<payments ip>:<port>: the primary's inbound listener. */
  primaryUrl: string;
  options: RenderOptions;
  manifests: Manifest[];
  stop(): Promise<void>;
}

/** payments (mirror role on its sidecar) and payments-v2 (the shadow), with the rendered manifests as they are. */
export async function startMirrorMesh(install: IstioInstall, policy: object, delivery: Partial<RenderOptions>): Promise<MirrorMesh> {
  const ip = addressBlock();
  const port = await freePort();
  const app = await startRecordingUpstream("payments");
  const shadowApp = await startRecordingUpstream("payments-v2");
  const options: RenderOptions = { ...DEFAULTS, namespace: NAMESPACE, service: "payments", shadowService: "payments-v2", port, ...delivery };
  const manifests = renderIstio(policy, options) as Manifest[];
  let mesh: Mesh;
  try {
    mesh = await startMesh(install, {
      namespace: NAMESPACE,
      servicePort: port,
      manifests,
      workloads: [
        { name: "payments-0", app: "payments", ip: ip(2), outboundIp: ip(12), appPort: app.port, env: { MIRRORSHADE_HASH_KEY: HASH_KEY, WASM_HTTP_REQUEST_MAX_RETRIES: "1" } },
        { name: "payments-v2-0", app: "payments-v2", ip: ip(3), outboundIp: ip(13), appPort: shadowApp.port },
      ],
    });
  } catch (e) {
    await app.close();
    await shadowApp.close();
    throw e;
  }
  return {
    mesh,
    app,
    shadowApp,
    port,
    primaryUrl: `http://${ip(2)}:${port}`,
    options,
    manifests,
    async stop() {
      await mesh.stop();
      await app.close();
      await shadowApp.close();
    },
  };
}

export const scratch = (name: string) => mkdtempSync(join(tmpdir(), `mirrorshade-${name}-`));

/** Polls until check() returns a value (not undefined), or throws after timeoutMs with what() as the last state. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: () => Promise<string> | string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`not reached after ${timeoutMs} ms: ${await what()}`);
}

/** The ECDS filters Envoy runs, by name: config_dump?resource=ecds_filters. */
export async function ecdsFilters(mesh: Mesh, pod: string): Promise<Map<string, Record<string, unknown>>> {
  const dump = await mesh.agents.get(pod)!.configDump("ecds_filters");
  const out = new Map<string, Record<string, unknown>>();
  for (const c of dump.configs as { ecds_filter?: { name: string; typed_config: Record<string, unknown> } }[]) {
    if (c.ecds_filter) out.set(c.ecds_filter.name, c.ecds_filter.typed_config);
  }
  return out;
}

export interface ShadowMesh {
  mesh: Mesh;
  app: RecordingUpstream;
  shadowApp: RecordingUpstream;
  port: number;
  /** http://<client's outbound ip>:<port>: the client sidecar's outbound listener. */
  clientUrl: string;
  manifests: Manifest[];
  stop(): Promise<void>;
}

/** A client calling payments through its sidecar; the VirtualService mirror copies to payments-v2, whose sidecar runs the shadow role. */
export async function startShadowMesh(install: IstioInstall, policy: object, delivery: Partial<RenderOptions>, istiodEnv: Record<string, string> = {}): Promise<ShadowMesh> {
  const ip = addressBlock();
  const port = await freePort();
  const app = await startRecordingUpstream("payments");
  const shadowApp = await startRecordingUpstream("payments-v2");
  const clientApp = await startRecordingUpstream("client");
  const options: RenderOptions = { ...DEFAULTS, namespace: NAMESPACE, service: "payments", shadowService: "payments-v2", port, ...delivery };
  const manifests = renderIstio(policy, options) as Manifest[];
  const closeApps = async () => {
    await app.close();
    await shadowApp.close();
    await clientApp.close();
  };
  let mesh: Mesh;
  try {
    mesh = await startMesh(install, {
      namespace: NAMESPACE,
      servicePort: port,
      manifests,
      istiodEnv,
      workloads: [
        { name: "client-0", app: "client", ip: ip(4), outboundIp: ip(14), appPort: clientApp.port },
        { name: "payments-0", app: "payments", ip: ip(2), outboundIp: ip(12), appPort: app.port },
        { name: "payments-v2-0", app: "payments-v2", ip: ip(3), outboundIp: ip(13), appPort: shadowApp.port },
      ],
    });
  } catch (e) {
    await closeApps();
    throw e;
  }
  return {
    mesh,
    app,
    shadowApp,
    port,
    clientUrl: `http://${ip(14)}:${port}`,
    manifests,
    async stop() {
      await mesh.stop();
      await closeApps();
    },
  };
}
