// The "container" backend: Envoy in a Docker container started through
// testcontainers, with host networking (the bootstrap's 127.0.0.1 ports are the
// host's) and every mount bind-mounted read-only at the same absolute path, so
// the bootstrap rendered for the process backend works unchanged.
//
// The image is never pulled: build it locally with `bash scripts/build-envoy-image.sh`
// (tag from ENVOY_IMAGE, default envoyproxy/envoy:v1.40-latest; the entrypoint is envoy).
//
// `run` returns as soon as the container was started; readiness is startEnvoy's
// job (it polls /ready and calls exited()). When Envoy exits on its own (e.g. a
// bootstrap error) the container's output is drained, exited() starts reporting
// the exit code and the container is removed, so nothing is left behind even if
// the caller never calls stop(). And when this process dies (a time limit,
// SIGKILL), a watcher that polls for it removes the container: Ryuk,
// testcontainers' own reaper, needs a pulled image.
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import type { EnvoyLauncher } from "./launcher.js";
import { spawn } from "node:child_process";

export const DEFAULT_ENVOY_IMAGE = "envoyproxy/envoy:v1.40-latest";

/** testcontainers reads these when it first connects; Ryuk would need a pulled image, and the host is local. */
function configureTestcontainersEnv(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
}

export function containerLauncher(): EnvoyLauncher {
  configureTestcontainersEnv();
  return {
    async run({ cliArgs, env, mounts, workDir }) {
      // Imported lazily so the process backend never loads testcontainers, and
      // only after the env vars above are in place.
      const { GenericContainer, ImageName, getContainerRuntimeClient } = await import("testcontainers");
      type WaitStrategy = import("testcontainers").WaitStrategy;
      const image = process.env.ENVOY_IMAGE ?? DEFAULT_ENVOY_IMAGE;

      const client = await getContainerRuntimeClient();
      // testcontainers 11 has no "never pull" policy: its default policy still pulls a
      // missing image. Check first, so a missing image fails fast with the fix.
      if (!(await client.image.exists(ImageName.fromString(image)))) {
        throw new Error(
          `Envoy image ${image} is not available locally (it is never pulled): build it with \`bash scripts/build-envoy-image.sh\`` +
            (process.env.ENVOY_IMAGE ? ` (ENVOY_IMAGE=${process.env.ENVOY_IMAGE})` : ""),
        );
      }

      // Resolve immediately: host networking has no port mappings to wait for,
      // and a failing wait strategy makes testcontainers remove the container
      // (and with it the logs that explain the failure).
      let startupTimeoutMs = 60_000;
      let startupTimeoutSet = false;
      const launched: WaitStrategy = {
        async waitUntilReady() {},
        withStartupTimeout(ms: number) {
          startupTimeoutMs = ms;
          startupTimeoutSet = true;
          return launched;
        },
        isStartupTimeoutSet: () => startupTimeoutSet,
        getStartupTimeout: () => startupTimeoutMs,
      };

      const binds = [...new Set(mounts.map((m) => resolve(m)))].map((p) => ({ source: p, target: p, mode: "ro" as const }));
      const started = await new GenericContainer(image)
        .withNetworkMode("host")
        .withBindMounts(binds)
        .withCommand(cliArgs)
        .withEnvironment(env)
        // Who started it: lets tests (and people) find their own containers, e.g.
        // `docker ps -a --filter label=mirrorshade.harness.pid=<pid>`.
        .withLabels({
          "mirrorshade.harness": "envoy",
          "mirrorshade.harness.pid": String(process.pid),
          "mirrorshade.harness.workdir": workDir,
        })
        .withPullPolicy({ shouldPull: () => false })
        .withWaitStrategy(launched)
        .start();
      const id = started.getId();
      const docker = client.container.getById(id);
      // Outlives this process by design: once it is gone (a time limit, SIGKILL), the container goes too.
      const watcher = spawn("sh", ["-c", `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; docker rm -f ${id} >/dev/null 2>&1`], { stdio: "ignore", detached: true });
      watcher.on("error", () => {});
      watcher.unref();

      let out = "";
      let exitCode: number | null = null;
      let removed = false;
      const logStream: Readable = await started.logs();
      logStream.setEncoding("utf8");
      logStream.on("data", (chunk: string) => (out += chunk));
      const logsEnded = new Promise<void>((r) => {
        logStream.once("end", r);
        logStream.once("close", r);
        logStream.once("error", (e) => {
          out += `\n[harness] container log stream failed: ${e.message}\n`;
          r();
        });
      });

      const remove = async () => {
        if (removed) return;
        removed = true;
        watcher.kill("SIGKILL");
        try {
          await docker.remove({ force: true, v: true });
        } catch (e) {
          const status = (e as { statusCode?: number }).statusCode;
          // 404: already gone; 409: removal already in progress.
          if (status !== 404 && status !== 409) throw e;
        }
      };

      // Exit watcher: `wait` returns when the container is no longer running.
      const finished = (async () => {
        let code: number;
        try {
          const res = (await docker.wait()) as { StatusCode?: number };
          code = res.StatusCode ?? 1;
        } catch (e) {
          out += `\n[harness] waiting for container ${id.slice(0, 12)} failed: ${(e as Error).message}\n`;
          try {
            const info = await docker.inspect();
            code = info.State.Running ? 1 : info.State.ExitCode;
          } catch {
            code = 1;
          }
        }
        // Let the log stream deliver what Envoy printed before it exited. The timer is not
        // unref'd on purpose: testcontainers unrefs the log stream's socket, so without it
        // a script could exit before the last lines (and the removal below) arrive.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([logsEnded, new Promise<void>((r) => (timer = setTimeout(r, 3000)))]);
        clearTimeout(timer);
        exitCode = code;
        await remove().catch((e) => (out += `\n[harness] removing container failed: ${(e as Error).message}\n`));
      })();

      let hostPid: number | undefined;
      client.container
        .inspect(client.container.getById(id))
        .then((info: { State?: { Pid?: number } }) => (hostPid = info.State?.Pid || undefined))
        .catch(() => {});
      return {
        logs: () => out,
        exited: () => exitCode,
        pid: () => hostPid,
        async stop() {
          if (exitCode === null && !removed) {
            // SIGTERM, then SIGKILL after 5s; keep the container so the watcher can drain the logs.
            await started.stop({ timeout: 5000, remove: false }).catch(() => {});
          }
          await finished;
          await remove().catch(() => {});
        },
      };
    },
  };
}
