// The shadow tag: the header that marks a copy so the shadow and its dependencies
// can skip side effects, and the W3C baggage member that carries the same mark
// through apps that forward baggage. Compiled once per configuration
// (policy/tag.ts fills it); its methods are the byte-level checks every role uses.
import { utf8, bytesEqual, sameHeaderName } from "../util/bytes";
import { escapeAt } from "../util/form";
import * as D from "../policy/defaults";

export const H_BAGGAGE = utf8("baggage");

function isOws(c: u8): bool {
  return c == 0x20 || c == 0x09;
}


/** Whether [p, p+len), percent-decoded, equals the bytes of expected. */
function decodedEquals(p: usize, len: usize, expected: ArrayBuffer): bool {
  const q = changetype<usize>(expected);
  const n = <usize>expected.byteLength;
  let i: usize = 0;
  let k: usize = 0;
  while (i < len) {
    let c = load<u8>(p + i);
    const e = escapeAt(p, i, len);
    if (e >= 0) {
      c = <u8>e;
      i += 3;
    } else i++;
    if (k >= n || load<u8>(q + k) != c) return false;
    k++;
  }
  return k == n;
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

  /**
   * Whether one list member [s, e) of a baggage value is ours: "key=value" with
   * optional whitespace around the parts and properties after ';' (W3C Baggage).
   * Keys compare as written (W3C keys are case-sensitive tokens); the value is
   * percent-decoded first, as OpenTelemetry's parser does ("tru%65" is "true").
   */
  private isOurs(p: usize, s: usize, e: usize, anyValue: bool = false): bool {
    while (s < e && isOws(load<u8>(p + s))) s++;
    let eq = s;
    while (eq < e && load<u8>(p + eq) != 0x3d) eq++;
    if (eq >= e) return false;
    let ke = eq;
    while (ke > s && isOws(load<u8>(p + ke - 1))) ke--;
    if (!bytesEqual(p + s, ke - s, this.baggageKey)) return false;
    if (anyValue) return true;
    let vs = eq + 1;
    while (vs < e && isOws(load<u8>(p + vs))) vs++;
    let ve = vs;
    while (ve < e && load<u8>(p + ve) != 0x3b) ve++;
    while (ve > vs && isOws(load<u8>(p + ve - 1))) ve--;
    return decodedEquals(p + vs, ve - vs, this.value);
  }

  /** Whether a baggage header value holds our member (any of its members). */
  inBaggage(p: usize, len: usize): bool {
    let start: usize = 0;
    while (start <= len) {
      let end = start;
      while (end < len && load<u8>(p + end) != 0x2c) end++;
      if (this.isOurs(p, start, end)) return true;
      start = end + 1;
    }
    return false;
  }

  /** The baggage value without any of our members (every other member as it was written); empty when nothing else is left. */
  withoutOurs(p: usize, len: usize): ArrayBuffer {
    return this.without(p, len, false);
  }

  /**
   * The baggage value without any member under our key, whatever its value (a
   * copy carries exactly one, the filter's: a client's "mirrorshade.shadow=false"
   * first in line would win with a first-wins propagator).
   */
  withoutKey(p: usize, len: usize): ArrayBuffer {
    return this.without(p, len, true);
  }

  private without(p: usize, len: usize, anyValue: bool): ArrayBuffer {
    const out = new ArrayBuffer(<i32>len);
    const o = changetype<usize>(out);
    let n: usize = 0;
    let start: usize = 0;
    while (start <= len) {
      let end = start;
      while (end < len && load<u8>(p + end) != 0x2c) end++;
      if (!this.isOurs(p, start, end, anyValue)) {
        let s = start;
        let e = end;
        // Members are joined by one comma; the whitespace around the list goes.
        if (n == 0) while (s < e && isOws(load<u8>(p + s))) s++;
        if (s < e) {
          if (n > 0) store<u8>(o + n++, 0x2c);
          memory.copy(o + n, p + s, e - s);
          n += e - s;
        }
      }
      start = end + 1;
    }
    while (n > 0 && isOws(load<u8>(o + n - 1))) n--;
    return out.slice(0, <i32>n);
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
