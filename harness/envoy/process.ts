// The "process" backend: Envoy as a child process of this one (optionally pinned
// with taskset), its stdout and stderr collected as the log; it dies with this
// process (harness/tied.ts).
import type { ChildProcess } from "node:child_process";
import { spawnTied } from "../tied.js";
import { resolveEnvoyBinary } from "./binary.js";
import type { EnvoyLauncher } from "./launcher.js";

export function processLauncher(): EnvoyLauncher {
  return {
    async run({ cliArgs, env, cpus }) {
      const bin = resolveEnvoyBinary();
      const [cmd, args] = cpus ? ["taskset", ["-c", cpus, bin, ...cliArgs]] : [bin, cliArgs];
      const child: ChildProcess = spawnTied(cmd, args, {
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
        // The launcher and taskset exec Envoy in place, so the child's pid is Envoy's.
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
