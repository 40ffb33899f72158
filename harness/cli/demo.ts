// `mirrorshade demo [--container]`: real Envoy, two recording upstreams, sample
// traffic (the demo itself is harness/demo.ts).
import type { Command } from "commander";
import { action } from "./command.js";

export function register(program: Command): void {
  program
    .command("demo")
    .summary("start Envoy with a primary and a shadow upstream, send sample traffic, show what each side received")
    .description("Start real Envoy running the filter with a primary and a shadow upstream, send sample traffic, and show what each side received and the filter's counters. Needs `npm run build` first (npm run demo builds).")
    .option("--container", "Envoy in a container (testcontainers) instead of a process")
    .action(
      action(async (o: { container?: boolean }) => {
        const { requireWasm } = await import("../validate.js");
        const { runDemo } = await import("../demo.js");
        return runDemo({ backend: o.container ? "container" : "process", wasm: requireWasm() });
      }),
    );
}
