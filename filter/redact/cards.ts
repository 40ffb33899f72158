// Card numbers (redact/detectors.ts runs cardEnd): 13-19 digits that pass the
// Luhn check, bare or grouped the ways people and forms print them. Digits are
// ASCII, full-width (U+FF10-FF19, three bytes each: Java, .NET and Python
// read them as digits) or mathematical (U+1D7CE-1D7FF, bold, double-struck,
// sans-serif and monospace, four bytes each: NFKC folds them to ASCII); separators are one space, tab, '-', '.', '/', '_' or
// no-break / fixed-width space per gap. A match starts and ends on a digit's
// first, resp. last byte, so it never splits a UTF-8 sequence.
import { byteAt, isDigit, isAlpha, isAlnum } from "./formats";
import { hexVal } from "../util/form";

/** Byte length of the digit digitAt last read (1, 3 or 4). */
export let digitLen = 1;

/** The digit at j, ASCII, full-width (EF BC 90-99) or mathematical (F0 9D 9F 8E-BF); -1 if none. */
// @ts-ignore: decorator
@inline
export function digitAt(p: usize, len: i32, j: i32): i32 {
  const c = byteAt(p, len, j);
  if (isDigit(c)) {
    digitLen = 1;
    return c - 0x30;
  }
  if (c == 0xef && byteAt(p, len, j + 1) == 0xbc) {
    const d = byteAt(p, len, j + 2) - 0x90;
    if (<u32>d < 10) {
      digitLen = 3;
      return d;
    }
  } else if (c == 0xf0) return mathDigitAt(p, len, j);
  return -1;
}

/** The mathematical digit (U+1D7CE-1D7FF: F0 9D 9F 8E-BF) at j, whose 0xF0 is read; -1 if none. */
function mathDigitAt(p: usize, len: i32, j: i32): i32 {
  if (byteAt(p, len, j + 1) != 0x9d || byteAt(p, len, j + 2) != 0x9f) return -1;
  const d = byteAt(p, len, j + 3) - 0x8e;
  if (<u32>d >= 50) return -1;
  digitLen = 4;
  return d % 10;
}

/** A full-width or mathematical digit ends at j - 1. */
// @ts-ignore: decorator
@inline
export function fullWidthBefore(p: usize, len: i32, j: i32): bool {
  const c = byteAt(p, len, j - 1);
  if (c < 0x80) return false;
  return (byteAt(p, len, j - 3) == 0xef && byteAt(p, len, j - 2) == 0xbc && <u32>(c - 0x90) < 10) ||
    (byteAt(p, len, j - 4) == 0xf0 && byteAt(p, len, j - 3) == 0x9d && byteAt(p, len, j - 2) == 0x9f && <u32>(c - 0x8e) < 50);
}

/**
 * Writes digit d over the digit of `width` bytes at q (digitAt's digitLen): ASCII,
 * full-width (EF BC 90+d) or the mathematical digit of the same style, so a mask
 * keeps the value's byte length and its characters' widths.
 */
// @ts-ignore: decorator
@inline
export function putDigit(q: usize, d: i32, width: i32): void {
  if (width == 1) store<u8>(q, <u8>(0x30 + d));
  else if (width == 3) store<u8>(q + 2, <u8>(0x90 + d));
  else {
    const k = <i32>load<u8>(q + 3) - 0x8e;
    store<u8>(q + 3, <u8>(0x8e + k - k % 10 + d));
  }
}

/**
 * Byte length of the card separator at j, 0 if none: space, tab, '-', '.', '/',
 * '_', U+00A0, U+2000-U+200A (figure, thin, ... spaces), U+202F, U+3000; the
 * dashes U+2010-U+2015 and U+2212 (minus), the full-width and small forms of
 * '-', '.' and '/' (U+FF0D-U+FF0F, U+FE63), which NFKC folds to them; and a lone
 * 0xA0 byte (latin-1's no-break space: after an ASCII digit it is no UTF-8
 * continuation, and Node reads header bytes as latin-1).
 */
export function cardSepLen(p: usize, len: i32, j: i32): i32 {
  const c = byteAt(p, len, j);
  if (c == 0x20 || c == 0x09 || c == 0x2d || c == 0x2e || c == 0x2f || c == 0x5f || c == 0xa0) return 1;
  if (c == 0xc2) return byteAt(p, len, j + 1) == 0xa0 ? 2 : 0;
  const c1 = byteAt(p, len, j + 1);
  const c2 = byteAt(p, len, j + 2);
  if (c == 0xe2 && c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8a) || (c2 >= 0x90 && c2 <= 0x95) || c2 == 0xaf)) return 3;
  if (c == 0xe2 && c1 == 0x88 && c2 == 0x92) return 3;
  if (c == 0xe3 && c1 == 0x80 && c2 == 0x80) return 3;
  if (c == 0xef && ((c1 == 0xbc && c2 >= 0x8d && c2 <= 0x8f) || (c1 == 0xb9 && c2 == 0xa3))) return 3;
  return 0;
}

/** A '.' at j, or its full-width form (U+FF0E): a card read across it needs three groups. */
// @ts-ignore: decorator
@inline
function isDot(p: usize, len: i32, j: i32): bool {
  const c = byteAt(p, len, j);
  return c == 0x2e || (c == 0xef && byteAt(p, len, j + 1) == 0xbc && byteAt(p, len, j + 2) == 0x8e);
}

/** Doubling step of the Luhn check. */
// @ts-ignore: decorator
@inline
export function luhnDouble(d: i32): i32 {
  return d < 5 ? d << 1 : (d << 1) - 9;
}

/** Bytes looked at on each side of a digit run for a surrounding hex string. */
const HEX_WINDOW: i32 = 64;

// @ts-ignore: decorator
@inline
function isHex(c: i32): bool {
  return c >= 0 && hexVal(<u8>c) >= 0;
}

/**
 * Whether the digits from i (to j, or on) sit inside a hex string of 24 or more
 * characters (a MongoDB ObjectId, an MD5, a SHA): its letters are no boundary, its digit
 * runs no card. Reads at most HEX_WINDOW bytes each side and up to 19 digits.
 */
function inHex(p: usize, len: i32, i: i32, j: i32): bool {
  let s = i;
  while (s > 0 && i - s < HEX_WINDOW && isHex(byteAt(p, len, s - 1))) s--;
  let e = j > i ? j : i;
  while (e < len && e - i < HEX_WINDOW && isHex(byteAt(p, len, e))) e++;
  // A whole token of hex (or longer than the window): a hash. One that goes on with other letters is a word.
  const startOk = s == 0 || i - s >= HEX_WINDOW || !isAlnum(byteAt(p, len, s - 1));
  const endOk = e >= len || e - i >= HEX_WINDOW || !isAlnum(byteAt(p, len, e));
  return e - s >= 24 && startOk && endOk;
}

/**
 * Card number starting at i: 13-19 digits, bare or in groups of 3-8 joined by
 * one separator each (cardSepLen; they may differ). Several group ends can
 * qualify ("4111 1111 1111 1111 2024"); the last Luhn-valid one wins. A bare
 * run longer than 19 digits is some other number and is not cut into one.
 * Neither is a decimal: serialized doubles carry 15-17 digits after the point,
 * and one in ten of those would pass Luhn; so a number with a '.' in it needs
 * three groups or more ("4111.1111.1111.1111", not "12345678.12345678").
 * ISO/IEC 7812 issues no card starting with 0, and only UATP (15 digits) starts
 * with 1: epoch timestamps in ms, µs and ns and snowflake ids (all 1...) are not cards.
 */
export function cardEnd(p: usize, len: i32, i: i32): i32 {
  // Letters right before the digits ("card4111...", "PAN4111...") start it too, unless it sits in a hex string.
  const glued = isAlpha(byteAt(p, len, i - 1));
  if (byteAt(p, len, i - 1) == 0x2e && isDigit(byteAt(p, len, i - 2))) return -1;
  if (fullWidthBefore(p, len, i)) return -1;
  let j = i;
  let digits = 0;
  let groups = 0;
  let dots = 0;
  let first = -1;
  // Luhn sums with the even-indexed, resp. odd-indexed digits doubled: which one
  // applies depends on where the number ends, known only at each group end.
  let sumEven = 0;
  let sumOdd = 0;
  let best = -1;
  while (true) {
    let g = 0;
    let d = digitAt(p, len, j);
    while (d >= 0) {
      if (digits == 19) return best;
      if (digits == 0) first = d;
      if ((digits & 1) == 0) {
        sumEven += luhnDouble(d);
        sumOdd += d;
      } else {
        sumEven += d;
        sumOdd += luhnDouble(d);
      }
      digits++;
      g++;
      j += digitLen;
      d = digitAt(p, len, j);
    }
    const c = byteAt(p, len, j);
    // Letters right after the digits end the number ("4111...1111abc"), unless it sits in a hex string (a hash).
    const alpha = isAlpha(c);
    groups++;
    if (g > 8 && c == 0x2e && isDigit(byteAt(p, len, j + 1))) return best;
    if (g < 3 || (groups > 1 && g > 8)) return best;
    if (digits >= 13 && (dots == 0 || groups >= 3) && first > 0 && (first > 1 || digits == 15) && !((glued || alpha) && inHex(p, len, i, j))) {
      // The last digit is never doubled, so the doubled ones have the other parity.
      const sum = ((digits - 1) & 1) == 0 ? sumOdd : sumEven;
      if (sum % 10 == 0) best = j;
    }
    if (alpha || (groups == 1 && g > 8)) return best;
    const s = cardSepLen(p, len, j);
    if (s == 0) return best;
    if (isDot(p, len, j)) dots++;
    if (digitAt(p, len, j + s) < 0) return best;
    j += s;
  }
  return best;
}
