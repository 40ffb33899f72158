// One istio-agent (pilot-agent proxy sidecar) per workload, running our Envoy
// (ProxyConfig.binaryPath) without traffic capture (ISTIO_META_INTERCEPTION_MODE=NONE).
// Everything the agent keeps on disk is relative to its working directory
// (./etc/istio/proxy/XDS, ./var/run/secrets/workload-spiffe-uds/socket, the file
// credentials), so each agent gets its own; downloaded Wasm modules go to the fixed
// /var/lib/istio/data (pkg/config/constants IstioDataDir), shared by all agents.
// Ports: the agent's status server (ProxyConfig.statusPort; it binds every interface,
// pilot/cmd/pilot-agent/status/server.go, so only its port can move), Envoy's admin
// (proxyAdminPort, on 127.0.0.1), its readiness and Prometheus listeners
// (ENVOY_STATUS_PORT, ENVOY_PROMETHEUS_PORT): all allocated per agent.
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../net/ports.js";
import { tiedArgv } from "../tied.js";
import { resolveEnvoyBinary } from "../envoy/binary.js";
import { parseStats } from "../envoy/stats.js";
import { startProcess, waitForOk, type IstioProcess } from "./process.js";
import { writeWorkloadCerts, spiffeId } from "./certs.js";
import type { IstioInstall } from "./versions.js";

/** Where istio-agent keeps downloaded modules (pkg/config/constants IstioDataDir). */
export const WASM_CACHE_DIR = "/var/lib/istio/data";

export interface AgentSpec {
  /** The pod name; with the namespace it is the proxy's id at istiod (<name>.<namespace>). */
  name: string;
  namespace: string;
  /** INSTANCE_IP: a 127.0.0.x address of its own; inbound listeners bind there. */
  ip: string;
  labels: Record<string, string>;
  serviceAccount?: string;
  /** Extra environment (e.g. what vmConfig.env valueFrom HOST reads). */
  env?: Record<string, string>;
}

export interface Agent {
  readonly spec: AgentSpec;
  readonly process: IstioProcess;
  readonly proxyId: string;
  readonly adminPort: number;
  readonly statusPort: number;
  /** Envoy's /config_dump (optionally ?resource=...). */
  configDump(resource?: string): Promise<{ configs: Record<string, unknown>[] }>;
  /** Envoy's /stats as a map. */
  stats(): Promise<Map<string, number>>;
  /** The agent's merged Prometheus text (its own metrics and Envoy's): /stats/prometheus on the status port. */
  prometheus(): Promise<string>;
  stop(): Promise<void>;
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The binary the agent starts as Envoy: a wrapper that execs our Envoy 1.40 tied to
 * the agent (harness/tied.ts), so an agent that is killed leaves no Envoy behind.
 */
function envoyWrapper(dir: string): string {
  const argv = tiedArgv(resolveEnvoyBinary(), [], "@PPID@");
  const path = join(dir, "envoy");
  writeFileSync(path, `#!/bin/sh\nexec ${argv.map((a) => (a === "@PPID@" ? '"$PPID"' : shq(a))).join(" ")} "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * Istio's bootstrap template with its two wildcard listeners (Envoy's readiness on
 * ENVOY_STATUS_PORT, Prometheus on ENVOY_PROMETHEUS_PORT) bound to 127.0.0.1 instead
 * of 0.0.0.0: the only change to Istio's template.
 */
function localTemplate(install: IstioInstall, dir: string): string {
  const path = join(dir, "envoy_bootstrap_tmpl.json");
  writeFileSync(path, readFileSync(install.bootstrapTemplate, "utf8").replaceAll("{{ .wildcard }}", "{{ .localhost }}"));
  return path;
}

export async function startAgent(install: IstioInstall, dir: string, istiodGrpc: string, root: { key: string; cert: string }, spec: AgentSpec): Promise<Agent> {
  const cwd = join(dir, `agent-${spec.name}`);
  // The agent's module cache; it creates subfolders, not this one.
  mkdirSync(WASM_CACHE_DIR, { recursive: true });
  mkdirSync(join(cwd, "etc", "istio", "proxy"), { recursive: true });
  const sa = spec.serviceAccount ?? "default";
  writeWorkloadCerts(cwd, root, spiffeId(spec.namespace, sa));
  const [statusPort, adminPort, envoyStatus, envoyPrometheus] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const proxyConfig = {
    binaryPath: envoyWrapper(cwd),
    configPath: join(cwd, "etc", "istio", "proxy"),
    proxyBootstrapTemplatePath: localTemplate(install, cwd),
    discoveryAddress: istiodGrpc,
    controlPlaneAuthPolicy: "NONE",
    statusPort,
    proxyAdminPort: adminPort,
    concurrency: 1,
    drainDuration: "1s",
    terminationDrainDuration: "1s",
    proxyMetadata: { METRICS_LOCALHOST_ACCESS_ONLY: "true" },
    // Istio keeps only the stats it names (pkg/bootstrap/config.go; "wasm" covers the filter's
    // wasmcustom.*): ECDS's own counters and the outbound clusters', as a user would add them (statsInclusionPrefixes).
    proxyStatsMatcher: { inclusionPrefixes: ["extension_config_discovery.", "cluster.outbound|"] },
  };
  const env: Record<string, string> = {
    PROXY_CONFIG: JSON.stringify(proxyConfig),
    INSTANCE_IP: spec.ip,
    POD_NAME: spec.name,
    POD_NAMESPACE: spec.namespace,
    SERVICE_ACCOUNT: sa,
    ISTIO_META_INTERCEPTION_MODE: "NONE",
    ISTIO_METAJSON_LABELS: JSON.stringify(spec.labels),
    ISTIO_META_WORKLOAD_NAME: spec.labels.app ?? spec.name,
    ISTIO_META_CLUSTER_ID: "Kubernetes",
    ISTIO_META_ISTIO_VERSION: install.release,
    ENVOY_STATUS_PORT: String(envoyStatus),
    ENVOY_PROMETHEUS_PORT: String(envoyPrometheus),
    // Plain-HTTP OCI registries on the loopback address are allowed (pkg/wasm cache.go allowInsecure).
    WASM_INSECURE_REGISTRIES: "*",
    ...spec.env,
  };
  const proc = startProcess(`istio-agent ${spec.name} (${install.release})`, install.agent, ["proxy", "sidecar", "--concurrency=1", "--proxyLogLevel=warning"], { cwd, env });
  await waitForOk(`http://127.0.0.1:${statusPort}/healthz/ready`, proc);
  const admin = `http://127.0.0.1:${adminPort}`;
  return {
    spec,
    process: proc,
    proxyId: `${spec.name}.${spec.namespace}`,
    adminPort,
    statusPort,
    async configDump(resource) {
      const r = await fetch(`${admin}/config_dump${resource ? `?resource=${resource}` : ""}`);
      return (await r.json()) as { configs: Record<string, unknown>[] };
    },
    async stats() {
      return parseStats(await (await fetch(`${admin}/stats`)).text());
    },
    async prometheus() {
      return (await fetch(`http://127.0.0.1:${statusPort}/stats/prometheus`)).text();
    },
    stop: () => proc.stop(),
  };
}
