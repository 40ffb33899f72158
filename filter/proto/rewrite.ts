// The replacement bytes of a protobuf redaction, and the length prefixes it
// re-encodes: a field whose payload changed length (a hash token, a dropped
// field, a masked varint inside) gets its length varint rewritten, and so does
// every enclosing message up to the top, each by the change inside it. A varint
// that no change reaches keeps its bytes, non-minimal or not.
import { Edit } from "../redact/edits";
import { varintSize, writeVarint } from "./wire";
import {
  TYPE_INT32, TYPE_INT64, TYPE_UINT32, TYPE_SINT32, TYPE_SINT64, TYPE_BOOL,
  TYPE_SFIXED32, TYPE_SFIXED64, TYPE_STRING, WIRE_VARINT, WIRE_I32, WIRE_I64,
} from "./schema";
import { FieldAt } from "./check";

/** A masked varint: 0 in one byte. */
export const ZERO_VARINT: ArrayBuffer = new ArrayBuffer(1);
const NOTHING: ArrayBuffer = new ArrayBuffer(0);

export function nothing(): ArrayBuffer {
  return NOTHING;
}

/** n zero bytes: masked bytes and fixed-width numbers (0, +0.0). */
export function zeros(n: i32): ArrayBuffer {
  return new ArrayBuffer(n);
}

/** n '*': a masked string, its length in bytes kept. */
export function stars(n: i32): ArrayBuffer {
  const out = new ArrayBuffer(n);
  memory.fill(changetype<usize>(out), 0x2a, <usize>n);
  return out;
}

/** The varint of v. */
export function varintBytes(v: u64): ArrayBuffer {
  const out = new ArrayBuffer(varintSize(v));
  writeVarint(changetype<usize>(out), v);
  return out;
}

/** A length-delimited value: its length varint, then the payload. */
export function prefixed(payload: ArrayBuffer): ArrayBuffer {
  const n = payload.byteLength;
  const out = new ArrayBuffer(varintSize(<u64>n) + n);
  const o = changetype<usize>(out);
  const k = writeVarint(o, <u64>n);
  memory.copy(o + <usize>k, changetype<usize>(payload), <usize>n);
  return out;
}

/** Whether [p+s, p+e) is all zero bytes. */
export function allZero(p: usize, s: i32, e: i32): bool {
  for (let i = s; i < e; i++) if (load<u8>(p + <usize>i) != 0) return false;
  return true;
}

/** The zero of a scalar at f (its wire type): the replacement, or null when it is 0 already. */
export function zeroOf(p: usize, f: FieldAt): ArrayBuffer | null {
  if (f.wire == WIRE_VARINT) return f.end - f.start == 1 && load<u8>(p + <usize>f.start) == 0 ? null : ZERO_VARINT;
  if (f.wire == WIRE_I32 || f.wire == WIRE_I64) return allZero(p, f.start, f.end) ? null : zeros(f.end - f.start);
  return null;
}

/** How much edits[from..] change the length. */
export function changeSince(edits: Edit[], from: i32): i32 {
  let d = 0;
  for (let i = from; i < edits.length; i++) {
    const e = unchecked(edits[i]);
    d += e.replacement.byteLength - (e.end - e.start);
  }
  return d;
}

/**
 * The payload [.., ..) of `oldLen` bytes, whose length varint is
 * [prefixStart, prefixEnd), has the edits from `from` on: when they change its
 * length, the varint is rewritten (an edit inserted before them, keeping the
 * edits sorted). Returns how many edits moved (the cost, for the work budget).
 */
export function reencode(edits: Edit[], from: i32, prefixStart: i32, prefixEnd: i32, oldLen: i32): i32 {
  const delta = changeSince(edits, from);
  if (delta == 0) return edits.length - from;
  const e = new Edit(prefixStart, prefixEnd, varintBytes(<u64>(oldLen + delta)));
  const n = edits.length;
  edits.push(e);
  for (let i = n; i > from; i--) unchecked((edits[i] = unchecked(edits[i - 1])));
  unchecked((edits[from] = e));
  return 2 * (n - from);
}

/** A map key as the JSON mapping writes it (strings as they are, numbers in decimal, bools as words): the name paths match. */
export function keyName(p: usize, f: FieldAt, type: u8): ArrayBuffer {
  if (type == TYPE_STRING) {
    const n = f.end - f.start;
    const out = new ArrayBuffer(n);
    memory.copy(changetype<usize>(out), p + <usize>f.start, <usize>n);
    return out;
  }
  let s = "";
  const v = f.value;
  if (f.wire == WIRE_VARINT) {
    if (type == TYPE_BOOL) s = v != 0 ? "true" : "false";
    else if (type == TYPE_INT32) s = (<i32>v).toString();
    else if (type == TYPE_UINT32) s = (<u32>v).toString();
    else if (type == TYPE_SINT32) s = (<i32>((<u32>v >>> 1) ^ -(<u32>v & 1))).toString();
    else if (type == TYPE_SINT64) s = (<i64>((v >>> 1) ^ -(v & 1))).toString();
    else if (type == TYPE_INT64) s = (<i64>v).toString();
    else s = v.toString();
  } else if (f.wire == WIRE_I32) {
    const x = load<u32>(p + <usize>f.start);
    s = type == TYPE_SFIXED32 ? (<i32>x).toString() : x.toString();
  } else if (f.wire == WIRE_I64) {
    const x = load<u64>(p + <usize>f.start);
    s = type == TYPE_SFIXED64 ? (<i64>x).toString() : x.toString();
  }
  return String.UTF8.encode(s);
}
