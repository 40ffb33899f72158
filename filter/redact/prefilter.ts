// Byte-class prefilter for the detectors (redact/detectors.ts): one table
// lookup per byte of a short string says which detectors could find anything
// in it, so the full scan runs only on candidates, with only the detectors
// that could match. Every rule here follows from what a finding needs, so a
// detector it turns off has no finding in the string:
// - card: 13+ digits, ASCII, full-width (a full-width digit starts with 0xEF) or
//   mathematical (0xF0; CLASS_EF is set for both lead bytes);
// - SSN: 9 digits; phone: 8+ digits (E.164), 10 (US), 9 (labelled): ASCII ones,
//   or some in those forms (redact/compat.ts), or after a full-width plus (0xEF);
// - e-mail: an '@', or "%40" (its two digits), or a full-width or small at (a 0xEF byte);
// - JWT: "e" then "y" or "w" (jwtHead), lower-case; or the starts of a header with
//   whitespace before its '{' (detectors.ts spacedJwtHead: "IH", "IC", "CX", "DQ", ...);
//   12 bytes at least either way (JWT_MIN);
// - IBAN: 2 ASCII letters then 2 ASCII digits, 15 bytes at least;
// - a backslash (JSON escapes, decoded before the scan) or a '%' (percent escapes,
//   read in the decoded view): anything, all stay on.
// A string's class is also what the callers of member names need: its ASCII
// letters (labels.ts mayLabel) and whether it is ASCII (json/match.ts).
import { DETECTOR_CARD, DETECTOR_EMAIL, DETECTOR_SSN, DETECTOR_JWT, DETECTOR_IBAN, DETECTOR_PHONE, DETECTOR_ALL } from "./detectors";

/** Bits 0-25: the ASCII letter 'a' + k in either case. */
export const LETTERS: u32 = (1 << 26) - 1;
export const CLASS_AT: u32 = 1 << 26;
export const CLASS_PERCENT: u32 = 1 << 27;
/** A 0xEF or 0xF0 byte: a full-width or mathematical digit, a full-width at, plus or dot may start there. */
export const CLASS_EF: u32 = 1 << 28;
/** Any byte >= 0x80. */
export const CLASS_HIGH: u32 = 1 << 29;
export const CLASS_BACKSLASH: u32 = 1 << 30;
/** An ASCII digit (counted, see digitCount). */
const CLASS_DIGIT: u32 = 1 << 31;

const LETTER_A: u32 = 1 << 0;
const LETTER_C: u32 = 1 << 2;
const LETTER_D: u32 = 1 << 3;
const LETTER_E: u32 = 1 << 4;
const LETTER_H: u32 = 1 << 7;
const LETTER_I: u32 = 1 << 8;
const LETTER_N: u32 = 1 << 13;
const LETTER_O: u32 = 1 << 14;
const LETTER_Q: u32 = 1 << 16;
const LETTER_W: u32 = 1 << 22;
const LETTER_X: u32 = 1 << 23;
const LETTER_Y: u32 = 1 << 24;
const NUMERIC: i32 = DETECTOR_CARD | DETECTOR_SSN | DETECTOR_PHONE;
/**
 * The shortest JWT redact/jwt.ts accepts: a header that decodes to '{"alg"' (8
 * characters; the classic "eyJ" one without it needs 15), '.', a payload of 2
 * ("ey"), '.' and an empty signature: "eyJhbGci.ey.". A JWE has five parts, longer.
 */
const JWT_MIN: i32 = 12;

/** The class bits of each byte (classify reads it; so does json/plain.ts). */
export const CLASS_TABLE: usize = buildTable();

function buildTable(): usize {
  const t = memory.data(1024);
  for (let c = 0; c < 256; c++) {
    let k: u32 = 0;
    const l = c | 0x20;
    if (l >= 0x61 && l <= 0x7a) k = 1 << <u32>(l - 0x61);
    else if (c >= 0x30 && c <= 0x39) k = CLASS_DIGIT;
    else if (c == 0x40) k = CLASS_AT;
    else if (c == 0x25) k = CLASS_PERCENT;
    else if (c == 0x5c) k = CLASS_BACKSLASH;
    if (c >= 0x80) k = CLASS_HIGH | (c == 0xef || c == 0xf0 ? CLASS_EF : 0);
    store<u32>(t + (<usize>c << 2), k);
  }
  return t;
}

/** ASCII digits in the range classify() read last. */
export let digitCount: i32 = 0;

/** The CLASS_* and letter bits of the bytes in [p, p+len); digitCount their ASCII digits. */
export function classify(p: usize, len: i32): u32 {
  let acc: u32 = 0;
  let digits = 0;
  for (let i = 0; i < len; i++) {
    const k = load<u32>(CLASS_TABLE + (<usize>load<u8>(p + <usize>i) << 2));
    acc |= k;
    digits += <i32>(k >> 31);
  }
  digitCount = digits;
  return acc;
}

/** Whether a spaced JOSE header's base64url start (detectors.ts spacedJwtHead: "IH", "IC", "IA", "IO", "CX", "CQ", "Cn", "DX", "DQ") is somewhere in [p, p+len). */
function spacedStart(p: usize, len: i32): bool {
  for (let i = 0; i + 1 < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c < 0x43 || c > 0x49) continue;
    const b = load<u8>(p + <usize>(i + 1));
    if (c == 0x49 && (b == 0x48 || b == 0x43 || b == 0x41 || b == 0x4f)) return true;
    if (c == 0x43 && (b == 0x58 || b == 0x51 || b == 0x6e)) return true;
    if (c == 0x44 && (b == 0x58 || b == 0x51)) return true;
  }
  return false;
}

/** Whether two ASCII letters followed by two ASCII digits (an IBAN's start) are somewhere in [p, p+len). */
function ibanStart(p: usize, len: i32): bool {
  for (let i = 0; i + 3 < len; i++) {
    const d = <u32>load<u8>(p + <usize>(i + 3)) - 0x30;
    if (d >= 10) {
      // Byte i+3 is no digit: no start at i or i+1 (each needs it as a digit); i+2 is next.
      i++;
      continue;
    }
    if (<u32>load<u8>(p + <usize>(i + 2)) - 0x30 >= 10) continue;
    const a = <u32>(load<u8>(p + <usize>i) | 0x20) - 0x61;
    const b = <u32>(load<u8>(p + <usize>(i + 1)) | 0x20) - 0x61;
    if (a < 26 && b < 26) return true;
  }
  return false;
}

/**
 * The detectors among `enabled` (label bits kept) that could find something in
 * the string [p, p+len), whose classify() bits are `cls` and ASCII digits `digits`;
 * none of DETECTOR_ALL when the string needs no scan.
 */
export function candidates(p: usize, len: i32, cls: u32, digits: i32, enabled: i32): i32 {
  // Escapes (JSON's, decoded before the scan; percent escapes, read in the decoded view,
  // redact/percent.ts) can spell any byte: every detector stays on.
  if (cls & (CLASS_BACKSLASH | CLASS_PERCENT)) return enabled;
  let off = 0;
  if (digits < 8 && (cls & CLASS_EF) == 0) off |= NUMERIC;
  // An e-mail needs an '@', "%40", or a full-width or small at (EF BC A0, EF B9 AB).
  if ((cls & (CLASS_AT | CLASS_EF)) == 0 && ((cls & CLASS_PERCENT) == 0 || digits < 2)) off |= DETECTOR_EMAIL;
  // A JWT's header starts "e" then "y" or "w", or, with whitespace before its '{', "I" then H, C, A or O,
  // "C" then X, Q or n, "D" then X or Q (detectors.ts spacedJwtHead; letters either case here).
  const classic = (cls & LETTER_E) != 0 && (cls & (LETTER_W | LETTER_Y)) != 0;
  // The letters alone (either case) say little for the spaced starts ('i' and 'a' are in most text): the bytes are looked at.
  const spaced = !classic && (((cls & LETTER_I) != 0 && (cls & (LETTER_H | LETTER_C | LETTER_A | LETTER_O)) != 0) ||
    ((cls & (LETTER_C | LETTER_D)) != 0 && (cls & (LETTER_X | LETTER_Q | LETTER_N)) != 0)) && len >= JWT_MIN && spacedStart(p, len);
  if (len < JWT_MIN || (!classic && !spaced)) off |= DETECTOR_JWT;
  if (digits < 2 || len < 15 || (cls & LETTERS) == 0) off |= DETECTOR_IBAN;
  let on = enabled & ~off;
  if ((on & DETECTOR_IBAN) != 0 && !ibanStart(p, len)) on &= ~DETECTOR_IBAN;
  return (on & DETECTOR_ALL) == 0 ? 0 : on;
}

/** candidates() for a range not classified yet: classify and decide in one call. */
export function detectorsIn(p: usize, len: i32, enabled: i32): i32 {
  const cls = classify(p, len);
  return candidates(p, len, cls, digitCount, enabled);
}
