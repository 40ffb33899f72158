// `mirrorshade replay --har captures.har --target http://127.0.0.1:PORT [--rate R | --speed 2x]
// [--loop N] [--only-failed]`: replays a HAR's requests (harness/capture/replay.ts) with
// progress (a bar on a terminal, plain lines otherwise) and a summary table, status then vs now.
import { existsSync } from "node:fs";
import { parseOptions, UsageError } from "./args.js";
import { readHar } from "../capture/har.js";
import { replay, summaryTable, parseTarget } from "../capture/replay.js";

export interface ReplayCommandOptions {
  har: string;
  target: string;
  rate?: number;
  speed?: number;
  loop?: number;
  onlyFailed?: boolean;
}

function number(v: string | undefined, name: string, suffix = ""): number | undefined {
  if (v === undefined) return undefined;
  const t = suffix && v.endsWith(suffix) ? v.slice(0, -suffix.length) : v;
  const n = Number(t);
  if (t.length === 0 || !Number.isFinite(n)) throw new UsageError(`--${name}: not a number: "${v}"`);
  return n;
}

/** Progress on stderr: a bar on a terminal, a line every 10% otherwise. */
function reporter(total: number) {
  const tty = process.stderr.isTTY === true;
  let shown = -1;
  return (done: number, now: string) => {
    if (tty) {
      const width = 30;
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      process.stderr.write(`\rreplay [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${now.padEnd(24).slice(0, 24)}`);
      if (done === total) process.stderr.write("\n");
      return;
    }
    const tenth = total > 0 ? Math.floor((done * 10) / total) : 10;
    if (tenth !== shown || done === total) {
      shown = tenth;
      process.stderr.write(`replay: ${done}/${total} requests (last: ${now})\n`);
    }
  };
}

export async function runReplay(o: ReplayCommandOptions): Promise<number> {
  parseTarget(o.target);
  if (!existsSync(o.har)) throw new UsageError(`--har ${o.har}: no such file`);
  const har = await readHar(o.har);
  const total = har.log.entries.length;
  let progress: ((done: number, now: string) => void) | null = null;
  const run = await replay({ entries: har.log.entries, target: o.target, rate: o.rate, speed: o.speed, loop: o.loop, onlyFailed: o.onlyFailed }, (done, all, _r, now) => {
    progress ??= reporter(all);
    progress(done, now);
  });
  process.stdout.write(summaryTable(run.results));
  console.error(`replay: ${run.sent} request(s) from ${run.results.length} of ${total} entries to ${o.target}`);
  return 0;
}

export async function replayCommand(args: string[]): Promise<number> {
  const f = parseOptions(args, { values: ["har", "target", "rate", "speed", "loop"], switches: ["only-failed"] });
  const har = f.get("har");
  const target = f.get("target");
  if (!har) throw new UsageError("replay: --har <file.har> is required");
  if (!target) throw new UsageError("replay: --target <http://host:port> is required");
  try {
    parseTarget(target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const rate = number(f.get("rate"), "rate");
  const speed = number(f.get("speed"), "speed", "x");
  if (rate !== undefined && speed !== undefined) throw new UsageError("--rate and --speed: give one of them");
  const loop = number(f.get("loop"), "loop");
  if (loop !== undefined && (!Number.isInteger(loop) || loop < 1 || loop > 100000)) throw new UsageError(`--loop: must be a whole number from 1 to 100000, got "${f.get("loop")}"`);
  return runReplay({ har, target, rate, speed, loop, onlyFailed: f.has("only-failed") });
}
