// Case folding of names (query and form parameter names, JSON member names) the
// way case-insensitive binders compare them: Go encoding/json, ASP.NET and
// Jackson bind PASSWORD, Password and paſſword (U+017F folds to 's') and the
// Kelvin sign (U+212A folds to 'k') to a `password` / `k` field. The fold of a
// name is lower(upper(name)) with AssemblyScript's Unicode tables: two names
// whose upper-case forms are the same fold to the same bytes (that covers ſ, K,
// the Angstrom sign, final sigma, and ß / ss: a little more than simple folding,
// so a rule matches more, never less). ASCII needs no table: callers compare an
// ASCII name by lower-casing bytes in place and fold only names with non-ASCII
// bytes (one allocation per such name, bounded by the caller). Folding goes code
// point by code point, so a context rule (final sigma) cannot make the wire and
// the rule differ.

/** Whether [p, p+len) holds only ASCII bytes (the fast path: no fold, no allocation). */
export function isAscii(p: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if ((load<u64>(p + <usize>i) & 0x8080808080808080) != 0) return false;
  for (; i < len; i++) if (load<u8>(p + <usize>i) >= 0x80) return false;
  return true;
}

/** The folded form of a configured name (configure time): the same fold as the wire's (foldBytes). */
export function foldString(s: string): string {
  const b = String.UTF8.encode(s);
  return String.UTF8.decode(foldBytes(changetype<usize>(b), b.byteLength));
}

/** Code point -> its fold when that is one code point, -1 when several (ß -> ss); bounded, so a client cannot grow it. */
const CACHE = new Map<i32, i32>();
const CACHE_MAX = 4096;
/** Where folds are written before the result is cut to size; grown on demand, kept. */
let scratch = new ArrayBuffer(256);
let used: usize = 0;

/** Room for `n` more bytes in scratch. */
function reserve(n: usize): usize {
  const cap = <usize>scratch.byteLength;
  if (used + n > cap) {
    let size = cap << 1;
    while (used + n > size) size <<= 1;
    const grown = new ArrayBuffer(<i32>size);
    memory.copy(changetype<usize>(grown), changetype<usize>(scratch), used);
    scratch = grown;
  }
  return changetype<usize>(scratch) + used;
}

/** Starts a folded name in scratch. */
export function foldBegin(): void {
  used = 0;
}

/** Appends [p, p+len) as it is. */
export function foldCopy(p: usize, len: i32): void {
  memory.copy(reserve(<usize>len), p, <usize>len);
  used += <usize>len;
}

/** Appends the fold of [p, p+len). */
export function foldAppend(p: usize, len: i32): void {
  let i = 0;
  while (i < len) {
    const b = load<u8>(p + <usize>i);
    if (b < 0x80) {
      store<u8>(reserve(1), lowerAscii(b));
      used++;
      i++;
      continue;
    }
    const cl = codePointAt(p, i, len);
    const c = cl >> 3;
    i += cl & 7;
    const f = foldCodePoint(c);
    if (f >= 0) {
      used += putUtf8(reserve(4), f);
      continue;
    }
    const many = String.UTF8.encode(foldString1(c));
    foldCopy(changetype<usize>(many), many.byteLength);
  }
}

/** The folded name built since foldBegin(), as a new buffer. */
export function foldEnd(): ArrayBuffer {
  const out = new ArrayBuffer(<i32>used);
  memory.copy(changetype<usize>(out), changetype<usize>(scratch), used);
  used = 0;
  return out;
}

function foldString1(c: i32): string {
  return String.fromCodePoint(c).toUpperCase().toLowerCase();
}

function foldCodePoint(c: i32): i32 {
  if (CACHE.has(c)) return CACHE.get(c);
  const f = foldString1(c);
  const first = f.codePointAt(0);
  const r = f.length == 1 || (f.length == 2 && first > 0xffff) ? first : -1;
  if (CACHE.size < CACHE_MAX) CACHE.set(c, r);
  return r;
}

/** Writes code point c as UTF-8 at o; returns the bytes written. */
function putUtf8(o: usize, c: i32): usize {
  if (c < 0x80) {
    store<u8>(o, <u8>c);
    return 1;
  }
  if (c < 0x800) {
    store<u8>(o, <u8>(0xc0 | (c >> 6)));
    store<u8>(o, <u8>(0x80 | (c & 0x3f)), 1);
    return 2;
  }
  if (c < 0x10000) {
    store<u8>(o, <u8>(0xe0 | (c >> 12)));
    store<u8>(o, <u8>(0x80 | ((c >> 6) & 0x3f)), 1);
    store<u8>(o, <u8>(0x80 | (c & 0x3f)), 2);
    return 3;
  }
  store<u8>(o, <u8>(0xf0 | (c >> 18)));
  store<u8>(o, <u8>(0x80 | ((c >> 12) & 0x3f)), 1);
  store<u8>(o, <u8>(0x80 | ((c >> 6) & 0x3f)), 2);
  store<u8>(o, <u8>(0x80 | (c & 0x3f)), 3);
  return 4;
}

/** The code point of the UTF-8 sequence at p+i (U+FFFD for an invalid one) and its length, as (cp << 3 | len). */
function codePointAt(p: usize, i: i32, len: i32): i32 {
  const b = <i32>load<u8>(p + <usize>i);
  let n = 0;
  let c = 0;
  if (b >= 0xc2 && b < 0xe0) { n = 2; c = b & 0x1f; }
  else if (b >= 0xe0 && b < 0xf0) { n = 3; c = b & 0x0f; }
  else if (b >= 0xf0 && b < 0xf5) { n = 4; c = b & 0x07; }
  else return (0xfffd << 3) | 1;
  if (i + n > len) return (0xfffd << 3) | 1;
  for (let k = 1; k < n; k++) {
    const d = <i32>load<u8>(p + <usize>(i + k));
    if ((d & 0xc0) != 0x80) return (0xfffd << 3) | 1;
    c = (c << 6) | (d & 0x3f);
  }
  // Overlong, surrogate or out of range: one invalid byte, as a decoder substituting U+FFFD reads it.
  if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c < 0xe000))) || (n == 4 && (c < 0x10000 || c > 0x10ffff))) return (0xfffd << 3) | 1;
  return (c << 3) | n;
}

/**
 * The folded UTF-8 bytes of [p, p+len), code point by code point (invalid
 * sequences read as U+FFFD, as a decoder would): ASCII lower-cased, others
 * lower(upper(c)), cached per code point. One allocation: the result.
 */
export function foldBytes(p: usize, len: i32): ArrayBuffer {
  foldBegin();
  foldAppend(p, len);
  return foldEnd();
}

// @ts-ignore: decorator
@inline
export function lowerAscii(c: u8): u8 {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/**
 * Whether [p, p+len) equals the folded name [q, q+n): ASCII letters of the
 * first compared lower-cased (the second is already folded).
 */
export function equalsFolded(p: usize, len: i32, q: usize, n: i32): bool {
  if (len != n) return false;
  for (let i = 0; i < len; i++) if (lowerAscii(load<u8>(p + <usize>i)) != load<u8>(q + <usize>i)) return false;
  return true;
}

/** How many bytes a name folding to `n` bytes can have at most: a 3-byte letter folds to 1 byte at the least (K to k). */
export function foldBound(n: i32): i32 {
  return n * 3;
}
