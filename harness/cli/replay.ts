// `mirrorshade replay --har captures.har --target http://127.0.0.1:PORT [--rate R | --speed 2x]
// [--loop N] [--only-failed]`: replays a HAR's requests with progress and a summary table,
// status then vs now (the work: harness/capture/commands.ts, replay.ts).
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { action, file, int, number, text } from "./command.js";

/** "2x", "2" or "0.5x": a positive multiple. */
const speed = (v: string): number => {
  const n = number()(v.endsWith("x") ? v.slice(0, -1) : v);
  if (n > 10000) throw new InvalidArgumentError("must be at most 10000x");
  return n;
};

export function register(program: Command): void {
  program
    .command("replay")
    .usage("--har <captures.har> --target <http://host:port> [options]")
    .summary("replay a HAR's requests against a target, with progress and a summary (status then and now)")
    .description(
      "Replay the requests of a HAR (a capture-sink's, or any HAR 1.2): method, path and query, headers, body byte for byte, to the target's origin; gRPC entries over HTTP/2. Prints a table: per entry, the recorded status and what the target answered. Bounded by the archive's entries times --loop.",
    )
    .requiredOption("--har <file>", "the HAR file", file)
    .requiredOption("--target <url>", "an http:// or https:// origin the requests go to", text)
    .option("--rate <n>", "requests started per second (default: one after the other)", (v: string) => {
      const n = number()(v);
      if (n > 100000) throw new InvalidArgumentError("must be at most 100000");
      return n;
    })
    .option("--speed <factor>", "the recorded pace (the gaps between startedDateTime) times factor: 2x, 0.5x", speed)
    .option("--loop <n>", "replay the entries n times", int(1, 100000), 1)
    .option("--only-failed", "only entries whose recorded answer failed (no answer, 5xx, gRPC error, captured as shadow_error or timeout)")
    .action(
      action(async (o: { har: string; target: string; rate?: number; speed?: number; loop: number; onlyFailed?: boolean }) => {
        const { runReplay } = await import("../capture/commands.js");
        return runReplay(o);
      }),
    );
}
