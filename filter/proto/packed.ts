// Packed repeated scalars (one length-delimited field of elements) as the
// protobuf redactor (proto/redact.ts) reads them: element by element in slices,
// each matched by its index (`$.nums[2]`) and masked to 0 or dropped as
// selected, the whole array zeroed by a rule on the field or the allow-list,
// the length re-encoded; an array no rule touches is read by the detectors as
// text (ASCII bytes are one-byte varints), hits masked in place. With the
// state the redactor shares with it: the path matchers, the detector run and
// the payload in progress.
import { ProtoField, WIRE_VARINT, WIRE_I32 } from "./schema";
import { readVarint, Varint } from "./wire";
import { FieldAt, scalarWire } from "./check";
import { ProtoWalk, ST_FIELD, ST_TEXT, ST_PACKED, MODE_NORMAL, MODE_KEEP } from "./walk";
import { ZERO_VARINT, nothing, zeros, allZero, reencode } from "./rewrite";
import { PathMatcher } from "../json/match";
import { ACTION_MASK, ACTION_HASH, ACTION_DROP } from "../redact/edits";
import { DetectRun } from "../redact/detect-run";
import { WORK } from "../redact/work";
import { REASON_INVALID_PROTOBUF } from "../body/plan";
import { ValueRewriter } from "../redact/values";
import { numberHit } from "./numbers";

/** The payload's detector scan follows a packed array (its hits masked in place). */
export const PEND_NUMBERS: i32 = 4;

export class ProtoPacked extends ProtoWalk {
  protected paths: PathMatcher = new PathMatcher();
  protected keepPaths: PathMatcher = new PathMatcher();
  protected keepOn: bool = false;
  protected run: DetectRun = new DetectRun();
  protected f: FieldAt = new FieldAt();
  protected v: Varint = new Varint();
  // The payload a check, a text scan or a packed array is about.
  protected pKind: i32 = 0;
  protected pPrefix: i32 = 0;
  protected pStart: i32 = 0;
  protected pEnd: i32 = 0;
  // A packed array in progress (ST_PACKED).
  protected kWire: u8 = 0;
  protected kWhole: bool = false;
  protected kKeep: bool = false;
  protected kLive: bool = false;
  protected kKeepLive: bool = false;
  protected kKept: bool = false;
  protected kMatch: i32 = 0;
  protected kCounter: i32 = -1;
  protected kCount: i32 = 0;
  protected kFrom: i32 = 0;
  protected kField: ProtoField | null = null;
  /** The field name's label bits (SSN, phone) for the elements' detectors, and whether some element was a hit. */
  protected kLabels: i32 = 0;
  protected kNumberHit: bool = false;
  /** One element as numberHit reads it. */
  private element: FieldAt = new FieldAt();
  protected rewriter: ValueRewriter;

  constructor(protected detectors: i32, rewriter: ValueRewriter) {
    super();
    this.rewriter = rewriter;
  }

  /** A packed repeated scalar [f.start, f.end): read element by element (ST_PACKED), its elements masked or dropped as selected. */
  protected packedStart(d: i32, pf: ProtoField, action: u8, live: bool, keepLive: bool, kept: bool, match: i32, labels: i32 = 0): void {
    const f = this.f;
    this.kWire = scalarWire(pf.type);
    const mode = unchecked(this.fMode[d]);
    this.kKeep = mode == MODE_KEEP || (mode == MODE_NORMAL && action == 0 && this.keepOn && !kept && !keepLive);
    this.kWhole = action == ACTION_MASK || action == ACTION_HASH || mode != MODE_NORMAL || this.kKeep;
    if (mode == MODE_NORMAL) {
      this.count(action);
      if (this.kKeep) this.keepMasked++;
    }
    if (action == ACTION_DROP) {
      this.edit(this.pos, f.end, nothing());
      this.pos = f.end;
      return;
    }
    this.kLive = live;
    this.kKeepLive = this.keepOn && !kept && keepLive;
    this.kKept = kept;
    this.kMatch = match;
    this.kCounter = -1;
    this.kCount = 0;
    this.kFrom = this.edits.length;
    this.pPrefix = f.prefix;
    this.pStart = f.start;
    this.pEnd = f.end;
    this.pos = f.start;
    if (!this.kWhole && (live || this.kKeepLive)) this.kCounter = d;
    this.kField = pf;
    this.kLabels = labels;
    this.kNumberHit = false;
    this.state = ST_PACKED;
  }

  /** ST_PACKED: the elements from pos on. */
  protected packed(): void {
    const p = this.p;
    const end = this.pEnd;
    const wire = this.kWire;
    const size = wire == WIRE_VARINT ? 0 : wire == WIRE_I32 ? 4 : 8;
    let pos = this.pos;
    if (size > 0 && (end - this.pStart) % size != 0) return this.fail(REASON_INVALID_PROTOBUF);
    const select = this.kCounter >= 0;
    // Every element is read by the detectors as the integer it is, as a singular field's value is.
    const numbers = !this.kWhole && this.detectors != 0;
    if (size > 0 && !select && !numbers) pos = end;
    const v = this.v;
    const el = this.element;
    el.wire = wire;
    while (pos < end) {
      if (WORK.spent) {
        this.pos = pos;
        return;
      }
      let next = pos + size;
      if (size == 0) {
        if (!readVarint(p, pos, end, v)) return this.fail(REASON_INVALID_PROTOBUF);
        next = v.next;
      }
      this.kCount++;
      if (numbers && !this.kNumberHit) {
        el.start = pos;
        el.end = next;
        el.value = size == 0 ? v.value : 0;
        if (numberHit(p, el, this.kField!.type, this.detectors, this.kLabels, this.rewriter, this.hits) != null) this.kNumberHit = true;
      }
      if (select) {
        const occ = this.occurrence(this.kCounter, this.kField!);
        const action = this.kLive ? this.paths.match(this.kMatch, 0, 0, occ) : 0;
        const kept = this.kKept || !this.kKeepLive || this.keepPaths.match(this.kMatch, 0, 0, occ) != 0;
        this.count(action);
        if (action == ACTION_DROP) this.edit(pos, next, nothing());
        else if (action != 0 || !kept) {
          if (action == 0) this.keepMasked++;
          if (size > 0 && !allZero(p, pos, next)) this.edit(pos, next, zeros(size));
          else if (size == 0 && !(next - pos == 1 && load<u8>(p + <usize>pos) == 0)) this.edit(pos, next, ZERO_VARINT);
        }
      }
      WORK.spend(next - pos);
      pos = next;
    }
    this.pos = end;
    this.state = ST_FIELD;
    const s = this.pStart;
    if (this.kNumberHit) {
      // An element the detectors hit: the whole array is zeroed (what a rule on it would do), its per-element edits superseded.
      this.edits.length = this.kFrom;
      this.kWhole = true;
    }
    if (this.kWhole && !allZero(p, s, end)) this.edit(s, end, zeros(size > 0 ? end - s : this.kCount));
    WORK.spend(reencode(this.edits, this.kFrom, this.pPrefix, s, end - s));
    if (!this.kWhole && !select && this.detectors != 0 && end > s) {
      // Numbers that are text as bytes (ASCII bytes are one-byte varints): hits masked in place, the elements stay elements.
      this.pKind = PEND_NUMBERS;
      this.run.begin(p + <usize>s, end - s, this.detectors);
      this.state = ST_TEXT;
    }
  }
}
