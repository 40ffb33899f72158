// `mirrorshade preview --config <policy.json> --request <requests.json>`: requests
// through the filter in the emulator, one JSON line each (the logic is harness/preview.ts).
import { Option, type Command } from "commander";
import { action, file, int, text } from "./command.js";

interface PreviewOptions {
  config: string;
  request: string;
  chunkSize?: number;
  protocol: "http1" | "h2";
}

export function register(program: Command): void {
  program
    .command("preview")
    .usage("--config <policy.json> --request <requests.json> [options]")
    .summary("run requests through the filter and print, one JSON line each, what the shadow and the primary receive")
    .description(
      "Run requests through the filter (the same .wasm Envoy loads, in the emulator) and print, one JSON line each, whether they are mirrored, why, and what the shadow and the primary receive. gRPC calls (--protocol h2, bodyBase64 with framed messages) also show their messages as JSON when the policy has redact.grpc.descriptor_set.",
    )
    .requiredOption("--config <policy.json>", "the policy", file)
    .requiredOption("--request <requests.json>", "the requests: one object or a list ({method, path, headers, body | bodyBase64, trailers})", text)
    .option("--chunk-size <bytes>", "feed each body to the filter in chunks of this many bytes (default: whole)", int(1))
    .addOption(new Option("--protocol <protocol>", "the downstream protocol").choices(["http1", "h2"]).default("http1"))
    .action(action(run));
}

async function run(o: PreviewOptions): Promise<number> {
  const { readFileSync } = await import("node:fs");
  const { readJson } = await import("./args.js");
  const { preview, checkRequest, PreviewInputError } = await import("../preview.js");
  const { requireWasm } = await import("../validate.js");
  const input = readJson(o.request, "--request");
  const list = Array.isArray(input) ? input : [input];
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    const requests = list.map((r, i) => checkRequest(r, i));
    const results = await preview({ wasm: requireWasm(), policy: readFileSync(o.config, "utf8"), requests, chunkSize: o.chunkSize, env, protocol: o.protocol });
    for (const r of results) console.log(JSON.stringify(r));
    return 0;
  } catch (e) {
    if (e instanceof PreviewInputError) {
      console.error(`mirrorshade preview: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
