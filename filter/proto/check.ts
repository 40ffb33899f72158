// The protobuf wire format read field by field, without a schema: where a field's
// tag, value and end are (readField), and whether a range parses completely as
// a message (MessageCheck: every tag valid, field number >= 1, every length
// inside, every group closed), the way `protoc --decode_raw` decides whether a
// length-delimited field is a nested message. The check is flat (a nested
// length-delimited payload is only bounds-checked, not parsed) and resumable in
// slices (redact/work.ts), so checking a level costs its bytes once.
import { readTag, readValue, WireRecord } from "./record";
import { ProtoField, TYPE_GROUP, TYPE_MESSAGE, TYPE_STRING, TYPE_BYTES, TYPE_DOUBLE, TYPE_FLOAT, TYPE_FIXED32, TYPE_FIXED64, TYPE_SFIXED32, TYPE_SFIXED64, WIRE_VARINT, WIRE_I64, WIRE_LEN, WIRE_SGROUP, WIRE_EGROUP, WIRE_I32 } from "./schema";
import { WORK } from "../redact/work";
import { Finding } from "../redact/detectors";

/** Nesting bound for messages and groups: deeper is not walked (the message is invalid_protobuf). */
export const MAX_PROTO_DEPTH: i32 = 64;

/** One field as readField found it. */
export class FieldAt {
  number: i32 = 0;
  wire: u8 = 0;
  /** WIRE_LEN: where the length varint begins. */
  prefix: i32 = 0;
  /** The value's bytes [start, end): a varint's or fixed value's bytes, a LEN payload; SGROUP/EGROUP: start = end = after the tag. */
  start: i32 = 0;
  end: i32 = 0;
  /** WIRE_VARINT: the value. */
  value: u64 = 0;
}

const RECORD = new WireRecord();

/**
 * Reads the field at p + at (the message ends at p + end) into out; false when
 * it is not a field: a truncated or overlong tag, field number 0 or past
 * 2^29-1, wire type 6 or 7, a value past the end (the wire rules of
 * proto/record.ts; a group's tags are read one by one here, not skipped).
 */
export function readField(p: usize, at: i32, end: i32, out: FieldAt): bool {
  const r = RECORD;
  if (!readTag(p, at, end, r)) return false;
  const wire = r.wire;
  out.number = r.number;
  out.wire = wire;
  out.prefix = r.next;
  out.start = r.next;
  out.value = 0;
  if (wire == WIRE_SGROUP || wire == WIRE_EGROUP) {
    out.end = r.next;
    return true;
  }
  if (!readValue(p, end, r)) return false;
  if (wire == WIRE_LEN) {
    out.start = r.start;
    out.end = r.end;
  } else {
    out.end = r.next;
    if (wire == WIRE_VARINT) out.value = r.value;
  }
  return true;
}

/** Whether a range parses completely as a message (see the top); resumable. */
export class MessageCheck {
  /** After advance() returned true: the range is a message. */
  ok: bool = false;
  private p: usize = 0;
  private pos: i32 = 0;
  private end: i32 = 0;
  private groups: StaticArray<i32> = new StaticArray<i32>(MAX_PROTO_DEPTH);
  private open: i32 = 0;
  private field: FieldAt = new FieldAt();

  begin(p: usize, start: i32, end: i32): void {
    this.p = p;
    this.pos = start;
    this.end = end;
    this.open = 0;
    this.ok = false;
  }

  /** Checks on while the slice has work left; true when the answer is in `ok`. */
  advance(): bool {
    const p = this.p;
    const end = this.end;
    const f = this.field;
    let pos = this.pos;
    while (pos < end) {
      if (WORK.spent) {
        this.pos = pos;
        return false;
      }
      if (!readField(p, pos, end, f)) return this.answer(false);
      if (f.wire == WIRE_SGROUP) {
        if (this.open == MAX_PROTO_DEPTH) return this.answer(false);
        unchecked((this.groups[this.open++] = f.number));
      } else if (f.wire == WIRE_EGROUP) {
        if (this.open == 0 || unchecked(this.groups[this.open - 1]) != f.number) return this.answer(false);
        this.open--;
      }
      // A nested payload is skipped, not read: it counts as its header.
      WORK.spend((f.wire == WIRE_LEN ? f.start : f.end) - pos);
      pos = f.end;
    }
    this.pos = pos;
    return this.answer(this.open == 0);
  }

  private answer(ok: bool): bool {
    this.ok = ok;
    return true;
  }
}

/** Bytes of a hit that may lie outside a message's length-delimited fields and still be the glue of a hit inside one (a tag or length byte that is a letter or digit). */
const GLUE: i32 = 4;

/**
 * Where the detector hits of a payload that parses as a message lie, read as
 * text: plausible when each lies in its length-delimited fields (the walk
 * scans each of them on its own and finds it there) but for a few bytes of
 * glue at its ends; a hit with more of its bytes in the tags, lengths or
 * numbers means a text that happens to parse (a secret that would otherwise
 * hide in "numbers"). Resumable.
 */
export class HitPlace {
  plausible: bool = false;
  private p: usize = 0;
  private s: i32 = 0;
  private e: i32 = 0;
  private pos: i32 = 0;
  private next: i32 = 0;
  /** The bytes of findings[next] inside payloads so far. */
  private inside: i32 = 0;
  private f: FieldAt = new FieldAt();

  begin(p: usize, s: i32, e: i32): void {
    this.p = p;
    this.s = this.pos = s;
    this.e = e;
    this.next = 0;
    this.inside = 0;
  }

  /** Places the findings (sorted, offsets from the payload's start) on while the slice has work left; true when `plausible` holds the answer. */
  advance(findings: Finding[]): bool {
    const s = this.s;
    const e = this.e;
    const n = findings.length;
    const f = this.f;
    let pos = this.pos;
    let i = this.next;
    let inside = this.inside;
    while (i < n) {
      if (WORK.spent) {
        this.pos = pos;
        this.next = i;
        this.inside = inside;
        return false;
      }
      if (pos >= e || !readField(this.p, pos, e, f)) return this.answer(false);
      WORK.spend((f.wire == WIRE_LEN ? f.start : f.end) - pos);
      const len = f.wire == WIRE_LEN;
      while (i < n) {
        const fs = s + unchecked(findings[i]).start;
        const fe = s + unchecked(findings[i]).end;
        if (fs >= f.end) break;
        if (len) {
          const lo = fs > f.start ? fs : f.start;
          const hi = fe < f.end ? fe : f.end;
          if (hi > lo) inside += hi - lo;
        }
        if (fe > f.end) break; // it goes on in the next field
        if (fe - fs - inside > GLUE) return this.answer(false);
        i++;
        inside = 0;
      }
      pos = f.end;
    }
    return this.answer(true);
  }

  private answer(plausible: bool): bool {
    this.plausible = plausible;
    return true;
  }
}

/** A map entry's key in [at, end): the last field 1 of the key's type (as parsers keep the last) into key; false when there is none. */
export function findKey(p: usize, at: i32, end: i32, kf: ProtoField, key: FieldAt, f: FieldAt): bool {
  let found = false;
  while (at < end && readField(p, at, end, f)) {
    WORK.spend(f.start - at);
    if (f.number == 1 && f.wire != WIRE_SGROUP && wireFits(kf, f.wire)) {
      key.wire = f.wire;
      key.start = f.start;
      key.end = f.end;
      key.value = f.value;
      found = true;
    }
    at = f.end;
  }
  return found;
}

/** A map field: repeated entries of a map-entry message. */
export function isMap(pf: ProtoField): bool {
  const m = pf.message;
  return pf.repeated && pf.type == TYPE_MESSAGE && m != null && m.mapEntry;
}

/** Whether a known field may come with this wire type (a repeated scalar packed too). */
export function wireFits(pf: ProtoField, wire: u8): bool {
  if (pf.type == TYPE_GROUP) return wire == WIRE_SGROUP;
  const w = scalarWire(pf.type);
  if (w == 255) return wire == WIRE_LEN;
  return wire == w || (pf.repeated && wire == WIRE_LEN);
}

/** The wire type a scalar of `type` is written with (packed aside); 255 for strings, bytes, messages and groups. */
export function scalarWire(type: u8): u8 {
  if (type == TYPE_FIXED64 || type == TYPE_SFIXED64 || type == TYPE_DOUBLE) return WIRE_I64;
  if (type == TYPE_FIXED32 || type == TYPE_SFIXED32 || type == TYPE_FLOAT) return WIRE_I32;
  if (type == TYPE_STRING || type == TYPE_GROUP || type == TYPE_MESSAGE || type == TYPE_BYTES) return 255;
  return WIRE_VARINT;
}
