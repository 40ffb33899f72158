// One API over two ways of running real Envoy: a local process, or a container
// through testcontainers. Both use host networking and the same absolute paths,
// so one rendered bootstrap works for either backend.
//   launcher.ts   the types (StartOptions, EnvoyInstance, EnvoyLauncher, EnvoyStartError)
//   process.ts    the process backend          container.ts  the testcontainers backend
//   binary.ts     where the Envoy binary is     bootstrap.ts  building a bootstrap
//   stats.ts      reading /stats
import { mkdtempSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../net/ports.js";
import { EnvoyStartError, type Backend, type EnvoyInstance, type EnvoyLauncher, type StartOptions } from "./launcher.js";
import { processLauncher } from "./process.js";
import { parseStats } from "./stats.js";

export * from "./launcher.js";
export { parseStats, waitForStats } from "./stats.js";

async function launcherFor(backend: Backend): Promise<EnvoyLauncher> {
  if (backend === "process") return processLauncher();
  const { containerLauncher } = await import("./container.js");
  return containerLauncher();
}

/** startEnvoy on two fresh ports: `bootstrap` builds the config for the admin and listener ports it is given. */
export async function startEnvoyOnFreePorts(
  bootstrap: (adminPort: number, listenerPort: number) => object,
  opts: Omit<StartOptions, "adminPort" | "bootstrap"> = {},
): Promise<{ envoy: EnvoyInstance; adminPort: number; listenerPort: number }> {
  // A port free a moment ago can be taken by another process before Envoy binds it (the machine
  // runs many test files at once): such a start is retried with new ports, a few times.
  for (let attempt = 1; ; attempt++) {
    const adminPort = await freePort();
    const listenerPort = await freePort();
    try {
      const envoy = await startEnvoy({ ...opts, adminPort, bootstrap: bootstrap(adminPort, listenerPort) });
      return { envoy, adminPort, listenerPort };
    } catch (e) {
      if (attempt >= 4 || !(e instanceof EnvoyStartError) || !portTaken(e)) throw e;
    }
  }
}

/** Envoy could not bind a port it was given: it was taken after it was picked. */
function portTaken(e: EnvoyStartError): boolean {
  return /cannot bind '[^']*': Address already in use/.test(e.logs);
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
