// Compatibility forms (redact/detectors.ts runs these): what NFKC, and so many
// applications' input normalisation, folds to the ASCII an SSN, a phone number
// or an e-mail's domain is written in. Full-width digits (U+FF10-FF19) and
// mathematical ones (U+1D7CE-1D7FF: cards.ts digitAt reads both), the
// full-width plus (U+FF0B) before an E.164 number and the full-width full stop
// (U+FF0E) in a domain (formats.ts emailEnd), latin-1's no-break space (a lone
// 0xA0 byte, as Node reads header bytes) and the Unicode spaces, joiners and
// hyphens people and formatters group digits with. Each matcher here runs only
// where its ASCII twin (formats.ts ssnEnd, e164End, usPhoneEnd) found nothing,
// and counts a value only when it holds one of these forms: what those find in
// ASCII they find as before, and what they reject in ASCII stays rejected.
// Matches start and end on whole characters; the masks (values.ts) keep each
// character's byte length.
import { byteAt, isDigit, isAlnum, phoneEnds } from "./formats";
import { digitAt, digitLen, fullWidthBefore } from "./cards";

/** The full-width full stop (U+FF0E: EF BC 8E) at i, whose 0xEF is read: a '.' once NFKC-folded. */
// @ts-ignore: decorator
@inline
export function wideDotAt(p: usize, len: i32, i: i32): bool {
  return byteAt(p, len, i + 1) == 0xbc && byteAt(p, len, i + 2) == 0x8e;
}

/** The full-width plus (U+FF0B: EF BC 8B) at i, whose 0xEF is read. */
// @ts-ignore: decorator
@inline
export function widePlusAt(p: usize, len: i32, i: i32): bool {
  return byteAt(p, len, i + 1) == 0xbc && byteAt(p, len, i + 2) == 0x8b;
}

/**
 * Byte length of a non-ASCII character that groups a number's digits at j, 0 if
 * none: latin-1's no-break space (a lone 0xA0), U+00A0, the soft hyphen U+00AD,
 * U+2000-U+200F (spaces, zero-width ones and joiners, LRM/RLM), U+2010-U+2014
 * (hyphens and dashes), U+202A-U+202F (bidi embeddings, NNBSP), U+205F, U+2060,
 * U+2062-U+2064, U+2066-U+2069, U+2212 (minus), U+3000, U+3164, U+180E, U+034F,
 * U+061C, U+FEFF, U+FE0F, the full-width and small '-' (U+FF0D, U+FE63): what
 * people, formatters and invisible-character tricks put between digit groups.
 */
export function groupSepLen(p: usize, len: i32, j: i32): i32 {
  const c = byteAt(p, len, j);
  if (c < 0x80) return 0;
  if (c == 0xa0) return 1;
  const c1 = byteAt(p, len, j + 1);
  if (c == 0xc2) return c1 == 0xa0 || c1 == 0xad ? 2 : 0;
  if (c == 0xcd) return c1 == 0x8f ? 2 : 0; // U+034F combining grapheme joiner
  if (c == 0xd8) return c1 == 0x9c ? 2 : 0; // U+061C Arabic letter mark
  const c2 = byteAt(p, len, j + 2);
  if (c == 0xe2) {
    // U+2000-U+200F (spaces, zero-width ones, joiners, LRM, RLM), U+2010-U+2014 (hyphens, figure, en and em dashes), U+202A-U+202F (bidi embeddings, NNBSP)
    if (c1 == 0x80) return c2 <= 0x94 || (c2 >= 0xaa && c2 <= 0xaf) ? 3 : 0;
    // U+205F, U+2060 (word joiner), U+2062-U+2064 (invisible operators), U+2066-U+2069 (bidi isolates)
    if (c1 == 0x81) return c2 == 0x9f || c2 == 0xa0 || (c2 >= 0xa2 && c2 <= 0xa4) || (c2 >= 0xa6 && c2 <= 0xa9) ? 3 : 0;
    return c1 == 0x88 && c2 == 0x92 ? 3 : 0;
  }
  if (c == 0xe1) return c1 == 0xa0 && c2 == 0x8e ? 3 : 0; // U+180E Mongolian vowel separator
  if (c == 0xe3) return (c1 == 0x80 && c2 == 0x80) || (c1 == 0x85 && c2 == 0xa4) ? 3 : 0; // U+3000, U+3164 Hangul filler
  if (c != 0xef) return 0;
  // U+FF0D full-width '-', U+FE63 small '-', U+FEFF (BOM, zero-width no-break), U+FE0F (variation selector 16)
  return (c1 == 0xbc && c2 == 0x8d) || (c1 == 0xb9 && c2 == 0xa3) || (c1 == 0xbb && c2 == 0xbf) || (c1 == 0xb8 && c2 == 0x8f) ? 3 : 0;
}

/** Whether a digit of any width ends right before i. */
// @ts-ignore: decorator
@inline
function digitBefore(p: usize, len: i32, i: i32): bool {
  return isDigit(byteAt(p, len, i - 1)) || fullWidthBefore(p, len, i);
}

/** Set by readDigits: whether a digit it read was not ASCII. */
let sawWide = false;

/** The value of the n digits (any width) from j, -1 if there are fewer; readEnd is where they end. */
let readEnd = 0;
function readDigits(p: usize, len: i32, j: i32, n: i32): i32 {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digitAt(p, len, j);
    if (d < 0) return -1;
    if (digitLen > 1) sawWide = true;
    v = v * 10 + d;
    j += digitLen;
  }
  readEnd = j;
  return v;
}

/** Byte length of an SSN's separator at j: '-', ' ' or groupSepLen's; 0 if none. */
// @ts-ignore: decorator
@inline
function ssnSepLen(p: usize, len: i32, j: i32): i32 {
  const c = byteAt(p, len, j);
  return c == 0x2d || c == 0x20 ? 1 : groupSepLen(p, len, j);
}

/** Whether the separators of n bytes at a and b are the same bytes. */
function sameSep(p: usize, a: i32, b: i32, n: i32): bool {
  for (let k = 0; k < n; k++) if (load<u8>(p + <usize>(a + k)) != load<u8>(p + <usize>(b + k))) return false;
  return true;
}

/**
 * An SSN at i (ssnEnd's rules: 3-2-4 digits, one separator twice, no
 * never-issued area, group or serial, no piece of a longer separated number)
 * with a digit not in ASCII or a separator of groupSepLen's: "５３６-２２-８１４７",
 * "536\xA022\xA08147"; -1 otherwise.
 */
export function compatSsnEnd(p: usize, len: i32, i: i32): i32 {
  if (digitBefore(p, len, i)) return -1;
  sawWide = false;
  const area = readDigits(p, len, i, 3);
  if (area < 0) return -1;
  const s1 = readEnd;
  const sl = ssnSepLen(p, len, s1);
  if (sl == 0) return -1;
  const group = readDigits(p, len, s1 + sl, 2);
  if (group < 0) return -1;
  const s2 = readEnd;
  if (ssnSepLen(p, len, s2) != sl || !sameSep(p, s1, s2, sl)) return -1;
  const serial = readDigits(p, len, s2 + sl, 4);
  if (serial < 0) return -1;
  const end = readEnd;
  if (!sawWide && sl == 1 && byteAt(p, len, s1) < 0x80) return -1;
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return -1;
  if (isAlnum(byteAt(p, len, end)) || digitAt(p, len, end) >= 0) return -1;
  if (ssnSepLen(p, len, end) == sl && sameSep(p, s1, end, sl) && digitAt(p, len, end + sl) >= 0) return -1;
  if (i >= sl && sameSep(p, s1, i - sl, sl) && digitBefore(p, len, i - sl)) return -1;
  return end;
}

/**
 * An E.164 number at the '+' or full-width '+' at i, by e164End's rules (a country code
 * not starting with 0, 8-15 digits, groups joined by at most one separator plus at most
 * one parenthesis) with digits of any width and groupSepLen's separators too, holding at
 * least one of them or the full-width '+': "＋14155552671", "+１４１５…", "+1\u200b415\u200b…"; -1 otherwise.
 */
export function compatE164End(p: usize, len: i32, i: i32): i32 {
  let j = byteAt(p, len, i) == 0x2b ? i + 1 : i + 3;
  let wide = j - i > 1;
  if (digitAt(p, len, j) <= 0) return -1;
  let digits = 0;
  let open = false;
  let end = j;
  while (true) {
    let d = digitAt(p, len, j);
    while (d >= 0) {
      if (++digits > 15) return -1;
      if (digitLen > 1) wide = true;
      j += digitLen;
      d = digitAt(p, len, j);
    }
    end = j;
    const openAtEnd = open;
    let plain = false;
    let paren = false;
    let k = j;
    while (true) {
      const c = byteAt(p, len, k);
      if (c == 0x20 || c == 0x2d || c == 0x2e) {
        if (plain) break;
        plain = true;
      } else if (c == 0x28) {
        if (paren || open) break;
        paren = true;
        open = true;
      } else if (c == 0x29) {
        if (paren || !open) break;
        paren = true;
        open = false;
      } else {
        const w = groupSepLen(p, len, k);
        if (w == 0 || plain) break;
        plain = true;
        wide = true;
        k += w;
        continue;
      }
      k++;
    }
    if (k > j && digitAt(p, len, k) >= 0) {
      j = k;
      continue;
    }
    open = openAtEnd;
    break;
  }
  if (digits < 8 || !wide) return -1;
  if (open) {
    if (byteAt(p, len, end) != 0x29) return -1;
    end++;
  }
  return phoneEnds(p, len, end) ? end : -1;
}

/**
 * A US national number "(415) 555-2671" at the '(' at i (usPhoneEnd's rules: area
 * code and exchange starting 2-9) with digits of any width, or a groupSepLen
 * character after the ')' or between exchange and line: "(415)\u00a0555-2671"; -1 otherwise.
 */
export function compatUsPhoneEnd(p: usize, len: i32, i: i32): i32 {
  sawWide = false;
  if (digitAt(p, len, i + 1) < 2) return -1;
  const area = readDigits(p, len, i + 1, 3);
  if (area < 0 || byteAt(p, len, readEnd) != 0x29) return -1;
  let j = readEnd + 1;
  let w = groupSepLen(p, len, j);
  if (w > 0) sawWide = true;
  else if (byteAt(p, len, j) == 0x20) w = 1;
  j += w;
  if (digitAt(p, len, j) < 2 || readDigits(p, len, j, 3) < 0) return -1;
  j = readEnd;
  const c = byteAt(p, len, j);
  w = c == 0x2d || c == 0x2e || c == 0x20 ? 1 : groupSepLen(p, len, j);
  if (w == 0) return -1;
  if (w > 1 || c >= 0x80) sawWide = true;
  if (readDigits(p, len, j + w, 4) < 0) return -1;
  const end = readEnd;
  if (!sawWide || !phoneEnds(p, len, end) || digitAt(p, len, end) >= 0) return -1;
  return end;
}

/**
 * [p, p+len) with its full-width and mathematical digits, full-width '+' and full-width
 * full stops folded to ASCII, as NFKC folds them, so a value hashes alike in either
 * spelling (values.ts); null when it holds none (no 0xEF or 0xF0 byte starts one).
 */
export function foldCompat(p: usize, len: i32): ArrayBuffer | null {
  let any = false;
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0xef || c == 0xf0) {
      any = true;
      break;
    }
  }
  if (!any) return null;
  const out = new ArrayBuffer(len);
  const o = changetype<usize>(out);
  let n = 0;
  let folded = false;
  for (let i = 0; i < len; ) {
    const c = load<u8>(p + <usize>i);
    let b = c;
    let w = 1;
    if (c >= 0xef) {
      const d = digitAt(p, len, i);
      if (d >= 0) {
        b = <u8>(0x30 + d);
        w = digitLen;
      } else if (c == 0xef && widePlusAt(p, len, i)) {
        b = 0x2b;
        w = 3;
      } else if (c == 0xef && wideDotAt(p, len, i)) {
        b = 0x2e;
        w = 3;
      }
    }
    if (w > 1) folded = true;
    store<u8>(o + <usize>n, b);
    n++;
    i += w;
  }
  return folded ? out.slice(0, n) : null;
}
