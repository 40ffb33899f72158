// The mirror role redacts bodies off the primary's path, in slices from the root
// context's tick (filter/roles/mirror-queue.ts). Envoy ticks by itself; in the
// host emulator whoever drives the filter ticks until the queue is empty.
import type { ProxyWasmHost } from "./emulator/index.js";

export const QUEUED_GAUGE = "mirrorshade.redaction.queued";

/** Copies waiting to be redacted, as the filter's gauge says. */
export function queued(host: ProxyWasmHost): number {
  return Number(host.metrics.get(QUEUED_GAUGE)?.value ?? 0n);
}

/** Ticks until no copy waits (at most maxTicks); returns the ticks it took. */
export function drainRedaction(host: ProxyWasmHost, maxTicks = 1_000_000): number {
  let ticks = 0;
  while (queued(host) > 0 && ticks < maxTicks && !host.vmFailed) {
    host.tick();
    ticks++;
  }
  if (queued(host) > 0 && !host.vmFailed) throw new Error(`redaction queue not empty after ${ticks} ticks`);
  return ticks;
}
