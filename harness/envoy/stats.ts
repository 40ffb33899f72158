// Reading Envoy's admin /stats: parsing the plain text, and waiting for counters
// Envoy updates asynchronously.
import type { EnvoyInstance } from "./launcher.js";

/** Parse Envoy's plain /stats output; histograms are skipped (they are not single numbers). */
export function parseStats(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const i = line.lastIndexOf(": ");
    if (i < 0) continue;
    const v = Number(line.slice(i + 2));
    if (Number.isFinite(v)) out.set(line.slice(0, i), v);
  }
  return out;
}

/** Wait until `predicate(stats)` holds; for counters that Envoy updates asynchronously (e.g. after a shadow call returns). */
export async function waitForStats(
  envoy: EnvoyInstance,
  predicate: (s: Map<string, number>) => boolean,
  timeoutMs = 10_000,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await envoy.stats();
    if (predicate(s)) return s;
    if (Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}
