// `mirrorshade preview --config <policy.json> --request <requests.json>`: requests
// through the filter in the emulator, one JSON line each (the logic is harness/preview.ts).
import { readFileSync, existsSync } from "node:fs";
import { parseOptions, readJson, UsageError } from "./args.js";
import { preview, checkRequest, PreviewInputError } from "../preview.js";
import { requireWasm } from "../validate.js";

export async function previewCommand(args: string[]): Promise<number> {
  const f = parseOptions(args, { values: ["config", "request", "chunk-size", "protocol"] });
  const configFile = f.get("config");
  const requestFile = f.get("request");
  if (!configFile) throw new UsageError("preview: --config <policy.json> is required");
  if (!requestFile) throw new UsageError("preview: --request <requests.json> is required");
  let chunkSize: number | undefined;
  if (f.has("chunk-size")) {
    chunkSize = Number(f.get("chunk-size"));
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new UsageError(`--chunk-size: must be a whole number of bytes >= 1, got "${f.get("chunk-size")}"`);
  }
  const protocol = f.get("protocol") ?? "http1";
  if (protocol !== "http1" && protocol !== "h2") throw new UsageError(`--protocol: must be http1 or h2, got "${protocol}"`);
  if (!existsSync(configFile)) throw new UsageError(`--config ${configFile}: no such file`);
  const input = readJson(requestFile, "--request");
  const list = Array.isArray(input) ? input : [input];
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    const requests = list.map((r, i) => checkRequest(r, i));
    const results = await preview({ wasm: requireWasm(), policy: readFileSync(configFile, "utf8"), requests, chunkSize, env, protocol });
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
