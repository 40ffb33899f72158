// Running the bench: what mirroring costs the primary path. Real Envoy
// (--concurrency 1, pinned to core 1; the load generator, the upstreams and this
// harness on core 0), the same upstreams and load for every scenario, scenarios
// interleaved round by round so drift hits them all alike. Numbers, not pass/fail.
import { writeFileSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cpus as cpuInfo, totalmem, tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { startEnvoyOnFreePorts, type EnvoyInstance, type Backend } from "../envoy/index.js";
import { resolveEnvoyBinary } from "../envoy/binary.js";
import { freePort } from "../net/ports.js";
import { BUILD_DIR } from "../paths.js";
import { startBenchUpstream, type BenchUpstream, type ShadowFault } from "./upstream.js";
import { openLoop, closedLoop, fixedCount, percentile, type LoadSpec } from "./load.js";
import { FIELDS, type BenchReport, type ScenarioStats, type Measure, type Ratio } from "./report.js";
import { sampleJson } from "./redact.js";
import { benchWasm, beforeWasm, bootstrapFor, scenariosFor, MIRROR_POLICY, EMPTY_POLICY, LUA, type Load, type Scenario } from "./scenarios.js";
import { startGrpcBenchUpstream } from "./grpc-upstream.js";
import { sampleGrpcMessage, GRPC_HEADERS, GRPC_PATH, GRPC_CONTENT_TYPE, GRPC_POLICY, GRPC_DETECTORS_POLICY } from "./grpc.js";

export const ENVOY_CPU = "1";
export const LOAD_CPU = "0";
/** CPU seconds that other processes may use during a measurement (of `seconds`) before it is taken again; the margin covers tick rounding. */
export const foreignLimit = (seconds: number) => 0.2 + 0.1 * seconds;

/** CPU seconds (utime + stime, all threads) and RSS of a process, from /proc. */
export function procStat(pid: number | undefined): { cpuS: number; rssMb: number } {
  if (!pid) return { cpuS: NaN, rssMb: NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuS = (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; CLK_TCK is 100 on Linux
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { cpuS, rssMb: rss ? Number(rss[1]) / 1024 : NaN };
  } catch {
    return { cpuS: NaN, rssMb: NaN };
  }
}

/** Per core (and "all"), from /proc/stat in clock ticks: busy, total, and time in processes (user, nice, system). */
export function coreTimes(): Map<string, { busy: number; total: number; proc: number }> {
  const out = new Map<string, { busy: number; total: number; proc: number }>();
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d*) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out.set(m[1] || "all", { busy: total - v[3] - v[4], total, proc: v[0] + v[1] + v[2] });
  }
  return out;
}
const busyShare = (a: ReturnType<typeof coreTimes>, b: ReturnType<typeof coreTimes>, core: string) => {
  const x = a.get(core);
  const y = b.get(core);
  return x && y && y.total > x.total ? (y.busy - x.busy) / (y.total - x.total) : NaN;
};

export interface BenchOptions {
  backend: Backend;
  rounds: number;
  seconds: number;
  loads: Load[];
  scenarios: readonly Scenario[];
  faults: boolean;
  faultSeconds: number;
  soakRequests: number;
  /** Measurements taken again at most, each, when another job used the machine during them. */
  retakes: number;
  /** A line of progress; with `step` when it ends a measurement (the CLI's bar). */
  progress: (line: string, step?: { done: number; total: number }) => void;
}

const HEADERS = {
  authorization: "Bearer secret-token",
  cookie: "sid=abc",
  "x-api-key": "key-12345",
  "x-user-email": "alice@example.com",
  "x-user-id": "alice",
};
const PATH = "/api/orders?token=t0k3n&session=s3ss&id=7";

interface Upstreams {
  primary: BenchUpstream;
  shadow: BenchUpstream;
  /** The gRPC loads' (HTTP/2) upstreams, started when a gRPC load runs. */
  grpc?: { primary: BenchUpstream; shadow: BenchUpstream };
}

/** What a load sends and to which upstreams: HTTP (JSON, PATH, HEADERS) or a gRPC unary call. */
function trafficOf(load: Load, ups: Upstreams): { ups: { primary: BenchUpstream; shadow: BenchUpstream }; path: string; headers: Record<string, string>; contentType?: string } {
  if (load.grpc) return { ups: ups.grpc!, path: GRPC_PATH, headers: GRPC_HEADERS, contentType: GRPC_CONTENT_TYPE };
  return { ups, path: PATH, headers: HEADERS };
}

async function withEnvoy<T>(
  backend: Backend,
  scenario: Scenario,
  ups: { primary: BenchUpstream; shadow: BenchUpstream },
  shadowDown: boolean,
  fn: (url: string, envoy: EnvoyInstance) => Promise<T>,
  path = PATH,
): Promise<T> {
  const shadowPort = shadowDown ? await freePort() : ups.shadow.port;
  const { envoy, listenerPort: listener } = await startEnvoyOnFreePorts(
    (admin, listener) => bootstrapFor(scenario, { admin, listener, primary: ups.primary.port, shadow: shadowPort }),
    { backend, cpus: ENVOY_CPU, mounts: [BUILD_DIR, ...[benchWasm(), beforeWasm()].filter((w) => w !== null).map((w) => w.replace(/\/[^/]*$/, ""))], logLevel: "warning" },
  );
  try {
    // The container backend cannot pass taskset: pin every thread of the containerized Envoy from the host.
    if (backend === "container" && envoy.pid()) execFileSync("taskset", ["-a", "-p", "-c", ENVOY_CPU, String(envoy.pid())], { stdio: "ignore" });
    return await fn(`http://127.0.0.1:${listener}${path}`, envoy);
  } finally {
    await envoy.stop();
  }
}

async function measure(backend: Backend, scenario: Scenario, load: Load, seconds: number, bodyFile: string | undefined, all: Upstreams, fault: ShadowFault | "down" = "none"): Promise<Measure> {
  const traffic = trafficOf(load, all);
  const ups = traffic.ups;
  ups.shadow.fault = fault === "down" ? "none" : fault;
  try {
    return await withEnvoy(backend, scenario, ups, fault === "down", async (url, envoy) => {
      const spec: LoadSpec = { url, protocol: load.protocol, headers: traffic.headers, bodyFile, contentType: traffic.contentType, cpus: LOAD_CPU };
      // Warm-up: connections, V8 tier-up, first allocations.
      await fixedCount(spec, 1000, 8, 60);
      await new Promise((r) => setTimeout(r, 100));
      const before = procStat(envoy.pid());
      const coresBefore = coreTimes();
      const selfBefore = process.cpuUsage();
      const p0 = ups.primary.requests;
      const s0 = ups.shadow.requests;
      let m: Measure;
      if (load.kind === "open") {
        const r = await openLoop(spec, load.rps!, seconds);
        const l = r.latenciesMs;
        m = {
          p50_ms: percentile(l, 50), p90_ms: percentile(l, 90), p99_ms: percentile(l, 99), p999_ms: percentile(l, 99.9),
          rps: r.achievedRps, errors: r.errors, requests: r.sent, cpu_s_per_1k: NaN, rss_mb: NaN,
          generator_late: r.lateShare, generator_cpu_s: r.generatorCpuS,
        };
      } else {
        const r = await closedLoop(spec, seconds, 32);
        m = { p50_ms: NaN, p90_ms: NaN, p99_ms: NaN, p999_ms: NaN, rps: r.rps, errors: r.failed, requests: r.requests, cpu_s_per_1k: NaN, rss_mb: NaN, generator_cpu_s: r.generatorCpuS };
      }
      const after = procStat(envoy.pid());
      const coresAfter = coreTimes();
      const self = process.cpuUsage(selfBefore);
      m.cpu_s_per_1k = ((after.cpuS - before.cpuS) / Math.max(1, m.requests)) * 1000;
      m.rss_mb = after.rssMb;
      m.load_core_busy = busyShare(coresBefore, coresAfter, LOAD_CPU);
      m.envoy_core_busy = busyShare(coresBefore, coresAfter, ENVOY_CPU);
      // CPU time in processes other than Envoy, h2load and this harness (its upstreams): another job on the machine.
      const procS = (coresAfter.get("all")!.proc - coresBefore.get("all")!.proc) / 100;
      m.foreign_cpu_s = Math.max(0, procS - (after.cpuS - before.cpuS) - (m.generator_cpu_s ?? 0) - (self.user + self.system) / 1e6);
      // Copies that reached the shadow per request that reached the primary (a few may still be on their way).
      const primaryN = ups.primary.requests - p0;
      m.mirrored_share = primaryN > 0 ? (ups.shadow.requests - s0) / primaryN : NaN;
      // Why copies were not sent (one Envoy per measurement: the counters start at 0).
      for (const [k, v] of await envoy.stats("mirrorshade.skipped.")) {
        const reason = k.replace(/^wasmcustom\.mirrorshade\.skipped\./, "");
        if (v > 0 && !k.includes("shadows.")) (m.skipped ??= {})[reason] = v;
      }
      return m;
    }, traffic.path);
  } finally {
    ups.shadow.fault = "none";
  }
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const range = (xs: number[]): [number, number] => {
  const s = xs.filter(Number.isFinite);
  return s.length ? [Math.min(...s), Math.max(...s)] : [NaN, NaN];
};

/** Ratios of a to b in each round, then their median and spread over rounds. */
function roundRatio(a: Measure[], b: Measure[]): Ratio {
  const out = {} as Ratio;
  for (const [key, field] of [["p50", "p50_ms"], ["p90", "p90_ms"], ["p99", "p99_ms"], ["p999", "p999_ms"], ["rps", "rps"], ["cpu", "cpu_s_per_1k"], ["rss", "rss_mb"]] as const) {
    const per = a.map((m, i) => (b[i] ? m[field] / b[i][field] : NaN));
    out[key] = median(per);
    out[`${key}_spread`] = range(per);
  }
  // Envoy CPU µs per request of a over b, within each round.
  const diff = a.map((m, i) => (b[i] ? (m.cpu_s_per_1k - b[i].cpu_s_per_1k) * 1000 : NaN));
  out.cpu_us_diff = median(diff);
  out.cpu_us_diff_spread = range(diff);
  return out;
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), "mirrorshade-bench-"));
  const bodyFiles = new Map<number, string | undefined>();
  const bodyFile = (bytes: number) => {
    if (!bodyFiles.has(bytes)) {
      const file = bytes ? join(dir, `body-${bytes}.json`) : undefined;
      if (file) writeFileSync(file, sampleJson(bytes));
      bodyFiles.set(bytes, file);
    }
    return bodyFiles.get(bytes);
  };
  let grpcBody: string | undefined;
  /** The load's body: a JSON document, or one framed protobuf message for a gRPC load. */
  const bodyOf = (load: Load) => {
    if (!load.grpc) return bodyFile(load.bodyBytes);
    if (!grpcBody) writeFileSync((grpcBody = join(dir, `grpc-${load.bodyBytes}.bin`)), sampleGrpcMessage(load.bodyBytes));
    return grpcBody;
  };
  const ups: Upstreams = { primary: await startBenchUpstream(), shadow: await startBenchUpstream() };
  if (o.loads.some((l) => l.grpc)) ups.grpc = { primary: await startGrpcBenchUpstream(), shadow: await startGrpcBenchUpstream() };
  try {
    const samples = new Map<string, Measure[]>(); // `${load}|${scenario}`, one per round
    const steps = o.rounds * o.loads.reduce((n, l) => n + scenariosFor(l, o.scenarios).length, 0) + (o.faults ? 8 : 0) + (o.soakRequests > 0 ? 1 : 0);
    let step = 0;
    const began = Date.now();
    const tick = (line: string) => {
      step++;
      const el = (Date.now() - began) / 1000;
      const eta = step < steps ? ` (eta ${Math.round(((el / step) * (steps - step)) / 60)} min)` : "";
      o.progress(`[${step}/${steps} ${Math.floor(el / 60)}:${String(Math.round(el % 60)).padStart(2, "0")}${eta}] ${line}`, { done: step, total: steps });
    };
    for (let round = 0; round < o.rounds; round++) {
      for (const load of o.loads) {
        for (const s of scenariosFor(load, o.scenarios)) {
          let m = await measure(o.backend, s, load, o.seconds, bodyOf(load), ups);
          // Another job on the machine spoils a measurement: take it again (o.retakes times at most) and say so.
          for (let retry = 1; retry <= o.retakes && (m.foreign_cpu_s ?? 0) > foreignLimit(o.seconds); retry++) {
            o.progress(`  (${m.foreign_cpu_s!.toFixed(2)} CPU s used by other processes during ${load.name} ${s}: measuring again)`);
            m = { ...(await measure(o.backend, s, load, o.seconds, bodyOf(load), ups)), retries: retry };
          }
          const key = `${load.name}|${s}`;
          (samples.get(key) ?? samples.set(key, []).get(key)!).push(m);
          const what = load.kind === "open" ? `p50 ${m.p50_ms.toFixed(2)} p99 ${m.p99_ms.toFixed(2)} p99.9 ${m.p999_ms.toFixed(2)} ms` : `${m.rps.toFixed(0)} req/s`;
          tick(`round ${round + 1} ${load.name} ${s}: ${what}, ${(m.cpu_s_per_1k * 1000).toFixed(0)} µs cpu/req, mirrored ${(m.mirrored_share ?? NaN).toFixed(2)}${m.skipped ? ` (skipped: ${Object.entries(m.skipped).map(([k, v]) => `${k} ${v}`).join(", ")})` : ""}, errors ${m.errors}, other CPU ${(m.foreign_cpu_s ?? NaN).toFixed(2)} s`);
        }
      }
    }
    const stats: BenchReport["stats"] = {};
    const ratios: BenchReport["ratios"] = {};
    for (const load of o.loads) {
      stats[load.name] = {};
      ratios[load.name] = {};
      const ran = scenariosFor(load, o.scenarios);
      for (const s of ran) {
        const ms = samples.get(`${load.name}|${s}`) ?? [];
        const st = {} as ScenarioStats;
        for (const f of FIELDS) {
          st[f] = median(ms.map((m) => m[f]));
          st[`${f}_spread`] = range(ms.map((m) => m[f]));
        }
        st.errors = ms.reduce((a, m) => a + m.errors, 0);
        st.generator_late = Math.max(...ms.map((m) => m.generator_late ?? 0));
        st.generator_cpu_s = Math.max(...ms.map((m) => m.generator_cpu_s ?? NaN).filter(Number.isFinite));
        st.load_core_busy = Math.max(...ms.map((m) => m.load_core_busy ?? NaN).filter(Number.isFinite));
        st.envoy_core_busy = median(ms.map((m) => m.envoy_core_busy ?? NaN));
        st.mirrored_share = median(ms.map((m) => m.mirrored_share ?? NaN));
        st.foreign_cpu_s = Math.max(0, ...ms.map((m) => m.foreign_cpu_s ?? 0));
        st.retries = ms.reduce((a, m) => a + (m.retries ?? 0), 0);
        stats[load.name][s] = st;
      }
      const pairs: [Scenario, Scenario][] = [
        ...ran.filter((s) => s !== "floor").map((s) => [s, "floor"] as [Scenario, Scenario]),
        ["mirrorshade", "native"],
        ["mirrorshade", "native_lua"],
        ["native_upstream", "native"],
        ["wasm_dispatch", "native"],
        // Two builds in the same rounds (bench --before-wasm), and each against the barest mirror (issue #15's 1 KB target).
        ["mirrorshade", "before_mirrorshade"],
        ["mirrorshade_copy", "before_mirrorshade_copy"],
        ["mirrorshade_empty", "before_mirrorshade_empty"],
        ["mirrorshade_inline", "before_mirrorshade_inline"],
        ["mirrorshade_inline", "native"],
        ["before_mirrorshade_inline", "native"],
        ...(["mirrorshade", "mirrorshade_copy", "before_mirrorshade", "before_mirrorshade_copy"] as const).map((s) => [s, "wasm_dispatch"] as [Scenario, Scenario]),
        ...(["mirrorshade_empty", "before_mirrorshade_empty"] as const).map((s) => [s, "wasm_noop"] as [Scenario, Scenario]),
        // Each SDK's probes against the raw ones (bench/probes/*.ts): what the SDK and its language add.
        ...(["go", "rust"] as const).flatMap((sdk) => (["noop", "dispatch"] as const).map((job) => [`${sdk}_${job}`, `wasm_${job}`] as [Scenario, Scenario])),
        ...ran.filter((s) => s.startsWith("grpc_") && s !== "grpc_floor").map((s) => [s, "grpc_floor"] as [Scenario, Scenario]),
        ["grpc_mirrorshade", "grpc_native"],
        ["grpc_mirrorshade_detectors", "grpc_native"],
      ];
      for (const [a, b] of pairs) {
        const x = samples.get(`${load.name}|${a}`);
        const y = samples.get(`${load.name}|${b}`);
        if (x && y) ratios[load.name][`${a}/${b}`] = roundRatio(x, y);
      }
    }
    const faults: BenchReport["faults"] = [];
    if (o.faults) {
      const load: Load = { name: "fault", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 500 };
      for (const fault of ["down", "slow", "reset", "error"] as const) {
        const native = await measure(o.backend, "native", load, o.faultSeconds, bodyFile(1024), ups, fault);
        tick(`fault ${fault} native: p99 ${native.p99_ms.toFixed(2)} ms, errors ${native.errors}`);
        const mirror = await measure(o.backend, "mirrorshade", load, o.faultSeconds, bodyFile(1024), ups, fault);
        tick(`fault ${fault} mirrorshade: p99 ${mirror.p99_ms.toFixed(2)} ms, errors ${mirror.errors}`);
        faults.push({
          fault,
          native_p50_ms: native.p50_ms,
          mirrorshade_p50_ms: mirror.p50_ms,
          native_p99_ms: native.p99_ms,
          mirrorshade_p99_ms: mirror.p99_ms,
          native_errors: native.errors,
          mirrorshade_errors: mirror.errors,
          requests: mirror.requests,
          p99_ratio: mirror.p99_ms / native.p99_ms,
        });
      }
    }
    let soak: BenchReport["soak"];
    if (o.soakRequests > 0) soak = await runSoak(o, ups, bodyFile, tick);
    return {
      machine: `${cpuInfo().length} cores (${cpuInfo()[0]?.model?.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      date: new Date().toISOString().slice(0, 10),
      backend: o.backend,
      envoy: envoyVersion(),
      generator: generatorVersion(),
      rounds: o.rounds,
      seconds: o.seconds,
      loads: o.loads,
      scenarios: [...o.scenarios],
      policies: {
        mirrorshade: MIRROR_POLICY,
        mirrorshade_empty: EMPTY_POLICY,
        lua: LUA.trim(),
        ...(ups.grpc ? { grpc_mirrorshade: GRPC_POLICY, grpc_mirrorshade_detectors: GRPC_DETECTORS_POLICY } : {}),
      },
      stats,
      ratios,
      faults,
      soak,
    };
  } finally {
    await ups.primary.close();
    await ups.shadow.close();
    await ups.grpc?.primary.close();
    await ups.grpc?.shadow.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A long run through mirrorshade with 0 B, 1 KB and 16 KB bodies in turn: does Envoy's or the filter's memory keep growing? */
async function runSoak(o: BenchOptions, ups: Upstreams, bodyFile: (n: number) => string | undefined, tick: (l: string) => void): Promise<BenchReport["soak"]> {
  return withEnvoy(o.backend, "mirrorshade", ups, false, async (url, envoy) => {
    const spec = (bytes: number): LoadSpec => ({ url, protocol: "h1", headers: HEADERS, bodyFile: bodyFile(bytes), cpus: LOAD_CPU });
    const wasmMb = async () => ((await envoy.stats("mirrorshade.vm.memory_bytes")).get("wasmcustom.mirrorshade.vm.memory_bytes") ?? NaN) / 2 ** 20;
    // Warm up first: the filter's memory gauge is set by its first requests, and V8 settles.
    for (const b of [0, 1024, 16384]) await fixedCount(spec(b), 1000, 16, 120);
    const start = { ...procStat(envoy.pid()), wasmMb: await wasmMb() };
    const samples: { requests: number; rss_mb: number; wasm_mb: number }[] = [{ requests: 0, rss_mb: start.rssMb, wasm_mb: start.wasmMb }];
    const per = Math.max(500, Math.ceil(o.soakRequests / 30));
    const began = Date.now();
    let done = 0;
    let failed = 0;
    for (let chunk = 0; done + failed < o.soakRequests && Date.now() - began < 8 * 60_000; chunk++) {
      const r = await fixedCount(spec([0, 1024, 16384][chunk % 3]), Math.min(per, o.soakRequests - done - failed), 16, 300);
      done += r.ok;
      failed += r.failed;
      samples.push({ requests: done + failed, rss_mb: procStat(envoy.pid()).rssMb, wasm_mb: await wasmMb() });
    }
    const end = samples[samples.length - 1];
    const mirrored = (await envoy.stats("mirrorshade.mirrored")).get("wasmcustom.mirrorshade.mirrored") ?? NaN;
    tick(`soak: ${done + failed} requests (${failed} failed, ${mirrored} mirrored) in ${Math.round((Date.now() - began) / 1000)} s, Envoy RSS ${start.rssMb.toFixed(1)} -> ${end.rss_mb.toFixed(1)} MB, Wasm memory ${start.wasmMb.toFixed(2)} -> ${end.wasm_mb.toFixed(2)} MB`);
    return {
      requests: done + failed,
      failed,
      mirrored,
      seconds: (Date.now() - began) / 1000,
      rss_mb_start: start.rssMb,
      rss_mb_end: end.rss_mb,
      rss_mb_max: Math.max(...samples.map((s) => s.rss_mb)),
      wasm_mb_start: start.wasmMb,
      wasm_mb_end: end.wasm_mb,
      wasm_mb_max: Math.max(...samples.map((s) => s.wasm_mb)),
      samples,
    };
  });
}

export function envoyVersion(): string {
  try {
    const out = execFileSync(resolveEnvoyBinary(), ["--version"], { encoding: "utf8" });
    return /version: \S+\/([\d.]+)/.exec(out)?.[1] ?? out.trim().split("\n").pop()!;
  } catch {
    return "?";
  }
}
function generatorVersion(): string {
  try {
    return execFileSync("h2load", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "h2load (version unknown)";
  }
}

/** Keep this process (the harness, its upstreams) and so its children on the load generator's core; Envoy pins itself to its own. */
export function pinSelf(): void {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", LOAD_CPU, String(process.pid)], { stdio: "ignore" });
  } catch {
    /* taskset missing: run unpinned */
  }
}
