// One Istio process (istiod or an istio-agent) as a child of this one, tied to its
// lifetime (harness/tied.ts), its output kept as the log.
import type { ChildProcess } from "node:child_process";
import { spawnTied } from "../tied.js";

export interface IstioProcess {
  readonly name: string;
  readonly pid: number | undefined;
  logs(): string;
  /** The exit code, or null while it runs. */
  exited(): number | null;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export function startProcess(name: string, cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): IstioProcess {
  const child: ChildProcess = spawnTied(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let code: number | null = null;
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) =>
    child.on("exit", (c, signal) => {
      code = c ?? (signal ? 128 : 1);
      resolve();
    }),
  );
  child.on("error", (e) => {
    out += `\n[harness] spawn failed: ${e.message}\n`;
    code = 127;
  });
  return {
    name,
    pid: child.pid,
    logs: () => out,
    exited: () => code,
    signal: (sig) => void child.kill(sig),
    async stop(graceMs = 10_000) {
      if (code !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The end of a process's log, for an error that would otherwise lose it (a process that failed to start is in no mesh's log yet). */
function tail(proc: IstioProcess): string {
  const l = proc.logs();
  return `===== ${proc.name} (log${l.length > 20_000 ? ", last 20,000 characters" : ""}) =====\n${l.slice(-20_000)}`;
}

/** Polls url until it answers 200 (or fails after timeoutMs, with the last answer and the process's log). */
export async function waitForOk(url: string, proc: IstioProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc.exited() !== null) throw new Error(`${proc.name} exited with ${proc.exited()} before ${url} was ready\n${proc.logs()}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return;
      last = `${r.status} ${(await r.text()).slice(0, 300)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${proc.name}: ${url} not ready after ${timeoutMs} ms (last: ${last})\n${tail(proc)}`);
}

/** Waits until the process's log contains text. */
export async function waitForLog(proc: IstioProcess, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.logs().includes(text)) {
    if (proc.exited() !== null) throw new Error(`${proc.name} exited with ${proc.exited()} before logging "${text}"\n${proc.logs()}`);
    if (Date.now() > deadline) throw new Error(`${proc.name}: no "${text}" in its log after ${timeoutMs} ms\n${tail(proc)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
