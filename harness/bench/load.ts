// Load for the benchmark: h2load (Debian nghttp2-client), all on 127.0.0.1,
// bounded in count and time, pinned to the load generator's core.
//
// Fixed rate (latency): h2load --rps, with per-request times from --log-file.
// h2load's rate is per connection, and connections opened together would fire
// together (a burst of N requests every N/rate s); so the connections are opened
// one per --rate-period, chosen so that their sends interleave evenly and the
// aggregate arrival is one request every 1/rate s. A connection sends its next
// request only once the previous one is answered (HTTP/1.1; h2c allows 10 in
// flight per connection), so the load is open loop as long as no answer takes
// longer than the connection's send interval (40 ms at 500 req/s): the share of
// answers slower than that is reported as the bound on coordinated omission.
//
// Closed loop (throughput): h2load keeps N connections busy for a duration.
//
// Every run reports h2load's own CPU seconds (bash `time`): it must stay well
// below the seconds of the run for the generator not to be the bottleneck.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { tiedArgv } from "../tied.js";

const execFileP = promisify(execFile);

export interface LoadSpec {
  url: string;
  protocol: "h1" | "h2c";
  headers: Record<string, string>;
  /** Request body file (sent as POST, content-type application/json unless contentType says otherwise); none: GET. */
  bodyFile?: string;
  contentType?: string;
  /** CPU list the generator is pinned to (default "0"). */
  cpus?: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

async function h2load(spec: LoadSpec, args: string[], timeoutS: number): Promise<{ stdout: string; cpuS: number }> {
  const all = ["taskset", "-c", spec.cpus ?? "0", "h2load", "-t", "1", "-m", spec.protocol === "h2c" ? "10" : "1", ...args];
  if (spec.protocol === "h1") all.push("--h1");
  for (const [k, v] of Object.entries(spec.headers)) all.push("-H", `${k}: ${v}`);
  if (spec.bodyFile) all.push("-d", spec.bodyFile, "-H", `content-type: ${spec.contentType ?? "application/json"}`);
  all.push(spec.url);
  // h2load dies with the shell and the shell with this process (harness/tied.ts): a killed bench leaves no load running.
  const [cmd, ...rest] = all;
  const quoted = tiedArgv(cmd, rest, "$$").map((a) => (a === "$$" ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
  // bash's `time` prints h2load's user and system CPU seconds on stderr.
  const [bash, ...bashArgs] = tiedArgv("bash", ["-c", `TIMEFORMAT='%U %S'; time ${quoted}`]);
  const { stdout, stderr } = await execFileP(bash, bashArgs, {
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutS * 1000,
    killSignal: "SIGKILL",
  });
  const times = /([\d.]+) ([\d.]+)\s*$/.exec(stderr.trim());
  return { stdout, cpuS: times ? Number(times[1]) + Number(times[2]) : NaN };
}

function summary(stdout: string) {
  const done = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  const total = Number(done?.[1] ?? 0);
  // Status codes count answers whose headers came before the end of a timed run, even when the stream had not
  // ended (a gRPC answer ends with its trailers): never more answered than requests.
  const answered = Math.min(total, Number(codes?.[1] ?? 0) + Number(codes?.[2] ?? 0) + Number(codes?.[3] ?? 0));
  return { total, done: Number(done?.[3] ?? 0), answered, rps: Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? NaN) };
}

/**
 * Connections, and the gap in whole milliseconds (h2load's resolution) between opening them, so that
 * `connections` connections each sending rate/connections requests a second interleave evenly:
 * connection k starts at k·gap, and k·gap modulo its send interval must fall on every multiple of 1/rate once.
 */
export function stagger(rate: number): { connections: number; gapMs: number } {
  const slot = 1000 / rate;
  for (const c of [20, 21, 25, 24, 16, 15, 32, 31, 41, 40, 10, 11, 8, 9, 5]) {
    const interval = c * slot;
    for (let gap = 1; gap <= 20; gap++) {
      const slots = new Set<number>();
      for (let k = 0; k < c; k++) {
        const at = ((k * gap) % interval) / slot;
        if (Math.abs(at - Math.round(at)) < 1e-6) slots.add(Math.round(at) % c);
      }
      if (slots.size === c) return { connections: c, gapMs: gap };
    }
  }
  return { connections: 20, gapMs: 1 };
}

export interface OpenLoopResult {
  /** Requests scheduled (rate × seconds). */
  sent: number;
  /** Answered with a status below 500. */
  ok: number;
  /** Scheduled requests not answered below 500 (5xx, resets, timeouts, never sent). */
  errors: number;
  /** Sorted latencies (ms) of the answered requests, from sending to the end of the answer. */
  latenciesMs: number[];
  /** From the first send to the last. */
  seconds: number;
  /** Answers slower than their connection's send interval, as a share: each may have delayed that connection's next send. */
  lateShare: number;
  achievedRps: number;
  generatorCpuS: number;
}

export async function openLoop(spec: LoadSpec, rate: number, seconds: number): Promise<OpenLoopResult> {
  const { connections, gapMs } = stagger(rate);
  const total = Math.max(connections, Math.round(rate * seconds));
  const dir = mkdtempSync(join(tmpdir(), "mirrorshade-h2load-"));
  const log = join(dir, "requests.tsv");
  try {
    const args = ["-c", String(connections), "-r", "1", "--rate-period", `${gapMs}ms`, "--rps", String(rate / connections), "-n", String(total), "--log-file", log];
    const run = await h2load(spec, args, seconds + 30);
    // Columns: start (µs since the epoch), status, µs to the end of the answer.
    const rows = readFileSync(log, "utf8").split("\n").filter(Boolean).map((l) => l.split("\t").map(Number));
    const answered = rows.filter((r) => r[1] >= 100 && r[1] < 500);
    const latenciesMs = answered.map((r) => r[2] / 1000).sort((a, b) => a - b);
    let first = Infinity;
    let last = -Infinity;
    for (const r of rows) {
      first = Math.min(first, r[0]);
      last = Math.max(last, r[0]);
    }
    const span = rows.length > 1 ? (last - first) / 1e6 : seconds;
    const interval = (connections / rate) * 1000;
    return {
      sent: total,
      ok: answered.length,
      errors: total - answered.length,
      latenciesMs,
      seconds: span,
      lateShare: latenciesMs.filter((l) => l > interval).length / Math.max(1, latenciesMs.length),
      achievedRps: answered.length / Math.max(1e-9, span),
      generatorCpuS: run.cpuS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ClosedLoopResult {
  rps: number;
  requests: number;
  failed: number;
  generatorCpuS: number;
}

/** Saturation: `connections` connections, each with one request (h2c: 10 streams) always in flight, for `seconds`. */
export async function closedLoop(spec: LoadSpec, seconds: number, connections = 32): Promise<ClosedLoopResult> {
  const run = await h2load(spec, ["-D", `${Math.round(seconds * 1000)}ms`, "-c", String(connections)], seconds + 30);
  const s = summary(run.stdout);
  return { rps: s.rps, requests: s.done, failed: s.total - s.answered, generatorCpuS: run.cpuS };
}

/** A fixed number of requests as fast as they go (warm-up, soak): how many were answered below 500, and how many not. */
export async function fixedCount(spec: LoadSpec, n: number, connections = 16, timeoutS = 600): Promise<{ ok: number; failed: number; generatorCpuS: number }> {
  const run = await h2load(spec, ["-n", String(n), "-c", String(connections)], timeoutS);
  const s = summary(run.stdout);
  return { ok: s.answered, failed: s.total - s.answered, generatorCpuS: run.cpuS };
}
