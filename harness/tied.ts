// Children that die with this process. Envoy (and whatever the harness starts
// for a long time) is started through a two-line launcher that asks Linux to
// send it SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG, kept across
// exec), then execs the real command in place. So a test runner or a bench that
// is killed (a time limit, Ctrl-C, SIGKILL) leaves no Envoy behind taking CPU
// from every later run. Without python3 the command starts as it is.
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from "node:child_process";

// The parent's pid is checked after prctl: a parent that died in between would never send the signal.
const LAUNCHER = [
  "import ctypes, os, signal, sys",
  "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)",
  "sys.exit(0) if os.getppid() != int(sys.argv[1]) else os.execvp(sys.argv[2], sys.argv[2:])",
].join("\n");

let python: string | null | undefined;

function pythonBinary(): string | null {
  if (python !== undefined) return python;
  try {
    execFileSync("python3", ["-c", "import ctypes"], { stdio: "ignore" });
    python = "python3";
  } catch {
    python = null;
  }
  return python;
}

/**
 * The argv that runs cmd with args tied to the lifetime of its parent, whose
 * pid is parentPid (this process by default; "$$" inside a shell command line,
 * for a command the shell starts). Without python3: the command as it is.
 */
export function tiedArgv(cmd: string, args: string[], parentPid: string = String(process.pid)): string[] {
  const py = process.platform === "linux" ? pythonBinary() : null;
  return py ? [py, "-c", LAUNCHER, parentPid, cmd, ...args] : [cmd, ...args];
}

/** spawn(cmd, args, options), with the child tied to this process's lifetime. Its pid is the command's (the launcher execs it). */
export function spawnTied(cmd: string, args: string[], options: SpawnOptions): ChildProcess {
  const [c, ...a] = tiedArgv(cmd, args);
  return spawn(c, a, options);
}
