// `mirrorshade demo`: the payment-migration story in real Envoy (harness/demo/story.ts),
// printed one screen per step; exit 1 with every Envoy's log when a step fails.
import type { Backend } from "./envoy/index.js";
import { playDemo } from "./demo/story.js";

export async function runDemo(opts: { backend: Backend; wasm: string; out?: string }): Promise<number> {
  try {
    await playDemo({ ...opts, say: (line) => console.log(line) });
    return 0;
  } catch (e) {
    console.error(`demo failed: ${e instanceof Error ? e.message : e}`);
    return 1;
  }
}
