// `mirrorshade demo [--container]`: real Envoy, two recording upstreams, sample
// traffic (the demo itself is harness/demo.ts).
import { parseOptions } from "./args.js";
import { runDemo } from "../demo.js";
import { requireWasm } from "../validate.js";

export async function demoCommand(args: string[]): Promise<number> {
  const f = parseOptions(args, { switches: ["container"] });
  return runDemo({ backend: f.has("container") ? "container" : "process", wasm: requireWasm() });
}
