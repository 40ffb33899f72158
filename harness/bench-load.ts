// Load for the benchmark, all on 127.0.0.1 and bounded in time.
// Open loop (latency): requests are sent at a fixed rate whether or not earlier
// ones were answered, so a stall in the proxy shows up in the percentiles instead
// of silently slowing the sender (no coordinated omission).
// Closed loop (throughput): h2load (Debian nghttp2-client) keeps N connections busy.
import { Pool } from "undici";
import { connect as h2connect, constants as h2 } from "node:http2";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export interface LoadSpec {
  url: string;
  protocol: "h1" | "h2c";
  body: Buffer;
  headers: Record<string, string>;
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  errors: number;
  latenciesMs: number[];
  seconds: number;
  /** Share of sends that started more than 5 ms late: the generator was the bottleneck when this is high. */
  lateShare: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export async function openLoop(spec: LoadSpec, rps: number, seconds: number, connections = 32): Promise<OpenLoopResult> {
  const u = new URL(spec.url);
  const method = spec.body.length ? "POST" : "GET";
  const headers = { ...spec.headers, ...(spec.body.length ? { "content-type": "application/json" } : {}) };
  let send: () => Promise<boolean>;
  let close: () => Promise<void>;
  if (spec.protocol === "h1") {
    const pool = new Pool(u.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
    send = async () => {
      const res = await pool.request({ path: u.pathname + u.search, method, headers, body: spec.body.length ? spec.body : undefined });
      await res.body.dump();
      return res.statusCode < 500;
    };
    close = () => pool.close();
  } else {
    const sessions = Array.from({ length: Math.max(1, Math.min(connections, 4)) }, () => h2connect(u.origin));
    let next = 0;
    send = () =>
      new Promise<boolean>((resolve) => {
        const s = sessions[next++ % sessions.length];
        const stream = s.request({ [h2.HTTP2_HEADER_METHOD]: method, [h2.HTTP2_HEADER_PATH]: u.pathname + u.search, ...headers });
        let status = 0;
        stream.on("response", (h) => (status = Number(h[h2.HTTP2_HEADER_STATUS])));
        stream.on("data", () => {});
        stream.on("end", () => resolve(status > 0 && status < 500));
        stream.on("error", () => resolve(false));
        stream.end(spec.body.length ? spec.body : undefined);
      });
    close = async () => {
      for (const s of sessions) s.close();
    };
  }
  const total = Math.floor(rps * seconds);
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let late = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rps;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const sentAt = performance.now();
    if (sentAt - due > 5) late++;
    // Sends never wait for answers, so a stalled proxy cannot slow the sender: latency is
    // measured from the actual send, and the generator's own lag is reported apart (lateShare).
    const from = sentAt;
    const p = send().then(
      (good) => {
        latencies.push(performance.now() - from);
        if (good) ok++;
        else errors++;
      },
      () => {
        errors++;
      },
    );
    inflight.push(p);
    if (inflight.length > 4096) await Promise.all(inflight.splice(0, 2048));
  }
  // Bounded: anything not answered within 10 s is an error.
  await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, 10_000))]);
  await close();
  latencies.sort((a, b) => a - b);
  return { sent: total, ok, errors: total - ok, latenciesMs: latencies, seconds: (performance.now() - start) / 1000, lateShare: late / Math.max(1, total) };
}

export interface ClosedLoopResult {
  rps: number;
  requests: number;
  failed: number;
  seconds: number;
  /** CPU seconds h2load itself used: compared with Envoy's, says whether the generator kept up. */
  generatorCpuS: number;
}

export async function closedLoop(spec: LoadSpec, seconds: number, connections = 32, bodyFile?: string, cpus = "0"): Promise<ClosedLoopResult> {
  const args = ["taskset", "-c", cpus, "h2load", "-D", `${Math.round(seconds * 1000)}ms`, "-c", String(connections), "-t", "1", "-m", spec.protocol === "h2c" ? "10" : "1"];
  if (spec.protocol === "h1") args.push("--h1");
  for (const [k, v] of Object.entries(spec.headers)) args.push("-H", `${k}: ${v}`);
  if (bodyFile) args.push("-d", bodyFile, "-H", "content-type: application/json");
  args.push(spec.url);
  // bash's `time` reports the generator's own CPU seconds on stderr.
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const { stdout, stderr } = await execFileP("bash", ["-c", `TIMEFORMAT='%U %S'; time ${quoted}`], { maxBuffer: 16 * 1024 * 1024, timeout: (seconds + 30) * 1000 });
  const rps = Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(stdout)?.[1] ?? NaN);
  const done = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  const times = /([\d.]+) ([\d.]+)\s*$/.exec(stderr.trim());
  const user = times ? Number(times[1]) + Number(times[2]) : NaN;
  return {
    rps,
    requests: Number(done?.[2] ?? 0),
    failed: Number(done?.[4] ?? 0) + Number(done?.[5] ?? 0),
    seconds,
    generatorCpuS: user,
  };
}
