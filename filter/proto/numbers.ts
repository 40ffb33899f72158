// The detectors over a protobuf integer, as the JSON scanner reads numbers
// (json/detect.ts number): a card whatever the field, SSNs and phone numbers
// only when the field's name labels them; bare integers of other lengths cost
// a comparison. A hit is masked keeping the number a number of the same digit
// count (a card's Luhn-valid), written back in the field's own encoding.
import { Finding, DETECTOR_CARD, DETECTOR_SSN, DETECTOR_PHONE } from "../redact/detectors";
import { maskedDigits } from "../redact/digits";
import { ValueRewriter } from "../redact/values";
import { FieldAt } from "./check";
import { varintBytes } from "./rewrite";
import {
  TYPE_DOUBLE, TYPE_INT32, TYPE_INT64, TYPE_UINT32, TYPE_UINT64, TYPE_SINT32, TYPE_SINT64, TYPE_FIXED32, TYPE_FIXED64, TYPE_SFIXED32, TYPE_SFIXED64,
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
 * field (a varint read as int64, a 64-bit value as sfixed64, then as a double;
 * an unknown 32-bit value cannot hold a card). A double is read when it holds
 * a whole number. f.start
 * and f.end bound the value's bytes, f.value holds a varint's value. hits[bit]
 * counts per detector.
 */
export function numberHit(p: usize, f: FieldAt, type: u8, detectors: i32, labels: i32, rewriter: ValueRewriter, hits: StaticArray<u32>): ArrayBuffer | null {
  if (type == 0 && f.wire == WIRE_I64) {
    // An unknown 64-bit value: a card as the integer it may be, else as the double it may be.
    const r = numberHit(p, f, TYPE_SFIXED64, detectors, labels, rewriter, hits);
    return r != null ? r : numberHit(p, f, TYPE_DOUBLE, detectors, labels, rewriter, hits);
  }
  let enabled = detectors & DETECTOR_CARD;
  if (labels != 0) enabled |= (detectors & (DETECTOR_SSN | DETECTOR_PHONE)) | labels;
  if (enabled == 0) return null;
  let v: u64 = 0;
  let signed = true;
  let double = false;
  if (f.wire == WIRE_I64 && type == TYPE_DOUBLE) {
    // A double holding a whole number is read as the integer it is (JSON's 4.111111111111111e15 is a card too).
    const x = load<f64>(p + <usize>f.start);
    const a = Math.abs(x);
    if (!(a < 1e19) || Math.floor(a) != a) return null;
    double = true;
    v = <u64>a;
    if (x < 0) v = 0 - v;
  } else if (f.wire == WIRE_VARINT) {
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
  const digits = maskedDigits(DIGITS, n, enabled, FINDINGS, rewriter, hits);
  if (digits == 0) return null;
  // The masked digits as a number.
  let w: u64 = 0;
  for (let i = 0; i < n; i++) w = w * 10 + <u64>(load<u8>(digits + <usize>i) - 0x30);
  const out: u64 = negative ? 0 - w : w;
  if (f.wire == WIRE_VARINT) {
    if (type == TYPE_SINT32 || type == TYPE_SINT64) return varintBytes((out << 1) ^ <u64>(<i64>out >> 63));
    return varintBytes(out);
  }
  const size = f.end - f.start;
  const b = new ArrayBuffer(size);
  if (double) store<f64>(changetype<usize>(b), negative ? -(<f64>w) : <f64>w);
  else if (size == 8) store<u64>(changetype<usize>(b), out);
  else store<u32>(changetype<usize>(b), <u32>out);
  return b;
}
