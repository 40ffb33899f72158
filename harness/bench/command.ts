// `mirrorshade bench`: reading the options, running the bench, writing the results
// (results.md, results.json, latency.svg; the compact JSON of --quick --json).
import { writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parseOptions, UsageError, type Options } from "../cli/args.js";
import { projectRoot } from "../paths.js";
import { toMarkdown, toSvg, summary, type BenchReport } from "./report.js";
import { runBench, pinSelf } from "./runner.js";
import { SCENARIOS, CORE, FULL_LOADS, QUICK_LOADS, useBenchWasm } from "./scenarios.js";

export const BENCH_USAGE = `usage: mirrorshade bench [options]
  --quick              a short run (1 round, 1.5 s per measurement, two loads, the core scenarios)
  --json FILE          also write the compact JSON summary to FILE
  --container          Envoy in a container (testcontainers) instead of a process
  --rounds N           interleaved rounds (default 3)
  --seconds S          seconds per measurement (default 5)
  --soak N             requests in the soak run (default 1000000; 0 skips it)
  --retakes N          measurements disturbed by other processes are taken again up to N times
                       each (default 2; --quick: 0, so a short run takes a bounded time on a busy machine)
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
    values: ["json", "rounds", "seconds", "soak", "retakes", "wasm", "scenarios", "loads", "out"],
  });
  for (const n of ["rounds", "seconds", "soak", "retakes"]) {
    const v = o.get(n);
    const zeroOk = n === "soak" || n === "retakes";
    if (v !== undefined && !(Number(v) >= (zeroOk ? 0 : 1e-9) && Number.isFinite(Number(v)))) throw new UsageError(`--${n} must be a ${zeroOk ? "number ≥ 0" : "positive number"}, not "${v}"`);
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
  if (opt("wasm")) useBenchWasm(opt("wasm")!);
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
    retakes: Math.floor(Number(opt("retakes") ?? (quick ? 0 : 2))),
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
