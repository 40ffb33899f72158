// Case folding of names (query and form parameter names, JSON member names) the
// way case-insensitive binders compare them: Go encoding/json, ASP.NET and
// Jackson bind PASSWORD, Password and paſſword (U+017F folds to 's') and the
// Kelvin sign (U+212A folds to 'k') to a `password` / `k` field. The fold of a
// name is lower(upper(name)) with AssemblyScript's Unicode tables: two names
// whose upper-case forms are the same fold to the same bytes (that covers ſ, K,
// the Angstrom sign, final sigma, and ß / ss: a little more than simple folding,
// so a rule matches more, never less). ASCII needs no table: callers compare an
// ASCII name by lower-casing bytes in place and fold only names with non-ASCII
// bytes (one allocation per such name, bounded by the caller).

/** Whether [p, p+len) holds only ASCII bytes (the fast path: no fold, no allocation). */
export function isAscii(p: usize, len: i32): bool {
  let i = 0;
  for (; i + 8 <= len; i += 8) if ((load<u64>(p + <usize>i) & 0x8080808080808080) != 0) return false;
  for (; i < len; i++) if (load<u8>(p + <usize>i) >= 0x80) return false;
  return true;
}

/** The folded form of a configured name (configure time). */
export function foldString(s: string): string {
  return s.toUpperCase().toLowerCase();
}

/** The folded UTF-8 bytes of [p, p+len) (invalid sequences read as U+FFFD, as a decoder would). */
export function foldBytes(p: usize, len: i32): ArrayBuffer {
  return String.UTF8.encode(foldString(String.UTF8.decodeUnsafe(p, <usize>len)));
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
