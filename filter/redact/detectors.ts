// Built-in scanners for sensitive values in free text (header values, query
// values, text bodies, JSON strings). They run on every mirrored byte, so they
// read UTF-8 in place and allocate only the findings they report. Every matcher
// reads a bounded window, or (emails, JWTs) a run no other attempt of the same
// matcher reads again, so a scan is linear in the input whatever the input.
//
// A finding never starts or ends inside a run of ASCII letters and digits (for
// emails, non-ASCII bytes count as letters too), except a card, which may follow
// or precede letters ("card4111...", "PAN4111...1111x"; never inside a hex
// string) and starts and ends at a digit, and a JWT, which may follow letters or
// digits ("BearereyJ...", "id_eyJ...") and starts at its header's 'e'; so an edit
// never splits a UTF-8 sequence: every finding starts and ends at or next to an ASCII byte or at an
// end of the input.

import { byteAt, isDigit, isAlpha, isAlnum, ssnEnd, e164End, usPhoneEnd, ibanEnd, emailEnd, emailStart } from "./formats";
import { jwtAt, jwtRunEnd } from "./jwt";
import { cardEnd, digitAt } from "./cards";
import { compatSsnEnd, compatE164End, compatUsPhoneEnd, widePlusAt } from "./compat";
import { escapeAt } from "../util/form";
import { KIND_SSN, KIND_PHONE, labelKinds, labelBefore, labelledSsnEnd, labelledPhoneEnd } from "./labels";

export const DETECTOR_CARD: i32 = 1;
export const DETECTOR_EMAIL: i32 = 2;
export const DETECTOR_SSN: i32 = 4;
export const DETECTOR_JWT: i32 = 8;
export const DETECTOR_IBAN: i32 = 16;
export const DETECTOR_PHONE: i32 = 32;
export const DETECTOR_ALL: i32 = 63;
/**
 * Label bits, OR-ed into a scan's `enabled` mask by a caller that knows the
 * value's name (a JSON key, a query or form parameter, a header): the value is
 * labelled as an SSN / a phone number, so bare forms over the whole value count
 * (`ssn: 536228147`). labelBits(name) says which a name implies.
 */
export const LABEL_SSN: i32 = 1 << 8;
export const LABEL_PHONE: i32 = 1 << 9;

/**
 * The label bits a value's name implies, among the enabled detectors: names
 * such as ssn, social_security_number, taxId, phone, tel, mobilePhone, fax
 * (redact/labels.ts: case, '_', '-', '.' aside, at word boundaries).
 * `letters`: the name's letter bits (redact/prefilter.ts classify) when the caller has them.
 */
export function labelBits(namePtr: usize, nameLen: usize, enabled: i32, letters: i32 = -1): i32 {
  if ((enabled & (DETECTOR_SSN | DETECTOR_PHONE)) == 0 || nameLen == 0) return 0;
  const kinds = labelKinds(namePtr, <i32>nameLen, letters);
  let bits = 0;
  if ((kinds & KIND_SSN) != 0 && (enabled & DETECTOR_SSN) != 0) bits |= LABEL_SSN;
  if ((kinds & KIND_PHONE) != 0 && (enabled & DETECTOR_PHONE) != 0) bits |= LABEL_PHONE;
  return bits;
}

/**
 * A labelled bare form at i counts: the scan's label bit is set (the value's
 * name is a label) or a label is written just before it (labels.ts labelBefore).
 */
// @ts-ignore: decorator
@inline
function labelled(ptr: usize, len: i32, i: i32, enabled: i32, bit: i32, kind: i32): bool {
  return (enabled & bit) != 0 || (labelBefore(ptr, len, i) & kind) != 0;
}

/**
 * Whether a JOSE header (base64url of a JSON object) may start at i: "{" then '"'
 * is "eyJ" (or eyI/eyK/eyL), "{ " is "eyA".."eyD", "{\n" "ewo".."ewr", "{\r"
 * "ew0".."ew3", "{\t" "ewk".."ewn": encoders that pretty-print or space their
 * JSON write the latter. jwt.ts checks the token's structure and header after.
 */
// @ts-ignore: decorator
@inline
function jwtHead(ptr: usize, len: i32, i: i32): bool {
  const b = byteAt(ptr, len, i + 1);
  const c = byteAt(ptr, len, i + 2);
  if (b == 0x79) return (c >= 0x41 && c <= 0x44) || (c >= 0x49 && c <= 0x4c);
  if (b == 0x77) return (c >= 0x6f && c <= 0x72) || (c >= 0x30 && c <= 0x33) || (c >= 0x6b && c <= 0x6e);
  return false;
}

/**
 * Whether a JOSE header with whitespace before its '{' may start at the 'I', 'C'
 * or 'D' at i, in base64url: " {" is "IH", two spaces "IC", a space and a tab or
 * line break "IA", a space and a BOM "IO"; a tab then '{' "CX", two tabs "CQ", a
 * line feed "Cn"; a carriage return "DX", CRLF "DQ" (jwt.ts joseHeader reads the
 * whitespace and needs the header's "alg"; no other rule lets such a token count).
 */
// @ts-ignore: decorator
@inline
function spacedJwtHead(ptr: usize, len: i32, i: i32, c: i32): bool {
  const b = byteAt(ptr, len, i + 1);
  if (c == 0x49) return b == 0x48 || b == 0x43 || b == 0x41 || b == 0x4f;
  if (c == 0x43) return b == 0x58 || b == 0x51 || b == 0x6e;
  return c == 0x44 && (b == 0x58 || b == 0x51);
}

/** Bit c - 0x40: a byte that may start a JWT ('e'; 'I', 'C', 'D' for spaced headers). */
const JWT_LEADS: u64 = ((<u64>1) << (0x65 - 0x40)) | ((<u64>1) << (0x49 - 0x40)) | ((<u64>1) << (0x43 - 0x40)) | ((<u64>1) << (0x44 - 0x40));

/** A JWT may start at i, whose byte is c (jwt.ts checks it after). */
// @ts-ignore: decorator
@inline
function jwtLeadAt(ptr: usize, len: i32, i: i32, c: i32): bool {
  if (<u32>(c - 0x40) >= 64 || ((JWT_LEADS >> <u64>(c - 0x40)) & 1) == 0) return false;
  return c == 0x65 ? jwtHead(ptr, len, i) : spacedJwtHead(ptr, len, i, c);
}

/** The full-width or the small commercial at (U+FF20, U+FE6B) at i (its 0xEF byte): an '@' once NFKC-folded, as many applications fold input. */
// @ts-ignore: decorator
@inline
export function wideAt(ptr: usize, len: i32, i: i32): bool {
  const b = byteAt(ptr, len, i + 1);
  const c = byteAt(ptr, len, i + 2);
  return (b == 0xbc && c == 0xa0) || (b == 0xb9 && c == 0xab);
}

/** A percent escape ("%20", "%3D") ends right before i. */
// @ts-ignore: decorator
@inline
function afterEscape(ptr: usize, len: i32, i: i32): bool {
  return i >= 3 && load<u8>(ptr + <usize>(i - 3)) == 0x25 && escapeAt(ptr, <usize>(i - 3), <usize>len) >= 0;
}

/** Index i names bit 1 << i; the names are the config's and the metrics'. */
export const DETECTOR_NAMES: string[] = ["card", "email", "ssn", "jwt", "iban", "phone"];

export function detectorBit(name: string): i32 {
  for (let i = 0; i < DETECTOR_NAMES.length; i++) if (unchecked(DETECTOR_NAMES[i]) == name) return 1 << i;
  return 0;
}

export class Finding {
  constructor(
    /** Byte offset of the first byte, relative to the scanned pointer. */
    public start: i32 = 0,
    /** One past the last byte. */
    public end: i32 = 0,
    /** One DETECTOR_* bit. */
    public detector: i32 = 0,
    /**
     * ENCODED_*: found in the text's percent-decoded view (redact/percent.ts), so
     * [start, end) are raw bytes whose replacement is made from their decoded bytes.
     */
    public encoded: u8 = ENCODED_NO,
    /**
     * ENCODED_* of a finding of the decoded view's own decoded view (a URL kept
     * encoded inside a URL's query, redact/percent.ts): how its bytes in the
     * first decoding read; ENCODED_NO for every other finding.
     */
    public inner: u8 = ENCODED_NO,
  ) {}
}

/** A finding of the raw text. */
export const ENCODED_NO: u8 = 0;
/** A finding of the decoded view: masked by its detector's mask over the decoded bytes. */
export const ENCODED_YES: u8 = 1;
/** A decoded finding widened to cover a raw one it overlapped: every letter and digit masked. */
export const ENCODED_WIDE: u8 = 2;
/** A raw finding that holds escapes: masked as written, hashed as its decoded value. */
export const ENCODED_HASH: u8 = 3;
/** The ENCODED_* kind above, without the reading bit below. */
export const ENCODED_KIND: u8 = 3;
/** Or-ed into YES and WIDE: found in the view that reads '+' before a digit as a plus (redact/percent.ts). */
export const ENCODED_PLUS: u8 = 4;

/** Overlaps go to a non-phone over a phone (its pattern is the loosest), then to the longer, then to the lower bit. */
// @ts-ignore: decorator
@inline
function beats(start: i32, end: i32, detector: i32, f: Finding): bool {
  const a = detector != DETECTOR_PHONE;
  const b = f.detector != DETECTOR_PHONE;
  if (a != b) return a;
  const la = end - start;
  const lb = f.end - f.start;
  if (la != lb) return la > lb;
  return detector < f.detector;
}

/**
 * Adds a candidate unless a finding it overlaps beats it; the findings it beats
 * go. Candidates come in order of start, except an email's, which is only seen
 * at its '@'; either way every finding so far starts before the candidate ends,
 * so the overlapped ones are exactly the tail that ends after it starts.
 */
function offer(out: Finding[], base: i32, start: i32, end: i32, detector: i32): void {
  let k = out.length;
  while (k > base) {
    const f = unchecked(out[k - 1]);
    if (f.end <= start) break;
    if (!beats(start, end, detector, f)) return;
    k--;
  }
  if (k < out.length) {
    const f = unchecked(out[k]);
    f.start = start;
    f.end = end;
    f.detector = detector;
    f.encoded = ENCODED_NO;
    f.inner = ENCODED_NO;
    out.length = k + 1;
  } else out.push(new Finding(start, end, detector));
}

/** The matchers that start at a digit at a word boundary (not inlined: the scan loop stays small). */
function digitStart(ptr: usize, len: i32, i: i32, enabled: i32, out: Finding[], base: i32): void {
  // Digits in the run from i (up to 18): the labelled bare forms need 9 or more, or a separator after a group.
  let run = 1;
  while (run < 18 && isDigit(byteAt(ptr, len, i + run))) run++;
  const after = byteAt(ptr, len, i + run);
  const grouped = (after == 0x20 || after == 0x2d || after == 0x2e) && isDigit(byteAt(ptr, len, i + run + 1));
  // A card's first group has 3 digits or more (some may be full-width); the dashed SSN and the US forms start with 3 (or "1-").
  if ((enabled & DETECTOR_CARD) && (run >= 3 || after == 0xef)) {
    const end = cardEnd(ptr, len, i);
    if (end > 0) offer(out, base, i, end, DETECTOR_CARD);
  }
  if (enabled & DETECTOR_SSN) {
    let end = run == 3 ? ssnEnd(ptr, len, i) : -1;
    // Its groups in full-width digits or apart by a non-ASCII separator ("536\xA022\xA08147", compat.ts).
    if (end < 0 && run == 3 && (after >= 0x80 || byteAt(ptr, len, i + 4) >= 0x80)) end = compatSsnEnd(ptr, len, i);
    if (end < 0 && (run == 9 || (run == 3 && grouped))) {
      end = labelledSsnEnd(ptr, len, i);
      if (end > 0 && !labelled(ptr, len, i, enabled, LABEL_SSN, KIND_SSN)) end = -1;
    }
    if (end > 0) offer(out, base, i, end, DETECTOR_SSN);
  }
  if (enabled & DETECTOR_PHONE) {
    let end = run == 3 || run == 1 ? usPhoneEnd(ptr, len, i) : -1;
    // A labelled number has at most 15 digits, 11 after a trunk 0, unless it starts "00" or "011" (labels.ts labelledPhoneEnd): a longer run is none.
    const c0 = byteAt(ptr, len, i);
    const d1 = byteAt(ptr, len, i + 1);
    const intl = c0 == 0x30 && (d1 == 0x30 || (d1 == 0x31 && byteAt(ptr, len, i + 2) == 0x31));
    const long = !intl && (c0 == 0x30 ? run >= 12 : run >= 16);
    if (end < 0 && !long && (run >= 9 || (run >= 2 && grouped))) {
      end = labelledPhoneEnd(ptr, len, i);
      if (end > 0 && !labelled(ptr, len, i, enabled, LABEL_PHONE, KIND_PHONE)) end = -1;
    }
    if (end > 0) offer(out, base, i, end, DETECTOR_PHONE);
  }
}

/**
 * The matchers that start at a 0xEF or 0xF0 byte at a word boundary: a card, an SSN in
 * full-width or mathematical digits, an E.164 number after a full-width plus (compat.ts).
 */
function wideStart(ptr: usize, len: i32, i: i32, enabled: i32, out: Finding[], base: i32): void {
  if (digitAt(ptr, len, i) >= 0) {
    if (enabled & DETECTOR_CARD) {
      const end = cardEnd(ptr, len, i);
      if (end > 0) offer(out, base, i, end, DETECTOR_CARD);
    }
    if (enabled & DETECTOR_SSN) {
      const end = compatSsnEnd(ptr, len, i);
      if (end > 0) offer(out, base, i, end, DETECTOR_SSN);
    }
  } else if ((enabled & DETECTOR_PHONE) && load<u8>(ptr + <usize>i) == 0xef && widePlusAt(ptr, len, i)) {
    const end = compatE164End(ptr, len, i);
    if (end > 0) offer(out, base, i, end, DETECTOR_PHONE);
  }
}

/** Where a scan over one range stands between slices (redact/work.ts). */
export class TextCursor {
  /** The next byte to look at. */
  pos: i32 = 0;
  /** A JWT attempt reads its whole dotted run; later attempts inside it would only read it again. */
  jwtFrom: i32 = 0;
  prevWord: bool = false;
  /** out.length when the scan began: findings before it belong to someone else. */
  base: i32 = 0;

  reset(base: i32): void {
    this.pos = 0;
    this.jwtFrom = 0;
    this.prevWord = false;
    this.base = base;
  }
}

const WHOLE = new TextCursor();

const COUNTED: Finding[] = [];

/**
 * Whether the detectors find something in [ptr, ptr+len) (a name that is itself
 * data: a header's, a parameter's); counts[bit position] is incremented per hit.
 */
export function countFindings(ptr: usize, len: i32, enabled: i32, counts: StaticArray<u32>): bool {
  const found = COUNTED;
  found.length = 0;
  if (scanText(ptr, len, enabled, found) == 0) return false;
  for (let i = 0; i < found.length; i++) {
    const bit = ctz<i32>(unchecked(found[i]).detector);
    if (bit < counts.length) unchecked((counts[bit] += 1));
  }
  found.length = 0;
  return true;
}

/** Scans [ptr, ptr+len) whole; returns how many findings it appended to out. */
export function scanText(ptr: usize, len: i32, enabled: i32, out: Finding[]): i32 {
  const cur = WHOLE;
  cur.reset(out.length);
  scanTextUntil(ptr, len, enabled, out, cur, len);
  return out.length - cur.base;
}

/**
 * Scans on from cur.pos up to `stop` (matchers read past it, up to len: the whole
 * range is in memory), so a scan can be cut into slices with the same findings.
 */
export function scanTextUntil(ptr: usize, len: i32, enabled: i32, out: Finding[], cur: TextCursor, stop: i32): void {
  const base = cur.base;
  if (len <= 0 || (enabled & DETECTOR_ALL) == 0) {
    cur.pos = len > 0 ? len : 0;
    return;
  }
  let jwtFrom = cur.jwtFrom;
  let prevWord = cur.prevWord;
  let i = cur.pos;
  for (; i < stop; i++) {
    const c = <i32>load<u8>(ptr + <usize>i);
    let boundary = !prevWord;
    prevWord = isAlnum(c);
    // Inside a word nothing starts (and '@' and '%' are not word bytes): the common byte costs this much.
    // But a card may follow letters ("card4111...", "PAN4111..."; cardEnd rules out hex strings), and a
    // percent escape ends a word ("Bearer%20eyJ...", "pan%3D4111...": text that is a URL, kept encoded).
    if (prevWord && !boundary) {
      if ((isDigit(c) || c == 0x65) && afterEscape(ptr, len, i)) boundary = true;
      else {
        if ((enabled & DETECTOR_CARD) && isDigit(c) && isAlpha(byteAt(ptr, len, i - 1))) {
          const end = cardEnd(ptr, len, i);
          if (end > 0) offer(out, base, i, end, DETECTOR_CARD);
        } else if ((enabled & DETECTOR_JWT) && i >= jwtFrom && jwtLeadAt(ptr, len, i, c)) {
          // A JWT glued to what comes before it ("tokeneyJ...", "0eyJ...", "BearereyJ...", "BearerIHs..."): found when its header is a JOSE header.
          const end = jwtAt(ptr, len, i, true);
          jwtFrom = jwtRunEnd;
          if (end > 0) offer(out, base, i, end, DETECTOR_JWT);
        }
        continue;
      }
    }
    if (c == 0x40 || (c == 0x25 && byteAt(ptr, len, i + 1) == 0x34 && byteAt(ptr, len, i + 2) == 0x30) || (c == 0xef && wideAt(ptr, len, i))) {
      if (enabled & DETECTOR_EMAIL) {
        const end = emailEnd(ptr, len, i, c == 0x40 ? i + 1 : i + 3);
        if (end > 0) offer(out, base, emailStart, end, DETECTOR_EMAIL);
      }
      continue;
    }
    if (!boundary) {
      // An E.164 number glued by its '+' to the number or word before it ("+14155552671+14155550100",
      // "bob@example.org+14155552671", "%2G+1415..." decoded): the '+' is its own separator.
      if (c == 0x2b && (enabled & DETECTOR_PHONE)) {
        let end = e164End(ptr, len, i);
        if (end < 0) end = compatE164End(ptr, len, i);
        if (end > 0) offer(out, base, i, end, DETECTOR_PHONE);
        continue;
      }
      // A card in full-width digits glued to letters ("ORD４５５６..."), as an ASCII one may be; an E.164
      // number after its full-width plus, as after a '+'.
      if (c == 0xef) {
        if ((enabled & DETECTOR_CARD) && isAlpha(byteAt(ptr, len, i - 1)) && digitAt(ptr, len, i) >= 0) {
          const end = cardEnd(ptr, len, i);
          if (end > 0) offer(out, base, i, end, DETECTOR_CARD);
        } else if ((enabled & DETECTOR_PHONE) && widePlusAt(ptr, len, i)) {
          const end = compatE164End(ptr, len, i);
          if (end > 0) offer(out, base, i, end, DETECTOR_PHONE);
        }
      }
      continue;
    }
    if (isDigit(c)) digitStart(ptr, len, i, enabled, out, base);
    else if (c == 0xef || c == 0xf0) wideStart(ptr, len, i, enabled, out, base);
    else if (c == 0x2b || c == 0x28) {
      if (enabled & DETECTOR_PHONE) {
        let end = c == 0x2b ? e164End(ptr, len, i) : usPhoneEnd(ptr, len, i);
        // Digits of another width, or grouped by other spaces and hyphens (compat.ts).
        if (end < 0) end = c == 0x2b ? compatE164End(ptr, len, i) : compatUsPhoneEnd(ptr, len, i);
        if (end > 0) offer(out, base, i, end, DETECTOR_PHONE);
      }
    } else if (isAlpha(c)) {
      if ((enabled & DETECTOR_IBAN) && isDigit(byteAt(ptr, len, i + 2)) && isDigit(byteAt(ptr, len, i + 3)) && isAlpha(byteAt(ptr, len, i + 1))) {
        const end = ibanEnd(ptr, len, i);
        if (end > 0) offer(out, base, i, end, DETECTOR_IBAN);
      }
      if ((enabled & DETECTOR_JWT) && i >= jwtFrom && jwtLeadAt(ptr, len, i, c)) {
        const before = byteAt(ptr, len, i - 1);
        // After '-', '_' or '.' ("token-eyJ...", "id_eyJ...", "t.eyJ...") it is glued (jwt.ts).
        const end = jwtAt(ptr, len, i, before == 0x2d || before == 0x5f || before == 0x2e);
        jwtFrom = jwtRunEnd;
        if (end > 0) offer(out, base, i, end, DETECTOR_JWT);
      }
    }
  }
  cur.pos = i;
  cur.jwtFrom = jwtFrom;
  cur.prevWord = prevWord;
}
