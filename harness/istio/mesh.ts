// A local mesh without Kubernetes: istiod reading a config folder, one istio-agent
// per workload, each workload's app a recording upstream on 127.0.0.1. What the tests
// apply (the manifests `mirrorshade render --target istio` writes) goes into the
// folder unchanged, next to what Kubernetes would otherwise provide: a ServiceEntry
// and a WorkloadEntry per workload on its own 127.0.0.x address, and a Sidecar whose
// ingress and egress (captureMode NONE, explicit binds) replace iptables capture. Where
// the user's manifests have a Sidecar for a workload (Istio applies one per workload),
// that capture plumbing is added to the user's Sidecar instead.
import { mkdtempSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { startControlPlane, type Istiod } from "./istiod.js";
import { startAgent, type Agent } from "./agent.js";
import { makeRootCa } from "./certs.js";
import type { IstioInstall } from "./versions.js";

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

export interface WorkloadSpec {
  /** Pod name; also the WorkloadEntry's. */
  name: string;
  /** Its app label and Service name (<app>.<namespace>.svc.cluster.local). */
  app: string;
  /** A 127.0.0.x address of its own. */
  ip: string;
  /** Where its app listens on 127.0.0.1 (the Sidecar ingress defaultEndpoint). */
  appPort: number;
  /**
   * Where its outbound listener binds (Sidecar egress, captureMode NONE, on the service
   * port): another 127.0.0.x address, since the inbound listener holds ip:port. Without an
   * egress port, NONE mode binds every service's outbound listener on 127.0.0.1, which
   * would be shared by all the agents.
   */
  outboundIp: string;
  env?: Record<string, string>;
}

export interface Mesh {
  readonly istiod: Istiod;
  readonly agents: Map<string, Agent>;
  readonly namespace: string;
  readonly servicePort: number;
  host(app: string): string;
  /** Writes (or replaces) one file of config in istiod's folder, atomically. */
  apply(file: string, manifests: Manifest[]): void;
  /** Every component's log, for a failed test. */
  logs(): string;
  stop(): Promise<void>;
}

const yaml = (ms: object[]) => ms.map((m) => stringify(m, { lineWidth: 0 })).join("---\n");

type SidecarSpec = { workloadSelector?: { labels?: Record<string, string> }; egress?: { port?: unknown; bind?: string; captureMode?: string; hosts: string[] }[]; [k: string]: unknown };

/** The user's Sidecar that selects this workload, if any (Istio applies one Sidecar per workload). */
const userSidecar = (manifests: Manifest[], w: WorkloadSpec) =>
  manifests.find((m) => m.kind === "Sidecar" && (m.spec as SidecarSpec).workloadSelector?.labels?.app === w.app);

/**
 * The capture plumbing (what iptables gives in Kubernetes) on a Sidecar: an ingress on the
 * workload's address to its app, and every egress bound to the workload's outbound address
 * on each port it needs (the service port and the ports of the user's ServiceEntries),
 * since captureMode NONE listens only where a Sidecar names a port. Everything else of a
 * user's Sidecar (outboundTrafficPolicy, egress hosts) stays as written.
 */
function withCapture(sidecar: Manifest, port: number, ports: number[], w: WorkloadSpec): Manifest {
  const spec = sidecar.spec as SidecarSpec;
  const http = (number: number) => ({ number, protocol: "HTTP", name: `http-${number}` });
  return {
    ...sidecar,
    spec: {
      ...spec,
      // An explicit bind: left empty, istiod binds to the proxy's first global-unicast
      // address (pilot/pkg/networking/core/listener_inbound.go getSidecarInboundBindIPs),
      // which the agent takes from the host's interfaces, not INSTANCE_IP.
      ingress: [{ port: http(port), bind: w.ip, defaultEndpoint: `127.0.0.1:${w.appPort}`, captureMode: "NONE" }],
      egress: (spec.egress ?? [{ hosts: ["*/*"] }]).flatMap((e) => [...new Set([port, ...ports])].map((p) => ({ ...e, port: http(p), bind: w.outboundIp, captureMode: "NONE" }))),
    },
  };
}

/** What Kubernetes and the injector would give each workload, as Istio config; a Sidecar only where the user's manifests have none for it. */
export function workloadConfig(namespace: string, port: number, w: WorkloadSpec, manifests: Manifest[] = []): Manifest[] {
  const host = `${w.app}.${namespace}.svc.cluster.local`;
  const http = { number: port, protocol: "HTTP", name: "http" };
  const own: Manifest = { apiVersion: "networking.istio.io/v1", kind: "Sidecar", metadata: { name: `${w.name}-local`, namespace }, spec: { workloadSelector: { labels: { app: w.app } } } };
  return [
    {
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: w.app, namespace },
      spec: { hosts: [host], location: "MESH_INTERNAL", resolution: "STATIC", ports: [http], workloadSelector: { labels: { app: w.app } } },
    },
    {
      apiVersion: "networking.istio.io/v1",
      kind: "WorkloadEntry",
      metadata: { name: w.name, namespace },
      spec: { address: w.ip, labels: { app: w.app }, serviceAccount: "default" },
    },
    ...(userSidecar(manifests, w) ? [] : [withCapture(own, port, [], w)]),
  ];
}

/** The user's manifests as istiod gets them: a Sidecar selecting a workload carries that workload's capture plumbing. */
export function userConfig(port: number, workloads: WorkloadSpec[], manifests: Manifest[]): Manifest[] {
  const ports = manifests.filter((m) => m.kind === "ServiceEntry").flatMap((m) => ((m.spec.ports ?? []) as { number: number }[]).map((p) => p.number));
  return manifests.map((m) => {
    const w = workloads.find((w) => userSidecar([m], w));
    return w ? withCapture(m, port, ports, w) : m;
  });
}

export async function startMesh(install: IstioInstall, opts: { namespace: string; servicePort: number; workloads: WorkloadSpec[]; manifests: Manifest[]; istiodEnv?: Record<string, string> }): Promise<Mesh> {
  const dir = mkdtempSync(join(tmpdir(), `mirrorshade-istio-${install.release}-`));
  const agents = new Map<string, Agent>();
  let istiod: Istiod | undefined;
  const logs = () =>
    [istiod?.process, ...[...agents.values()].map((a) => a.process)]
      .filter((p) => p !== undefined)
      .map((p) => `===== ${p!.name} (exit ${p!.exited()}) =====\n${p!.logs()}`)
      .join("\n");
  const stop = async () => {
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await istiod?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // No mesh-wide mTLS (plain text between the sidecars) and no telemetry providers:
    // istio.stats and the mTLS peer filters exist only in Istio's own Envoy build.
    istiod = await startControlPlane(install, dir, { rootNamespace: "istio-system", enableAutoMtls: false, defaultProviders: {} }, opts.istiodEnv);
    const put = (file: string, manifests: Manifest[]) => {
      const tmp = join(dir, `.${file}`);
      writeFileSync(tmp, yaml(manifests));
      renameSync(tmp, join(istiod!.configDir, file));
      istiod!.reload();
    };
    const apply = (file: string, manifests: Manifest[]) => put(file, userConfig(opts.servicePort, opts.workloads, manifests));
    put("00-mesh.yaml", [
      { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "default", namespace: "istio-system" }, spec: { mtls: { mode: "DISABLE" } } },
      ...opts.workloads.flatMap((w) => workloadConfig(opts.namespace, opts.servicePort, w, opts.manifests)),
    ]);
    apply("10-user.yaml", opts.manifests);
    const root = makeRootCa(join(dir, "ca"));
    for (const w of opts.workloads) {
      agents.set(w.name, await startAgent(install, dir, istiod.grpcAddress, root, { name: w.name, namespace: opts.namespace, ip: w.ip, labels: { app: w.app }, env: w.env }));
    }
    return { istiod, agents, namespace: opts.namespace, servicePort: opts.servicePort, host: (app) => `${app}.${opts.namespace}.svc.cluster.local`, apply, logs, stop };
  } catch (e) {
    const l = logs();
    await stop();
    throw new Error(`${(e as Error).message}\n${l}`);
  }
}
