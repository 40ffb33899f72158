// istiod (pilot-discovery) without Kubernetes: config from files, the ServiceEntry
// registry only, no CA, every port on 127.0.0.1 and allocated per start
// (pilot/cmd/pilot-discovery/app/cmd.go flags; pkg/ctrlz for --ctrlz_*). An empty
// --httpsAddr multiplexes the webhook on --httpAddr and an empty --secureGRPCAddr
// disables the TLS xDS port (pilot/pkg/bootstrap/webhook.go, server.go).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { freePort } from "../net/ports.js";
import { startProcess, waitForOk, waitForLog, type IstioProcess } from "./process.js";
import type { IstioInstall } from "./versions.js";

/**
 * Features of Istio's own Envoy build (istio/proxy) that upstream Envoy lacks, turned
 * off: the istio.alpn and istio.metadata_exchange filters; and what needs Kubernetes
 * or a CA (ENABLE_CA_SERVER, WorkloadEntry health checks and auto-registration).
 */
export const ISTIOD_ENV: Record<string, string> = {
  ENABLE_CA_SERVER: "false",
  PILOT_ENABLE_ALPN_FILTER: "false",
  PILOT_ENABLE_METADATA_EXCHANGE: "false",
  PILOT_ENABLE_WORKLOAD_ENTRY_HEALTHCHECKS: "false",
  PILOT_ENABLE_WORKLOAD_ENTRY_AUTOREGISTRATION: "false",
  POD_NAMESPACE: "istio-system",
  POD_NAME: "istiod-local",
};

export interface Istiod {
  readonly process: IstioProcess;
  /** Plain-text xDS (the agents' discoveryAddress). */
  readonly grpcAddress: string;
  readonly httpPort: number;
  /** The folder istiod reads config from (--configDir); files written there are picked up live. */
  readonly configDir: string;
  /** Called after a file in configDir changed (istiod watches the folder itself; test/istio-xds is told). */
  reload(): void;
  /** istiod's view of one proxy: /debug/config_dump?proxyID=<pod>.<namespace>. */
  configDump(proxyId: string): Promise<ConfigDump>;
  /** The config istiod read: /debug/configz. */
  configz(): Promise<{ kind: string; metadata: { name: string; namespace: string } }[]>;
  stop(): Promise<void>;
}

export interface ConfigDump {
  configs: { "@type": string; [k: string]: unknown }[];
}

/** Prefers Istio's own discovery server wherever it reads WasmPlugin from files (up to 1.29). */
export function startControlPlane(install: IstioInstall, dir: string, meshConfig: object, env: Record<string, string> = {}): Promise<Istiod> {
  return install.xds ? startIstioXds(install, dir, meshConfig, env) : startIstiod(install, dir, meshConfig, env);
}

export async function startIstiod(install: IstioInstall, dir: string, meshConfig: object, env: Record<string, string> = {}): Promise<Istiod> {
  const configDir = join(dir, "config");
  mkdirSync(configDir, { recursive: true });
  const meshFile = join(dir, "mesh.yaml");
  writeFileSync(meshFile, stringify(meshConfig));
  const [grpc, http, monitoring, ctrlz] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const args = [
    "discovery",
    "--registries=",
    `--configDir=${configDir}`,
    `--meshConfig=${meshFile}`,
    `--networksConfig=${join(dir, "mesh-networks.yaml")}`,
    `--grpcAddr=127.0.0.1:${grpc}`,
    `--httpAddr=127.0.0.1:${http}`,
    "--httpsAddr=",
    "--secureGRPCAddr=",
    `--monitoringAddr=127.0.0.1:${monitoring}`,
    `--ctrlz_port=${ctrlz}`,
    "--ctrlz_address=127.0.0.1",
    "--domain=cluster.local",
    "--log_output_level=default:info",
  ];
  const proc = startProcess(`istiod ${install.release}`, install.discovery, args, { cwd: dir, env: { ...ISTIOD_ENV, ...env } });
  const base = `http://127.0.0.1:${http}`;
  // Not /ready: its "sidecar injector" and "config validation" probes need Kubernetes and
  // never pass here (pilot/pkg/bootstrap/server.go initReadinessProbes). The xDS server
  // says when its caches are synced, and the debug endpoints answer.
  await waitForOk(`${base}/debug/configz`, proc);
  await waitForLog(proc, "marking server ready");
  const get = async (path: string) => {
    const r = await fetch(base + path);
    if (r.status !== 200) throw new Error(`istiod ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    process: proc,
    grpcAddress: `127.0.0.1:${grpc}`,
    httpPort: http,
    configDir,
    reload: () => {},
    configDump: (proxyId) => get(`/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`) as Promise<ConfigDump>,
    configz: () => get("/debug/configz") as Promise<{ kind: string; metadata: { name: string; namespace: string } }[]>,
    stop: () => proc.stop(),
  };
}

/**
 * Istio 1.30+: test/istio-xds (Istio's pilot/test/xds discovery server, the real
 * WasmPlugin translation and xDS generation) in istiod's place, serving the files of
 * configDir concatenated, re-read on reload().
 */
export async function startIstioXds(install: IstioInstall, dir: string, meshConfig: object, env: Record<string, string> = {}): Promise<Istiod> {
  const configDir = join(dir, "config");
  mkdirSync(configDir, { recursive: true });
  const meshFile = join(dir, "mesh.yaml");
  writeFileSync(meshFile, stringify(meshConfig));
  const all = join(dir, "all-config.yaml");
  const concat = () => writeFileSync(all, readdirSync(configDir).filter((f) => f.endsWith(".yaml")).sort().map((f) => readFileSync(join(configDir, f), "utf8")).join("\n---\n"));
  concat();
  const [grpc, http] = [await freePort(), await freePort()];
  const proc = startProcess(`istio-xds ${install.release}`, install.xds!, [`-config=${all}`, `-mesh=${meshFile}`, `-xds=127.0.0.1:${grpc}`, `-debug=127.0.0.1:${http}`], { cwd: dir, env: { ...ISTIOD_ENV, ...env } });
  const base = `http://127.0.0.1:${http}`;
  await waitForOk(`${base}/debug/configz`, proc);
  const get = async (path: string) => {
    const r = await fetch(base + path);
    if (r.status !== 200) throw new Error(`istio-xds ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  return {
    process: proc,
    grpcAddress: `127.0.0.1:${grpc}`,
    httpPort: http,
    configDir,
    reload: () => {
      concat();
      proc.signal("SIGHUP");
    },
    configDump: (proxyId) => get(`/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`) as Promise<ConfigDump>,
    configz: () => get("/debug/configz") as Promise<{ kind: string; metadata: { name: string; namespace: string } }[]>,
    stop: () => proc.stop(),
  };
}
