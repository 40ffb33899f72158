// `mirrorshade bench`: what mirroring costs the primary path. Real Envoy
// (--concurrency 1, pinned to core 1; the load generator, the upstreams and this
// harness on core 0), the same upstreams and load for every scenario, scenarios
// interleaved round by round so drift hits them all alike. Numbers, not pass/fail.
import { writeFileSync, mkdirSync, readFileSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { cpus as cpuInfo, totalmem, tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { startEnvoyOnFreePorts, type EnvoyInstance, type Backend } from "./envoy.js";
import { buildBootstrap, wasmHttpFilter, type BootstrapSpec } from "./bootstrap.js";
import { freePort } from "./ports.js";
import { parseOptions, UsageError, type Options } from "./args.js";
import { projectRoot, resolveEnvoyBinary } from "./envoy-binary.js";
import { startBenchUpstream, type BenchUpstream, type ShadowFault } from "./bench-upstream.js";
import { openLoop, closedLoop, fixedCount, percentile, type LoadSpec } from "./bench-load.js";
import { toMarkdown, toSvg, summary, FIELDS, type BenchReport, type ScenarioStats, type Measure, type Ratio } from "./bench-report.js";
import { sampleJson } from "./bench-redact.js";

let WASM = join(projectRoot, "build", "mirrorshade.wasm");
const KEY = "bench-hash-key-0123456789abcdef";
const ENVOY_CPU = "1";
const LOAD_CPU = "0";
/** CPU seconds that other processes may use during a measurement (of `seconds`) before it is taken again; the margin covers tick rounding. */
const foreignLimit = (seconds: number) => 0.2 + 0.1 * seconds;

export const SCENARIOS = ["floor", "native", "native_lua", "mirrorshade", "mirrorshade_empty", "native_upstream", "mirrorshade_copy", "mirrorshade_no_detectors", "wasm_noop", "wasm_dispatch"] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** What the spec compares; the attribution scenarios only say where mirrorshade's cost goes. */
const CORE: readonly Scenario[] = ["floor", "native", "native_lua", "mirrorshade", "mirrorshade_empty"];
const ATTRIBUTION: readonly Scenario[] = ["mirrorshade_copy", "mirrorshade_no_detectors"];
/** The lower-bound probes run on every 1 KB load, beside the targets they bound. */
const PROBES: readonly Scenario[] = ["wasm_noop", "wasm_dispatch"];
/** Lower-bound probes (bench/probes): raw proxy-wasm modules with no SDK, built next to the filter. */
const PROBE = (name: string) => join(projectRoot, "build", `probe-${name}.wasm`);

/** examples/redact.json with the hash key inline, its card path widened to every record ($..), as the sample body nests cards. */
const EXAMPLE = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8")) as { redact: { json: { mask: string[] }; detectors: string[] } & Record<string, unknown> };
const REDACT = {
  ...EXAMPLE.redact,
  json: { ...EXAMPLE.redact.json, mask: EXAMPLE.redact.json.mask.map((p) => p.replace(/^\$\.card/, "$..card")) },
  hash_key: `inline:${KEY}`,
};
/** The full mirror role: selection (everything passes the rules), redaction, tagging (on by default). */
const MIRROR_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 },
  select: { exclude: [{ path: { exact: "/healthz" } }], percent: 100 },
  redact: REDACT,
};
/**
 * The VM and SDK alone: the smallest valid policy that loads the filter and runs it on every request
 * while mirroring nothing (a match rule on a header no request carries), so no copy is ever made.
 */
const EMPTY_POLICY = { role: "mirror", shadow: { cluster: "shadow" }, select: { match: [{ header: "x-never-present-header", present: true }] } };
/** What a team would otherwise write: the same header redaction in Lua (it cannot touch only the copy: the primary gets it too). */
const LUA = `
function envoy_on_request(h)
  local hs = h:headers()
  hs:remove("authorization")
  hs:remove("cookie")
  local k = hs:get("x-api-key")
  if k then hs:replace("x-api-key", string.rep("*", #k)) end
  local e = hs:get("x-user-email")
  if e then hs:replace("x-user-email", "hashed") end
end`;

type Ports = { admin: number; listener: number; primary: number; shadow: number };

export function bootstrapFor(s: Scenario, ports: Ports): object {
  const base: BootstrapSpec = {
    adminPort: ports.admin,
    listenerPort: ports.listener,
    primary: { name: "primary", port: ports.primary },
    extraClusters: [{ name: "shadow", port: ports.shadow }],
  };
  const wasm = (configuration: object) => buildBootstrap({ ...base, wasm: { wasmPath: WASM, configuration } });
  switch (s) {
    case "floor":
      return buildBootstrap(base);
    case "native":
      return buildBootstrap({ ...base, nativeMirror: { cluster: "shadow" } });
    case "native_lua": {
      const b = buildBootstrap({ ...base, nativeMirror: { cluster: "shadow" } }) as { static_resources: { listeners: { filter_chains: { filters: { typed_config: { http_filters: object[] } }[] }[] }[] } };
      b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.unshift({
        name: "envoy.filters.http.lua",
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua", default_source_code: { inline_string: LUA } },
      });
      return b;
    }
    case "mirrorshade":
      return wasm(MIRROR_POLICY);
    case "mirrorshade_empty":
      return wasm(EMPTY_POLICY);
    // Attribution: the copy alone (no selection, no redaction), and the full policy without detectors.
    case "mirrorshade_copy":
      return wasm({ role: "mirror", shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 } });
    case "mirrorshade_no_detectors": {
      const { detectors: _d, ...rest } = REDACT;
      return wasm({ ...MIRROR_POLICY, redact: rest });
    }
    // Lower bounds: any Wasm filter with mirrorshade's callbacks, doing nothing; and the barest dispatch_http_call mirror.
    case "wasm_noop":
      return buildBootstrap({ ...base, wasm: { wasmPath: PROBE("noop"), configuration: "" } });
    case "wasm_dispatch":
      return buildBootstrap({ ...base, wasm: { wasmPath: PROBE("dispatch"), configuration: "" } });
    case "native_upstream": {
      const filter = wasmHttpFilter({ wasmPath: WASM, configuration: { role: "upstream", redact: REDACT } });
      return buildBootstrap({ ...base, extraClusters: [{ name: "shadow", port: ports.shadow, upstreamFilters: [filter] }], nativeMirror: { cluster: "shadow" } });
    }
  }
}

/** CPU seconds (utime + stime, all threads) and RSS of a process, from /proc. */
function procStat(pid: number | undefined): { cpuS: number; rssMb: number } {
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
function coreTimes(): Map<string, { busy: number; total: number; proc: number }> {
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

export interface Load {
  name: string;
  kind: "open" | "closed";
  protocol: "h1" | "h2c";
  bodyBytes: number;
  rps?: number;
  /** Also run the attribution scenarios on this load. */
  attribution?: boolean;
}

export interface BenchOptions {
  backend: Backend;
  rounds: number;
  seconds: number;
  loads: Load[];
  scenarios: readonly Scenario[];
  faults: boolean;
  faultSeconds: number;
  soakRequests: number;
  progress: (line: string) => void;
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
}

async function withEnvoy<T>(backend: Backend, scenario: Scenario, ups: Upstreams, shadowDown: boolean, fn: (url: string, envoy: EnvoyInstance) => Promise<T>): Promise<T> {
  const shadowPort = shadowDown ? await freePort() : ups.shadow.port;
  const { envoy, listenerPort: listener } = await startEnvoyOnFreePorts(
    (admin, listener) => bootstrapFor(scenario, { admin, listener, primary: ups.primary.port, shadow: shadowPort }),
    { backend, cpus: ENVOY_CPU, mounts: [join(projectRoot, "build"), WASM.replace(/\/[^/]*$/, "")], logLevel: "warning" },
  );
  try {
    // The container backend cannot pass taskset: pin every thread of the containerized Envoy from the host.
    if (backend === "container" && envoy.pid()) execFileSync("taskset", ["-a", "-p", "-c", ENVOY_CPU, String(envoy.pid())], { stdio: "ignore" });
    return await fn(`http://127.0.0.1:${listener}${PATH}`, envoy);
  } finally {
    await envoy.stop();
  }
}

async function measure(backend: Backend, scenario: Scenario, load: Load, seconds: number, bodyFile: string | undefined, ups: Upstreams, fault: ShadowFault | "down" = "none"): Promise<Measure> {
  ups.shadow.fault = fault === "down" ? "none" : fault;
  try {
    return await withEnvoy(backend, scenario, ups, fault === "down", async (url, envoy) => {
      const spec: LoadSpec = { url, protocol: load.protocol, headers: HEADERS, bodyFile, cpus: LOAD_CPU };
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
      return m;
    });
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

export function scenariosFor(load: Load, scenarios: readonly Scenario[]): Scenario[] {
  return scenarios.filter((s) => (!ATTRIBUTION.includes(s) || load.attribution) && (!PROBES.includes(s) || load.bodyBytes === 1024));
}

/** Ratios of a to b in each round, then their median and spread over rounds. */
function roundRatio(a: Measure[], b: Measure[]): Ratio {
  const out = {} as Ratio;
  for (const [key, field] of [["p50", "p50_ms"], ["p90", "p90_ms"], ["p99", "p99_ms"], ["p999", "p999_ms"], ["rps", "rps"], ["cpu", "cpu_s_per_1k"], ["rss", "rss_mb"]] as const) {
    const per = a.map((m, i) => (b[i] ? m[field] / b[i][field] : NaN));
    out[key] = median(per);
    out[`${key}_spread`] = range(per);
  }
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
  const ups: Upstreams = { primary: await startBenchUpstream(), shadow: await startBenchUpstream() };
  try {
    const samples = new Map<string, Measure[]>(); // `${load}|${scenario}`, one per round
    const steps = o.rounds * o.loads.reduce((n, l) => n + scenariosFor(l, o.scenarios).length, 0) + (o.faults ? 8 : 0) + (o.soakRequests > 0 ? 1 : 0);
    let step = 0;
    const began = Date.now();
    const tick = (line: string) => {
      step++;
      const el = (Date.now() - began) / 1000;
      const eta = step < steps ? ` (eta ${Math.round(((el / step) * (steps - step)) / 60)} min)` : "";
      o.progress(`[${step}/${steps} ${Math.floor(el / 60)}:${String(Math.round(el % 60)).padStart(2, "0")}${eta}] ${line}`);
    };
    for (let round = 0; round < o.rounds; round++) {
      for (const load of o.loads) {
        for (const s of scenariosFor(load, o.scenarios)) {
          let m = await measure(o.backend, s, load, o.seconds, bodyFile(load.bodyBytes), ups);
          // Another job on the machine spoils a measurement: take it again (twice at most) and say so.
          for (let retry = 1; retry <= 2 && (m.foreign_cpu_s ?? 0) > foreignLimit(o.seconds); retry++) {
            o.progress(`  (${m.foreign_cpu_s!.toFixed(2)} CPU s used by other processes during ${load.name} ${s}: measuring again)`);
            m = { ...(await measure(o.backend, s, load, o.seconds, bodyFile(load.bodyBytes), ups)), retries: retry };
          }
          const key = `${load.name}|${s}`;
          (samples.get(key) ?? samples.set(key, []).get(key)!).push(m);
          const what = load.kind === "open" ? `p50 ${m.p50_ms.toFixed(2)} p99 ${m.p99_ms.toFixed(2)} p99.9 ${m.p999_ms.toFixed(2)} ms` : `${m.rps.toFixed(0)} req/s`;
          tick(`round ${round + 1} ${load.name} ${s}: ${what}, ${(m.cpu_s_per_1k * 1000).toFixed(0)} µs cpu/req, mirrored ${(m.mirrored_share ?? NaN).toFixed(2)}, errors ${m.errors}, other CPU ${(m.foreign_cpu_s ?? NaN).toFixed(2)} s`);
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
      policies: { mirrorshade: MIRROR_POLICY, mirrorshade_empty: EMPTY_POLICY, lua: LUA.trim() },
      stats,
      ratios,
      faults,
      soak,
    };
  } finally {
    await ups.primary.close();
    await ups.shadow.close();
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

function envoyVersion(): string {
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

export const FULL_LOADS: Load[] = [
  { name: "open 500 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 500, attribution: true },
  { name: "open 2000 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 2000, attribution: true },
  { name: "open 500 rps h1 0B", kind: "open", protocol: "h1", bodyBytes: 0, rps: 500 },
  { name: "open 500 rps h1 16KB", kind: "open", protocol: "h1", bodyBytes: 16384, rps: 500 },
  { name: "open 500 rps h2c 1KB", kind: "open", protocol: "h2c", bodyBytes: 1024, rps: 500 },
  { name: "open 2000 rps h2c 1KB", kind: "open", protocol: "h2c", bodyBytes: 1024, rps: 2000 },
  { name: "saturation h1 1KB", kind: "closed", protocol: "h1", bodyBytes: 1024, attribution: true },
  { name: "saturation h2c 1KB", kind: "closed", protocol: "h2c", bodyBytes: 1024 },
  { name: "saturation h1 16KB", kind: "closed", protocol: "h1", bodyBytes: 16384 },
];

export const QUICK_LOADS: Load[] = [
  { name: "open 500 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 500 },
  { name: "saturation h1 1KB", kind: "closed", protocol: "h1", bodyBytes: 1024 },
];

/** Keep this process (the harness, its upstreams) and so its children on the load generator's core; Envoy pins itself to its own. */
function pinSelf(): void {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", LOAD_CPU, String(process.pid)], { stdio: "ignore" });
  } catch {
    /* taskset missing: run unpinned */
  }
}

export const BENCH_USAGE = `usage: mirrorshade bench [options]
  --quick              a short run (1 round, 1.5 s per measurement, two loads, the core scenarios)
  --json FILE          also write the compact JSON summary to FILE
  --container          Envoy in a container (testcontainers) instead of a process
  --rounds N           interleaved rounds (default 3)
  --seconds S          seconds per measurement (default 5)
  --soak N             requests in the soak run (default 1000000; 0 skips it)
  --no-faults          skip the shadow fault runs
  --wasm FILE          the filter module to measure (default build/mirrorshade.wasm)
  --scenarios A,B      only these scenarios: ${SCENARIOS.join(", ")}
  --loads TEXT         only the loads whose name contains TEXT, e.g. "saturation h1"
  --out DIR            where results.md, results.json and latency.svg go
                       (default bench/results for a full run, a temporary folder otherwise)
`;

/** Reads the bench options and checks their values; a mistake is a UsageError that names it. */
export function parseBenchArgs(args: string[]): Options {
  const o = parseOptions(args, {
    switches: ["quick", "container", "no-faults"],
    values: ["json", "rounds", "seconds", "soak", "wasm", "scenarios", "loads", "out"],
  });
  for (const n of ["rounds", "seconds", "soak"]) {
    const v = o.get(n);
    if (v !== undefined && !(Number(v) >= (n === "soak" ? 0 : 1e-9) && Number.isFinite(Number(v)))) throw new UsageError(`--${n} must be a ${n === "soak" ? "number ≥ 0" : "positive number"}, not "${v}"`);
  }
  const unknown = (o.get("scenarios") ?? "").split(",").filter((s) => s && !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`unknown scenario ${unknown.map((s) => `"${s}"`).join(", ")} in --scenarios (known: ${SCENARIOS.join(", ")})`);
  const loads = o.get("loads");
  if (loads !== undefined && !FULL_LOADS.concat(QUICK_LOADS).some((l) => l.name.includes(loads))) throw new UsageError(`--loads "${loads}" matches no load (loads: ${FULL_LOADS.map((l) => l.name).join("; ")})`);
  const wasm = o.get("wasm");
  if (wasm !== undefined && !existsSync(wasm)) throw new UsageError(`--wasm ${wasm}: no such file`);
  return o;
}

export async function benchCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  let parsed: Options;
  try {
    parsed = parseBenchArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`mirrorshade bench: ${e.message}\n${BENCH_USAGE}`);
    return 2;
  }
  const opt = (name: string) => parsed.get(name);
  const quick = parsed.has("quick");
  const jsonFile = opt("json");
  const rounds = Number(opt("rounds") ?? (quick ? 1 : 3));
  const seconds = Number(opt("seconds") ?? (quick ? 1.5 : 5));
  const soakRequests = Number(opt("soak") ?? (quick ? 3000 : 1_000_000));
  // Comparing two builds: --wasm other.wasm; a subset: --scenarios a,b --loads saturation.
  if (opt("wasm")) WASM = opt("wasm")!;
  const only = opt("scenarios")?.split(",");
  const loadFilter = opt("loads");
  const partial = Boolean(only || loadFilter);
  pinSelf();
  const started = Date.now();
  const report = await runBench({
    backend: parsed.has("container") ? "container" : "process",
    rounds,
    seconds,
    loads: (quick ? QUICK_LOADS : FULL_LOADS).filter((l) => !loadFilter || l.name.includes(loadFilter)),
    scenarios: only ? SCENARIOS.filter((s) => only.includes(s)) : quick ? CORE : SCENARIOS,
    faults: !partial && !parsed.has("no-faults"),
    faultSeconds: quick ? 1 : seconds,
    soakRequests: partial ? 0 : soakRequests,
    progress: (l) => console.log(l),
  });
  report.wall_s = (Date.now() - started) / 1000;
  report.command = `mirrorshade bench ${args.join(" ")}`.trim();
  // Only a full run replaces the results kept in the tree.
  const outDir = opt("out") ?? (quick || partial ? join(tmpdir(), "mirrorshade-bench-partial") : join(projectRoot, "bench", "results"));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "results.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(outDir, "results.md"), toMarkdown(report));
  writeFileSync(join(outDir, "latency.svg"), toSvg(report));
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(quickJson(report), null, 2) + "\n");
  console.log(`\n${summary(report)}\nwritten: ${outDir}/results.md, results.json, latency.svg${jsonFile ? `; ${jsonFile}` : ""}`);
  return 0;
}

/** The compact JSON of `bench --quick --json FILE`: latency from the first fixed-rate load, throughput from the first saturation load. */
export function quickJson(r: BenchReport) {
  const open = r.loads.find((l) => l.kind === "open")!.name;
  const closed = r.loads.find((l) => l.kind === "closed")!.name;
  const scenarios: Record<string, { p50_ms: number; p99_ms: number; rps: number; cpu_s_per_1k: number; rss_mb: number }> = {};
  for (const s of r.scenarios) {
    const o = r.stats[open][s];
    const c = r.stats[closed][s];
    if (!o || !c) continue;
    scenarios[s] = { p50_ms: o.p50_ms, p99_ms: o.p99_ms, rps: c.rps, cpu_s_per_1k: c.cpu_s_per_1k, rss_mb: c.rss_mb };
  }
  const ratio = (key: string) => {
    const lat = r.ratios[open][key];
    const thr = r.ratios[closed][key];
    return { p50: lat?.p50 ?? NaN, p99: lat?.p99 ?? NaN, rps: thr?.rps ?? NaN };
  };
  return {
    scenarios,
    ratios: { "mirrorshade/native": ratio("mirrorshade/native"), "mirrorshade/native_lua": ratio("mirrorshade/native_lua"), "mirrorshade_empty/floor": ratio("mirrorshade_empty/floor") },
  };
}
