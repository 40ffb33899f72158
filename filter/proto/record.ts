// One record of the protobuf wire format (a tag, then its value) read at a time,
// strictly: a truncated varint or length, a field number 0 or over 2^29-1, a
// wire type 6 or 7, an end-group without its start or a group left open is an
// error, never a guess. Groups are skipped without recursion (a bounded stack of
// field numbers), so hostile nesting cannot overflow anything.
import { readVarint, Varint } from "./wire";
import { WIRE_VARINT, WIRE_I64, WIRE_LEN, WIRE_SGROUP, WIRE_EGROUP, WIRE_I32 } from "./schema";

/** Deepest group nesting a record may hold (groups inside groups). */
export const MAX_GROUP_DEPTH: i32 = 64;
/** Largest field number the wire format allows (2^29 - 1). */
export const MAX_FIELD_NUMBER: u64 = 536870911;

export class WireRecord {
  number: i32 = 0;
  wire: u8 = 0;
  /** WIRE_VARINT, WIRE_I64, WIRE_I32: the value (I32 zero-extended). */
  value: u64 = 0;
  /** WIRE_LEN: the payload; WIRE_SGROUP: the group's contents (before its end tag). */
  start: i32 = 0;
  end: i32 = 0;
  /** Where the next record begins. */
  next: i32 = 0;
  /** Why the last read failed ("truncated varint at 12"), offsets from the buffer's start. */
  error: string = "";
}

const V = new Varint();
const STACK = new StaticArray<i32>(MAX_GROUP_DEPTH);
const INNER = new WireRecord();

function fail(r: WireRecord, what: string, at: i32): bool {
  r.error = what + " at " + at.toString();
  return false;
}

/** Reads one tag at `at`: number and wire type into r, r.next after the tag. */
export function readTag(p: usize, at: i32, end: i32, r: WireRecord): bool {
  if (!readVarint(p, at, end, V)) return fail(r, "truncated tag", at);
  const tag = V.value;
  const number = tag >> 3;
  if (number == 0) return fail(r, "field number 0", at);
  if (number > MAX_FIELD_NUMBER) return fail(r, "field number over 536870911", at);
  const wire = <u8>(tag & 7);
  if (wire > WIRE_I32) return fail(r, "invalid wire type " + wire.toString(), at);
  r.number = <i32>number;
  r.wire = wire;
  r.next = V.next;
  return true;
}

/** The value after a tag already in r (not a group), from r.next on; r.next moves past it. */
export function readValue(p: usize, end: i32, r: WireRecord): bool {
  const at = r.next;
  const w = r.wire;
  if (w == WIRE_VARINT) {
    if (!readVarint(p, at, end, V)) return fail(r, "truncated varint", at);
    r.value = V.value;
    r.next = V.next;
  } else if (w == WIRE_I64) {
    if (end - at < 8) return fail(r, "truncated 64-bit value", at);
    r.value = load<u64>(p + <usize>at);
    r.next = at + 8;
  } else if (w == WIRE_I32) {
    if (end - at < 4) return fail(r, "truncated 32-bit value", at);
    r.value = <u64>load<u32>(p + <usize>at);
    r.next = at + 4;
  } else if (w == WIRE_LEN) {
    if (!readVarint(p, at, end, V)) return fail(r, "truncated length", at);
    if (V.value > <u64>(end - V.next)) return fail(r, "length " + V.value.toString() + " past the end", at);
    r.start = V.next;
    r.end = V.next + <i32>V.value;
    r.next = r.end;
  }
  return true;
}

/** Reads the record at p + at (the buffer ends at p + end, at < end) into r; false with r.error when it is malformed. */
export function readRecord(p: usize, at: i32, end: i32, r: WireRecord): bool {
  if (!readTag(p, at, end, r)) return false;
  if (r.wire == WIRE_EGROUP) return fail(r, "end of group " + r.number.toString() + " without its start", at);
  if (r.wire != WIRE_SGROUP) return readValue(p, end, r);
  // A group: its contents run to the end tag of the same number; inner groups nest.
  const number = r.number;
  const start = r.next;
  let depth = 1;
  unchecked((STACK[0] = number));
  const inner = INNER;
  let i = start;
  while (true) {
    if (i >= end) return fail(r, "group " + number.toString() + " not closed", at);
    const tagAt = i;
    if (!readTag(p, i, end, inner)) {
      r.error = inner.error;
      return false;
    }
    if (inner.wire == WIRE_EGROUP) {
      if (inner.number != unchecked(STACK[depth - 1])) return fail(r, "end of group " + inner.number.toString() + " inside group " + unchecked(STACK[depth - 1]).toString(), tagAt);
      depth--;
      if (depth == 0) {
        r.number = number;
        r.wire = WIRE_SGROUP;
        r.start = start;
        r.end = tagAt;
        r.next = inner.next;
        return true;
      }
      i = inner.next;
      continue;
    }
    if (inner.wire == WIRE_SGROUP) {
      if (depth >= MAX_GROUP_DEPTH) return fail(r, "groups nested deeper than " + MAX_GROUP_DEPTH.toString(), tagAt);
      unchecked((STACK[depth] = inner.number));
      depth++;
      i = inner.next;
      continue;
    }
    if (!readValue(p, end, inner)) {
      r.error = inner.error;
      return false;
    }
    i = inner.next;
  }
}
