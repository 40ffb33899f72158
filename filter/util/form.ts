// application/x-www-form-urlencoded and query-string coding: percent-decoding
// (with '+' as space) for matching names and values, and the encoding of
// replacement values put back into a query.
/** The value of a hex digit, or -1. */
export function hexVal(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  if (c >= 0x41 && c <= 0x46) return <i32>c - 0x37;
  if (c >= 0x61 && c <= 0x66) return <i32>c - 0x57;
  return -1;
}

/** The byte a percent-escape at p+i stands for ("%41" is 0x41), or -1 when there is no well-formed escape there. */
export function escapeAt(p: usize, i: usize, len: usize): i32 {
  if (i + 2 >= len || load<u8>(p + i) != 0x25) return -1;
  const hi = hexVal(load<u8>(p + i + 1));
  const lo = hexVal(load<u8>(p + i + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/** Percent-decodes (and '+' as space) into a new buffer; malformed escapes are kept literally. */
export function formDecode(p: usize, len: i32): ArrayBuffer {
  const out = new ArrayBuffer(len);
  const o = changetype<usize>(out);
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    const e = c == 0x25 ? escapeAt(p, <usize>i, <usize>len) : -1;
    if (c == 0x2b) {
      store<u8>(o + <usize>n, 0x20);
    } else if (e >= 0) {
      store<u8>(o + <usize>n, <u8>e);
      i += 2;
    } else {
      store<u8>(o + <usize>n, c);
    }
    n++;
  }
  return n == len ? out : out.slice(0, n);
}

export function needsDecoding(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x25 || c == 0x2b) return true;
  }
  return false;
}

const HEX = "0123456789ABCDEF";

/** Percent-encodes everything outside RFC 3986 unreserved characters and '*' / ':' (which masks and tokens use). */
export function formEncode(src: ArrayBuffer, segment: bool = false): ArrayBuffer {
  const p = changetype<usize>(src);
  const len = src.byteLength;
  let size = 0;
  for (let i = 0; i < len; i++) size += keepRaw(load<u8>(p + <usize>i), segment) ? 1 : 3;
  const out = new ArrayBuffer(size);
  const o = changetype<usize>(out);
  let n: usize = 0;
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (keepRaw(c, segment)) {
      store<u8>(o + n++, c);
    } else {
      store<u8>(o + n++, 0x25);
      store<u8>(o + n++, <u8>HEX.charCodeAt(c >> 4));
      store<u8>(o + n++, <u8>HEX.charCodeAt(c & 15));
    }
  }
  return out;
}

/** Bytes written as they are: unreserved, '*' and ':'; in a path segment also '@', '!', '$', '\'', '(', ')', ',' and '+' (RFC 3986 pchar; ';', '=' and '&' stay escaped: they shape matrix parameters). */
function keepRaw(c: u8, segment: bool): bool {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e || c == 0x2a || c == 0x3a) return true;
  return segment && (c == 0x40 || c == 0x21 || c == 0x24 || c == 0x27 || c == 0x28 || c == 0x29 || c == 0x2c || c == 0x2b);
}


/** The coded unit at p+i: the byte it stands for in the low 8 bits, its raw length above (3 for a well-formed escape, else 1; '+' is one unit too). */
// @ts-ignore: decorator
@inline
export function codedUnit(p: usize, i: i32, len: i32): i32 {
  const c = <i32>load<u8>(p + <usize>i);
  if (c == 0x25) {
    const e = escapeAt(p, <usize>i, <usize>len);
    if (e >= 0) return (3 << 8) | e;
  }
  return (1 << 8) | c;
}

/** The raw length of the coded unit at p+i (codedUnit). */
// @ts-ignore: decorator
@inline
function unitAt(p: usize, i: i32, len: i32): i32 {
  return codedUnit(p, i, len) >> 8;
}

/**
 * Maps offsets of a value's decoded bytes (formDecode) back to its raw bytes,
 * moving forward only: reset(), then raw(d) for ascending d. Linear over a value.
 */
export class DecodedOffsets {
  private r: i32 = 0;
  private d: i32 = 0;

  reset(): void {
    this.r = 0;
    this.d = 0;
  }

  /** The raw offset in [p, p+len) of decoded offset `target` (len when past the end). */
  raw(p: usize, len: i32, target: i32): i32 {
    while (this.d < target && this.r < len) {
      this.r += unitAt(p, this.r, len);
      this.d++;
    }
    return this.r;
  }
}

/**
 * The raw bytes [p, p+len) with their decoded bytes replaced by `decoded` (as
 * long as the decoded value): a unit whose byte is unchanged keeps its spelling
 * ('+', "%2F", a literal), a changed byte is encoded as formEncode would.
 * `segment`: the bytes are a path segment ('+' is '+', pchar stays raw).
 */
export function formReencode(p: usize, len: i32, decoded: ArrayBuffer, segment: bool = false): ArrayBuffer {
  const out = new ArrayBuffer(len * 3);
  const o = changetype<usize>(out);
  const q = changetype<usize>(decoded);
  const dl = decoded.byteLength;
  let n: usize = 0;
  let i = 0;
  let k = 0;
  while (i < len) {
    const c = load<u8>(p + <usize>i);
    const unit = unitAt(p, i, len);
    // In a path segment '+' is itself; in a form it is a space.
    const was = unit == 3 ? <u8>escapeAt(p, <usize>i, <usize>len) : c == 0x2b && !segment ? <u8>0x20 : c;
    const now = k < dl ? load<u8>(q + <usize>k) : was;
    if (now == was) {
      memory.copy(o + n, p + <usize>i, <usize>unit);
      n += <usize>unit;
    } else if (keepRaw(now, segment)) {
      store<u8>(o + n++, now);
    } else {
      store<u8>(o + n++, 0x25);
      store<u8>(o + n++, <u8>HEX.charCodeAt(now >> 4));
      store<u8>(o + n++, <u8>HEX.charCodeAt(now & 15));
    }
    i += unit;
    k++;
  }
  return out.slice(0, <i32>n);
}

/**
 * The raw bytes [p, p+len), whose units read as `was` (one byte per unit: a
 * well-formed escape or any other byte), with those bytes replaced by `now`
 * (as long), every unit keeping its raw length: an unchanged unit keeps its
 * spelling, a changed escape is written as the escape of its new byte, a
 * changed literal as the new byte when it is unreserved, else '*'. So the
 * result is exactly len bytes (what a mask's callers rely on).
 */
export function reencodeSameLength(p: usize, len: i32, was: ArrayBuffer, now: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(len);
  const o = changetype<usize>(out);
  const w = changetype<usize>(was);
  const q = changetype<usize>(now);
  const n = min(was.byteLength, now.byteLength);
  let i = 0;
  let k = 0;
  while (i < len) {
    const unit = unitAt(p, i, len);
    const b = k < n ? load<u8>(w + <usize>k) : 0;
    const c = k < n ? load<u8>(q + <usize>k) : b;
    if (c == b) memory.copy(o + <usize>i, p + <usize>i, <usize>unit);
    else if (unit == 3) {
      store<u8>(o + <usize>i, 0x25);
      store<u8>(o + <usize>(i + 1), <u8>HEX.charCodeAt(c >> 4));
      store<u8>(o + <usize>(i + 2), <u8>HEX.charCodeAt(c & 15));
    } else store<u8>(o + <usize>i, keepRaw(c, false) ? c : 0x2a);
    i += unit;
    k++;
  }
  return out;
}
