// `mirrorshade capture-sink --out captures.har [--listen 127.0.0.1:PORT]`: receives
// the filter's captures (capture / compare.capture) and appends each to a HAR file,
// valid after every append (harness/capture/sink.ts). Runs until SIGINT/SIGTERM,
// then closes the file cleanly.
import { parseOptions, UsageError } from "./args.js";
import { startSink } from "../capture/sink.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../paths.js";

export interface CaptureSinkOptions {
  out: string;
  /** host:port (default 127.0.0.1:9411; PORT 0: any free port). */
  listen?: string;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen: expected HOST:PORT (e.g. 127.0.0.1:9411), got "${listen}"`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

function version(): string {
  return (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version: string }).version;
}

/** Runs the sink until a signal; resolves with the exit code. */
export async function runCaptureSink(o: CaptureSinkOptions, signal?: AbortSignal): Promise<number> {
  const { host, port } = parseListen(o.listen ?? "127.0.0.1:9411");
  const sink = await startSink({
    out: o.out,
    host,
    port,
    version: version(),
    onEntry: (e, n) => console.log(`${n}\t${e._mirrorshade?.reason ?? "-"}\t${e.request.method} ${e.request.url} -> ${e.response.status || "no answer"}`),
  });
  console.error(`mirrorshade capture-sink: listening on ${sink.url}, appending to ${o.out} (valid HAR after every capture)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    signal?.addEventListener("abort", stop, { once: true });
  });
  await sink.close();
  console.error(`mirrorshade capture-sink: ${sink.appended} capture(s) appended, ${sink.refused} refused; ${o.out} closed`);
  return 0;
}

export async function captureSinkCommand(args: string[]): Promise<number> {
  const f = parseOptions(args, { values: ["out", "listen"] });
  const out = f.get("out");
  if (!out) throw new UsageError("capture-sink: --out <file.har> is required");
  return runCaptureSink({ out, listen: f.get("listen") });
}
