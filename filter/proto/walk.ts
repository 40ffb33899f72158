// The walk of one protobuf message as filter/proto/redact.ts does it: the
// explicit stack of frames (one per open message or group, MAX_PROTO_DEPTH
// deep at most, so no input can exhaust the wasm stack), the edits made so far
// and their counts, the occurrence counters that give a repeated field's
// elements their index, and the re-encoding of a frame's length prefix when
// it closes. The redactor (ProtoRedactor) decides what each field becomes.
import { ProtoMessage, ProtoField } from "./schema";
import { FieldAt, MAX_PROTO_DEPTH } from "./check";
import { reencode } from "./rewrite";
import { Edit, ACTION_MASK, ACTION_HASH, ACTION_DROP } from "../redact/edits";
import { WORK } from "../redact/work";
import { Finding, labelBits } from "../redact/detectors";
import { REASON_INVALID_PROTOBUF } from "../body/plan";

export const ST_FIELD: i32 = 0;
export const ST_CHECK: i32 = 1;
export const ST_TEXT: i32 = 2;
export const ST_PACKED: i32 = 3;
export const ST_PLACE: i32 = 4;
export const ST_DONE: i32 = 5;

/** A frame's mode: as selected; a masked message (every scalar masked); not under a kept path (shape-masked); a dropped group (read to its end). */
export const MODE_NORMAL: u8 = 0;
export const MODE_MASK: u8 = 1;
export const MODE_KEEP: u8 = 2;
export const MODE_INERT: u8 = 3;

const S = MAX_PROTO_DEPTH + 1;
const LABEL_SLOTS: i32 = 64;

export class ProtoWalk {
  /** After advance() returned true: -1 when the message was walked, else the body/plan.ts REASON_* why not. */
  failure: i32 = -1;

  protected edits: Edit[] = [];
  /** Edits made by rules, the allow-list and detectors (length prefixes aside): MAX_BODY_FINDINGS bounds them. */
  protected found: i32 = 0;
  protected masked: u32 = 0;
  protected hashed: u32 = 0;
  protected dropped: u32 = 0;
  protected keepMasked: u32 = 0;
  protected hits: StaticArray<u32> = new StaticArray<u32>(6);
  protected p: usize = 0;
  protected len: i32 = 0;
  protected pos: i32 = 0;
  protected depth: i32 = 0;
  protected state: i32 = ST_DONE;

  // One frame per open message or group, index = depth (0: the message itself).
  protected fType: Array<ProtoMessage | null> = new Array<ProtoMessage | null>(S);
  protected fStart: StaticArray<i32> = new StaticArray<i32>(S);
  protected fEnd: StaticArray<i32> = new StaticArray<i32>(S);
  /** A group's field number (it ends at its end-group tag), 0 for a length-delimited message. */
  protected fGroup: StaticArray<i32> = new StaticArray<i32>(S);
  protected fPrefix: StaticArray<i32> = new StaticArray<i32>(S);
  protected fEditFrom: StaticArray<i32> = new StaticArray<i32>(S);
  protected fMode: StaticArray<u8> = new StaticArray<u8>(S);
  /** The matcher depth of the message's fields; some rule / keep path can still match below; under a kept path. */
  protected fMatch: StaticArray<i32> = new StaticArray<i32>(S);
  protected fLive: StaticArray<bool> = new StaticArray<bool>(S);
  protected fKeepLive: StaticArray<bool> = new StaticArray<bool>(S);
  protected fKept: StaticArray<bool> = new StaticArray<bool>(S);
  /** A dropped group's tag (removed with it when it ends), else -1. */
  protected fDrop: StaticArray<i32> = new StaticArray<i32>(S);
  /** Read as text already (redact.ts probeFrame); and found hiding a hit in its unknown fields: they are dropped. */
  protected fProbed: StaticArray<bool> = new StaticArray<bool>(S);
  protected fSuspicious: StaticArray<bool> = new StaticArray<bool>(S);
  /** labelBits of field names, cached by the field (a message's fields repeat): key, value + 1 (0: empty). */
  protected labelField: StaticArray<usize> = new StaticArray<usize>(LABEL_SLOTS);
  protected labelValue: StaticArray<i32> = new StaticArray<i32>(LABEL_SLOTS);
  /** A map entry: what its key selects for its value (action, live, kept, keep-live), and the value's label bits. */
  protected fEntry: StaticArray<bool> = new StaticArray<bool>(S);
  protected fValAction: StaticArray<u8> = new StaticArray<u8>(S);
  protected fValLive: StaticArray<bool> = new StaticArray<bool>(S);
  protected fValKept: StaticArray<bool> = new StaticArray<bool>(S);
  protected fValKeepLive: StaticArray<bool> = new StaticArray<bool>(S);
  protected fLabels: StaticArray<i32> = new StaticArray<i32>(S);
  /** Occurrences of each field of the frame's type (a repeated field's index): counters [base, base + fields), valid when stamped with the frame's serial. */
  protected fBase: StaticArray<i32> = new StaticArray<i32>(S);
  protected fSerial: StaticArray<i32> = new StaticArray<i32>(S);
  protected serial: i32 = 0;
  protected cStamp: StaticArray<i32> = new StaticArray<i32>(64);
  protected cCount: StaticArray<i32> = new StaticArray<i32>(64);


  protected fail(reason: i32): void {
    if (this.failure < 0) this.failure = reason;
    this.state = ST_DONE;
    this.edits.length = 0;
  }

  protected edit(s: i32, e: i32, r: ArrayBuffer): void {
    this.edits.push(new Edit(s, e, r));
    this.found++;
  }

  protected count(action: u8): void {
    if (action == ACTION_MASK) this.masked++;
    else if (action == ACTION_HASH) this.hashed++;
    else if (action == ACTION_DROP) this.dropped++;
  }

  /** Opens a frame for the message [start, end) (group > 0: a group from start, ending at its end-group tag); false when too deep. */
  protected push(type: ProtoMessage | null, start: i32, end: i32, prefix: i32, group: i32, mode: u8, match: i32, live: bool, keepLive: bool, kept: bool): bool {
    const d = this.depth + 1;
    if (d > MAX_PROTO_DEPTH) {
      this.fail(REASON_INVALID_PROTOBUF);
      return false;
    }
    this.depth = d;
    unchecked((this.fType[d] = type));
    unchecked((this.fStart[d] = start));
    unchecked((this.fEnd[d] = end));
    unchecked((this.fGroup[d] = group));
    unchecked((this.fPrefix[d] = prefix));
    unchecked((this.fEditFrom[d] = this.edits.length));
    unchecked((this.fMode[d] = mode));
    const normal = mode == MODE_NORMAL && type != null;
    unchecked((this.fMatch[d] = match));
    unchecked((this.fLive[d] = normal && live));
    unchecked((this.fKeepLive[d] = normal && keepLive && !kept));
    unchecked((this.fKept[d] = kept));
    unchecked((this.fDrop[d] = -1));
    // A group is read with its message; a payload walked without a schema was read as text before (PEND_PROBE).
    const inherit = group != 0 && d > 0;
    unchecked((this.fProbed[d] = inherit ? unchecked(this.fProbed[d - 1]) : type == null && d > 0));
    unchecked((this.fSuspicious[d] = inherit && unchecked(this.fSuspicious[d - 1])));
    unchecked((this.fEntry[d] = false));
    unchecked((this.fLabels[d] = 0));
    const base = d == 0 ? 0 : unchecked(this.fBase[d - 1]) + this.fieldCount(d - 1);
    unchecked((this.fBase[d] = base));
    unchecked((this.fSerial[d] = ++this.serial));
    const need = base + (type != null ? type.fields.length : 0);
    if (need > this.cStamp.length) {
      const n = need * 2;
      const stamps = new StaticArray<i32>(n);
      const counts = new StaticArray<i32>(n);
      memory.copy(changetype<usize>(stamps), changetype<usize>(this.cStamp), <usize>this.cStamp.length << 2);
      memory.copy(changetype<usize>(counts), changetype<usize>(this.cCount), <usize>this.cCount.length << 2);
      this.cStamp = stamps;
      this.cCount = counts;
    }
    this.pos = start;
    return true;
  }

  protected fieldCount(d: i32): i32 {
    const t = unchecked(this.fType[d]);
    return t != null ? t.fields.length : 0;
  }

  /** The next occurrence index of field pf in the frame at d. */
  protected occurrence(d: i32, pf: ProtoField): i32 {
    const fields = unchecked(this.fType[d])!.fields;
    let lo = 0;
    let hi = fields.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (unchecked(fields[mid]).number < pf.number) lo = mid + 1;
      else hi = mid;
    }
    const c = unchecked(this.fBase[d]) + lo;
    const serial = unchecked(this.fSerial[d]);
    if (unchecked(this.cStamp[c]) != serial) {
      unchecked((this.cStamp[c] = serial));
      unchecked((this.cCount[c] = 0));
    }
    const n = unchecked(this.cCount[c]);
    unchecked((this.cCount[c] = n + 1));
    return n;
  }

  /** The frame at the top ends here: its length prefix re-encoded, or the message done. */
  protected close(): void {
    const d = this.depth;
    if (unchecked(this.fGroup[d]) != 0) return this.fail(REASON_INVALID_PROTOBUF);
    if (d == 0) {
      this.state = ST_DONE;
      return;
    }
    const start = unchecked(this.fStart[d]);
    WORK.spend(reencode(this.edits, unchecked(this.fEditFrom[d]), unchecked(this.fPrefix[d]), start, unchecked(this.fEnd[d]) - start));
    this.pos = unchecked(this.fEnd[d]);
    this.depth = d - 1;
  }

  /** The label bits of a field's name (detectors.ts labelBits). */
  protected labelsOf(pf: ProtoField, detectors: i32): i32 {
    const key = changetype<usize>(pf);
    const slot = <i32>((key >>> 4) & <usize>(LABEL_SLOTS - 1));
    if (unchecked(this.labelValue[slot]) != 0 && unchecked(this.labelField[slot]) == key) return unchecked(this.labelValue[slot]) - 1;
    const bits = labelBits(changetype<usize>(pf.name), <usize>pf.name.byteLength, detectors);
    unchecked((this.labelField[slot] = key));
    unchecked((this.labelValue[slot] = bits + 1));
    return bits;
  }

  protected forgetLabels(): void {
    for (let i = 0; i < LABEL_SLOTS; i++) unchecked((this.labelValue[i] = 0));
  }

  /** The frame at the top hides detector hits in its unknown fields (findings: their hits, counted). */
  protected suspect(findings: Finding[]): void {
    unchecked((this.fSuspicious[this.depth] = true));
    for (let i = 0; i < findings.length; i++) {
      const bit = ctz<i32>(unchecked(findings[i]).detector);
      if (bit < this.hits.length) unchecked((this.hits[bit] += 1));
    }
  }
}
