// One API over two ways of running real Envoy: a local process, or a container
// through testcontainers. Both use host networking and the same absolute paths,
// so one rendered bootstrap works for either backend.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveEnvoyBinary } from "./envoy-binary.js";
import { freePort } from "./ports.js";

export type Backend = "process" | "container";

export interface StartOptions {
  /** Envoy bootstrap, as an object (rendered to JSON). */
  bootstrap: object;
  /** Admin port the bootstrap listens on (127.0.0.1). */
  adminPort: number;
  backend?: Backend;
  concurrency?: number;
  logLevel?: "trace" | "debug" | "info" | "warning" | "error" | "critical";
  /** Extra environment for Envoy (visible to Wasm through vm_config.environment_variables.host_env_keys). */
  env?: Record<string, string>;
  /** How long to wait for the admin endpoint to report LIVE. */
  readyTimeoutMs?: number;
  /** Directories Envoy must be able to read (the container bind-mounts them at the same path). */
  mounts?: string[];
  /** CPU list for taskset (process backend), e.g. "1": keeps Envoy off the load generator's core. */
  cpus?: string;
}

export interface EnvoyInstance {
  readonly backend: Backend;
  readonly adminUrl: string;
  /** Everything Envoy printed so far. */
  logs(): string;
  /** /stats as a map from stat name to value (counters and gauges). */
  stats(filter?: string): Promise<Map<string, number>>;
  /** Host pid of the Envoy process (for CPU and RSS readings), when known. */
  pid(): number | undefined;
  /** Raw text of an admin path, e.g. "/stats/prometheus". */
  admin(path: string): Promise<string>;
  stop(): Promise<void>;
}

/** Implemented by each backend. `run` must resolve once Envoy was launched (not yet ready). */
export interface EnvoyLauncher {
  run(args: {
    configPath: string;
    workDir: string;
    cliArgs: string[];
    env: Record<string, string>;
    mounts: string[];
    cpus?: string;
  }): Promise<{ logs(): string; stop(): Promise<void>; exited(): number | null; pid?(): number | undefined }>;
}

export class EnvoyStartError extends Error {
  constructor(message: string, readonly logs: string, readonly exitCode: number | null) {
    super(`${message}\n--- envoy log ---\n${logs}`);
  }
}

export function processLauncher(): EnvoyLauncher {
  return {
    async run({ cliArgs, env, cpus }) {
      const bin = resolveEnvoyBinary();
      const [cmd, args] = cpus ? ["taskset", ["-c", cpus, bin, ...cliArgs]] : [bin, cliArgs];
      const child: ChildProcess = spawn(cmd, args, {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let exitCode: number | null = null;
      child.stdout!.on("data", (d) => (out += d));
      child.stderr!.on("data", (d) => (out += d));
      const exited = new Promise<void>((resolve) =>
        child.on("exit", (code, signal) => {
          exitCode = code ?? (signal ? 128 : 1);
          resolve();
        }),
      );
      child.on("error", (e) => {
        out += `\n[harness] spawn failed: ${e.message}\n`;
        exitCode = 127;
      });
      return {
        logs: () => out,
        exited: () => exitCode,
        // taskset execs Envoy in place, so the child's pid is Envoy's.
        pid: () => child.pid,
        async stop() {
          if (exitCode !== null) return;
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(timer);
        },
      };
    },
  };
}

async function launcherFor(backend: Backend): Promise<EnvoyLauncher> {
  if (backend === "process") return processLauncher();
  const { containerLauncher } = await import("./envoy-container.js");
  return containerLauncher();
}

/** startEnvoy on two fresh ports: `bootstrap` builds the config for the admin and listener ports it is given. */
export async function startEnvoyOnFreePorts(
  bootstrap: (adminPort: number, listenerPort: number) => object,
  opts: Omit<StartOptions, "adminPort" | "bootstrap"> = {},
): Promise<{ envoy: EnvoyInstance; adminPort: number; listenerPort: number }> {
  const adminPort = await freePort();
  const listenerPort = await freePort();
  const envoy = await startEnvoy({ ...opts, adminPort, bootstrap: bootstrap(adminPort, listenerPort) });
  return { envoy, adminPort, listenerPort };
}

/** Render the bootstrap, start Envoy with the chosen backend and wait until the admin endpoint says LIVE. */
export async function startEnvoy(opts: StartOptions): Promise<EnvoyInstance> {
  const backend = opts.backend ?? (process.env.ENVOY_BACKEND as Backend) ?? "process";
  const workDir = mkdtempSync(join(tmpdir(), "mirrorshade-envoy-"));
  const configPath = join(workDir, "envoy.json");
  writeFileSync(configPath, JSON.stringify(opts.bootstrap, null, 2));
  const cliArgs = [
    "-c", configPath,
    "--concurrency", String(opts.concurrency ?? 1),
    "-l", opts.logLevel ?? "info",
    "--base-id", String(Math.floor(Math.random() * 1e6)),
    "--disable-hot-restart",
    "--log-format", "[%Y-%m-%d %T.%e][%l][%n] %v",
  ];
  let run: Awaited<ReturnType<EnvoyLauncher["run"]>>;
  try {
    const launcher = await launcherFor(backend);
    run = await launcher.run({
      configPath,
      workDir,
      cliArgs,
      env: opts.env ?? {},
      mounts: [workDir, ...(opts.mounts ?? [])],
      cpus: opts.cpus,
    });
  } catch (e) {
    rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
  const adminUrl = `http://127.0.0.1:${opts.adminPort}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    const code = run.exited();
    if (code !== null) {
      rmSync(workDir, { recursive: true, force: true });
      throw new EnvoyStartError(`envoy exited with code ${code} before becoming ready`, run.logs(), code);
    }
    try {
      const res = await fetch(`${adminUrl}/ready`);
      const body = await res.text();
      if (res.status === 200 && body.trim() === "LIVE") break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      const logs = run.logs();
      await run.stop();
      rmSync(workDir, { recursive: true, force: true });
      throw new EnvoyStartError("envoy did not become ready in time", logs, null);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const admin = async (path: string) => {
    const res = await fetch(`${adminUrl}${path}`);
    return res.text();
  };
  return {
    backend,
    adminUrl,
    logs: run.logs,
    pid: () => run.pid?.(),
    admin,
    async stats(filter?: string) {
      const text = await admin(`/stats${filter ? `?filter=${encodeURIComponent(filter)}` : ""}`);
      return parseStats(text);
    },
    async stop() {
      await run.stop();
      if (existsSync(workDir)) rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Parse Envoy's plain /stats output; histograms are skipped (they are not single numbers). */
export function parseStats(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const i = line.lastIndexOf(": ");
    if (i < 0) continue;
    const v = Number(line.slice(i + 2));
    if (Number.isFinite(v)) out.set(line.slice(0, i), v);
  }
  return out;
}

/** Wait until `predicate(stats)` holds; for counters that Envoy updates asynchronously (e.g. after a shadow call returns). */
export async function waitForStats(
  envoy: EnvoyInstance,
  predicate: (s: Map<string, number>) => boolean,
  timeoutMs = 10_000,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await envoy.stats();
    if (predicate(s)) return s;
    if (Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}
