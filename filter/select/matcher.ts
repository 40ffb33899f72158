// String matchers of selection and guard rules, compiled once into bytes:
// exact, in, prefix, suffix, contains, present, absent, and path globs.
import { bytesEqual, equalsLower } from "../util/bytes";

export const MATCH_EXACT: u8 = 0;
export const MATCH_IN: u8 = 1;
export const MATCH_PREFIX: u8 = 2;
export const MATCH_SUFFIX: u8 = 3;
export const MATCH_CONTAINS: u8 = 4;
export const MATCH_PRESENT: u8 = 5;
export const MATCH_ABSENT: u8 = 6;
export const MATCH_GLOB: u8 = 7;

export class StringMatcher {
  kind: u8 = MATCH_EXACT;
  values: ArrayBuffer[] = [];
  /** Hosts compare case-insensitively (values stored lower-case). */
  ignoreCase: bool = false;

  matches(p: usize, len: usize): bool {
    const k = this.kind;
    if (k == MATCH_PRESENT) return true;
    if (k == MATCH_ABSENT) return false;
    for (let i = 0; i < this.values.length; i++) {
      const v = unchecked(this.values[i]);
      const vl = <usize>v.byteLength;
      const vp = changetype<usize>(v);
      if (k == MATCH_EXACT || k == MATCH_IN) {
        if (this.ignoreCase ? equalsLower(p, len, v) : bytesEqual(p, len, v)) return true;
      } else if (k == MATCH_PREFIX) {
        if (len >= vl && rangeEquals(p, vp, vl, this.ignoreCase)) return true;
      } else if (k == MATCH_SUFFIX) {
        if (len >= vl && rangeEquals(p + len - vl, vp, vl, this.ignoreCase)) return true;
      } else if (k == MATCH_CONTAINS) {
        if (len >= vl) {
          for (let s: usize = 0; s + vl <= len; s++) if (rangeEquals(p + s, vp, vl, this.ignoreCase)) return true;
        }
      } else if (k == MATCH_GLOB) {
        if (glob(vp, vl, p, len)) return true;
      }
    }
    return false;
  }
}

function rangeEquals(p: usize, q: usize, len: usize, ignoreCase: bool): bool {
  if (!ignoreCase) return memory.compare(p, q, len) == 0;
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(p + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != load<u8>(q + i)) return false;
  }
  return true;
}

/**
 * Path globs: '*' matches within one segment, '**' across segments, '?' one
 * character. Iterative with one backtrack point per star kind, so a hostile path
 * cannot make it exponential.
 */
export function glob(pat: usize, plen: usize, s: usize, slen: usize): bool {
  let pi: usize = 0;
  let si: usize = 0;
  let starP: isize = -1;
  let starS: usize = 0;
  let starDeep = false;
  while (si < slen) {
    if (pi < plen) {
      const pc = load<u8>(pat + pi);
      if (pc == 0x2a) {
        const deep = pi + 1 < plen && load<u8>(pat + pi + 1) == 0x2a;
        starDeep = deep;
        pi += deep ? 2 : 1;
        starP = <isize>pi;
        starS = si;
        continue;
      }
      const sc = load<u8>(s + si);
      if (pc == 0x3f ? sc != 0x2f : pc == sc) {
        pi++;
        si++;
        continue;
      }
    }
    if (starP >= 0) {
      // Let the last star take one more character (a single '*' never takes '/').
      if (!starDeep && load<u8>(s + starS) == 0x2f) return false;
      starS++;
      si = starS;
      pi = <usize>starP;
      continue;
    }
    return false;
  }
  while (pi < plen && load<u8>(pat + pi) == 0x2a) pi++;
  return pi == plen;
}

