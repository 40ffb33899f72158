// How much a body scan may still read in the current slice of redaction work.
// Redaction runs off the primary's path (roles/mirror-queue.ts), in slices from
// the root context's tick: the slice sets `left` to the bytes it allows, and every
// scanner that reads a body (json/scanner.ts, body/text.ts, redact/query.ts for
// form bodies, redact/detect-run.ts) counts what it read against it and stops,
// resumable, when it is spent. Outside a slice (header and :path redaction,
// whose size Envoy's header limits bound) it is unlimited and nothing stops.
export const UNLIMITED: i32 = i32.MAX_VALUE;

export class Work {
  left: i32 = UNLIMITED;

  /** Where a scan from `pos` over [.., len) must stop in this slice. */
  // @ts-ignore: decorator
  @inline
  stop(pos: i32, len: i32): i32 {
    const left = this.left;
    if (left <= 0) return pos;
    return left >= len - pos ? len : pos + left;
  }

  // @ts-ignore: decorator
  @inline
  spend(bytes: i32): void {
    if (this.left != UNLIMITED) this.left -= bytes;
  }

  get spent(): bool {
    return this.left <= 0;
  }
}

/** The VM runs one callback at a time: one budget serves every scan. */
export const WORK = new Work();
