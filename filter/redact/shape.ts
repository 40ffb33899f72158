// The allow-list mode's mask (redact.keep; ValueRewriter.maskShape): a value
// not kept is replaced by one of the same byte length and the same shape, so
// the shadow still parses and validates it, with nothing of its content:
// - ASCII digits become '1' (valid in every date, time, amount, zip or id
//   field), letters 'a'/'A' when they are hex digits and 'x'/'X' otherwise (a
//   UUID, a hash, base64 stay valid), punctuation and controls stay;
// - a JSON string's escapes stay escapes ("\n" is not "\x"; "\u00e9" becomes
//   "\u11a1", never a surrogate);
// - a run of digits that is a Luhn-valid card (redact/cards.ts) keeps its first
//   digit (the brand's industry), '0' in the middle, and gets the check digit
//   that makes it valid;
// - non-ASCII: no-break and fixed-width spaces stay, full-width digits become
//   '１' (same rules as ASCII ones), any other code point becomes one of the
//   same byte length ('é', '一', '𠀀'), a byte of an invalid sequence an 'x':
//   the result is valid UTF-8 with as many code points as a decoder reads;
// - `number` (a JSON number): a leading '0' stays '0', other digits '1', sign,
//   point and exponent stay: a valid number of the same length stays one.
// Linear: one pass over the bytes, one bounded card attempt per digit run.
import { byteAt, isDigit, isAlnum } from "./formats";
import { cardEnd, digitAt, digitLen, luhnDouble, putDigit } from "./cards";

// @ts-ignore: decorator
@inline
function isCont(c: i32): bool {
  return (c & 0xc0) == 0x80;
}

/** Length of the valid UTF-8 sequence with lead byte c at i (RFC 3629 ranges), 0 if invalid. */
function sequenceAt(p: usize, len: i32, i: i32, c: i32): i32 {
  const c1 = byteAt(p, len, i + 1);
  if (c >= 0xc2 && c <= 0xdf) return isCont(c1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c == 0xe0 ? 0xa0 : 0x80;
    const hi = c == 0xed ? 0x9f : 0xbf;
    return c1 >= lo && c1 <= hi && isCont(byteAt(p, len, i + 2)) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c == 0xf0 ? 0x90 : 0x80;
    const hi = c == 0xf4 ? 0x8f : 0xbf;
    return c1 >= lo && c1 <= hi && isCont(byteAt(p, len, i + 2)) && isCont(byteAt(p, len, i + 3)) ? 4 : 0;
  }
  return 0;
}

/** U+00A0, U+2000-U+200A, U+202F, U+3000: spaces, kept. */
function isSpaceSequence(p: usize, len: i32, i: i32, n: i32): bool {
  const c = byteAt(p, len, i);
  const c1 = byteAt(p, len, i + 1);
  if (n == 2) return c == 0xc2 && c1 == 0xa0;
  if (n != 3) return false;
  const c2 = byteAt(p, len, i + 2);
  return (c == 0xe2 && c1 == 0x80 && (c2 <= 0x8a || c2 == 0xaf)) || (c == 0xe3 && c1 == 0x80 && c2 == 0x80);
}

// @ts-ignore: decorator
@inline
function shapeAscii(c: i32): i32 {
  if (isDigit(c)) return 0x31;
  const l = c | 0x20;
  if (<u32>(l - 0x61) < 26) return (l <= 0x66 ? 0x61 : 0x78) - (c & 0x20 ? 0 : 0x20);
  return c;
}

/** JSON escape letters kept after a '\': " \ / b f n r t u. */
// @ts-ignore: decorator
@inline
function isEscapeChar(c: i32): bool {
  return c == 0x22 || c == 0x5c || c == 0x2f || c == 0x62 || c == 0x66 || c == 0x6e || c == 0x72 || c == 0x74 || c == 0x75;
}

/** Writes the shape of [p, p+len) to o (len bytes). */
export function shapeInto(p: usize, len: i32, o: usize, number: bool): void {
  let i = 0;
  while (i < len) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c < 0x80) {
      let r = shapeAscii(c);
      if (number) {
        // Sign, point and exponent stay; so does a leading zero.
        if (isDigit(c)) r = c == 0x30 && (i == 0 || load<u8>(p + <usize>(i - 1)) == 0x2d) ? 0x30 : 0x31;
        else r = c;
      } else if (c == 0x5c && i + 1 < len && isEscapeChar(load<u8>(p + <usize>(i + 1)))) {
        store<u8>(o + <usize>i, <u8>c);
        store<u8>(o + <usize>(i + 1), load<u8>(p + <usize>(i + 1)));
        i += 2;
        continue;
      }
      store<u8>(o + <usize>i, <u8>r);
      i++;
      continue;
    }
    const n = sequenceAt(p, len, i, c);
    const q = o + <usize>i;
    if (n == 0) store<u8>(q, 0x78);
    else if (isSpaceSequence(p, len, i, n)) memory.copy(q, p + <usize>i, <usize>n);
    else if (n == 2) store<u16>(q, 0xa9c3); // é
    else if (n == 3 && digitAt(p, len, i) >= 0) {
      store<u16>(q, 0xbcef); // １
      store<u8>(q, 0x91, 2);
    } else if (n == 3) {
      store<u16>(q, 0xb8e4); // 一
      store<u8>(q, 0x80, 2);
    } else if (n == 4 && digitAt(p, len, i) >= 0) store<u32>(q, 0x8f9f9df0); // 𝟏 U+1D7CF, a digit still (cards)
    else store<u32>(q, 0x8080a0f0); // 𠀀 U+20000
    i += n > 0 ? n : 1;
  }
  // Card runs: first digit kept, the check digit right (the others are '1' by now).
  let prev = -1;
  for (let j = 0; j < len; ) {
    const c = <i32>load<u8>(p + <usize>j);
    if (!isAlnum(prev) && digitAt(p, len, j) >= 0) {
      const end = cardEnd(p, len, j);
      if (end > 0) {
        luhnFix(p, o, j, end);
        prev = load<u8>(p + <usize>(end - 1));
        j = end;
        continue;
      }
    }
    prev = c;
    j++;
  }
}

/** The card run [from, end) of p, shaped in o: its first digit as in p, its last the Luhn check digit. */
function luhnFix(p: usize, o: usize, from: i32, end: i32): void {
  let digits = 0;
  for (let j = from; j < end; ) {
    if (digitAt(p, end, j) >= 0) {
      digits++;
      j += digitLen;
    } else j++;
  }
  let k = 0;
  let sum = 0;
  let last = -1;
  let lastWidth = 1;
  for (let j = from; j < end; ) {
    let d = digitAt(p, end, j);
    if (d < 0) {
      j++;
      continue;
    }
    const width = digitLen;
    const q = o + <usize>j;
    // The first digit as it was, the middle ones '0' (a card is no date: '1' would keep the best-known test card as it is).
    if (k == 0) putDigit(q, d, width);
    else {
      d = 0;
      if (k < digits - 1) putDigit(q, 0, width);
    }
    if (k == digits - 1) {
      last = j;
      lastWidth = width;
    } else {
      if (((digits - 1 - k) & 1) == 1) d = luhnDouble(d);
      sum += d;
    }
    k++;
    j += width;
  }
  if (last >= 0) putDigit(o + <usize>last, (10 - sum % 10) % 10, lastWidth);
}
