// The shadow tag: the header that marks a copy so the shadow and its dependencies
// can skip side effects, and the W3C baggage member that carries the same mark
// through apps that forward baggage. Compiled once per configuration
// (policy/tag.ts fills it); its methods are the byte-level checks every role uses.
import { utf8, bytesEqual, sameHeaderName } from "../util/bytes";
import * as D from "../policy/defaults";

export const H_BAGGAGE = utf8("baggage");

function isOws(c: u8): bool {
  return c == 0x20 || c == 0x09;
}

export class ShadowTag {
  name: ArrayBuffer = utf8(D.TAG_HEADER);
  value: ArrayBuffer = utf8(D.TAG_VALUE);
  baggageKey: ArrayBuffer = utf8(D.TAG_BAGGAGE_KEY);
  /** "key=value", the member added to baggage. */
  baggageMember: ArrayBuffer = utf8(D.TAG_BAGGAGE_KEY + "=" + D.TAG_VALUE);
  /** Remove a forged tag (header and baggage member) from production requests. */
  stripFromPrimary: bool = D.TAG_STRIP_FROM_PRIMARY;
  /** Add the baggage member to each copy. */
  addBaggage: bool = D.TAG_BAGGAGE;

  /** Sets the header, value and baggage key (the member is derived from them). */
  set(header: string, value: string, baggageKey: string): void {
    this.name = utf8(header);
    this.value = utf8(value);
    this.baggageKey = utf8(baggageKey);
    this.baggageMember = utf8(baggageKey + "=" + value);
  }

  /** The tag header, in any spelling that reaches an application as it (x_shadow_request for x-shadow-request). */
  matchesName(p: usize, len: usize): bool {
    return sameHeaderName(p, len, this.name);
  }

  /** The tag header's value marks the request (the name was already matched). */
  valueMatches(p: usize, len: usize): bool {
    return bytesEqual(p, len, this.value);
  }

  /** The member [start, end) of a baggage list that is ours, found by inBaggage(). */
  foundStart: usize = 0;
  foundEnd: usize = 0;

  /**
   * Whether a baggage header value holds our member: list members separated by
   * commas, each "key=value" with optional properties after ';' and optional
   * whitespace around the parts (W3C Baggage).
   */
  inBaggage(p: usize, len: usize): bool {
    let start: usize = 0;
    while (start <= len) {
      let end = start;
      while (end < len && load<u8>(p + end) != 0x2c) end++;
      // One member: trim, split at '=' and before any ';' properties.
      let s = start;
      while (s < end && isOws(load<u8>(p + s))) s++;
      let eq = s;
      while (eq < end && load<u8>(p + eq) != 0x3d) eq++;
      if (eq < end) {
        let ke = eq;
        while (ke > s && isOws(load<u8>(p + ke - 1))) ke--;
        let vs = eq + 1;
        while (vs < end && isOws(load<u8>(p + vs))) vs++;
        let ve = vs;
        while (ve < end && load<u8>(p + ve) != 0x3b) ve++;
        while (ve > vs && isOws(load<u8>(p + ve - 1))) ve--;
        if (bytesEqual(p + s, ke - s, this.baggageKey) && bytesEqual(p + vs, ve - vs, this.value)) {
          this.foundStart = start;
          this.foundEnd = end;
          return true;
        }
      }
      start = end + 1;
    }
    return false;
  }

  /** The baggage value without the member inBaggage() found (and one comma next to it). */
  withoutFound(p: usize, len: usize): ArrayBuffer {
    let s = this.foundStart;
    let e = this.foundEnd;
    if (e < len) e++;
    else if (s > 0) s--;
    const out = new ArrayBuffer(<i32>(len - (e - s)));
    const o = changetype<usize>(out);
    memory.copy(o, p, s);
    memory.copy(o + s, p + e, len - e);
    return out;
  }

  /** baggage value with our member appended (or just the member). */
  withMember(p: usize, len: usize): ArrayBuffer {
    const m = this.baggageMember;
    if (len == 0) return m;
    const out = new ArrayBuffer(<i32>len + 1 + m.byteLength);
    const o = changetype<usize>(out);
    memory.copy(o, p, len);
    store<u8>(o + len, 0x2c);
    memory.copy(o + len + 1, changetype<usize>(m), <usize>m.byteLength);
    return out;
  }
}
