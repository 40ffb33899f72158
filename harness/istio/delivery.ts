// The two ways users deliver the module to istio-agent: a plain HTTP URL (with the
// sha256 of the .wasm), and a real OCI registry (Debian's docker-registry, the CNCF
// distribution server) that build/oci is pushed to with skopeo, a real OCI client.
import { createServer, type Server } from "node:http";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../net/ports.js";
import { startProcess, waitForOk, type IstioProcess } from "./process.js";

export interface ModuleServer {
  readonly url: string;
  /** Requests served, by path. */
  readonly hits: string[];
  close(): Promise<void>;
}

/** Serves one file at http://127.0.0.1:PORT/<name>; any other path is 404. */
export async function serveModule(file: string, name = "mirrorshade.wasm"): Promise<ModuleServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? "");
    if (new URL(req.url ?? "/", "http://x").pathname !== `/${name}`) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/wasm" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/${name}`, hits, close: () => new Promise((r) => server.close(() => r())) };
}

export const REGISTRY_BIN = "/usr/bin/docker-registry";
export const registryAvailable = () => existsSync(REGISTRY_BIN) && hasCommand("skopeo");

function hasCommand(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface Registry {
  /** host:port */
  readonly address: string;
  readonly process: IstioProcess;
  /** skopeo copy oci:<layout>:<tag> docker://<address>/<repo>:<tag>; the pushed manifest's digest. */
  push(layout: string, tag: string, repo?: string): string;
  stop(): Promise<void>;
}

export async function startRegistry(dir: string): Promise<Registry> {
  mkdirSync(join(dir, "data"), { recursive: true });
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(config, `version: 0.1\nlog: {level: info}\nstorage: {filesystem: {rootdirectory: ${join(dir, "data")}}}\nhttp: {addr: 127.0.0.1:${port}}\n`);
  const proc = startProcess("docker-registry", REGISTRY_BIN, ["serve", config], { cwd: dir, env: {} });
  const address = `127.0.0.1:${port}`;
  await waitForOk(`http://${address}/v2/`, proc, 20_000);
  return {
    address,
    process: proc,
    push(layout, tag, repo = "mirrorshade") {
      execFileSync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:${tag}`, `docker://${address}/${repo}:${tag}`], { stdio: ["ignore", "pipe", "pipe"] });
      const out = execFileSync("skopeo", ["inspect", "--tls-verify=false", "--raw", `docker://${address}/${repo}:${tag}`]);
      return `sha256:${createHashHex(out)}`;
    },
    stop: () => proc.stop(),
  };
}


const createHashHex = (b: Buffer) => createHash("sha256").update(b).digest("hex");
