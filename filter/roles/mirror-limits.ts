// The mirror role's limits on what a copy may hold, per shadow: a body over the
// shadow's max_body_bytes (sent without it, or not at all), the VM's buffer
// budget, and for a gRPC call the stream itself. A gRPC call without its
// messages is useless to a shadow: a gRPC stream over max_body_bytes, or that has
// not ended within the shadow's timeout_ms after its headers, is not mirrored
// (skipped.stream_too_long); the in-place roles mirror long streams live.
import { Copy, TARGET_NONE, TARGET_BODY, TARGET_HEADERS_ONLY } from "../copy/copy";
import { ON_TOO_LARGE_HEADERS_ONLY } from "../policy/types";
import { MirrorShadow } from "./mirror-shadow";
import { MirrorMetrics } from "../host/metrics";

/** Shadow i gets no copy of this gRPC stream: too long, in bytes or in time. */
function streamTooLong(copy: Copy, shadow: MirrorShadow, i: i32, m: MirrorMetrics): void {
  copy.drop(i);
  m.skippedStreamTooLong.inc();
  shadow.metrics.skippedStreamTooLong.inc();
}

/** One shadow will not get the body: over its max_body_bytes. */
export function tooLarge(copy: Copy, shadow: MirrorShadow, i: i32, m: MirrorMetrics): void {
  if (copy.grpc) streamTooLong(copy, shadow, i, m);
  else if (shadow.cfg.onBodyTooLarge == ON_TOO_LARGE_HEADERS_ONLY) {
    unchecked((copy.targets[i] = TARGET_HEADERS_ONLY));
  } else {
    copy.drop(i);
    m.skippedBodyTooLarge.inc();
    shadow.metrics.skippedBodyTooLarge.inc();
  }
}

/** Applies the body limits to a body of `length` bytes; the largest body any shadow still wants (-1: none). */
export function limitBody(copy: Copy, shadows: MirrorShadow[], m: MirrorMetrics, length: i64): i64 {
  let max: i64 = -1;
  for (let i = 0; i < shadows.length; i++) {
    if (unchecked(copy.targets[i]) != TARGET_BODY) continue;
    const shadow = unchecked(shadows[i]);
    const cap = <i64>shadow.cfg.maxBodyBytes;
    if (length > cap) tooLarge(copy, shadow, i, m);
    else if (cap > max) max = cap;
  }
  return max;
}

/**
 * A gRPC stream still open `elapsedNs` after its headers: every shadow whose
 * timeout_ms it outlasted gets no copy. Looked at when a chunk or the trailers
 * arrive and at the request's end: an idle stream is let go at its next chunk
 * or its end (nothing runs for a stream between its callbacks).
 */
export function expireStream(copy: Copy, shadows: MirrorShadow[], m: MirrorMetrics, elapsedNs: u64): void {
  for (let i = 0; i < shadows.length; i++) {
    if (unchecked(copy.targets[i]) == TARGET_NONE) continue;
    const shadow = unchecked(shadows[i]);
    const t = <u64>shadow.cfg.timeoutMs;
    if (t > 0 && elapsedNs > t * 1000000) streamTooLong(copy, shadow, i, m);
  }
}

/** The VM's buffer budget is spent: no shadow gets this copy. */
export function skipForMemory(copy: Copy, shadows: MirrorShadow[], m: MirrorMetrics): void {
  for (let i = 0; i < shadows.length; i++) {
    if (unchecked(copy.targets[i]) == TARGET_NONE) continue;
    copy.drop(i);
    m.skippedMemoryBudget.inc();
    unchecked(shadows[i]).metrics.skippedMemoryBudget.inc();
  }
}
