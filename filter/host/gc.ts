// Garbage collection for the minimal runtime (two-colour mark and sweep, no
// shadow stack). That runtime frees nothing by itself: collection must be asked
// for at a point where no managed reference lives only on the Wasm stack. The
// start of a stream context's creation is such a point (the host called in; the
// only references held are to the root context, which a global keeps alive), and
// it comes once per request, so garbage never outlives a bounded number of them.
// Without the shadow stack the incremental collector needs, every function that
// touches a managed reference is smaller and cheaper, which is the point.

/** Bytes of body chunks read from the host (garbage once copied) between collections at most. */
const GARBAGE_BYTES: u32 = 1048576;
let garbage: u32 = 0;

/** A body chunk of n bytes was read from the host: garbage once it is copied. */
export function chunkRead(n: u32): void {
  garbage += n;
}

/** Streams created between collections at most. */
const EVERY: u32 = 32;
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
