// The detectors over a protobuf integer, as the JSON scanner reads numbers
// (json/detect.ts number): a card whatever the field, SSNs and phone numbers
// only when the field's name labels them; bare integers of other lengths cost
// a comparison. A hit is masked keeping the number a number of the same digit
// count (a card's Luhn-valid), written back in the field's own encoding.
import { Finding, scanText, DETECTOR_CARD, DETECTOR_SSN, DETECTOR_PHONE } from "../redact/detectors";
import { ValueRewriter } from "../redact/values";
import { FieldAt } from "./check";
import { varintBytes } from "./rewrite";
import {
  TYPE_INT32, TYPE_INT64, TYPE_UINT32, TYPE_UINT64, TYPE_SINT32, TYPE_SINT64, TYPE_FIXED32, TYPE_FIXED64, TYPE_SFIXED32, TYPE_SFIXED64,
  WIRE_VARINT, WIRE_I32, WIRE_I64,
} from "./schema";

const DIGITS: usize = memory.data(24);
const FINDINGS: Finding[] = [];
/** 10^12 and 10^19: a bare integer of 13 to 19 digits can be a card. */
const CARD_MIN: u64 = 1000000000000;
const CARD_MAX: u64 = 10000000000000000000;

/**
 * The replacement of the integer field f's value bytes when a detector hits
 * its decimal digits, else null. `type`: the field's TYPE_*, 0 for an unknown
 * field (a varint read as int64; unknown fixed-width values are not read: they
 * are as often doubles). hits[bit] counts per detector.
 */
export function numberHit(p: usize, f: FieldAt, type: u8, detectors: i32, labels: i32, rewriter: ValueRewriter, hits: StaticArray<u32>): ArrayBuffer | null {
  let enabled = detectors & DETECTOR_CARD;
  if (labels != 0) enabled |= (detectors & (DETECTOR_SSN | DETECTOR_PHONE)) | labels;
  if (enabled == 0) return null;
  let v: u64 = 0;
  let signed = true;
  if (f.wire == WIRE_VARINT) {
    v = f.value;
    if (type == TYPE_SINT32 || type == TYPE_SINT64) v = (v >>> 1) ^ (0 - (v & 1));
    else if (type == TYPE_INT32) v = <u64>(<i64>(<i32>v));
    else if (type == TYPE_UINT32 || type == TYPE_UINT64) signed = false;
    else if (type != TYPE_INT64 && type != 0) return null; // bool, enum
  } else if (f.wire == WIRE_I64 && (type == TYPE_FIXED64 || type == TYPE_SFIXED64)) {
    v = load<u64>(p + <usize>f.start);
    signed = type == TYPE_SFIXED64;
  } else if (f.wire == WIRE_I32 && (type == TYPE_FIXED32 || type == TYPE_SFIXED32)) {
    const x = load<u32>(p + <usize>f.start);
    v = type == TYPE_SFIXED32 ? <u64>(<i64>(<i32>x)) : <u64>x;
    signed = type == TYPE_SFIXED32;
  } else return null;
  const negative = signed && <i64>v < 0;
  const m: u64 = negative ? 0 - v : v;
  if (labels == 0 && (m < CARD_MIN || m >= CARD_MAX)) return null;
  // The digits, most significant first.
  let n = 0;
  let t = m;
  do {
    n++;
    t /= 10;
  } while (t != 0);
  if (n > 19) return null;
  t = m;
  for (let i = n - 1; i >= 0; i--) {
    store<u8>(DIGITS + <usize>i, <u8>(0x30 + <u32>(t % 10)));
    t /= 10;
  }
  const findings = FINDINGS;
  findings.length = 0;
  if (scanText(DIGITS, n, enabled, findings) == 0) return null;
  let card = false;
  for (let i = 0; i < findings.length; i++) {
    const d = unchecked(findings[i]).detector;
    if (d == DETECTOR_CARD) card = true;
    const bit = ctz<i32>(d);
    if (bit < hits.length) unchecked((hits[bit] += 1));
  }
  const masked = card ? rewriter.maskFinding(DIGITS, new Finding(0, n, DETECTOR_CARD)) : rewriter.maskShape(DIGITS, n, true);
  // The masked digits as a number (a rewriter whose output is not n digits: the leading digit and zeros).
  let w: u64 = 0;
  const mp = changetype<usize>(masked);
  const ok = masked.byteLength == n;
  for (let i = 0; i < n; i++) {
    const c = ok ? <u32>load<u8>(mp + <usize>i) - 0x30 : 10;
    const d: u64 = c < 10 ? <u64>c : i == 0 ? <u64>(load<u8>(DIGITS) - 0x30) : 0;
    w = w * 10 + d;
  }
  const out: u64 = negative ? 0 - w : w;
  if (f.wire == WIRE_VARINT) {
    if (type == TYPE_SINT32 || type == TYPE_SINT64) return varintBytes((out << 1) ^ <u64>(<i64>out >> 63));
    return varintBytes(out);
  }
  const size = f.end - f.start;
  const b = new ArrayBuffer(size);
  if (size == 8) store<u64>(changetype<usize>(b), out);
  else store<u32>(changetype<usize>(b), <u32>out);
  return b;
}
