// Byte-level JSON lexing helpers shared by the scanner: byte classes for the
// string loop, UTF-8 sequence checks, \u escapes, and quoting of replacements.
export function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}

// Byte classes for the string loop: 0 is a byte that needs no attention.
export const CLS_QUOTE: u8 = 1;
export const CLS_BACKSLASH: u8 = 2;
export const CLS_CONTROL: u8 = 3;
const CLS_HIGH: u8 = 4;
export const STRING_CLASS: usize = buildStringClass();

function buildStringClass(): usize {
  const t = memory.data(256);
  for (let c = 0; c < 256; c++) {
    let k: u8 = 0;
    if (c == 0x22) k = CLS_QUOTE;
    else if (c == 0x5c) k = CLS_BACKSLASH;
    else if (c < 0x20) k = CLS_CONTROL;
    else if (c >= 0x80) k = CLS_HIGH;
    store<u8>(t + <usize>c, k);
  }
  return t;
}

// @ts-ignore: decorator
@inline
export function at(p: usize, i: i32): i32 {
  return <i32>load<u8>(p + <usize>i);
}

// @ts-ignore: decorator
@inline
export function isDigit(c: i32): bool {
  return <u32>(c - 0x30) < 10;
}

// @ts-ignore: decorator
@inline
function isCont(c: i32): bool {
  return (c & 0xc0) == 0x80;
}

// @ts-ignore: decorator
@inline
function isWs(c: i32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

/** Past the whitespace at i. Inlined for its common case, no whitespace at all (a byte above ' ' or the end). */
// @ts-ignore: decorator
@inline
export function skipWs(p: usize, len: i32, i: i32): i32 {
  if (i >= len || at(p, i) > 0x20) return i;
  return skipWsRun(p, len, i);
}

function skipWsRun(p: usize, len: i32, i: i32): i32 {
  while (i < len && isWs(at(p, i))) i++;
  return i;
}

/** The end of the literal true, null or false at i (its first byte is 't', 'n' or 'f'), -1 when it is none. */
export function literalEnd(p: usize, len: i32, i: i32): i32 {
  const c = at(p, i);
  if (c == 0x66) return i + 5 <= len && load<u32>(p + <usize>i) == 0x736c6166 && at(p, i + 4) == 0x65 ? i + 5 : -1; // "false"
  const word: u32 = c == 0x74 ? 0x65757274 : 0x6c6c756e; // "true", "null"
  return i + 4 <= len && load<u32>(p + <usize>i) == word ? i + 4 : -1;
}

/** Whitespace and RFC 7464's record separators (0x1e) between the texts of a sequence. */
export function skipSeq(p: usize, len: i32, i: i32): i32 {
  while (true) {
    i = skipWs(p, len, i);
    if (i >= len || at(p, i) != 0x1e) return i;
    i++;
  }
}

/**
 * Length of the well-formed UTF-8 sequence at i (lead byte >= 0x80), 0 when
 * ill-formed: overlong forms, encoded surrogates and code points past U+10FFFF
 * are refused, as a strict decoder on the shadow's side would.
 */
export function utf8Seq(p: usize, len: i32, i: i32): i32 {
  const b = at(p, i);
  if (b < 0xc2) return 0;
  if (b < 0xe0) return i + 1 < len && isCont(at(p, i + 1)) ? 2 : 0;
  if (b < 0xf0) {
    if (i + 2 >= len) return 0;
    const b1 = at(p, i + 1);
    if (b == 0xe0) {
      if (b1 < 0xa0 || b1 > 0xbf) return 0;
    } else if (b == 0xed) {
      if (b1 < 0x80 || b1 > 0x9f) return 0;
    } else if (!isCont(b1)) return 0;
    return isCont(at(p, i + 2)) ? 3 : 0;
  }
  if (b < 0xf5) {
    if (i + 3 >= len) return 0;
    const b1 = at(p, i + 1);
    if (b == 0xf0) {
      if (b1 < 0x90 || b1 > 0xbf) return 0;
    } else if (b == 0xf4) {
      if (b1 < 0x80 || b1 > 0x8f) return 0;
    } else if (!isCont(b1)) return 0;
    return isCont(at(p, i + 2)) && isCont(at(p, i + 3)) ? 4 : 0;
  }
  return 0;
}

/** Four hex digits at p, already validated. */
export function hex4(p: usize): i32 {
  return (hexDigit(<i32>load<u8>(p)) << 12) | (hexDigit(<i32>load<u8>(p + 1)) << 8) |
    (hexDigit(<i32>load<u8>(p + 2)) << 4) | hexDigit(<i32>load<u8>(p + 3));
}

export function putUtf8(o: usize, cp: i32): i32 {
  if (cp < 0x80) {
    store<u8>(o, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(o, <u8>(0xc0 | (cp >> 6)));
    store<u8>(o + 1, <u8>(0x80 | (cp & 0x3f)));
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(o, <u8>(0xe0 | (cp >> 12)));
    store<u8>(o + 1, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(o + 2, <u8>(0x80 | (cp & 0x3f)));
    return 3;
  }
  store<u8>(o, <u8>(0xf0 | (cp >> 18)));
  store<u8>(o + 1, <u8>(0x80 | ((cp >> 12) & 0x3f)));
  store<u8>(o + 2, <u8>(0x80 | ((cp >> 6) & 0x3f)));
  store<u8>(o + 3, <u8>(0x80 | (cp & 0x3f)));
  return 4;
}

/**
 * '"' + bytes + '"', escaping what JSON requires. The rewriter's outputs need no
 * escaping today; this keeps the document valid even if that ever changes.
 */
export function quoted(src: ArrayBuffer): ArrayBuffer {
  const sp = changetype<usize>(src);
  const n = src.byteLength;
  let extra = 0;
  for (let i = 0; i < n; i++) {
    const c = at(sp, i);
    if (c == 0x22 || c == 0x5c) extra += 1;
    else if (c < 0x20) extra += 5;
  }
  const out = new ArrayBuffer(n + extra + 2);
  const o = changetype<usize>(out);
  store<u8>(o, 0x22);
  let k: usize = 1;
  if (extra == 0) {
    memory.copy(o + 1, sp, <usize>n);
    k += <usize>n;
  } else {
    for (let i = 0; i < n; i++) {
      const c = at(sp, i);
      if (c == 0x22 || c == 0x5c) {
        store<u8>(o + k, 0x5c);
        store<u8>(o + k + 1, <u8>c);
        k += 2;
      } else if (c < 0x20) {
        store<u8>(o + k, 0x5c);
        store<u8>(o + k + 1, 0x75);
        store<u8>(o + k + 2, 0x30);
        store<u8>(o + k + 3, 0x30);
        store<u8>(o + k + 4, <u8>(0x30 + (c >> 4)));
        const lo = c & 15;
        store<u8>(o + k + 5, <u8>(lo < 10 ? 0x30 + lo : 0x57 + lo));
        k += 6;
      } else {
        store<u8>(o + k, <u8>c);
        k++;
      }
    }
  }
  store<u8>(o + k, 0x22);
  return out;
}
