// The runs behind `mirrorshade capture-sink` and `mirrorshade replay` (the command
// modules, harness/cli/capture-sink.ts and replay.ts, define their options): the sink
// until a signal, with a line per capture; a replay with progress and its summary table.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../cli/args.js";
import { progress } from "../cli/progress.js";
import { projectRoot } from "../paths.js";
import { startSink } from "./sink.js";
import { readHar } from "./har.js";
import { replay, summaryTable, parseTarget } from "./replay.js";

export const DEFAULT_LISTEN = "127.0.0.1:9911";

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen: expected HOST:PORT (e.g. ${DEFAULT_LISTEN}), got "${listen}"`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

const version = () => (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string }).version;

export interface CaptureSinkOptions {
  out: string;
  listen?: string;
}

/** Runs the sink until SIGINT/SIGTERM (or `signal`); the file is closed cleanly. Exit code 0. */
export async function runCaptureSink(o: CaptureSinkOptions, signal?: AbortSignal): Promise<number> {
  const { host, port } = parseListen(o.listen ?? DEFAULT_LISTEN);
  // A receiver: the number of captures is not known (a count on a terminal, a line per capture otherwise).
  const p = progress({ title: "capture-sink", total: 0, unit: "captures", every: 0 });
  const sink = await startSink({
    out: o.out,
    host,
    port,
    version: version(),
    onEntry: (e, n) => {
      p.log(`${n}\t${e._mirrorshade?.reason ?? "-"}\t${e.request.method} ${e.request.url} -> ${e.response.status || "no answer"}`);
      p.tick(e._mirrorshade?.reason);
    },
  });
  process.stderr.write(`mirrorshade capture-sink: listening on ${sink.url}, appending to ${o.out} (a valid HAR after every capture)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    signal?.addEventListener("abort", stop, { once: true });
  });
  await sink.close();
  p.stop();
  process.stderr.write(`mirrorshade capture-sink: ${sink.appended} capture(s) appended, ${sink.refused} refused; ${o.out} closed\n`);
  return 0;
}

export interface ReplayCommandOptions {
  har: string;
  target: string;
  rate?: number;
  speed?: number;
  loop?: number;
  onlyFailed?: boolean;
}

/** Replays the archive with progress, then prints the summary table (status then and now). Exit code 0. */
export async function runReplay(o: ReplayCommandOptions): Promise<number> {
  try {
    parseTarget(o.target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (o.rate !== undefined && o.speed !== undefined) throw new UsageError("--rate and --speed: give one of them");
  if (!existsSync(o.har)) throw new UsageError(`--har ${o.har}: no such file`);
  const har = await readHar(o.har);
  let p: ReturnType<typeof progress> | null = null;
  const run = await replay({ entries: har.log.entries, target: o.target, rate: o.rate, speed: o.speed, loop: o.loop, onlyFailed: o.onlyFailed }, (done, total, r, now) => {
    p ??= progress({ title: "replay", total, unit: "requests" });
    p.update(done, total, `#${r.index} ${now}`);
  });
  (p as ReturnType<typeof progress> | null)?.stop();
  process.stdout.write(summaryTable(run.results));
  process.stderr.write(`replay: ${run.sent} request(s) from ${run.results.length} of ${har.log.entries.length} entries to ${o.target}\n`);
  return 0;
}
