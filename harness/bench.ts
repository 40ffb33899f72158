// `mirrorshade bench`: what mirroring costs the primary path. Real Envoy
// (--concurrency 1, pinned to core 1; load generator and upstreams on core 0),
// the same upstreams and load for every scenario, scenarios interleaved round by
// round so drift hits them all alike. Numbers, not pass/fail.
import { writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cpus as cpuInfo, totalmem, tmpdir } from "node:os";
import { startEnvoy, type EnvoyInstance, type Backend } from "./envoy.js";
import { buildBootstrap, wasmHttpFilter, type BootstrapSpec } from "./bootstrap.js";
import { freePort } from "./ports.js";
import { projectRoot } from "./envoy-binary.js";
import { startBenchUpstream, type ShadowFault } from "./bench-upstream.js";
import { openLoop, closedLoop, percentile, type LoadSpec } from "./bench-load.js";
import { toMarkdown, toSvg, type BenchReport, type ScenarioStats, type Measure } from "./bench-report.js";
import { sampleJson } from "./bench-redact.js";

let WASM = join(projectRoot, "build", "mirrorshade.wasm");
const KEY = "bench-hash-key-0123456789abcdef";

export const SCENARIOS = ["floor", "native", "native_lua", "mirrorshade", "mirrorshade_empty", "native_upstream", "mirrorshade_copy", "mirrorshade_no_detectors"] as const;
export type Scenario = (typeof SCENARIOS)[number];

const REDACT = {
  headers: { drop: ["authorization", "cookie"], mask: ["x-api-key"], hash: ["x-user-email"] },
  query: { mask: ["token"] },
  json: { mask: ["$..card.number", "$..cvv", "$..password"], hash: ["$..email"] },
  detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
  hash_key: `inline:${KEY}`,
};
/** The full mirror role: selection (everything passes), redaction, tagging. */
const MIRROR_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 },
  select: { exclude: [{ path: { exact: "/healthz" } }], percent: 100 },
  redact: REDACT,
};
/** The VM and SDK alone: loaded, called on every request, never mirrors. */
const EMPTY_POLICY = { role: "mirror", shadow: { cluster: "shadow" }, select: { match: [{ header: "x-never-present-header", present: true }] } };
/** What a team would otherwise write: the same header redaction in Lua (it cannot touch only the copy). */
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

function bootstrapFor(s: Scenario, ports: { admin: number; listener: number; primary: number; shadow: number }): object {
  const base: BootstrapSpec = {
    adminPort: ports.admin,
    listenerPort: ports.listener,
    primary: { name: "primary", port: ports.primary },
    extraClusters: [{ name: "shadow", port: ports.shadow }],
  };
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
      return buildBootstrap({ ...base, wasm: { wasmPath: WASM, configuration: MIRROR_POLICY } });
    case "mirrorshade_empty":
      return buildBootstrap({ ...base, wasm: { wasmPath: WASM, configuration: EMPTY_POLICY } });
    // Attribution: the copy alone (no selection, no redaction), and redaction without detectors.
    case "mirrorshade_copy":
      return buildBootstrap({ ...base, wasm: { wasmPath: WASM, configuration: { role: "mirror", shadow: { cluster: "shadow", max_inflight: 1024 } } } });
    case "mirrorshade_no_detectors": {
      const { detectors: _d, ...rest } = REDACT;
      return buildBootstrap({ ...base, wasm: { wasmPath: WASM, configuration: { ...MIRROR_POLICY, redact: rest } } });
    }
    case "native_upstream": {
      const filter = wasmHttpFilter({ wasmPath: WASM, configuration: { role: "upstream", redact: REDACT } });
      return buildBootstrap({ ...base, extraClusters: [{ name: "shadow", port: ports.shadow, upstreamFilters: [filter] }], nativeMirror: { cluster: "shadow" } });
    }
  }
}

function procStat(pid: number | undefined): { cpuS: number; rssMb: number } {
  if (!pid) return { cpuS: NaN, rssMb: NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuS = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (CLK_TCK 100)
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return { cpuS, rssMb: rss ? Number(rss[1]) / 1024 : NaN };
  } catch {
    return { cpuS: NaN, rssMb: NaN };
  }
}

export interface Load {
  name: string;
  kind: "open" | "closed";
  protocol: "h1" | "h2c";
  bodyBytes: number;
  rps?: number;
}

export interface BenchOptions {
  backend: Backend;
  rounds: number;
  seconds: number;
  loads: Load[];
  scenarios: readonly Scenario[];
  faults: boolean;
  soakRequests: number;
  progress: (line: string) => void;
}

const headersFor = () => ({
  authorization: "Bearer secret-token",
  cookie: "sid=abc",
  "x-api-key": "key-12345",
  "x-user-email": "alice@example.com",
  "x-user-id": "alice",
});

async function withEnvoy<T>(backend: Backend, scenario: Scenario, fault: ShadowFault | "down", fn: (url: string, envoy: EnvoyInstance) => Promise<T>): Promise<T> {
  const primary = await startBenchUpstream();
  const shadow = await startBenchUpstream();
  if (fault === "slow" || fault === "reset") shadow.fault = fault;
  const admin = await freePort();
  const listener = await freePort();
  const shadowPort = fault === "down" ? await freePort() : shadow.port;
  const envoy = await startEnvoy({
    adminPort: admin,
    backend,
    cpus: "1",
    mounts: [join(projectRoot, "build")],
    logLevel: "warning",
    bootstrap: bootstrapFor(scenario, { admin, listener, primary: primary.port, shadow: shadowPort }),
  });
  try {
    return await fn(`http://127.0.0.1:${listener}/api/orders?token=t0k3n&id=7`, envoy);
  } finally {
    await envoy.stop();
    await primary.close();
    await shadow.close();
  }
}

async function measure(backend: Backend, scenario: Scenario, load: Load, seconds: number, bodyFile: string, body: Buffer, fault: ShadowFault | "down" = "none"): Promise<Measure> {
  return withEnvoy(backend, scenario, fault, async (url, envoy) => {
    const spec: LoadSpec = { url, protocol: load.protocol, body, headers: headersFor() };
    // Warm-up: connections, V8 tier-up, first allocations.
    await openLoop(spec, 200, 0.5, 8);
    const before = procStat(envoy.pid());
    let m: Measure;
    if (load.kind === "open") {
      const r = await openLoop(spec, load.rps!, seconds);
      const l = r.latenciesMs;
      m = {
        p50_ms: percentile(l, 50), p90_ms: percentile(l, 90), p99_ms: percentile(l, 99), p999_ms: percentile(l, 99.9),
        rps: r.ok / r.seconds, errors: r.errors, requests: r.sent, cpu_s_per_1k: NaN, rss_mb: NaN, generator_late: r.lateShare,
      };
    } else {
      const r = await closedLoop(spec, seconds, 32, body.length ? bodyFile : undefined);
      m = { p50_ms: NaN, p90_ms: NaN, p99_ms: NaN, p999_ms: NaN, rps: r.rps, errors: r.failed, requests: r.requests, cpu_s_per_1k: NaN, rss_mb: NaN, generator_cpu_s: r.generatorCpuS };
    }
    const after = procStat(envoy.pid());
    m.cpu_s_per_1k = ((after.cpuS - before.cpuS) / Math.max(1, m.requests)) * 1000;
    m.rss_mb = after.rssMb;
    return m;
  });
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const dir = join(tmpdir(), "mirrorshade-bench");
  mkdirSync(dir, { recursive: true });
  const bodies = new Map<number, { file: string; body: Buffer }>();
  for (const l of o.loads) {
    if (bodies.has(l.bodyBytes)) continue;
    const body = Buffer.from(l.bodyBytes ? sampleJson(l.bodyBytes) : "");
    const file = join(dir, `body-${l.bodyBytes}.json`);
    writeFileSync(file, body);
    bodies.set(l.bodyBytes, { file, body });
  }
  const samples = new Map<string, Measure[]>(); // `${load}|${scenario}`
  const steps = o.rounds * o.loads.length * o.scenarios.length;
  let step = 0;
  for (let round = 0; round < o.rounds; round++) {
    for (const load of o.loads) {
      for (const s of o.scenarios) {
        step++;
        const b = bodies.get(load.bodyBytes)!;
        const m = await measure(o.backend, s, load, o.seconds, b.file, b.body);
        const key = `${load.name}|${s}`;
        (samples.get(key) ?? samples.set(key, []).get(key)!).push(m);
        o.progress(`[${step}/${steps}] round ${round + 1} ${load.name} ${s}: ${load.kind === "open" ? `p50 ${m.p50_ms.toFixed(2)} ms, p99 ${m.p99_ms.toFixed(2)} ms` : `${m.rps.toFixed(0)} req/s`}, ${m.cpu_s_per_1k.toFixed(3)} cpu-s/1k, errors ${m.errors}`);
      }
    }
  }
  const stats: Record<string, Record<string, ScenarioStats>> = {};
  for (const load of o.loads) {
    stats[load.name] = {};
    for (const s of o.scenarios) {
      const ms = samples.get(`${load.name}|${s}`) ?? [];
      const fields = ["p50_ms", "p90_ms", "p99_ms", "p999_ms", "rps", "cpu_s_per_1k", "rss_mb"] as const;
      const st = {} as ScenarioStats;
      for (const f of fields) {
        const xs = ms.map((m) => m[f]);
        st[f] = median(xs);
        st[`${f}_spread` as const] = [Math.min(...xs.filter(Number.isFinite)), Math.max(...xs.filter(Number.isFinite))];
      }
      st.errors = ms.reduce((a, m) => a + m.errors, 0);
      st.generator_late = Math.max(...ms.map((m) => m.generator_late ?? 0));
      st.generator_cpu_s = median(ms.map((m) => m.generator_cpu_s ?? NaN));
      stats[load.name][s] = st;
    }
  }
  const faults: BenchReport["faults"] = [];
  if (o.faults) {
    const load: Load = { name: "fault 500 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 500 };
    const b = bodies.get(1024) ?? { file: join(dir, "body-1024.json"), body: Buffer.from(sampleJson(1024)) };
    writeFileSync(b.file, b.body);
    for (const fault of ["down", "slow", "reset"] as const) {
      const native = await measure(o.backend, "native", load, o.seconds, b.file, b.body, fault);
      const mirror = await measure(o.backend, "mirrorshade", load, o.seconds, b.file, b.body, fault);
      o.progress(`fault ${fault}: native p99 ${native.p99_ms.toFixed(2)} ms errors ${native.errors}; mirrorshade p99 ${mirror.p99_ms.toFixed(2)} ms errors ${mirror.errors}`);
      faults.push({ fault, native_p99_ms: native.p99_ms, mirrorshade_p99_ms: mirror.p99_ms, native_errors: native.errors, mirrorshade_errors: mirror.errors, p99_ratio: mirror.p99_ms / native.p99_ms });
    }
  }
  let soak: BenchReport["soak"];
  if (o.soakRequests > 0) {
    soak = await withEnvoy(o.backend, "mirrorshade", "none", async (url, envoy) => {
      const mixed = [0, 1024, 16384];
      // Warm up first: the filter's memory gauge is set by its first requests.
      await closedLoopN(url, 2048);
      const start = procStat(envoy.pid());
      const wasmStart = (await envoy.stats()).get("wasmcustom.mirrorshade.vm.memory_bytes") ?? NaN;
      let done = 0;
      let chunk = 0;
      const per = Math.max(1000, Math.floor(o.soakRequests / 30));
      const began = Date.now();
      while (done < o.soakRequests && Date.now() - began < 15 * 60_000) {
        const bytes = mixed[chunk++ % mixed.length];
        const b = bodies.get(bytes) ?? { file: join(dir, `body-${bytes}.json`), body: Buffer.from(bytes ? sampleJson(bytes) : "") };
        if (!bodies.has(bytes)) {
          writeFileSync(b.file, b.body);
          bodies.set(bytes, b);
        }
        const r = await closedLoopN(url, per, b.body.length ? b.file : undefined);
        done += r;
      }
      const end = procStat(envoy.pid());
      const wasmEnd = (await envoy.stats()).get("wasmcustom.mirrorshade.vm.memory_bytes") ?? NaN;
      o.progress(`soak: ${done} requests, Envoy RSS ${start.rssMb.toFixed(1)} -> ${end.rssMb.toFixed(1)} MB, Wasm memory ${(wasmStart / 1048576).toFixed(2)} -> ${(wasmEnd / 1048576).toFixed(2)} MB`);
      return { requests: done, rss_mb_start: start.rssMb, rss_mb_end: end.rssMb, wasm_mb_start: wasmStart / 1048576, wasm_mb_end: wasmEnd / 1048576 };
    });
  }
  const ratio = (load: string, a: Scenario, b: Scenario) => {
    const x = stats[load]?.[a];
    const y = stats[load]?.[b];
    if (!x || !y) return undefined;
    return { p50: x.p50_ms / y.p50_ms, p99: x.p99_ms / y.p99_ms, rps: x.rps / y.rps, cpu: x.cpu_s_per_1k / y.cpu_s_per_1k };
  };
  const ratios: BenchReport["ratios"] = {};
  for (const load of o.loads) {
    ratios[load.name] = {
      "mirrorshade/native": ratio(load.name, "mirrorshade", "native"),
      "mirrorshade/native_lua": ratio(load.name, "mirrorshade", "native_lua"),
      "mirrorshade_empty/floor": ratio(load.name, "mirrorshade_empty", "floor"),
      "native/floor": ratio(load.name, "native", "floor"),
      "native_upstream/native": ratio(load.name, "native_upstream", "native"),
    };
  }
  return {
    machine: `${cpuInfo().length} cores (${cpuInfo()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    date: new Date().toISOString().slice(0, 10),
    backend: o.backend,
    rounds: o.rounds,
    seconds: o.seconds,
    loads: o.loads,
    scenarios: [...o.scenarios],
    stats,
    ratios,
    faults,
    soak,
  };
}

/** h2load for a fixed number of requests (soak). */
async function closedLoopN(url: string, n: number, bodyFile?: string): Promise<number> {
  const { execFile } = await import("node:child_process");
  const args = ["-c", "0", "h2load", "--h1", "-n", String(n), "-c", "16", "-t", "1"];
  if (bodyFile) args.push("-d", bodyFile, "-H", "content-type: application/json");
  for (const [k, v] of Object.entries(headersFor())) args.push("-H", `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) =>
    execFile("taskset", args, { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 }, (err, stdout) => {
      if (err) return reject(err);
      resolve(Number(/(\d+) succeeded/.exec(stdout)?.[1] ?? 0));
    }),
  );
}

export const FULL_LOADS: Load[] = [
  { name: "open 500 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 500 },
  { name: "open 2000 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 2000 },
  { name: "open 500 rps h1 0B", kind: "open", protocol: "h1", bodyBytes: 0, rps: 500 },
  { name: "open 500 rps h1 16KB", kind: "open", protocol: "h1", bodyBytes: 16384, rps: 500 },
  { name: "open 500 rps h2c 1KB", kind: "open", protocol: "h2c", bodyBytes: 1024, rps: 500 },
  { name: "saturation h1 1KB", kind: "closed", protocol: "h1", bodyBytes: 1024 },
  { name: "saturation h2c 1KB", kind: "closed", protocol: "h2c", bodyBytes: 1024 },
];

export const QUICK_LOADS: Load[] = [
  { name: "open 300 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 300 },
  { name: "saturation h1 1KB", kind: "closed", protocol: "h1", bodyBytes: 1024 },
];

export async function benchCommand(args: string[]): Promise<number> {
  const quick = args.includes("--quick");
  const jsonAt = args.indexOf("--json");
  const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  if (jsonAt >= 0 && !jsonFile) throw new Error("--json needs a file");
  const roundsAt = args.indexOf("--rounds");
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : quick ? 1 : 3;
  const secondsAt = args.indexOf("--seconds");
  const seconds = secondsAt >= 0 ? Number(args[secondsAt + 1]) : quick ? 1 : 6;
  const soakAt = args.indexOf("--soak");
  const soakRequests = soakAt >= 0 ? Number(args[soakAt + 1]) : quick ? 2000 : 1_000_000;
  const opt = (name: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
  // Comparing two builds: --wasm other.wasm; a subset: --scenarios a,b --loads saturation.
  if (opt("--wasm")) WASM = opt("--wasm")!;
  const only = opt("--scenarios")?.split(",");
  const loadFilter = opt("--loads");
  const started = Date.now();
  const report = await runBench({
    backend: args.includes("--container") ? "container" : "process",
    rounds,
    seconds,
    loads: (quick ? QUICK_LOADS : FULL_LOADS).filter((l) => !loadFilter || l.name.includes(loadFilter)),
    scenarios: only ? SCENARIOS.filter((s) => only.includes(s)) : SCENARIOS,
    faults: !only && !loadFilter,
    soakRequests: only || loadFilter ? 0 : soakRequests,
    progress: (l) => console.log(l),
  });
  report.wall_s = (Date.now() - started) / 1000;
  const outDir = quick || only || loadFilter ? join(tmpdir(), "mirrorshade-bench-partial") : join(projectRoot, "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "results.json"), JSON.stringify(report, null, 2));
  writeFileSync(join(outDir, "results.md"), toMarkdown(report));
  writeFileSync(join(outDir, "latency.svg"), toSvg(report));
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(quickJson(report), null, 2));
  console.log(`\n${toMarkdown(report).split("\n").slice(0, 40).join("\n")}\n\nwritten: ${outDir}/results.{md,json} latency.svg${jsonFile ? `, ${jsonFile}` : ""}`);
  return 0;
}

/** The compact JSON of `bench --quick --json FILE`. */
export function quickJson(r: BenchReport) {
  const open = r.loads.find((l) => l.kind === "open")!.name;
  const closed = r.loads.find((l) => l.kind === "closed")!.name;
  const scenarios: Record<string, object> = {};
  for (const s of r.scenarios) {
    const o = r.stats[open][s];
    const c = r.stats[closed][s];
    scenarios[s] = { p50_ms: o.p50_ms, p99_ms: o.p99_ms, rps: c.rps, cpu_s_per_1k: c.cpu_s_per_1k, rss_mb: c.rss_mb };
  }
  const ratio = (a: string, b: string) => {
    const x = scenarios[a] as { p50_ms: number; p99_ms: number; rps: number };
    const y = scenarios[b] as { p50_ms: number; p99_ms: number; rps: number };
    return { p50: x.p50_ms / y.p50_ms, p99: x.p99_ms / y.p99_ms, rps: x.rps / y.rps };
  };
  return {
    scenarios,
    ratios: {
      "mirrorshade/native": ratio("mirrorshade", "native"),
      "mirrorshade/native_lua": ratio("mirrorshade", "native_lua"),
      "mirrorshade_empty/floor": ratio("mirrorshade_empty", "floor"),
    },
  };
}
