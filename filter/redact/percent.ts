// The percent-decoded view of a text the detectors read (a JSON string, a text
// body, a gRPC string field): a URL's query written there keeps its values encoded
// ("?to=%2B14155552671", "pan=4556%207375%208689%209855", "pan=4556+7375+...",
// "e=bob%40example%2Eorg"), which the raw scan cannot read, while the shadow,
// which decodes the URL it stores, can. The view is scanned too (redact/detect-run.ts),
// and its findings whose bytes are spelled differently in the raw text are mapped
// back to raw offsets and marked encoded: their replacement is made from the
// decoded bytes and written back in the raw spelling (redact/values.ts), every
// byte around them as the client wrote it. Query values and form bodies are
// decoded by their own redactors (redact/query.ts) and do not use the view.
import { Finding, ENCODED_NO, ENCODED_YES, ENCODED_WIDE, ENCODED_HASH, ENCODED_PLUS } from "./detectors";
import { escapeAt, codedUnit, DecodedOffsets } from "../util/form";
import { isDigit, isAlnum } from "./formats";

/** Whether [p, p+len) has a well-formed percent escape or a '+' (a space in a query): only then is a view worth decoding. */
export function mayBeEncoded(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x2b || (c == 0x25 && escapeAt(p, <usize>i, <usize>len) >= 0)) return true;
  }
  return false;
}

/** How a literal '+' reads in a decoding: as itself, as a space (a query), or as itself only before a digit at a word's start. */
const PLUS_ITSELF: i32 = 0;
const PLUS_SPACE: i32 = 1;
const PLUS_BEFORE_DIGIT: i32 = 2;
/** As PLUS_BEFORE_DIGIT, but only at the start of a form value or after a space (formPlusReading). */
const PLUS_FORM: i32 = 3;

/** Digits a number begun by a kept '+' has before a '+' after its last digit reads as the next number's plus: E.164's fewest. */
const GLUED_DIGITS: i32 = 8;

/** One byte per unit of [p, p+len): escapes decoded, a literal '+' read as `plus` says. */
function decode(p: usize, len: i32, plus: i32): ArrayBuffer {
  const out = new ArrayBuffer(len);
  const o = changetype<usize>(out);
  let n = 0;
  let prev: i32 = -1;
  let prevRaw = false;
  // PLUS_BEFORE_DIGIT: the digits read since the last '+' kept, through the separators a
  // phone number's groups have; -1 outside such a number.
  let digits: i32 = -1;
  for (let i = 0; i < len; ) {
    const u = codedUnit(p, i, len);
    let c = u & 255;
    if (u >> 8 == 1 && c == 0x2b && plus != PLUS_ITSELF) {
      // A '+' glued to the digits of a whole number begun by a kept '+' begins the next
      // number ("+1%20415%20555%202671+1%20415...": two encodeURI-spelled numbers);
      // after fewer digits it is a space between groups ("+1%20415+555+2671").
      // Counted only where an E.164 number may begin (its first digit 1-9) and while it may still be one.
      if (plus >= PLUS_BEFORE_DIGIT && (plus == PLUS_FORM ? formKeptPlus(p, i, len, prev, prevRaw) : keptPlus(p, i, len, prev))) digits = e164Start(p, i, len) ? 0 : -1;
      else if (plus >= PLUS_BEFORE_DIGIT && digits >= GLUED_DIGITS && digits <= 15 && isDigit(prev) && e164Start(p, i, len)) digits = 0;
      else c = 0x20;
    } else if (isDigit(c)) {
      if (digits >= 0) digits++;
    } else if (c != 0x20 && c != 0x2d && c != 0x2e && c != 0x28 && c != 0x29) digits = -1;
    store<u8>(o + <usize>n, <u8>c);
    n++;
    prev = c;
    prevRaw = u >> 8 == 1;
    i += u >> 8;
  }
  return n == len ? out : out.slice(0, n);
}

/**
 * The decoded view of [p, p+len): escapes decoded, '+' read as a query reads it,
 * a space; or, `plusKept`, as a plus at the start of a word before a digit, where
 * it is more likely an E.164 number's own ("+1%20415%20555%202671", as encodeURI
 * writes it). Both views are read where they differ (plusView): "ssn%3A+536..."
 * needs the space, "+1%20415..." the plus. One byte per unit (a well-formed escape
 * or any other byte), so util/form.ts DecodedOffsets maps offsets back.
 */
export function decodedView(p: usize, len: i32, plusKept: bool = false): ArrayBuffer {
  return decode(p, len, plusKept ? PLUS_BEFORE_DIGIT : PLUS_SPACE);
}

/**
 * A form or query value [p, p+len) (raw) read with a '+' before a digit kept at the
 * value's start or after a space, as an E.164 number's own (redact/readings.ts):
 * a form encoder writes '+' as %2B, so a raw one there was written by something
 * else ("+1%20415%20555%202671": encodeURI; "+44+20+7946+0958": spaces replaced,
 * the plus kept). After anything else ("ssn%3A+536...", "No.+658..."), it is the
 * space a form encoder writes, and stays one. One byte per unit, as formDecode.
 */
export function formPlusReading(p: usize, len: i32): ArrayBuffer {
  return decode(p, len, PLUS_FORM);
}

/** Whether formPlusReading differs from formDecode: a '+' it keeps. */
export function formPlusView(p: usize, len: i32): bool {
  return keepsPlus(p, len, true);
}

/**
 * [p, p+len) with its escapes decoded and everything else as it is ('+' too): the
 * value a raw finding that holds escapes (an e-mail's "%40") is hashed as, so its
 * token is the one of the value written plainly.
 */
export function unescaped(p: usize, len: i32): ArrayBuffer {
  return decode(p, len, PLUS_ITSELF);
}

/** The unit after the one at i (one byte long) is a digit. */
// @ts-ignore: decorator
@inline
function nextDigit(p: usize, i: i32, len: i32): bool {
  return i + 1 < len && isDigit(codedUnit(p, i + 1, len) & 255);
}

/** The unit after the '+' at i is a digit an E.164 country code may start with (1-9). */
// @ts-ignore: decorator
@inline
function e164Start(p: usize, i: i32, len: i32): bool {
  const c = i + 1 < len ? codedUnit(p, i + 1, len) & 255 : -1;
  return isDigit(c) && c != 0x30;
}

/** The '+' at i, after the decoded byte `prev`, is read as a plus by the plusKept view (at a word's start; decode keeps some glued ones too). */
// @ts-ignore: decorator
@inline
function keptPlus(p: usize, i: i32, len: i32, prev: i32): bool {
  return !isAlnum(prev) && nextDigit(p, i, len);
}

/** Raw punctuation a number's '+' may follow in a form value: ; , : = ( [ { < " ' | / ! * ~ @. */
function isOpener(c: i32): bool {
  return c == 0x3b || c == 0x2c || c == 0x3a || c == 0x3d || c == 0x28 || c == 0x5b || c == 0x7b || c == 0x3c || c == 0x22 ||
    c == 0x27 || c == 0x7c || c == 0x2f || c == 0x21 || c == 0x2a || c == 0x7e || c == 0x40;
}

/**
 * The '+' at i, after the decoded byte `prev` (-1: none; `raw`: written as itself, not
 * escaped), is read as a plus by formPlusReading: at the value's start, after a space,
 * tab, line break, VT, FF, NUL or no-break space, or after punctuation written raw (isOpener;
 * a form encoder escapes most of it: "a=1;v=+1+415...", "v=tel:+1+415...", "v=(+1+415...)"); after "%3A" and the
 * like ("ssn%3A+536...") it stays the space a form encoder writes.
 */
// @ts-ignore: decorator
@inline
function formKeptPlus(p: usize, i: i32, len: i32, prev: i32, raw: bool): bool {
  const after = prev == -1 || prev == 0x20 || prev == 0x09 || prev == 0x0a || prev == 0x0b || prev == 0x0c || prev == 0x0d || prev == 0x00 || prev == 0xa0 ||
    (raw && isOpener(prev));
  return after && nextDigit(p, i, len);
}

/** Whether the plusKept view differs from the other: a '+' it keeps. */
export function plusView(p: usize, len: i32): bool {
  return keepsPlus(p, len, false);
}

/** Whether some raw '+' in [p, p+len) is kept (formKeptPlus for form values, else keptPlus); the others read as spaces. */
function keepsPlus(p: usize, len: i32, form: bool): bool {
  let prev: i32 = -1;
  let prevRaw = false;
  for (let i = 0; i < len; ) {
    const u = codedUnit(p, i, len);
    let c = u & 255;
    if (u >> 8 == 1 && c == 0x2b) {
      if (form ? formKeptPlus(p, i, len, prev, prevRaw) : keptPlus(p, i, len, prev)) return true;
      c = 0x20;
    }
    prev = c;
    prevRaw = u >> 8 == 1;
    i += u >> 8;
  }
  return false;
}

/** Whether the raw bytes [p+s, p+e) spell their decoded bytes as they are (no escape, no '+'). */
function plain(p: usize, s: i32, e: i32): bool {
  for (let i = s; i < e; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x2b || c == 0x25) return false;
  }
  return true;
}

/**
 * Whether the decoded view [v, v+vlen) is worth its own views: a URL kept encoded
 * inside a URL's query ("?next=https%3A%2F%2Fx%2Fk%3Fv%3D%252B1415...", once decoded
 * "...?v=%2B1415...", or "...?v=4556+7375..."), which the application reads decoded
 * once more, as query values are (redact/query.ts). The view's own views' findings
 * join the view's (mergeDecoded over the view), then nestInner makes each hold in
 * `inner` how its bytes read in the view, for the merge into the raw text to set
 * `encoded`: a nested finding is masked and hashed through both decodings
 * (redact/values.ts).
 */
export function nestedWorth(v: usize, vlen: i32): bool {
  for (let i = 0; i < vlen; i++) {
    const c = load<u8>(v + <usize>i);
    if (c == 0x25 && escapeAt(v, <usize>i, <usize>vlen) >= 0) return true;
    // A '+' reads as a space there, which matters only between digits it groups ("4556+7375",
    // "DE89+3704", "+1+415"); before a number the view reads it already ("+1415...": E.164,
    // "+4556...": a card), and "abc+def=" (base64) needs no view at all.
    if (c == 0x2b && i > 0 && i + 1 < vlen && isDigit(load<u8>(v + <usize>(i - 1))) && isDigit(load<u8>(v + <usize>(i + 1)))) return true;
  }
  return false;
}

/** Moves each view finding's `encoded` into `inner` (see nestedWorth). */
export function nestInner(viewFindings: Finding[]): void {
  for (let i = 0; i < viewFindings.length; i++) {
    const f = unchecked(viewFindings[i]);
    f.inner = f.encoded;
    f.encoded = ENCODED_NO;
  }
}

/** Whether [p+s, p+e) holds a well-formed percent escape. */
function hasEscape(p: usize, s: i32, e: i32): bool {
  for (let i = s; i < e; i++) {
    if (load<u8>(p + <usize>i) == 0x25 && escapeAt(p + <usize>s, <usize>(i - s), <usize>(e - s)) >= 0) return true;
  }
  return false;
}

const OFFSETS = new DecodedOffsets();
const MERGED: Finding[] = [];

/**
 * Adds to `raw` (findings of [p, p+len), sorted, not overlapping) the findings `decoded` of its view, in raw offsets: those spelled
 * as they are in the raw text are the raw scan's to find and are left out, and
 * so are those inside a raw finding of the same detector; one that overlaps
 * raw findings otherwise is widened over them (ENCODED_WIDE), so no byte either
 * found stays. `decoded` is consumed (its objects move into `raw`).
 */
export function mergeDecoded(p: usize, len: i32, raw: Finding[], decoded: Finding[], plusKept: bool = false): void {
  if (decoded.length == 0) return;
  const reading: u8 = plusKept ? ENCODED_PLUS : 0;
  const offsets = OFFSETS;
  offsets.reset();
  const out = MERGED;
  out.length = 0;
  let r = 0;
  for (let i = 0; i < decoded.length; i++) {
    const d = unchecked(decoded[i]);
    const rs = offsets.raw(p, len, d.start);
    const re = offsets.raw(p, len, d.end);
    // Bytes spelled as they are may still be found only here: their context was encoded
    // ("ssn%3D536228147": the label). Masked as the raw bytes they are.
    const isPlain = plain(p, rs, re);
    d.start = rs;
    d.end = re;
    d.encoded = isPlain ? ENCODED_NO : ENCODED_YES | reading;
    // Raw findings wholly before this one go first.
    while (r < raw.length && unchecked(raw[r]).end <= rs) out.push(unchecked(raw[r++]));
    // The raw findings it overlaps: one of the same detector that holds all of its bytes
    // is the same value, read where the raw scan reads escapes itself (an e-mail's "%40"),
    // and stays; one of the same detector it holds is replaced; any other overlap widens
    // it over them (ENCODED_WIDE), so no byte either found stays.
    let k = r;
    let covered = false;
    let holds = true;
    while (k < raw.length && unchecked(raw[k]).start < re) {
      const f = unchecked(raw[k++]);
      if (f.detector == d.detector && f.start <= rs && f.end >= re) covered = true;
      if (f.detector != d.detector || f.start < rs || f.end > re) holds = false;
    }
    if (covered && k - r == 1) {
      // The raw one stays (its mask reads the escapes it holds as written); its hash token
      // is the decoded value's, so a value hashes alike whatever its spelling.
      const f = unchecked(raw[r]);
      if (f.encoded == ENCODED_NO && hasEscape(p, f.start, f.end)) f.encoded = ENCODED_HASH;
      continue;
    }
    while (r < k) {
      const f = unchecked(raw[r++]);
      if (f.start < d.start) d.start = f.start;
      if (f.end > d.end) d.end = f.end;
      if (!holds) d.encoded = ENCODED_WIDE | reading;
      else if (d.encoded == ENCODED_NO && !plain(p, d.start, d.end)) d.encoded = ENCODED_YES | reading;
    }
    // A widened finding may now reach the previous one (itself widened): join them.
    if (out.length > 0 && unchecked(out[out.length - 1]).end > d.start) {
      const prev = unchecked(out[out.length - 1]);
      if (d.end > prev.end) prev.end = d.end;
      prev.encoded = ENCODED_WIDE | reading;
      continue;
    }
    out.push(d);
  }
  while (r < raw.length) out.push(unchecked(raw[r++]));
  raw.length = 0;
  for (let i = 0; i < out.length; i++) raw.push(unchecked(out[i]));
  out.length = 0;
  decoded.length = 0;
}
