// Replacement bytes for sensitive values. A mask keeps the value's shape (its
// length, separators, the parts a parser or validator looks at) so the shadow
// runs the same code path as the primary; a hash token keeps equality (the
// same value always gives the same token) so joins and deduplication in the
// shadow still work, while the key keeps tokens from being reversed by
// hashing guesses.
import { Edit, edit } from "./edits";
import { digitAt, digitLen, luhnDouble, putDigit } from "./cards";
import { shapeInto } from "./shape";
import { wideDotAt, foldCompat } from "./compat";
import { detectorsIn } from "./prefilter";
import { HmacKey } from "../util/sha256";
import { reencodeSameLength } from "../util/form";
import { decodedView, mayBeEncoded, mergeDecoded, nestInner, nestedWorth, plusView, unescaped } from "./percent";
import {
  Finding,
  ENCODED_NO,
  ENCODED_WIDE,
  ENCODED_HASH,
  ENCODED_KIND,
  ENCODED_PLUS,
  scanText,
  wideAt,
  DETECTOR_CARD,
  DETECTOR_EMAIL,
  DETECTOR_SSN,
  DETECTOR_JWT,
  DETECTOR_IBAN,
  DETECTOR_PHONE,
} from "./detectors";

const HEX: usize = memory.data<u8>([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);
const MAC: usize = memory.data(32);
const MACS: usize = memory.data(4 * 32);
/** The bytes of a quoted hash token: '"hmac:' and 32 hex digits and '"'. */
export const QUOTED_TOKEN: i32 = 39;

/** '"hmac:' and the first 16 bytes of the MAC at `mac` in lowercase hex and '"', into o (QUOTED_TOKEN bytes). */
function quotedTokenInto(o: usize, mac: usize): void {
  store<u8>(o, 0x22);
  store<u32>(o + 1, 0x63616d68); // "hmac", little-endian
  store<u8>(o, 0x3a, 5);
  for (let i: usize = 0; i < 16; i++) {
    const b = load<u8>(mac + i);
    store<u8>(o + 6 + (i << 1), load<u8>(HEX + <usize>(b >> 4)));
    store<u8>(o + 7 + (i << 1), load<u8>(HEX + <usize>(b & 15)));
  }
  store<u8>(o, 0x22, 38);
}
const STAR: u8 = 0x2a;

// @ts-ignore: decorator
@inline
function isDigit(c: u8): bool {
  return <u32>(c - 0x30) < 10;
}

// @ts-ignore: decorator
@inline
function isAlnum(c: u8): bool {
  return <u32>(c - 0x30) < 10 || <u32>((c | 0x20) - 0x61) < 26;
}

// @ts-ignore: decorator
@inline
function isContinuation(c: u8): bool {
  return (c & 0xc0) == 0x80;
}

/**
 * Code points in [p, p+len), counting each byte of an invalid sequence as one,
 * as a UTF-8 decoder that substitutes U+FFFD would.
 */
function codePoints(p: usize, len: i32): i32 {
  let n = 0;
  let i = 0;
  while (i < len) {
    const b = load<u8>(p + <usize>i);
    let size = 1;
    if (b >= 0xc2 && b < 0xe0) size = 2;
    else if (b >= 0xe0 && b < 0xf0) size = 3;
    else if (b >= 0xf0 && b < 0xf5) size = 4;
    let k = 1;
    while (k < size && i + k < len && isContinuation(load<u8>(p + <usize>(i + k)))) k++;
    i += k;
    n++;
  }
  return n;
}

/** Card: first digit and last four kept, the rest 0 except the digit that makes the Luhn sum come out right; full-width and mathematical digits keep their width, separators stay. */
function maskCard(o: usize, n: i32): void {
  if (asciiDigits(o, n)) {
    maskCardAscii(o, n);
    return;
  }
  let digits = 0;
  for (let i = 0; i < n; ) {
    if (digitAt(o, n, i) >= 0) {
      digits++;
      i += digitLen;
    } else i++;
  }
  let k = 0;
  let fix = -1; // byte offset of the adjusting digit: the last masked one
  let fixWidth = 1;
  let sum = 0;
  for (let i = 0; i < n; ) {
    let d = digitAt(o, n, i);
    if (d < 0) {
      i++;
      continue;
    }
    const width = digitLen;
    if (k > 0 && k < digits - 4) {
      d = 0;
      putDigit(o + <usize>i, 0, width);
      if (k == digits - 5) {
        fix = i;
        fixWidth = width;
      }
    }
    // Doubled are the digits an odd distance from the last one.
    if (((digits - 1 - k) & 1) == 1) d = luhnDouble(d);
    sum += d;
    k++;
    i += width;
  }
  // The fixed digit is four places from the last, so it is not doubled: it adds itself.
  if (fix >= 0) putDigit(o + <usize>fix, (10 - sum % 10) % 10, fixWidth);
}

/** Whether [o, o+n) is ASCII digits only: a card as most clients write it. */
function asciiDigits(o: usize, n: i32): bool {
  for (let i = 0; i < n; i++) if (<u32>load<u8>(o + <usize>i) - 0x30 >= 10) return false;
  return true;
}

/** maskCard for n ASCII digits, in one pass: the same digits out as the general loop writes. */
function maskCardAscii(o: usize, n: i32): void {
  let sum = 0;
  for (let k = 0; k < n; k++) {
    let d = <i32>load<u8>(o + <usize>k) - 0x30;
    if (k > 0 && k < n - 4) {
      d = 0;
      store<u8>(o + <usize>k, 0x30);
    }
    if (((n - 1 - k) & 1) == 1) d = luhnDouble(d);
    sum += d;
  }
  // The adjusting digit is four places from the last (not doubled), zero so far: it adds itself.
  if (n >= 6) store<u8>(o + <usize>(n - 5), 0x30 + (10 - sum % 10) % 10);
}

/** Email: '@' (or a "%40"), the domain's dots and the top-level domain kept. */
function maskEmail(o: usize, n: i32): void {
  let at = -1;
  let atLen = 1;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(o + <usize>i);
    if (c == 0x40 || (c == 0x25 && i + 2 < n && load<u8>(o + <usize>(i + 1)) == 0x34 && load<u8>(o + <usize>(i + 2)) == 0x30) || (c == 0xef && wideAt(o, n, i))) {
      // '@', "%40", or the full-width or small at (U+FF20, U+FE6B), kept as written.
      at = i;
      atLen = c == 0x40 ? 1 : 3;
      dot = -1;
    } else if (at >= 0 && (c == 0x2e || (c == 0xef && wideDotAt(o, n, i)))) dot = i;
  }
  const tld = dot >= 0 ? dot : n;
  for (let i = 0; i < tld; i++) {
    const q = o + <usize>i;
    if ((at >= 0 && i >= at && i < at + atLen) || (at >= 0 && i > at && load<u8>(q) == 0x2e)) continue;
    // The domain's full-width dots (U+FF0E, compat.ts) stay, as its dots do.
    if (at >= 0 && i > at && load<u8>(q) == 0xef && wideDotAt(o, n, i)) {
      i += 2;
      continue;
    }
    store<u8>(q, STAR);
  }
}

/**
 * Keeps the last `keep` digits, spaces and dashes (and a phone's "+.()" and its no-break spaces); `mask` over other digits, '*' over anything else.
 * A full-width or mathematical digit (redact/compat.ts: NFKC's) keeps its width: masked to the full-width '＊' or
 * the digit `mask` of its own form; the non-ASCII separators and plus a finding holds stay.
 */
function maskDigits(o: usize, n: i32, keep: i32, mask: u8, phone: bool): void {
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = load<u8>(o + <usize>i);
    if (isDigit(c)) digits++;
    else if (c >= 0xef && digitAt(o, n, i) >= 0) {
      digits++;
      i += digitLen - 1;
    }
  }
  let k = 0;
  for (let i = 0; i < n; i++) {
    const q = o + <usize>i;
    const c = load<u8>(q);
    if (isDigit(c)) {
      if (k < digits - keep) store<u8>(q, mask);
      k++;
    } else if (c == 0x20 || c == 0x2d || c == 0x2e) {
      // separators stay
    } else if (c >= 0xef && digitAt(o, n, i) >= 0) {
      const width = digitLen;
      if (k < digits - keep) {
        if (mask != STAR) putDigit(q, mask - 0x30, width);
        else if (width == 3) store<u8>(q + 2, 0x8a); // '＊' (EF BC 8A)
        else putDigit(q, 0, width);
      }
      k++;
      i += width - 1;
    } else if (c >= 0x80 || (phone && (c == 0x2b || c == 0x2e || c == 0x28 || c == 0x29))) {
      // a phone number's own punctuation stays, and so do the bytes of the non-ASCII separators
      // (no-break and other spaces, a full-width '+' or '-', latin-1's 0xA0): the only non-ASCII
      // bytes a phone or SSN finding holds besides its digits (formats.ts, compat.ts)
    } else store<u8>(q, STAR);
  }
}

/** JWT: every character an 'x', the dots kept. */
function maskJwt(o: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const q = o + <usize>i;
    if (load<u8>(q) != 0x2e) store<u8>(q, 0x78);
  }
}

/** IBAN: country code and last four kept, other letters and digits 'X' (in a lower-case one 'x'), separators kept. */
function maskIban(o: usize, n: i32): void {
  let chars = 0;
  for (let i = 0; i < n; i++) if (isAlnum(load<u8>(o + <usize>i))) chars++;
  const x: u8 = n > 0 && load<u8>(o) >= 0x61 ? 0x78 : 0x58;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const q = o + <usize>i;
    if (isAlnum(load<u8>(q))) {
      if (k >= 2 && k < chars - 4) store<u8>(q, x);
      k++;
    }
  }
}

/** maskQuoted's shared buffers: masks of fewer code points than this. */
const QUOTED_STARS: i32 = 64;

export class ValueRewriter {
  private key: HmacKey;
  private findings: Finding[] = [];
  private viewFindings: Finding[] = [];
  private nestedFindings: Finding[] = [];
  private stars: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(QUOTED_STARS);

  constructor(hashKey: ArrayBuffer) {
    this.key = new HmacKey(hashKey);
  }

  /** "hmac:" and the first 16 bytes of HMAC-SHA256(key, value) in lowercase hex. */
  hashToken(ptr: usize, len: i32): ArrayBuffer {
    this.key.macInto(ptr, len, MAC);
    const out = new ArrayBuffer(37);
    const o = changetype<usize>(out);
    store<u32>(o, 0x63616d68); // "hmac", little-endian
    store<u8>(o, 0x3a, 4);
    for (let i: usize = 0; i < 16; i++) {
      const b = load<u8>(MAC + i);
      store<u8>(o + 5 + (i << 1), load<u8>(HEX + <usize>(b >> 4)));
      store<u8>(o + 6 + (i << 1), load<u8>(HEX + <usize>(b & 15)));
    }
    return out;
  }

  /** hashToken as a JSON string (quoted, '"hmac:…"'): one buffer, not two. */
  hashTokenQuoted(ptr: usize, len: i32): ArrayBuffer {
    this.key.macInto(ptr, len, MAC);
    const out = new ArrayBuffer(QUOTED_TOKEN);
    quotedTokenInto(changetype<usize>(out), MAC);
    return out;
  }

  /**
   * hashTokenQuoted for four values at once (HmacKey.macInto4: value j at
   * values + 64 j, lens[j] bytes, at most SHORT_MAC), each token written into
   * outs[j], a buffer of QUOTED_TOKEN bytes.
   */
  hashTokensQuoted4(values: usize, lens: StaticArray<i32>, outs: StaticArray<ArrayBuffer | null>): void {
    this.key.macInto4(values, lens, MACS);
    for (let j = 0; j < 4; j++) quotedTokenInto(changetype<usize>(unchecked(outs[j])), MACS + (<usize>j << 5));
  }

  /** hashTokenQuoted into `out`, a buffer of QUOTED_TOKEN bytes. */
  hashTokenQuotedInto(ptr: usize, len: i32, out: ArrayBuffer): void {
    this.key.macInto(ptr, len, MAC);
    quotedTokenInto(changetype<usize>(out), MAC);
  }

  /**
   * maskValue as a JSON string ('"****"'). Up to QUOTED_STARS code points the
   * buffer is shared (made once per length): an edit's replacement is only read.
   */
  maskQuoted(ptr: usize, len: i32): ArrayBuffer {
    const n = len > 0 ? codePoints(ptr, len) : 0;
    if (n < QUOTED_STARS) {
      const known = unchecked(this.stars[n]);
      if (known != null) return known;
    }
    const out = new ArrayBuffer(n + 2);
    const o = changetype<usize>(out);
    store<u8>(o, 0x22);
    memory.fill(o + 1, STAR, <usize>n);
    store<u8>(o + <usize>(n + 1), 0x22);
    if (n < QUOTED_STARS) unchecked((this.stars[n] = out));
    return out;
  }

  /** One '*' per code point: the length a person sees is kept, nothing of the content. */
  maskValue(ptr: usize, len: i32): ArrayBuffer {
    const n = len > 0 ? codePoints(ptr, len) : 0;
    const out = new ArrayBuffer(n);
    memory.fill(changetype<usize>(out), STAR, <usize>n);
    return out;
  }

  /**
   * The allow-list mode's mask of a value not kept (redact.keep): the shape
   * stays (length, digit positions, letter case, punctuation, a card's Luhn
   * validity) so the shadow can parse and validate it; nothing of the content.
   * `number`: the bytes are a JSON number, and the result is one too. Always
   * the input's byte length, valid UTF-8 (redact/shape.ts).
   */
  maskShape(ptr: usize, len: i32, number: bool): ArrayBuffer {
    const n = len > 0 ? len : 0;
    const out = new ArrayBuffer(n);
    if (n > 0) shapeInto(ptr, n, changetype<usize>(out), number);
    return out;
  }

  /** Shape-keeping mask of the finding's bytes; always the finding's byte length (empty for an empty or inverted one). */
  maskFinding(ptr: usize, f: Finding): ArrayBuffer {
    const n = f.start >= 0 && f.end > f.start ? f.end - f.start : 0;
    const kind = f.encoded & ENCODED_KIND;
    if (n > 0 && kind != ENCODED_NO && kind != ENCODED_HASH) return this.maskEncoded(ptr, f, n);
    const out = new ArrayBuffer(n);
    if (n == 0) return out;
    const o = changetype<usize>(out);
    memory.copy(o, ptr + <usize>f.start, <usize>n);
    const d = f.detector;
    if (d == DETECTOR_CARD) maskCard(o, n);
    else if (d == DETECTOR_EMAIL) maskEmail(o, n);
    else if (d == DETECTOR_SSN) maskDigits(o, n, 4, STAR, false);
    else if (d == DETECTOR_JWT) maskJwt(o, n);
    else if (d == DETECTOR_IBAN) maskIban(o, n);
    else if (d == DETECTOR_PHONE) maskDigits(o, n, 2, 0x30, true);
    else memory.fill(o, STAR, <usize>n);
    return out;
  }

  /**
   * The mask of a finding of the percent-decoded view (redact/percent.ts): made
   * over its decoded bytes (a widened one: every letter and digit), written back
   * in the raw spelling, n bytes long as every mask is.
   */
  private maskEncoded(ptr: usize, f: Finding, n: i32): ArrayBuffer {
    const raw = ptr + <usize>f.start;
    const decoded = decodedView(raw, n, (f.encoded & ENCODED_PLUS) != 0);
    const d = changetype<usize>(decoded);
    const dl = decoded.byteLength;
    let masked: ArrayBuffer;
    if ((f.encoded & ENCODED_KIND) == ENCODED_WIDE) {
      masked = new ArrayBuffer(dl);
      const m = changetype<usize>(masked);
      for (let i = 0; i < dl; i++) {
        const c = load<u8>(d + <usize>i);
        store<u8>(m + <usize>i, isDigit(c) || <u32>((c | 0x20) - 0x61) < 26 || c >= 0x80 ? STAR : c);
      }
    } else masked = this.maskFinding(d, new Finding(0, dl, f.detector, f.inner));
    return reencodeSameLength(raw, n, decoded, masked);
  }

  /** The hash token of a finding's value: of its decoded bytes when it was found in the percent-decoded view. */
  hashFinding(ptr: usize, f: Finding): ArrayBuffer {
    const n = f.end - f.start;
    const kind = f.encoded & ENCODED_KIND;
    if (kind == ENCODED_NO || n <= 0) return this.foldedToken(ptr + <usize>f.start, n);
    const decoded = kind == ENCODED_HASH ? unescaped(ptr + <usize>f.start, n) : decodedView(ptr + <usize>f.start, n, (f.encoded & ENCODED_PLUS) != 0);
    // Found in the view of the view: hashed as its bytes decoded twice.
    if (kind != ENCODED_HASH && f.inner != ENCODED_NO) return this.hashFinding(changetype<usize>(decoded), new Finding(0, decoded.byteLength, f.detector, f.inner));
    return this.foldedToken(changetype<usize>(decoded), decoded.byteLength);
  }

  /** hashToken of a finding's bytes with its compatibility forms folded (compat.ts foldCompat): "５３６-２２-８１４７" gives the token of "536-22-8147". */
  private foldedToken(ptr: usize, len: i32): ArrayBuffer {
    const folded = foldCompat(ptr, len);
    return folded == null ? this.hashToken(ptr, len) : this.hashToken(changetype<usize>(folded), folded.byteLength);
  }

  /**
   * One edit per finding in [ptr, ptr+len), offsets shifted by baseOffset;
   * counts[bit position] is incremented per finding. Returns the detectors hit.
   * `percent`: the range's percent-decoded view is read too (redact/percent.ts).
   */
  scanEdits(ptr: usize, len: i32, enabled: i32, hash: bool, baseOffset: i32, out: Edit[], counts: StaticArray<u32>, percent: bool = false): i32 {
    // The detectors that could find anything here (redact/prefilter.ts, as for JSON strings): mostly none.
    enabled = detectorsIn(ptr, len, enabled);
    if (enabled == 0) return 0;
    const findings = this.findings;
    findings.length = 0;
    scanText(ptr, len, enabled, findings);
    if (percent && mayBeEncoded(ptr, len)) {
      this.viewEdits(ptr, len, enabled, findings, false);
      if (plusView(ptr, len)) this.viewEdits(ptr, len, enabled, findings, true);
    }
    return this.editsOf(ptr, findings, hash, baseOffset, out, counts);
  }

  /** The findings of one decoded view of [ptr, ptr+len) join `findings` (redact/percent.ts). */
  private viewEdits(ptr: usize, len: i32, enabled: i32, findings: Finding[], plusKept: bool): void {
    const view = decodedView(ptr, len, plusKept);
    const more = this.viewFindings;
    more.length = 0;
    const v = changetype<usize>(view);
    const vn = view.byteLength;
    scanText(v, vn, enabled, more);
    if (!plusKept && nestedWorth(v, vn)) {
      // A URL kept encoded in the view's query: the view's own views too (redact/detect-run.ts does the same).
      this.nestedEdits(v, vn, enabled, more, false);
      if (plusView(v, vn)) this.nestedEdits(v, vn, enabled, more, true);
      nestInner(more);
    }
    mergeDecoded(ptr, len, findings, more, plusKept);
  }

  /** The findings of one view of the view [v, v+vn) join the view's (viewEdits). */
  private nestedEdits(v: usize, vn: i32, enabled: i32, more: Finding[], plusKept: bool): void {
    const nested = decodedView(v, vn, plusKept);
    const inner = this.nestedFindings;
    inner.length = 0;
    scanText(changetype<usize>(nested), nested.byteLength, enabled, inner);
    mergeDecoded(v, vn, more, inner, plusKept);
  }

  /** The edits of findings made over [ptr, ..) (see scanEdits). */
  editsOf(ptr: usize, findings: Finding[], hash: bool, baseOffset: i32, out: Edit[], counts: StaticArray<u32>): i32 {
    let hits = 0;
    for (let i = 0; i < findings.length; i++) hits |= this.editOf(ptr, unchecked(findings[i]), hash, baseOffset, out, counts);
    return hits;
  }

  /** The edit of one finding (see editsOf); returns its detector. */
  editOf(ptr: usize, f: Finding, hash: bool, baseOffset: i32, out: Edit[], counts: StaticArray<u32>): i32 {
    const replacement = hash ? this.hashFinding(ptr, f) : this.maskFinding(ptr, f);
    out.push(edit(f.start + baseOffset, f.end + baseOffset, replacement));
    const bit = ctz<i32>(f.detector);
    if (bit < counts.length) unchecked((counts[bit] += 1));
    return f.detector;
  }
}
