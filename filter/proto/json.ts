// A protobuf message as JSON text by its type, for the comparison of gRPC answers
// and for preview: field names as written in the .proto, fields in field-number
// order (whatever the wire order), unknown fields under their number. Values:
// integers as JSON numbers in full (int64 too: the text, not a double), sint
// zigzag-decoded, double and float as numbers (float widened exactly), NaN and
// the infinities as the strings "NaN", "Infinity", "-Infinity", bool, enum as its
// number, string escaped, bytes as base64, repeated as arrays (packed and
// unpacked, even mixed), maps as objects keyed by the key's text (last entry of
// a key wins), messages recursively. A singular field given several times: the
// last scalar wins, messages merge (protobuf reads them so). Unknown fields:
// varint and fixed as unsigned numbers, length-delimited and groups as base64,
// an array when the number comes more than once. Returns null when the bytes do
// not parse as the type: a malformed record, a wire type the field's type cannot
// have, a string that is not UTF-8, nesting deeper than MAX_JSON_DEPTH.
import {
  ProtoMessage, ProtoField,
  TYPE_DOUBLE, TYPE_FLOAT, TYPE_INT64, TYPE_UINT64, TYPE_INT32, TYPE_FIXED64, TYPE_FIXED32, TYPE_BOOL,
  TYPE_STRING, TYPE_GROUP, TYPE_MESSAGE, TYPE_BYTES, TYPE_UINT32, TYPE_ENUM, TYPE_SFIXED32, TYPE_SFIXED64,
  TYPE_SINT32, TYPE_SINT64,
  WIRE_VARINT, WIRE_I64, WIRE_LEN, WIRE_SGROUP, WIRE_I32,
} from "./schema";
import { readRecord, WireRecord } from "./record";
import { readVarint, Varint } from "./wire";
import { utf8Seq } from "../json/lexer";

/** Messages nested in messages, at most; deeper, the whole message is null. */
export const MAX_JSON_DEPTH: i32 = 64;

/** The JSON text being written, as UTF-8 bytes; grown on demand, kept between calls. */
class Out {
  buf: ArrayBuffer = new ArrayBuffer(1024);
  n: i32 = 0;

  room(k: i32): usize {
    const cap = this.buf.byteLength;
    if (this.n + k > cap) {
      let size = cap << 1;
      while (this.n + k > size) size <<= 1;
      const grown = new ArrayBuffer(size);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.n);
      this.buf = grown;
    }
    return changetype<usize>(this.buf) + <usize>this.n;
  }

  byte(c: i32): void {
    store<u8>(this.room(1), <u8>c);
    this.n++;
  }

  bytes(p: usize, len: i32): void {
    memory.copy(this.room(len), p, <usize>len);
    this.n += len;
  }

  ascii(s: string): void {
    const q = this.room(s.length);
    for (let i = 0; i < s.length; i++) store<u8>(q + <usize>i, <u8>s.charCodeAt(i));
    this.n += s.length;
  }

  u64(v: u64): void {
    const q = this.room(20);
    let k = 0;
    while (v > <u64>u32.MAX_VALUE) {
      store<u8>(q + <usize>k, <u8>(0x30 + v % 10));
      v /= 10;
      k++;
    }
    // The rest in 32 bits (cheaper divisions): most values never need 64.
    let w = <u32>v;
    do {
      store<u8>(q + <usize>k, <u8>(0x30 + w % 10));
      w /= 10;
      k++;
    } while (w > 0);
    for (let a = 0, b = k - 1; a < b; a++, b--) {
      const t = load<u8>(q + <usize>a);
      store<u8>(q + <usize>a, load<u8>(q + <usize>b));
      store<u8>(q + <usize>b, t);
    }
    this.n += k;
  }

  i64(v: i64): void {
    if (v < 0) {
      this.byte(0x2d);
      this.u64(<u64>0 - <u64>v);
    } else this.u64(<u64>v);
  }
}

const OUT = new Out();
const V = new Varint();
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The message [p, p+len) of `type` as a JSON object, or null when it does not parse. */
export function messageToJson(p: usize, len: i32, type: ProtoMessage): string | null {
  if (len < 0) return null;
  OUT.n = 0;
  TOP = 0;
  if (!writeMessage(p, 0, len, type, 1)) return null;
  return String.UTF8.decodeUnsafe(changetype<usize>(OUT.buf), <usize>OUT.n);
}

function isVarintType(t: u8): bool {
  return t == TYPE_INT32 || t == TYPE_INT64 || t == TYPE_UINT32 || t == TYPE_UINT64 || t == TYPE_SINT32 || t == TYPE_SINT64 || t == TYPE_BOOL || t == TYPE_ENUM;
}

function isFixed64Type(t: u8): bool {
  return t == TYPE_FIXED64 || t == TYPE_SFIXED64 || t == TYPE_DOUBLE;
}

/** The wire type a field of type t has, unpacked. */
function wireOf(t: u8): u8 {
  if (isVarintType(t)) return WIRE_VARINT;
  if (isFixed64Type(t)) return WIRE_I64;
  if (t == TYPE_FIXED32 || t == TYPE_SFIXED32 || t == TYPE_FLOAT) return WIRE_I32;
  return t == TYPE_GROUP ? WIRE_SGROUP : WIRE_LEN;
}

/** Whether a record of wire type w can be the field's: its own, or packed for a repeated number or bool. */
function fits(f: ProtoField, w: u8): bool {
  const own = wireOf(f.type);
  return w == own || (f.repeated && w == WIRE_LEN && own != WIRE_LEN && own != WIRE_SGROUP);
}

// The records of every message being written, by (field number, offset): one
// segment per level of nesting, on a stack kept between calls (no allocation per
// message); and one WireRecord per level.
let KEYS = new StaticArray<u64>(256);
let TOP = 0;
const RECORDS = new StaticArray<WireRecord>(MAX_JSON_DEPTH + 3);
for (let i = 0; i < RECORDS.length; i++) RECORDS[i] = new WireRecord();

function pushKey(key: u64): void {
  if (TOP == KEYS.length) {
    const grown = new StaticArray<u64>(TOP << 1);
    memory.copy(changetype<usize>(grown), changetype<usize>(KEYS), <usize>TOP << 3);
    KEYS = grown;
  }
  unchecked((KEYS[TOP++] = key));
}

/** Sorts KEYS[a, b) (out of order only when the wire order is not the field order). */
function sortKeys(a: i32, b: i32): void {
  const tmp = new Array<u64>(b - a);
  for (let i = a; i < b; i++) unchecked((tmp[i - a] = KEYS[i]));
  tmp.sort();
  for (let i = a; i < b; i++) unchecked((KEYS[i] = tmp[i - a]));
}

function writeMessage(p: usize, start: i32, end: i32, type: ProtoMessage, depth: i32): bool {
  if (depth > MAX_JSON_DEPTH) return false;
  const r = unchecked(RECORDS[depth]);
  const base = TOP;
  let sorted = true;
  let last: u64 = 0;
  let at = start;
  while (at < end) {
    if (!readRecord(p, at, end, r)) return false;
    const f = type.field(r.number);
    if (f != null && !fits(f, r.wire)) return false;
    const key = (<u64>r.number << 32) | <u64>at;
    if (key < last) sorted = false;
    last = key;
    pushKey(key);
    at = r.next;
  }
  const top = TOP;
  if (!sorted) sortKeys(base, top);
  OUT.byte(0x7b);
  let i = base;
  while (i < top) {
    const number = <i32>(unchecked(KEYS[i]) >> 32);
    let j = i + 1;
    while (j < top && <i32>(unchecked(KEYS[j]) >> 32) == number) j++;
    if (i > base) OUT.byte(0x2c);
    const f = type.field(number);
    if (f == null) writeUnknown(p, end, i, j, number, r);
    else {
      OUT.byte(0x22);
      OUT.bytes(changetype<usize>(f.name), f.name.byteLength);
      OUT.byte(0x22);
      OUT.byte(0x3a);
      if (!writeField(p, end, i, j, f, r, depth)) return false;
    }
    i = j;
  }
  TOP = base;
  OUT.byte(0x7d);
  return true;
}

/** The offset of the record KEYS[k] stands for. */
// @ts-ignore: decorator
@inline
function offsetAt(k: i32): i32 {
  return <i32>(unchecked(KEYS[k]) & 0xffffffff);
}


function writeField(p: usize, end: i32, i: i32, j: i32, f: ProtoField, r: WireRecord, depth: i32): bool {
  const sub = f.message;
  if (f.repeated && sub != null && sub.mapEntry) return writeMap(p, end, i, j, sub, r, depth);
  if (f.repeated) {
    OUT.byte(0x5b);
    let first = true;
    for (let k = i; k < j; k++) {
      readRecord(p, offsetAt(k), end, r);
      if (r.wire == WIRE_LEN && wireOf(f.type) != WIRE_LEN) {
        if (!writePacked(p, r.start, r.end, f.type, first)) return false;
        if (r.end > r.start) first = false;
        continue;
      }
      if (!first) OUT.byte(0x2c);
      first = false;
      if (!writeValue(p, r, f, depth)) return false;
    }
    OUT.byte(0x5d);
    return true;
  }
  readRecord(p, offsetAt(j - 1), end, r);
  if (sub == null || j - i == 1) return writeValue(p, r, f, depth);
  // A message given several times is their merge: the message of their bytes one after the other.
  let size = 0;
  for (let k = i; k < j; k++) {
    readRecord(p, offsetAt(k), end, r);
    size += r.end - r.start;
  }
  const merged = new ArrayBuffer(size);
  const q = changetype<usize>(merged);
  let n = 0;
  for (let k = i; k < j; k++) {
    readRecord(p, offsetAt(k), end, r);
    memory.copy(q + <usize>n, p + <usize>r.start, <usize>(r.end - r.start));
    n += r.end - r.start;
  }
  return writeMessage(q, 0, size, sub, depth + 1);
}

/** One value of the field from its record (not packed). */
function writeValue(p: usize, r: WireRecord, f: ProtoField, depth: i32): bool {
  const t = f.type;
  if (t == TYPE_STRING) return writeString(p, r.start, r.end);
  if (t == TYPE_BYTES) {
    writeBase64(p, r.start, r.end);
    return true;
  }
  if (t == TYPE_MESSAGE || t == TYPE_GROUP) {
    const start = r.start;
    const end = r.end;
    return writeMessage(p, start, end, f.message!, depth + 1);
  }
  writeNumber(t, r.value);
  return true;
}

/** The elements of a packed run [s, e) of type t; false when they do not fill it exactly. */
function writePacked(p: usize, s: i32, e: i32, t: u8, first: bool): bool {
  const w = wireOf(t);
  let i = s;
  while (i < e) {
    let v: u64 = 0;
    if (w == WIRE_VARINT) {
      if (!readVarint(p, i, e, V)) return false;
      v = V.value;
      i = V.next;
    } else if (w == WIRE_I64) {
      if (e - i < 8) return false;
      v = load<u64>(p + <usize>i);
      i += 8;
    } else {
      if (e - i < 4) return false;
      v = <u64>load<u32>(p + <usize>i);
      i += 4;
    }
    if (!first) OUT.byte(0x2c);
    first = false;
    writeNumber(t, v);
  }
  return true;
}

function writeFloat(x: f64): void {
  if (isNaN(x)) OUT.ascii("\"NaN\"");
  else if (!isFinite(x)) OUT.ascii(x > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  else if (x == 0) OUT.ascii((reinterpret<u64>(x) >> 63) != 0 ? "-0" : "0");
  else {
    // AssemblyScript writes whole numbers as "100.0": JSON's (and protobuf's) "100".
    const s = x.toString();
    OUT.ascii(s.endsWith(".0") ? s.substring(0, s.length - 2) : s);
  }
}

/** A scalar of type t from its wire value (varint, or fixed zero-extended). */
function writeNumber(t: u8, v: u64): void {
  switch (t) {
    case TYPE_INT32:
    case TYPE_ENUM:
    case TYPE_SFIXED32:
      OUT.i64(<i64><i32>v);
      break;
    case TYPE_UINT32:
    case TYPE_FIXED32:
      OUT.u64(<u64><u32>v);
      break;
    case TYPE_INT64:
    case TYPE_SFIXED64:
      OUT.i64(<i64>v);
      break;
    case TYPE_SINT32: {
      const n = <u32>v;
      OUT.i64(<i64>(<i32>(n >>> 1) ^ -<i32>(n & 1)));
      break;
    }
    case TYPE_SINT64:
      OUT.i64(<i64>(v >>> 1) ^ -<i64>(v & 1));
      break;
    case TYPE_BOOL:
      OUT.ascii(v != 0 ? "true" : "false");
      break;
    case TYPE_DOUBLE:
      writeFloat(reinterpret<f64>(v));
      break;
    case TYPE_FLOAT:
      writeFloat(<f64>reinterpret<f32>(<u32>v));
      break;
    default:
      OUT.u64(v);
  }
}

/** [s, e) as a JSON string; false when it is not UTF-8. */
function writeString(p: usize, s: i32, e: i32): bool {
  OUT.byte(0x22);
  let run = s;
  let i = s;
  while (i < e) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c >= 0x80) {
      const n = utf8Seq(p, e, i);
      if (n == 0) return false;
      i += n;
      continue;
    }
    if (c >= 0x20 && c != 0x22 && c != 0x5c) {
      i++;
      continue;
    }
    OUT.bytes(p + <usize>run, i - run);
    OUT.byte(0x5c);
    if (c == 0x22 || c == 0x5c) OUT.byte(c);
    else if (c == 0x0a) OUT.byte(0x6e);
    else if (c == 0x0d) OUT.byte(0x72);
    else if (c == 0x09) OUT.byte(0x74);
    else if (c == 0x08) OUT.byte(0x62);
    else if (c == 0x0c) OUT.byte(0x66);
    else {
      OUT.ascii("u00");
      OUT.byte(hexChar(c >> 4));
      OUT.byte(hexChar(c & 15));
    }
    i++;
    run = i;
  }
  OUT.bytes(p + <usize>run, i - run);
  OUT.byte(0x22);
  return true;
}

function hexChar(d: i32): i32 {
  return d < 10 ? 0x30 + d : 0x57 + d;
}

/** [s, e) as a base64 JSON string (standard alphabet, padded). */
function writeBase64(p: usize, s: i32, e: i32): void {
  OUT.byte(0x22);
  let i = s;
  while (e - i >= 3) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (<u32>load<u8>(p + <usize>i + 1) << 8) | <u32>load<u8>(p + <usize>i + 2);
    OUT.byte(B64.charCodeAt(v >> 18));
    OUT.byte(B64.charCodeAt((v >> 12) & 63));
    OUT.byte(B64.charCodeAt((v >> 6) & 63));
    OUT.byte(B64.charCodeAt(v & 63));
    i += 3;
  }
  const left = e - i;
  if (left > 0) {
    const v = (<u32>load<u8>(p + <usize>i) << 16) | (left == 2 ? <u32>load<u8>(p + <usize>i + 1) << 8 : 0);
    OUT.byte(B64.charCodeAt(v >> 18));
    OUT.byte(B64.charCodeAt((v >> 12) & 63));
    OUT.byte(left == 2 ? B64.charCodeAt((v >> 6) & 63) : 0x3d);
    OUT.byte(0x3d);
  }
  OUT.byte(0x22);
}

/** A field the type does not know, by its number: the raw value, an array when it comes more than once. */
function writeUnknown(p: usize, end: i32, i: i32, j: i32, number: i32, r: WireRecord): void {
  OUT.byte(0x22);
  OUT.u64(<u64>number);
  OUT.byte(0x22);
  OUT.byte(0x3a);
  if (j - i > 1) OUT.byte(0x5b);
  for (let k = i; k < j; k++) {
    if (k > i) OUT.byte(0x2c);
    readRecord(p, offsetAt(k), end, r);
    if (r.wire == WIRE_LEN || r.wire == WIRE_SGROUP) writeBase64(p, r.start, r.end);
    else OUT.u64(r.value);
  }
  if (j - i > 1) OUT.byte(0x5d);
}

/** A map field: entries as an object keyed by the key's text; the last entry of a key wins, in the place of the first. */
function writeMap(p: usize, end: i32, i: i32, j: i32, entry: ProtoMessage, r: WireRecord, depth: i32): bool {
  if (depth + 1 > MAX_JSON_DEPTH) return false;
  const kf = unchecked(entry.fields[0]);
  const vf = unchecked(entry.fields[1]);
  const index = new Map<string, i32>();
  const texts: ArrayBuffer[] = [];
  const values: i32[] = [];
  const ends: i32[] = [];
  const e = unchecked(RECORDS[depth + 1]);
  for (let k = i; k < j; k++) {
    readRecord(p, offsetAt(k), end, r);
    const s = r.start;
    const stop = r.end;
    let keyAt = -1;
    let valueAt = -1;
    let at = s;
    while (at < stop) {
      if (!readRecord(p, at, stop, e)) return false;
      if (e.number == 1 || e.number == 2) {
        if (!fits(e.number == 1 ? kf : vf, e.wire)) return false;
        if (e.number == 1) keyAt = at;
        else valueAt = at;
      }
      at = e.next;
    }
    // The key's text: written out, then taken back off.
    const mark = OUT.n;
    if (keyAt < 0) {
      if (kf.type == TYPE_BOOL) OUT.ascii("false");
      else if (kf.type != TYPE_STRING) OUT.byte(0x30);
    } else {
      readRecord(p, keyAt, stop, e);
      if (kf.type == TYPE_STRING) {
        if (!writeString(p, e.start, e.end)) return false;
      } else writeNumber(kf.type, e.value);
    }
    if (kf.type != TYPE_STRING || keyAt < 0) {
      // Numbers and bools become strings: quote what was written.
      const len = OUT.n - mark;
      const q = OUT.room(2) - <usize>len;
      memory.copy(q + 1, q, <usize>len);
      store<u8>(q, 0x22);
      store<u8>(q + 1 + <usize>len, 0x22);
      OUT.n += 2;
    }
    const text = new ArrayBuffer(OUT.n - mark);
    memory.copy(changetype<usize>(text), changetype<usize>(OUT.buf) + <usize>mark, <usize>(OUT.n - mark));
    OUT.n = mark;
    const name = String.UTF8.decode(text);
    if (index.has(name)) {
      const at2 = index.get(name);
      values[at2] = valueAt;
      ends[at2] = stop;
    } else {
      index.set(name, texts.length);
      texts.push(text);
      values.push(valueAt);
      ends.push(stop);
    }
  }
  OUT.byte(0x7b);
  for (let k = 0; k < texts.length; k++) {
    if (k > 0) OUT.byte(0x2c);
    OUT.bytes(changetype<usize>(texts[k]), texts[k].byteLength);
    OUT.byte(0x3a);
    const at = values[k];
    if (at < 0) {
      writeDefault(vf);
      continue;
    }
    readRecord(p, at, ends[k], e);
    if (e.wire == WIRE_LEN && wireOf(vf.type) != WIRE_LEN) return false;
    if (!writeValue(p, e, vf, depth + 1)) return false;
  }
  OUT.byte(0x7d);
  return true;
}

/** A map value the entry left out: its type's default. */
function writeDefault(f: ProtoField): void {
  const t = f.type;
  if (t == TYPE_STRING || t == TYPE_BYTES) OUT.ascii("\"\"");
  else if (t == TYPE_MESSAGE || t == TYPE_GROUP) OUT.ascii("{}");
  else if (t == TYPE_BOOL) OUT.ascii("false");
  else OUT.byte(0x30);
}
