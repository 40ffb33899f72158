// `mirrorshade bench` and `bench --worker`: what mirroring costs the primary path in
// real Envoy (the options: bench/options.ts; the run: bench/command.ts).
import type { Command } from "commander";
import { action, beforeParse } from "./command.js";
import { defineBench, type BenchOptions } from "../bench/options.js";

export function register(program: Command): void {
  const cmd = defineBench(
    program
      .command("bench")
      .summary("what mirroring costs the primary path, in real Envoy (--worker: what redacting large uploads costs the same worker)")
      .description(
        "What mirroring costs the primary path, in real Envoy: the scenarios (no filter, native mirroring, Lua, mirrorshade with its policies, lower-bound probes) measured under the loads, interleaved round by round; results.md, results.json and latency.svg.\n\n" +
          "With --worker: one Envoy worker (--concurrency 1); per configuration and round a fresh Envoy, sequential JSON uploads (time until the primary has the whole body) and, alongside, small GETs at a fixed rate (their latency); configurations interleaved round by round; the filter's redaction statistics.\n\n" +
          "Progress: a bar on stderr when it is a terminal, one line per measurement otherwise.",
      ),
  ).action(action(async (o: BenchOptions, c: Command) => (await import("../bench/command.js")).benchCommand(o, c)));
  // The scenario names are bench/scenarios.ts's (one source), read when bench runs.
  beforeParse(cmd, async () => {
    const { SCENARIOS, GRPC_SCENARIOS } = await import("../bench/scenarios.js");
    const o = cmd.options.find((x) => x.long === "--scenarios")!;
    o.description = `only these scenarios: ${SCENARIOS.join(", ")} (gRPC: ${GRPC_SCENARIOS.join(", ")}; naming one runs the gRPC loads)`;
  });
}
