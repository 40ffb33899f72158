// `mirrorshade demo [--container] [--out DIR]`: the payment-migration story in real
// Envoy (harness/demo/story.ts), one screen per step.
import type { Command } from "commander";
import { action, text } from "./command.js";

export function register(program: Command): void {
  program
    .command("demo")
    .summary("the payment-migration story in real Envoy: mirror, redact, guard, compare, capture, replay, report")
    .description(
      "Start real Envoy running the filter in front of payments v1 (mirroring 50% of users to v2, which declines non-US addresses) and on the apps' way to a stub payment gateway (the egress guard); send payments and show, one screen per step, what each side received, the guard's stubs, the comparison's findings, the captured failures replayed against v2, the report, and the files written. Needs `npm run build` first (npm run demo builds).",
    )
    .option("--container", "Envoy in a container (testcontainers) instead of a process")
    .option("--out <dir>", "where the report, the HAR of captures and the Envoy logs go (default build/demo)", text)
    .action(
      action(async (o: { container?: boolean; out?: string }) => {
        const { requireWasm } = await import("../validate.js");
        const { runDemo } = await import("../demo.js");
        return runDemo({ backend: o.container ? "container" : "process", wasm: requireWasm(), out: o.out });
      }),
    );
}
