// Garbage collection for the minimal runtime (two-colour mark and sweep, no
// shadow stack). That runtime frees nothing by itself: collection must be asked
// for at a point where no managed reference lives only on the Wasm stack. The
// start of a stream context's creation is such a point (the host called in; the
// only references held are to the root context, which a global keeps alive), and
// it comes once per request, so garbage never outlives a bounded number of them.
// Without the shadow stack the incremental collector needs, every function that
// touches a managed reference is smaller and cheaper, which is the point.

/** Bytes of buffers read from the host (header maps, body chunks: garbage once used) between collections at most. */
const GARBAGE_BYTES: u32 = 1048576;
let garbage: u32 = 0;

/** The host handed over a buffer of n bytes (host/hostcalls.ts): garbage once it is used. */
export function hostBytes(n: u32): void {
  garbage += n;
}

/**
 * Streams created between collections at most. Each collection marks every live
 * object (the compiled policy), so it is not run more often than the garbage asks
 * for: a request leaves little besides the host's buffers (streams, calls and
 * cursors are reused, roles/mirror.ts), and those are counted in bytes above.
 * 2026-12-02, minimal host, 1 KB: 256 against 32 saved 0.4 µs per copied request
 * and 0.7 µs with the full policy (docs/benchmarks.md).
 */
const EVERY: u32 = 256;
let created: u32 = 0;
let pagesAtLastCollect: i32 = 0;

/**
 * At the start of a body callback (also a point where no reference lives only on
 * the Wasm stack: the SDK holds just the context, which the context map keeps):
 * collects when linear memory grew since the last collection, so the garbage of
 * large bodies arriving on streams that are all open at once (HTTP/2) does not
 * wait for a new stream.
 */
export function collectIfGrown(): void {
  if (ASC_RUNTIME != 1) return;
  if (memory.size() == pagesAtLastCollect && garbage < GARBAGE_BYTES) return;
  garbage = 0;
  created = 0;
  __collect();
  pagesAtLastCollect = memory.size();
}

/** Collects every EVERY streams, or at once when linear memory grew since the last collection (large bodies). */
export function collectAtStreamStart(): void {
  if (ASC_RUNTIME != 1) return; // Runtime.Minimal; the incremental runtime collects by itself
  created++;
  if (created < EVERY && memory.size() == pagesAtLastCollect && garbage < GARBAGE_BYTES) return;
  created = 0;
  garbage = 0;
  __collect();
  pagesAtLastCollect = memory.size();
}
