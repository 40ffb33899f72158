// `mirrorshade capture-sink --out captures.har [--listen HOST:PORT]`: receives the
// filter's captures (capture / compare.capture) into a HAR file, valid after every
// capture (the work: harness/capture/commands.ts, sink.ts).
import type { Command } from "commander";
import { action, text } from "./command.js";

export function register(program: Command): void {
  program
    .command("capture-sink")
    .usage("--out <captures.har> [options]")
    .summary("receive the filter's captures (capture / compare.capture) into an HTTP Archive (HAR 1.2)")
    .description(
      "Receive the filter's captures (capture / compare.capture: copies that failed at the shadow or mismatched, as the shadow received them) and append each to an HTTP Archive (HAR 1.2), valid after every capture. An existing archive keeps its entries. Runs until SIGINT or SIGTERM, then closes the file. No authentication: listen where only the capture cluster's Envoy reaches it.",
    )
    .requiredOption("--out <file>", "the HAR file captures are appended to", text)
    .option("--listen <host:port>", "where to listen (port 0: any free port)", text, "127.0.0.1:9911")
    .action(
      action(async (o: { out: string; listen: string }) => {
        const { runCaptureSink } = await import("../capture/commands.js");
        return runCaptureSink(o);
      }),
    );
}
