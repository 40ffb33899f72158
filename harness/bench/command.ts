// `mirrorshade bench`: checking the options (their definition: bench/options.ts),
// running the bench, writing the results (results.md, results.json, latency.svg; the
// compact JSON of --quick --json); `bench --worker` the same way.
import { writeFileSync, mkdirSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join, basename } from "node:path";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import type { Command } from "commander";
import { UsageError, given, parseWith } from "../cli/command.js";
import { progress } from "../cli/progress.js";
import { requireWasm } from "../validate.js";
import { defineBench, BENCH_ONLY, WORKER_ONLY, type BenchOptions } from "./options.js";
import { projectRoot } from "../paths.js";
import { toMarkdown, toSvg, summary, type BenchReport } from "./report.js";
import { runBench, pinSelf } from "./runner.js";
import { SCENARIOS, DEFAULT_SCENARIOS, ALL_SCENARIOS, GRPC_SCENARIOS, GRPC_BENCH_LOADS, CORE, FULL_LOADS, QUICK_LOADS, BEFORE_SCENARIOS, useBenchWasm, useBeforeWasm, benchWasm, unbuiltProbes, type Scenario } from "./scenarios.js";
import { runWorkerBench } from "./worker.js";
import { WORKER_CONFIGS, type WorkerConfig } from "./worker-types.js";
import { buildWasmAt } from "./worker-build.js";
import { workerMarkdown } from "./worker-report.js";

/** Whether the option `attribute` was given on the command line. */
const on = (cmd: Command | undefined, o: BenchOptions, attribute: keyof BenchOptions): boolean => (cmd ? given(cmd, attribute) : attribute === "faults" ? o.faults === false : o[attribute] !== undefined);
const flag = (attribute: string) => `--${attribute === "faults" ? "no-faults" : attribute.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Refuses the options of the other mode by name: `bench --worker --seconds 5` is a mistake, not a default. */
function checkMode(o: BenchOptions, cmd?: Command): void {
  const other = o.worker ? BENCH_ONLY : WORKER_ONLY;
  const wrong = other.filter((a) => on(cmd, o, a));
  if (wrong.length) throw new UsageError(`${wrong.map(flag).join(", ")}: ${o.worker ? "not an option of bench --worker" : "only with --worker"}`);
}

const atMost = (o: BenchOptions, name: "rounds" | "retakes", hi: number) => {
  const v = o[name];
  if (v !== undefined && v > hi) throw new UsageError(`option '--${name} <n>' argument '${v}' is invalid. --worker: must be a whole number from ${name === "rounds" ? 1 : 0} to ${hi}`);
};

/** Checks the options of `bench --worker` and settles its defaults; a mistake is a UsageError that names it. */
export function workerSettings(o: BenchOptions, cmd?: Command) {
  checkMode({ ...o, worker: true }, cmd);
  atMost(o, "rounds", 20);
  atMost(o, "retakes", 10);
  const quick = Boolean(o.quick);
  const rounds = o.rounds ?? (quick ? 1 : 5);
  const uploads = o.uploads ?? (quick ? 5 : 30);
  const uploadEveryMs = o.uploadEvery ?? 250;
  const bodyBytes = o.bodyBytes ?? 900_000;
  const bystanderEveryMs = o.bystanderEvery ?? 5;
  const retakes = o.retakes ?? 1;
  if (o.beforeWasm !== undefined && o.beforeCommit !== undefined) throw new UsageError("--before-wasm and --before-commit: give one of them");
  const beforeWasm = o.beforeWasm;
  if (beforeWasm !== undefined && !existsSync(beforeWasm)) throw new UsageError(`--before-wasm ${beforeWasm}: no such file`);
  const wasm = o.wasm ?? benchWasm();
  if (!existsSync(wasm)) throw new UsageError(`--wasm ${wasm}: no such file`);
  if (o.wasm !== undefined && o.commit !== undefined) throw new UsageError("--wasm and --commit: give one of them");
  const beforeCommit = o.beforeCommit;
  const commit = o.commit;
  for (const [name, rev] of [["before-commit", beforeCommit], ["commit", commit]] as const) {
    if (rev === undefined) continue;
    try {
      execFileSync("git", ["-C", projectRoot, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { stdio: "ignore" });
    } catch {
      throw new UsageError(`--${name} ${rev}: no such commit in ${projectRoot}`);
    }
  }
  const before = beforeWasm !== undefined || beforeCommit !== undefined;
  const givenConfigs = o.configs?.split(",").filter(Boolean);
  const unknown = (givenConfigs ?? []).filter((c) => !(WORKER_CONFIGS as readonly string[]).includes(c));
  if (unknown.length) throw new UsageError(`unknown configuration ${unknown.map((c) => `"${c}"`).join(", ")} in --configs (known: ${WORKER_CONFIGS.join(", ")})`);
  const configs = (givenConfigs ? WORKER_CONFIGS.filter((c) => givenConfigs.includes(c)) : WORKER_CONFIGS.filter((c) => c !== "mirrorshade_before" || before)) as WorkerConfig[];
  if (!configs.length) throw new UsageError("--configs names no configuration");
  if (configs.includes("mirrorshade_before") && !before) throw new UsageError("mirrorshade_before needs --before-wasm FILE or --before-commit REV");
  const limits = { ...(o.sliceUs !== undefined ? { redaction_slice_us: o.sliceUs } : {}), ...(o.redactionBytesPerSecond !== undefined ? { redaction_bytes_per_second: o.redactionBytesPerSecond } : {}) };
  return { o, rounds, uploads, uploadEveryMs, bodyBytes, bystanderEveryMs, retakes, wasm, beforeWasm, beforeCommit, commit, configs, limits };
}

/** Reads the options of `bench --worker` (without --worker) and checks their values, as the CLI does. */
export function parseWorkerArgs(args: string[]) {
  const { opts, cmd } = parseWith(defineBench, ["--worker", ...args], "bench");
  return workerSettings(opts as unknown as BenchOptions, cmd);
}

/** The arguments bench was run with, for the report. */
function argsOf(cmd: Command | undefined): string[] {
  const raw: string[] = (cmd?.parent as { rawArgs?: string[] } | null | undefined)?.rawArgs ?? [];
  return raw.slice(raw.indexOf("bench") + 1).filter((a) => a !== "--worker");
}

async function workerCommand(p: ReturnType<typeof workerSettings>, args: string[]): Promise<number> {
  pinSelf();
  const started = Date.now();
  const scratch = mkdtempSync(join(tmpdir(), "mirrorshade-before-"));
  const bar = progress({ title: "bench --worker", total: p.rounds * p.configs.length, unit: "measurements", every: 0 });
  try {
    let wasm = p.wasm;
    let label: string | undefined;
    if (p.commit && p.configs.includes("mirrorshade")) {
      const built = buildWasmAt(p.commit, scratch, (l) => bar.log(l));
      wasm = built.file;
      label = built.commit.slice(0, 7);
    }
    let beforeWasm = p.beforeWasm;
    let beforeLabel = beforeWasm ? basename(beforeWasm) : undefined;
    if (p.beforeCommit && p.configs.includes("mirrorshade_before")) {
      const built = buildWasmAt(p.beforeCommit, scratch, (l) => bar.log(l));
      beforeWasm = built.file;
      beforeLabel = built.commit.slice(0, 7);
    }
    const report = await runWorkerBench({
      backend: p.o.container ? "container" : "process",
      rounds: p.rounds,
      uploads: p.uploads,
      uploadEveryMs: p.uploadEveryMs,
      bodyBytes: p.bodyBytes,
      bystanderEveryMs: p.bystanderEveryMs,
      configs: p.configs,
      wasm,
      label,
      beforeWasm,
      beforeLabel,
      limits: p.limits,
      retakes: p.retakes,
      progress: (l, step) => {
        bar.log(l);
        if (step) bar.update(step.done, step.total, l.replace(/^\[[^\]]*\] /, "").split(":")[0]);
      },
    });
    bar.stop();
    report.wall_s = (Date.now() - started) / 1000;
    report.command = `mirrorshade bench --worker ${args.join(" ")}`.trim();
    const md = workerMarkdown(report);
    const json = JSON.stringify(report, null, 2) + "\n";
    const jsonFile = p.o.json;
    if (jsonFile) writeFileSync(jsonFile, json);
    const out = p.o.out;
    if (out) {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, "worker.md"), md);
      writeFileSync(join(out, "worker.json"), json);
    }
    console.log(`\n${md}${jsonFile || out ? `written: ${[jsonFile, out && join(out, "worker.md"), out && join(out, "worker.json")].filter(Boolean).join(", ")}\n` : ""}`);
    return 0;
  } finally {
    bar.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Checks the bench's options (without --worker) against the scenarios and loads; a mistake is a UsageError that names it. */
export function benchSettings(o: BenchOptions, cmd?: Command): BenchOptions {
  checkMode({ ...o, worker: false }, cmd);
  const unknown = (o.scenarios ?? "").split(",").filter((s) => s && !(ALL_SCENARIOS as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`unknown scenario ${unknown.map((s) => `"${s}"`).join(", ")} in --scenarios (known: ${ALL_SCENARIOS.join(", ")})`);
  const before = (o.scenarios ?? "").split(",").filter((s) => (BEFORE_SCENARIOS as readonly string[]).includes(s));
  if (before.length && !o.beforeWasm) throw new UsageError(`${before.join(", ")}: needs --before-wasm FILE (the other build)`);
  const loads = o.loads;
  const known = [...FULL_LOADS, ...QUICK_LOADS, ...GRPC_BENCH_LOADS];
  if (loads !== undefined && !known.some((l) => l.name.includes(loads))) throw new UsageError(`--loads "${loads}" matches no load (loads: ${[...FULL_LOADS, ...GRPC_BENCH_LOADS].map((l) => l.name).join("; ")})`);
  return o;
}

/** Reads the bench options and checks their values, as the CLI does; a mistake is a UsageError that names it. */
export function parseBenchArgs(args: string[]): BenchOptions {
  const { opts, cmd } = parseWith(defineBench, args, "bench");
  return benchSettings(opts as unknown as BenchOptions, cmd);
}

/** `mirrorshade bench [--worker]` with the options commander read (cli/bench.ts). */
export async function benchCommand(o: BenchOptions, cmd?: Command): Promise<number> {
  if (o.worker) {
    const settings = workerSettings(o, cmd);
    requireWasm();
    return workerCommand(settings, argsOf(cmd));
  }
  const parsed = benchSettings(o, cmd);
  // Named SDK probes whose module the build skipped (no toolchain): refused before anything starts.
  const missing = unbuiltProbes((parsed.scenarios ?? "").split(","));
  if (missing.length) throw new UsageError(`${missing.join(", ")}: not built (npm run build builds the Go and Rust SDK probes where their toolchains are; see scripts/build-sdk-probes.mjs)`);
  requireWasm();
  const quick = Boolean(parsed.quick);
  const jsonFile = parsed.json;
  const rounds = parsed.rounds ?? (quick ? 1 : 3);
  const seconds = parsed.seconds ?? (quick ? 1.5 : 5);
  const soakRequests = parsed.soak ?? (quick ? 3000 : 1_000_000);
  // Comparing two builds: --wasm other.wasm; a subset: --scenarios a,b --loads saturation.
  if (parsed.wasm) useBenchWasm(parsed.wasm);
  const only = parsed.scenarios?.split(",");
  // Two builds in the same rounds: --before-wasm FILE adds the before_* counterpart of each mirrorshade scenario
  // measured (all three without --scenarios), unless some before_* scenario is named.
  if (parsed.beforeWasm) {
    useBeforeWasm(parsed.beforeWasm);
    const isBefore = (s: string) => (BEFORE_SCENARIOS as readonly string[]).includes(s);
    if (only && !only.some(isBefore)) only.push(...only.map((s) => `before_${s}`).filter(isBefore));
  }
  const loadFilter = parsed.loads;
  const partial = Boolean(only || loadFilter);
  // The gRPC family runs when asked for (--grpc, or a gRPC scenario named): without it, the run is the HTTP one as before.
  const grpc = Boolean(parsed.grpc) || Boolean(only?.some((s) => (GRPC_SCENARIOS as readonly string[]).includes(s)));
  const skipped = only ? [] : unbuiltProbes(SCENARIOS);
  if (skipped.length) console.log(`skipping ${skipped.join(", ")}: not built (their SDK's toolchain was missing at npm run build)`);
  const httpLoads = (quick ? QUICK_LOADS : FULL_LOADS).filter((l) => !grpc || !only || only.some((s) => !(GRPC_SCENARIOS as readonly string[]).includes(s)));
  pinSelf();
  const started = Date.now();
  const bar = progress({ title: "bench", total: 1, unit: "measurements", every: 0 });
  let report: BenchReport;
  try {
    report = await runBench({
      backend: parsed.container ? "container" : "process",
      rounds,
      seconds,
      loads: [...httpLoads, ...(grpc ? GRPC_BENCH_LOADS : [])].filter((l) => !loadFilter || l.name.includes(loadFilter)),
      scenarios: only ? ALL_SCENARIOS.filter((s) => only.includes(s)) : [...(quick ? CORE : DEFAULT_SCENARIOS).filter((s) => !skipped.includes(s)), ...(parsed.beforeWasm ? BEFORE_SCENARIOS.filter((s) => (quick ? CORE : DEFAULT_SCENARIOS).includes(s.slice("before_".length) as Scenario)) : []), ...(grpc ? GRPC_SCENARIOS : [])],
      faults: !partial && parsed.faults !== false,
      faultSeconds: quick ? 1 : seconds,
      soakRequests: partial ? 0 : soakRequests,
      retakes: parsed.retakes ?? (quick ? 0 : 2),
      progress: (l, step) => {
        bar.log(l);
        if (step) bar.update(step.done, step.total, l.replace(/^\[[^\]]*\] /, "").split(":")[0]);
      },
    });
  } finally {
    bar.stop();
  }
  report.wall_s = (Date.now() - started) / 1000;
  report.command = `mirrorshade bench ${argsOf(cmd).join(" ")}`.trim();
  // Only a full run replaces the results kept in the tree.
  const outDir = parsed.out ?? (quick || partial ? join(tmpdir(), "mirrorshade-bench-partial") : join(projectRoot, "bench", "results"));
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
  // Either kind of load may be absent (--loads picks them): its figures are then null in the JSON.
  const open = (r.loads.find((l) => l.kind === "open" && !l.grpc) ?? r.loads.find((l) => l.kind === "open"))?.name;
  const closed = (r.loads.find((l) => l.kind === "closed" && !l.grpc) ?? r.loads.find((l) => l.kind === "closed"))?.name;
  const scenarios: Record<string, { p50_ms: number; p99_ms: number; rps: number; cpu_s_per_1k: number; rss_mb: number }> = {};
  for (const s of r.scenarios) {
    const o = open ? r.stats[open]?.[s] : undefined;
    const c = closed ? r.stats[closed]?.[s] : undefined;
    if (!o && !c) continue;
    scenarios[s] = { p50_ms: o?.p50_ms ?? NaN, p99_ms: o?.p99_ms ?? NaN, rps: c?.rps ?? NaN, cpu_s_per_1k: c?.cpu_s_per_1k ?? NaN, rss_mb: c?.rss_mb ?? NaN };
  }
  const ratio = (key: string) => {
    const lat = open ? r.ratios[open]?.[key] : undefined;
    const thr = closed ? r.ratios[closed]?.[key] : undefined;
    return { p50: lat?.p50 ?? NaN, p99: lat?.p99 ?? NaN, rps: thr?.rps ?? NaN };
  };
  return {
    scenarios,
    ratios: { "mirrorshade/native": ratio("mirrorshade/native"), "mirrorshade/native_lua": ratio("mirrorshade/native_lua"), "mirrorshade_empty/floor": ratio("mirrorshade_empty/floor") },
    ...grpcJson(r),
  };
}

/** With --grpc: the same figures for the gRPC family, from its fixed-rate and saturation loads. */
function grpcJson(r: BenchReport) {
  const open = r.loads.find((l) => l.grpc && l.kind === "open")?.name;
  const closed = r.loads.find((l) => l.grpc && l.kind === "closed")?.name;
  if (!open && !closed) return {};
  const scenarios: Record<string, { p50_ms: number; p99_ms: number; rps: number; cpu_s_per_1k: number }> = {};
  for (const s of GRPC_SCENARIOS) {
    const o = open ? r.stats[open]?.[s] : undefined;
    const c = closed ? r.stats[closed]?.[s] : undefined;
    if (o || c) scenarios[s] = { p50_ms: o?.p50_ms ?? NaN, p99_ms: o?.p99_ms ?? NaN, rps: c?.rps ?? NaN, cpu_s_per_1k: c?.cpu_s_per_1k ?? NaN };
  }
  const ratios: Record<string, { p50: number; p99: number; rps: number; cpu: number }> = {};
  for (const k of ["grpc_native/grpc_floor", "grpc_mirrorshade/grpc_native", "grpc_mirrorshade_detectors/grpc_native", "grpc_mirrorshade/grpc_floor"]) {
    const lat = open ? r.ratios[open]?.[k] : undefined;
    const thr = closed ? r.ratios[closed]?.[k] : undefined;
    if (lat || thr) ratios[k] = { p50: lat?.p50 ?? NaN, p99: lat?.p99 ?? NaN, rps: thr?.rps ?? NaN, cpu: thr?.cpu ?? NaN };
  }
  return { grpc: { scenarios, ratios } };
}
