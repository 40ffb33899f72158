// JSON numbers for the scanner (json/scanner.ts): validated as RFC 8259 spells
// them, and read by value. `4111111111111111e0`, `4.111111111111111e15` and
// `41111111111111110E-1` denote the same integer as `4111111111111111`, and a
// shadow that parses the body sees that integer, so the detectors look at the
// integer a number denotes (when it is one of at most 19 digits), not only at
// its digits as written. The reading is bounded: an exponent is saturated, and
// no digit string longer than 19 is ever built (1e999999 costs its own bytes).
import { at, isDigit } from "./lexer";

/** Integers of more digits than this are not read by value (a card has at most 19). */
export const MAX_VALUE_DIGITS: i32 = 19;
/** The digits of the last value read (integerDigits). */
export const VALUE_DIGITS: usize = memory.data(32);

export class NumberReader {
  /** Why the last read failed, and where. */
  error: string = "";
  errorAt: i32 = 0;
  /** The last number read was a bare integer (no fraction, no exponent). */
  integer: bool = false;

  private fail(message: string, pos: i32): i32 {
    this.error = message;
    this.errorAt = pos;
    return -1;
  }

  /** Validates the number at s; returns its end, or -1 (see error). */
  read(p: usize, len: i32, s: i32): i32 {
    let i = s;
    if (at(p, i) == 0x2d) i++;
    if (i >= len) return this.fail("unexpected end of input", i);
    if (at(p, i) == 0x30) {
      i++;
      if (i < len && isDigit(at(p, i))) return this.fail("leading zero in number", s);
    } else if (isDigit(at(p, i))) {
      while (i < len && isDigit(at(p, i))) i++;
    } else return this.fail("expected a digit after '-'", i);
    let integer = true;
    if (i < len && at(p, i) == 0x2e) {
      integer = false;
      i++;
      if (i >= len || !isDigit(at(p, i))) return this.fail("expected a digit after '.'", i);
      while (i < len && isDigit(at(p, i))) i++;
    }
    if (i < len && (at(p, i) | 0x20) == 0x65) {
      integer = false;
      i++;
      if (i < len && (at(p, i) == 0x2b || at(p, i) == 0x2d)) i++;
      if (i >= len || !isDigit(at(p, i))) return this.fail("expected a digit in the exponent", i);
      while (i < len && isDigit(at(p, i))) i++;
    }
    this.integer = integer;
    return i;
  }
}

/** Whether [p, p+len) is one JSON number, nothing more (checks a replacement before it goes in). */
export function isJsonNumber(p: usize, len: i32): bool {
  if (len <= 0) return false;
  const r = SCRATCH_READER;
  return r.read(p, len, 0) == len;
}

const SCRATCH_READER = new NumberReader();

/**
 * The integer part of the valid number token [s, e), as decimal digits (no sign,
 * no leading zero) into VALUE_DIGITS; returns their count, or 0 when it is zero
 * or longer than MAX_VALUE_DIGITS digits. A fraction is dropped, as a float64
 * parser or Jackson binding a long drops it (4111111111111111.2 and
 * 4111111111111111.000000000000000001 both bind 4111111111111111).
 */
export function integerDigits(p: usize, s: i32, e: i32): i32 {
  let i = s;
  if (at(p, i) == 0x2d) i++;
  const intStart = i;
  while (i < e && isDigit(at(p, i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  if (i < e && at(p, i) == 0x2e) {
    fracStart = ++i;
    while (i < e && isDigit(at(p, i))) i++;
    fracEnd = i;
  }
  let exp: i64 = 0;
  if (i < e) {
    i++; // 'e' or 'E'
    let negative = false;
    if (at(p, i) == 0x2b || at(p, i) == 0x2d) {
      negative = at(p, i) == 0x2d;
      i++;
    }
    // Saturated: past 10^12 the value is zero-like or far too long anyway.
    while (i < e) {
      if (exp < 1_000_000_000_000) exp = exp * 10 + <i64>(at(p, i) - 0x30);
      i++;
    }
    if (negative) exp = -exp;
  }
  // The first and the last non-zero digit, over the integer part then the fraction.
  let first = -1;
  for (let k = intStart; k < intEnd && first < 0; k++) if (at(p, k) != 0x30) first = k;
  for (let k = fracStart; k < fracEnd && first < 0; k++) if (at(p, k) != 0x30) first = k;
  if (first < 0) return 0;
  let last = -1;
  for (let k = fracEnd - 1; k >= fracStart && last < 0; k--) if (at(p, k) != 0x30) last = k;
  for (let k = intEnd - 1; k >= intStart && last < 0; k--) if (at(p, k) != 0x30) last = k;
  // How many of the significant digits stand before the decimal point once the exponent is applied:
  // the value's integer part (what a parser that binds a long, or a float64, keeps) is those digits.
  const before: i64 = (first < intEnd ? <i64>(intEnd - first) : -<i64>(first - fracStart)) + exp;
  if (before <= 0 || before > <i64>MAX_VALUE_DIGITS) return 0;
  let n = 0;
  for (let k = first; k <= last && <i64>n < before; k++) {
    const c = at(p, k);
    if (!isDigit(c)) continue;
    store<u8>(VALUE_DIGITS + <usize>n, <u8>c);
    n++;
  }
  while (<i64>n < before) {
    store<u8>(VALUE_DIGITS + <usize>n, 0x30);
    n++;
  }
  return n;
}

/**
 * The replacement of the number [s, e) whose value's digits were masked into
 * `digits` (n of them): the same spelling when it was a bare integer, else the
 * masked integer padded with an exponent of zeros to the token's byte length
 * when it fits (`4111111111111111e0` -> `4000000000001111e0`), else the masked
 * integer alone. Always one JSON number of the same value as `digits`.
 */
export function maskedNumber(p: usize, s: i32, e: i32, digits: usize, n: i32): ArrayBuffer {
  const negative = at(p, s) == 0x2d;
  const sign = negative ? 1 : 0;
  const room = e - s - sign;
  const size = room >= n + 2 ? e - s : n + sign;
  const out = new ArrayBuffer(size);
  const o = changetype<usize>(out);
  if (negative) store<u8>(o, 0x2d);
  memory.copy(o + <usize>sign, digits, <usize>n);
  if (size > n + sign) {
    store<u8>(o + <usize>(sign + n), 0x65);
    memory.fill(o + <usize>(sign + n + 1), 0x30, <usize>(size - sign - n - 1));
  }
  return out;
}
