// The path a rule matches: the request's path as the primary's router and
// application will read it, whatever spelling the client chose. Percent-escapes
// are decoded (all of them: an application decodes %2F and %70 alike), '\' is
// read as '/', runs of '/' become one, path parameters (";jsessionid=...") are
// dropped from each segment, and "." and ".." segments are resolved (RFC 3986
// remove_dot_segments). So `exclude` on /api/payments also holds for
// /api//payments, /api/%70ayments, /api/./payments and /%61pi/payments.
// Written into a scratch buffer reused by every request; the raw path is never changed.
import { escapeAt } from "../util/form";


/** Whether the path can differ from its normal form (most paths cannot: nothing to copy). */
export function needsNormalizing(p: usize, len: usize): bool {
  let prev: u8 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(p + i);
    if (c == 0x25 || c == 0x5c || c == 0x3b) return true; // '%', '\', ';'
    if (c == 0x2f && prev == 0x2f) return true; // "//"
    if (c == 0x2e && prev == 0x2f) return true; // "/." (a dot segment, or a name starting with a dot: checked)
    prev = c;
  }
  return false;
}

export class PathNormalizer {
  private buf: ArrayBuffer = new ArrayBuffer(256);
  /** Output offsets where each kept segment's '/' starts (for ".."). */
  private starts: StaticArray<i32> = new StaticArray<i32>(64);

  get ptr(): usize {
    return changetype<usize>(this.buf);
  }

  /** Normalizes [p, p+len) into the buffer (ptr); returns the length. Lower-cases A-Z too when lower. */
  normalize(p: usize, len: usize, lower: bool): i32 {
    if (this.buf.byteLength < <i32>len + 1) this.buf = new ArrayBuffer(<i32>len + 1);
    const o = changetype<usize>(this.buf);
    // Pass 1: decode escapes, '\' as '/', merge slashes, lower-case on request.
    let n: usize = 0;
    let i: usize = 0;
    while (i < len) {
      let c = load<u8>(p + i);
      const e = escapeAt(p, i, len);
      if (e >= 0) {
        c = <u8>e;
        i += 3;
      } else i++;
      if (c == 0x5c) c = 0x2f;
      if (lower && c >= 0x41 && c <= 0x5a) c += 0x20;
      if (c == 0x2f && n > 0 && load<u8>(o + n - 1) == 0x2f) continue;
      store<u8>(o + n++, c);
    }
    // Pass 2, in place (it only shrinks): segments without parameters, dot segments resolved.
    const end = n;
    let w: usize = 0;
    let depth = 0;
    let r: usize = 0;
    const absolute = end > 0 && load<u8>(o) == 0x2f;
    if (absolute) r = 1;
    let trailing = false;
    while (r <= end) {
      let e = r;
      while (e < end && load<u8>(o + e) != 0x2f) e++;
      let s = e;
      // Drop ";params" from the segment.
      let k = r;
      while (k < e && load<u8>(o + k) != 0x3b) k++;
      s = k;
      const segLen = s - r;
      const isDot = segLen == 1 && load<u8>(o + r) == 0x2e;
      const isDotDot = segLen == 2 && load<u8>(o + r) == 0x2e && load<u8>(o + r + 1) == 0x2e;
      const last = e >= end;
      if (isDotDot) {
        if (depth > 0) {
          depth--;
          w = <usize>unchecked(this.starts[depth]);
        }
        trailing = true;
      } else if (isDot) {
        trailing = true;
      } else if (segLen == 0 && !last) {
        // An empty segment ("//", or one that held only ";params": "/;x/admin") is merged away, as
        // Tomcat, Jetty and Spring read it.
      } else if (segLen > 0) {
        if (depth >= this.starts.length) {
          const grown = new StaticArray<i32>(this.starts.length * 2);
          for (let j = 0; j < this.starts.length; j++) unchecked((grown[j] = this.starts[j]));
          this.starts = grown;
        }
        unchecked((this.starts[depth] = <i32>w));
        depth++;
        if (absolute || w > 0) store<u8>(o + w++, 0x2f);
        memory.copy(o + w, o + r, segLen);
        w += segLen;
        trailing = false;
      } else {
        // An empty last segment: the path ended with '/'.
        trailing = true;
      }
      r = e + 1;
    }
    if ((trailing || w == 0) && absolute) store<u8>(o + w++, 0x2f);
    return <i32>w;
  }
}
