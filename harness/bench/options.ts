// The options of `mirrorshade bench` and `bench --worker`, on commander: one command,
// its options in three help groups (both modes, the bench's, the worker's). A light
// module (the CLI registers it for every run); the checks that need the scenario and
// load lists are in bench/command.ts, which runs the bench.
import type { Command } from "commander";
import { file, int, number, text } from "../cli/command.js";
import { WORKER_CONFIGS } from "./worker-types.js";

/** What commander reads for bench and bench --worker (undefined: not given, the mode's default applies). */
export interface BenchOptions {
  worker?: boolean;
  quick?: boolean;
  json?: string;
  container?: boolean;
  rounds?: number;
  retakes?: number;
  wasm?: string;
  out?: string;
  // bench
  seconds?: number;
  soak?: number;
  faults: boolean;
  grpc?: boolean;
  scenarios?: string;
  loads?: string;
  // bench --worker
  configs?: string;
  beforeWasm?: string;
  beforeCommit?: string;
  commit?: string;
  uploads?: number;
  uploadEvery?: number;
  bodyBytes?: number;
  bystanderEvery?: number;
  sliceUs?: number;
  redactionBytesPerSecond?: number;
}

export const BENCH_GROUP = "Options of the bench (without --worker):";
export const WORKER_GROUP = "Options of bench --worker:";

/** The option attributes each mode has alone (the others are refused with the other mode, by name). */
export const BENCH_ONLY = ["seconds", "soak", "faults", "grpc", "scenarios", "loads"] as const;
export const WORKER_ONLY = ["configs", "beforeCommit", "commit", "uploads", "uploadEvery", "bodyBytes", "bystanderEvery", "sliceUs", "redactionBytesPerSecond"] as const;

/** Puts bench's options on `cmd` (the --scenarios description gets the names in cli/bench.ts, when bench runs). */
export function defineBench(cmd: Command): Command {
  return cmd
    .option("--quick", "a short run (bench: 1 round, 1.5 s per measurement, two loads, the core scenarios; --worker: 1 round, 5 uploads)")
    .option("--json <file>", "also write the compact JSON summary (--worker: the report as JSON) to <file>", text)
    .option("--container", "Envoy in a container (testcontainers) instead of a process")
    .option("--rounds <n>", "interleaved rounds (default 3; --worker: 5, at most 20; --quick: 1)", int(1))
    .option("--retakes <n>", "measurements disturbed by other processes are taken again up to <n> times each (default 2; --worker: 1, at most 10; --quick: 0, so that a short run takes a bounded time on a busy machine)", int(0))
    .option("--wasm <file>", "the filter module to measure (default build/mirrorshade.wasm)", file)
    .option("--before-wasm <file>", "another build to measure in the same rounds (bench: the before_mirrorshade* scenarios; --worker: mirrorshade_before, with the same policy)", file)
    .option("--out <dir>", "where results.md, results.json and latency.svg go (default bench/results for a full run, a temporary folder otherwise); --worker: also write worker.md and worker.json there", text)
    .option("--worker", "instead: what redacting a large upload costs the primary and the other requests on the same Envoy worker (its options below)")
    .optionsGroup(BENCH_GROUP)
    .option("--seconds <s>", "seconds per measurement (default 5)", number())
    .option("--soak <n>", "requests in the soak run (default 1000000; 0 skips it)", int(0))
    .option("--no-faults", "skip the shadow fault runs")
    .option("--grpc", "also the gRPC unary family: h2load posting a framed ~1 KB protobuf message (application/grpc, te: trailers) at 500 req/s and at saturation, HTTP/2 clusters")
    .option("--scenarios <a,b>", "only these scenarios", text)
    .option("--loads <text>", 'only the loads whose name contains <text>, e.g. "saturation h1"', text)
    .optionsGroup(WORKER_GROUP)
    .option("--configs <a,b>", `configurations: ${WORKER_CONFIGS.join(", ")} (default: floor, native, mirrorshade, and mirrorshade_before when a --before-* option is given)`, text)
    .option("--before-commit <rev>", "build mirrorshade_before from commit <rev> in a temporary git worktree (removed afterwards), e.g. --before-commit 5e4654c", text)
    .option("--commit <rev>", "build mirrorshade from commit <rev> the same way instead of --wasm (what is measured then does not depend on the working tree)", text)
    .option("--uploads <n>", "uploads per configuration and round (default 30; --quick: 5)", int(1, 1000))
    .option("--upload-every <ms>", "one upload started every <ms> ms, or when the previous is answered if later (default 250; 0: back to back)", int(0, 10_000))
    .option("--body-bytes <n>", "upload size, a JSON document of about <n> bytes (default 900000)", int(1, 16 * 1048576))
    .option("--bystander-every <ms>", "one bystander GET every <ms> ms (default 5)", int(1, 1000))
    .option("--slice-us <n>", "limits.redaction_slice_us for mirrorshade (default: the filter's, 500)", int(50, 20_000))
    .option("--redaction-bytes-per-second <n>", "limits.redaction_bytes_per_second for mirrorshade (default: the filter's, 8 MiB/s)", int(1024, 1024 * 1048576));
}
