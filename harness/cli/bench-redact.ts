// `mirrorshade bench-redact`: redaction throughput of the compiled filter in V8
// (the bench itself: bench/redact.ts).
import type { Command } from "commander";
import { action, file, int, text } from "./command.js";

export function register(program: Command): void {
  program
    .command("bench-redact")
    .summary("redaction throughput (MB/s) of the compiled filter in V8, 1 KB / 16 KB / 1 MB JSON, against JSON.parse")
    .description(
      "Redaction throughput (MB/s) of the compiled filter in V8 (Node, through the host emulator): JSON bodies of 1 KB, 16 KB and 1 MB fed in 64 KB chunks, with examples/redact.json's policy, against the same filter copying without a redact section, and against V8's JSON.parse(new TextDecoder().decode(bytes)) of the same bodies in the same run (json_parse_mb_per_s, ratio_to_json_parse; the goal of #15 is a ratio of at least 1.5 at 16 KB and 1 MB). Measured in interleaved rounds, medians reported. Progress: a bar on stderr when it is a terminal, one line per round otherwise.",
    )
    .option("--quick", "a short run (3 rounds of 0.07 s per measurement instead of 5 of 0.4 s)")
    .option("--rounds <n>", "rounds per size (default 5, --quick 3)", int(1))
    .option("--json <file>", "also write the rows, the reference and the ratios to FILE", text)
    .option("--wasm <file>", "the filter module to measure (default build/mirrorshade.wasm)", file)
    .action(
      action(async (o: { quick?: boolean; json?: string; rounds?: number; wasm?: string }) => {
        if (!o.wasm) (await import("../validate.js")).requireWasm();
        const { runRedactionBench } = await import("../bench/redact.js");
        return runRedactionBench(o);
      }),
    );
}
