// `mirrorshade bench`: reading the options, running the bench, writing the results
// (results.md, results.json, latency.svg; the compact JSON of --quick --json).
import { writeFileSync, mkdirSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { join, basename } from "node:path";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { parseOptions, UsageError, type Options } from "../cli/args.js";
import { projectRoot } from "../paths.js";
import { toMarkdown, toSvg, summary, type BenchReport } from "./report.js";
import { runBench, pinSelf } from "./runner.js";
import { SCENARIOS, DEFAULT_SCENARIOS, ALL_SCENARIOS, GRPC_SCENARIOS, GRPC_BENCH_LOADS, CORE, FULL_LOADS, QUICK_LOADS, useBenchWasm, benchWasm, unbuiltProbes } from "./scenarios.js";
import { runWorkerBench } from "./worker.js";
import { WORKER_CONFIGS, type WorkerConfig } from "./worker-types.js";
import { buildWasmAt } from "./worker-build.js";
import { workerMarkdown } from "./worker-report.js";

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
  --grpc               also the gRPC unary family: h2load posting a framed ~1 KB protobuf message
                       (application/grpc, te: trailers) at 500 req/s and at saturation, HTTP/2 clusters:
                       ${GRPC_SCENARIOS.join(", ")}
  --scenarios A,B      only these scenarios: ${SCENARIOS.join(", ")}
                       (gRPC: ${GRPC_SCENARIOS.join(", ")}; naming one runs the gRPC loads)
  --loads TEXT         only the loads whose name contains TEXT, e.g. "saturation h1"
  --out DIR            where results.md, results.json and latency.svg go
                       (default bench/results for a full run, a temporary folder otherwise)
  --worker             instead: what redacting a large upload costs the primary and the other requests
                       on the same Envoy worker (its options: mirrorshade bench --worker --help)
`;

export const WORKER_USAGE = `usage: mirrorshade bench --worker [options]
  One Envoy worker (--concurrency 1); per configuration and round a fresh Envoy, sequential JSON
  uploads (time until the primary has the whole body) and, alongside, small GETs at a fixed rate
  (their latency); configurations interleaved round by round; the filter's redaction statistics.
  --configs A,B        configurations: ${WORKER_CONFIGS.join(", ")}
                       (default: floor, native, mirrorshade, and mirrorshade_before when a
                       --before-* option is given)
  --before-wasm FILE   the module of mirrorshade_before (another build, with the same policy)
  --before-commit REV  build mirrorshade_before from commit REV in a temporary git worktree
                       (removed afterwards), e.g. --before-commit 5e4654c
  --wasm FILE          the module of mirrorshade (default build/mirrorshade.wasm)
  --commit REV         build mirrorshade from commit REV the same way instead (what is measured then
                       does not depend on the working tree)
  --rounds N           interleaved rounds (default 5; --quick: 1)
  --uploads N          uploads per configuration and round (default 30; --quick: 5)
  --upload-every MS    one upload started every MS ms, or when the previous is answered if later
                       (default 250; 0: back to back)
  --body-bytes N       upload size, a JSON document of about N bytes (default 900000)
  --bystander-every MS one bystander GET every MS ms (default 5)
  --slice-us N         limits.redaction_slice_us for mirrorshade (default: the filter's, 500)
  --redaction-bytes-per-second N
                       limits.redaction_bytes_per_second for mirrorshade (default: the filter's, 8 MiB/s)
  --retakes N          measurements disturbed by other processes are taken again up to N times (default 1)
  --quick              a short run (1 round, 5 uploads)
  --container          Envoy in a container (testcontainers) instead of a process
  --json FILE          also write the report as JSON to FILE
  --out DIR            also write worker.md and worker.json to DIR
`;

const intIn = (o: Options, name: string, lo: number, hi: number): number | undefined => {
  const v = o.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`--${name} must be a whole number from ${lo} to ${hi}, not "${v}"`);
  return n;
};

/** Reads the options of `bench --worker` (without --worker) and checks their values; a mistake is a UsageError that names it. */
export function parseWorkerArgs(args: string[]) {
  const o = parseOptions(args, {
    switches: ["quick", "container"],
    values: ["configs", "before-wasm", "before-commit", "wasm", "commit", "rounds", "uploads", "upload-every", "body-bytes", "bystander-every", "slice-us", "redaction-bytes-per-second", "retakes", "json", "out"],
  });
  const quick = o.has("quick");
  const rounds = intIn(o, "rounds", 1, 20) ?? (quick ? 1 : 5);
  const uploads = intIn(o, "uploads", 1, 1000) ?? (quick ? 5 : 30);
  const uploadEveryMs = intIn(o, "upload-every", 0, 10_000) ?? 250;
  const bodyBytes = intIn(o, "body-bytes", 1, 16 * 1048576) ?? 900_000;
  const bystanderEveryMs = intIn(o, "bystander-every", 1, 1000) ?? 5;
  const retakes = intIn(o, "retakes", 0, 10) ?? 1;
  const sliceUs = intIn(o, "slice-us", 50, 20_000);
  const bytesPerSecond = intIn(o, "redaction-bytes-per-second", 1024, 1024 * 1048576);
  if (o.has("before-wasm") && o.has("before-commit")) throw new UsageError("--before-wasm and --before-commit: give one of them");
  const beforeWasm = o.get("before-wasm");
  if (beforeWasm !== undefined && !existsSync(beforeWasm)) throw new UsageError(`--before-wasm ${beforeWasm}: no such file`);
  const wasm = o.get("wasm") ?? benchWasm();
  if (!existsSync(wasm)) throw new UsageError(`--wasm ${wasm}: no such file`);
  if (o.has("wasm") && o.has("commit")) throw new UsageError("--wasm and --commit: give one of them");
  const beforeCommit = o.get("before-commit");
  const commit = o.get("commit");
  for (const [name, rev] of [["before-commit", beforeCommit], ["commit", commit]] as const) {
    if (rev === undefined) continue;
    try {
      execFileSync("git", ["-C", projectRoot, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`], { stdio: "ignore" });
    } catch {
      throw new UsageError(`--${name} ${rev}: no such commit in ${projectRoot}`);
    }
  }
  const before = beforeWasm !== undefined || beforeCommit !== undefined;
  const given = o.get("configs")?.split(",").filter(Boolean);
  const unknown = (given ?? []).filter((c) => !(WORKER_CONFIGS as readonly string[]).includes(c));
  if (unknown.length) throw new UsageError(`unknown configuration ${unknown.map((c) => `"${c}"`).join(", ")} in --configs (known: ${WORKER_CONFIGS.join(", ")})`);
  const configs = (given ? WORKER_CONFIGS.filter((c) => given.includes(c)) : WORKER_CONFIGS.filter((c) => c !== "mirrorshade_before" || before)) as WorkerConfig[];
  if (!configs.length) throw new UsageError("--configs names no configuration");
  if (configs.includes("mirrorshade_before") && !before) throw new UsageError("mirrorshade_before needs --before-wasm FILE or --before-commit REV");
  const limits = { ...(sliceUs !== undefined ? { redaction_slice_us: sliceUs } : {}), ...(bytesPerSecond !== undefined ? { redaction_bytes_per_second: bytesPerSecond } : {}) };
  return { o, rounds, uploads, uploadEveryMs, bodyBytes, bystanderEveryMs, retakes, wasm, beforeWasm, beforeCommit, commit, configs, limits };
}

async function workerCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(WORKER_USAGE);
    return 0;
  }
  let p: ReturnType<typeof parseWorkerArgs>;
  try {
    p = parseWorkerArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`mirrorshade bench --worker: ${e.message}\n${WORKER_USAGE}`);
    return 2;
  }
  pinSelf();
  const started = Date.now();
  const scratch = mkdtempSync(join(tmpdir(), "mirrorshade-before-"));
  try {
    let wasm = p.wasm;
    let label: string | undefined;
    if (p.commit && p.configs.includes("mirrorshade")) {
      const built = buildWasmAt(p.commit, scratch, (l) => console.log(l));
      wasm = built.file;
      label = built.commit.slice(0, 7);
    }
    let beforeWasm = p.beforeWasm;
    let beforeLabel = beforeWasm ? basename(beforeWasm) : undefined;
    if (p.beforeCommit && p.configs.includes("mirrorshade_before")) {
      const built = buildWasmAt(p.beforeCommit, scratch, (l) => console.log(l));
      beforeWasm = built.file;
      beforeLabel = built.commit.slice(0, 7);
    }
    const report = await runWorkerBench({
      backend: p.o.has("container") ? "container" : "process",
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
      progress: (l) => console.log(l),
    });
    report.wall_s = (Date.now() - started) / 1000;
    report.command = `mirrorshade bench --worker ${args.join(" ")}`.trim();
    const md = workerMarkdown(report);
    const json = JSON.stringify(report, null, 2) + "\n";
    const jsonFile = p.o.get("json");
    if (jsonFile) writeFileSync(jsonFile, json);
    const out = p.o.get("out");
    if (out) {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, "worker.md"), md);
      writeFileSync(join(out, "worker.json"), json);
    }
    console.log(`\n${md}${jsonFile || out ? `written: ${[jsonFile, out && join(out, "worker.md"), out && join(out, "worker.json")].filter(Boolean).join(", ")}\n` : ""}`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads the bench options and checks their values; a mistake is a UsageError that names it. */
export function parseBenchArgs(args: string[]): Options {
  const o = parseOptions(args, {
    switches: ["quick", "container", "no-faults", "grpc"],
    values: ["json", "rounds", "seconds", "soak", "retakes", "wasm", "scenarios", "loads", "out"],
  });
  for (const n of ["rounds", "seconds", "soak", "retakes"]) {
    const v = o.get(n);
    const zeroOk = n === "soak" || n === "retakes";
    if (v !== undefined && !(Number(v) >= (zeroOk ? 0 : 1e-9) && Number.isFinite(Number(v)))) throw new UsageError(`--${n} must be a ${zeroOk ? "number ≥ 0" : "positive number"}, not "${v}"`);
  }
  const unknown = (o.get("scenarios") ?? "").split(",").filter((s) => s && !(ALL_SCENARIOS as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`unknown scenario ${unknown.map((s) => `"${s}"`).join(", ")} in --scenarios (known: ${ALL_SCENARIOS.join(", ")})`);
  const loads = o.get("loads");
  const known = [...FULL_LOADS, ...QUICK_LOADS, ...GRPC_BENCH_LOADS];
  if (loads !== undefined && !known.some((l) => l.name.includes(loads))) throw new UsageError(`--loads "${loads}" matches no load (loads: ${[...FULL_LOADS, ...GRPC_BENCH_LOADS].map((l) => l.name).join("; ")})`);
  const wasm = o.get("wasm");
  if (wasm !== undefined && !existsSync(wasm)) throw new UsageError(`--wasm ${wasm}: no such file`);
  return o;
}

export async function benchCommand(args: string[]): Promise<number> {
  if (args.includes("--worker")) return workerCommand(args.filter((a) => a !== "--worker"));
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  let parsed: Options;
  try {
    parsed = parseBenchArgs(args);
    // Named SDK probes whose module the build skipped (no toolchain): refused before anything starts.
    const missing = unbuiltProbes((parsed.get("scenarios") ?? "").split(","));
    if (missing.length) throw new UsageError(`${missing.join(", ")}: not built (npm run build builds the Go and Rust SDK probes where their toolchains are; see scripts/build-sdk-probes.mjs)`);
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
  // The gRPC family runs when asked for (--grpc, or a gRPC scenario named): without it, the run is the HTTP one as before.
  const grpc = parsed.has("grpc") || Boolean(only?.some((s) => (GRPC_SCENARIOS as readonly string[]).includes(s)));
  const skipped = only ? [] : unbuiltProbes(SCENARIOS);
  if (skipped.length) console.log(`skipping ${skipped.join(", ")}: not built (their SDK's toolchain was missing at npm run build)`);
  const httpLoads = (quick ? QUICK_LOADS : FULL_LOADS).filter((l) => !grpc || !only || only.some((s) => !(GRPC_SCENARIOS as readonly string[]).includes(s)));
  pinSelf();
  const started = Date.now();
  const report = await runBench({
    backend: parsed.has("container") ? "container" : "process",
    rounds,
    seconds,
    loads: [...httpLoads, ...(grpc ? GRPC_BENCH_LOADS : [])].filter((l) => !loadFilter || l.name.includes(loadFilter)),
    scenarios: only ? ALL_SCENARIOS.filter((s) => only.includes(s)) : [...(quick ? CORE : DEFAULT_SCENARIOS).filter((s) => !skipped.includes(s)), ...(grpc ? GRPC_SCENARIOS : [])],
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
  const open = (r.loads.find((l) => l.kind === "open" && !l.grpc) ?? r.loads.find((l) => l.kind === "open"))!.name;
  const closed = (r.loads.find((l) => l.kind === "closed" && !l.grpc) ?? r.loads.find((l) => l.kind === "closed"))!.name;
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
