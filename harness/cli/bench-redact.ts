// `mirrorshade bench-redact`: redaction throughput of the compiled filter in V8
// (the bench itself: bench/redact.ts).
import type { Command } from "commander";
import { action, file } from "./command.js";

export function register(program: Command): void {
  program
    .command("bench-redact")
    .summary("redaction throughput (MB/s) of the compiled filter in V8, 1 KB / 16 KB / 1 MB JSON")
    .description(
      "Redaction throughput (MB/s) of the compiled filter in V8 (Node, through the host emulator): JSON bodies of 1 KB, 16 KB and 1 MB fed in 64 KB chunks, with examples/redact.json's policy, against the same filter copying without a redact section. Progress: a bar on stderr when it is a terminal, one line per measurement otherwise.",
    )
    .option("--quick", "a short run (0.2 s per measurement instead of 2 s)")
    .option("--json", "also print the rows as one JSON line")
    .option("--wasm <file>", "the filter module to measure (default build/mirrorshade.wasm)", file)
    .action(
      action(async (o: { quick?: boolean; json?: boolean; wasm?: string }) => {
        if (!o.wasm) (await import("../validate.js")).requireWasm();
        const { runRedactionBench } = await import("../bench/redact.js");
        return runRedactionBench(o);
      }),
    );
}
