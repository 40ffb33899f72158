// Redacts one protobuf message: redact.json rules by field names (the .proto's
// or the JSON name), detectors over strings, map keys and values. Without a
// schema (and for unknown fields and bytes) a length-delimited field is walked
// as a message when it parses as one completely (proto/check.ts) and its bytes,
// read as text, have no detector hit outside its own length-delimited fields
// (a hit across its tags, lengths or numbers, glue aside: no plausible
// message, a secret that happens to parse); anything else is scanned as text.
// A message with unknown numbers is read as text once too, and loses its
// unknown fields when a hit hides in them (see probeFrame). Changes are edits
// (redact/edits.ts); length prefixes of changed payloads and of every enclosing
// message are re-encoded (proto/rewrite.ts); every other byte stays as the
// client wrote it.
//
// The walk is a loop over an explicit stack of frames (messages and groups,
// MAX_PROTO_DEPTH deep at most: deeper is invalid_protobuf), so no input can
// exhaust the wasm stack; each level is checked once before it is walked, so a
// schemaless walk costs O(depth * size) at worst with depth bounded. Its state
// lives in fields and it stops when the slice's work budget (redact/work.ts) is
// spent, inside a check, a detector scan or a packed array too.
import { ProtoMessage, ProtoField, TYPE_STRING, TYPE_BYTES, TYPE_MESSAGE, TYPE_BOOL, WIRE_LEN, WIRE_SGROUP, WIRE_EGROUP } from "./schema";
import { FieldAt, MessageCheck, HitPlace, readField, findKey, isMap, wireFits, scalarWire } from "./check";
import { ProtoPacked, PEND_NUMBERS } from "./packed";
import { ST_FIELD, ST_CHECK, ST_TEXT, ST_PACKED, ST_PLACE, ST_DONE, MODE_NORMAL, MODE_MASK, MODE_KEEP, MODE_INERT } from "./walk";
import { nothing, zeros, stars, prefixed, allZero, zeroOf, reencode, keyName } from "./rewrite";
import { JsonRule, JsonPath } from "../json/path";
import { ValueRewriter } from "../redact/values";
import { Tally } from "../redact/tally";
import { ACTION_MASK, ACTION_HASH, ACTION_DROP, applyEdits } from "../redact/edits";
import { labelBits } from "../redact/detectors";
import { detectorsFor } from "../json/detect";
import { numberHit } from "./numbers";
import { WORK } from "../redact/work";
import { MAX_BODY_FINDINGS } from "../policy/defaults";
import { REASON_INVALID_PROTOBUF, REASON_TOO_MANY_FINDINGS } from "../body/plan";

/** What a pending payload's check or scan is for. */
const PEND_RAW: i32 = 0;
const PEND_PROBE: i32 = 1;
const PEND_STRING: i32 = 2;
const PEND_MASKED: i32 = 3;
const PEND_FRAME: i32 = 5;

const NO_RULES: JsonRule[] = [];

export class ProtoRedactor extends ProtoPacked {
  private keepRules: JsonRule[];
  private check: MessageCheck = new MessageCheck();
  private key: FieldAt = new FieldAt();

  // The payload a check or text scan is about (ST_CHECK, ST_TEXT).
  private pMode: u8 = 0;
  private pKept: bool = false;
  private pLabels: i32 = 0;
  private place: HitPlace = new HitPlace();

  /**
   * @param rules redact.json's rules (their paths select fields)
   * @param detectors the enabled detectors (DETECTOR_* bits)
   * @param detectorHash redact.detector_action "hash"
   * @param keep redact.keep's JSON paths, or null
   */
  constructor(private rules: JsonRule[], detectors: i32, private detectorHash: bool, rewriter: ValueRewriter, keep: JsonPath[] | null) {
    super(detectors, rewriter);
    const k: JsonRule[] = [];
    if (keep != null) for (let i = 0; i < keep.length; i++) k.push(new JsonRule(keep[i], ACTION_MASK));
    this.keepRules = k;
    this.keepOn = keep != null;
  }

  /** Begins one message [p, p+len) of `type` (null: no schema). The bytes stay put until the scan ends. */
  start(p: usize, len: i32, type: ProtoMessage | null): void {
    this.failure = -1;
    this.p = p;
    this.len = len < 0 ? 0 : len;
    this.edits.length = 0;
    this.found = 0;
    this.masked = this.hashed = this.dropped = this.keepMasked = 0;
    for (let i = 0; i < 6; i++) unchecked((this.hits[i] = 0));
    this.forgetLabels();
    this.paths.prepare(type != null ? this.rules : NO_RULES);
    this.keepPaths.prepare(type != null ? this.keepRules : NO_RULES);
    this.pos = 0;
    this.depth = -1;
    this.serial = 0;
    // The matcher's depth 1 is the root container's (json/match.ts).
    this.push(type, 0, this.len, 0, 0, MODE_NORMAL, 1, this.paths.childLive, this.keepOn && this.keepPaths.childLive, !this.keepOn);
    this.state = ST_FIELD;
  }

  /** Scans on while the slice has work left; true when the message is done. */
  advance(): bool {
    while (this.state != ST_DONE) {
      if (this.found > MAX_BODY_FINDINGS) {
        this.fail(REASON_TOO_MANY_FINDINGS);
        break;
      }
      if (WORK.spent) return false;
      const st = this.state;
      if (st == ST_FIELD) this.field();
      else if (st == ST_CHECK) this.checked();
      else if (st == ST_TEXT) this.scanned();
      else if (st == ST_PLACE) this.placed();
      else this.packed();
    }
    return true;
  }

  /** After advance() returned true and failure < 0: the message as redacted, or null when nothing changed. Counts go into tally. */
  finish(tally: Tally): ArrayBuffer | null {
    const edits = this.edits;
    this.run.findings.length = 0;
    if (this.failure >= 0) {
      edits.length = 0;
      return null;
    }
    tally.jsonMasked += this.masked;
    tally.jsonHashed += this.hashed;
    tally.jsonDropped += this.dropped;
    tally.jsonKeepMasked += this.keepMasked;
    for (let i = 0; i < 6; i++) unchecked((tally.detectorHits[i] += unchecked(this.hits[i])));
    const out = edits.length > 0 ? applyEdits(this.p, this.len, edits) : null;
    edits.length = 0;
    return out;
  }

  /** One field of the frame at the top, or its end. */
  private field(): void {
    const d = this.depth;
    const p = this.p;
    const pos = this.pos;
    const end = unchecked(this.fEnd[d]);
    if (pos >= end) return this.close();
    const f = this.f;
    if (!readField(p, pos, end, f)) return this.fail(REASON_INVALID_PROTOBUF);
    WORK.spend((f.wire == WIRE_LEN ? f.start : f.end) - pos);
    const wire = f.wire;
    if (wire == WIRE_EGROUP) {
      if (unchecked(this.fGroup[d]) != f.number) return this.fail(REASON_INVALID_PROTOBUF);
      const drop = unchecked(this.fDrop[d]);
      if (drop >= 0) this.edit(drop, f.end, nothing());
      this.pos = f.end;
      this.depth = d - 1;
      return;
    }
    const mode = unchecked(this.fMode[d]);
    if (mode == MODE_INERT) {
      if (wire == WIRE_SGROUP) this.push(null, f.end, end, 0, f.number, MODE_INERT, 0, false, false, true);
      else this.pos = f.end;
      return;
    }
    const type = unchecked(this.fType[d]);
    const pf = type != null ? type.field(f.number) : null;
    if (pf != null && !wireFits(pf, wire)) return this.fail(REASON_INVALID_PROTOBUF);
    if (pf == null && mode == MODE_NORMAL && this.detectors != 0) {
      if (!unchecked(this.fProbed[d]) && wire != WIRE_LEN && wire != WIRE_SGROUP) return this.probeFrame(d);
      if (unchecked(this.fSuspicious[d])) {
        // A message whose bytes as text hide a hit in its unknown fields' tags and numbers: those fields go.
        return this.dropField(f, pos, end);
      }
    }
    if (mode != MODE_NORMAL) return this.masking(pf, mode, pos);
    // What the rules and the allow-list say about this field.
    let action: u8 = 0;
    let live = false;
    let keepLive = false;
    let kept = unchecked(this.fKept[d]);
    let labels = 0;
    const m = unchecked(this.fMatch[d]);
    let childMatch = m + 1;
    const entry = unchecked(this.fEntry[d]);
    const packed = pf != null && wire == WIRE_LEN && scalarWire(pf.type) != 255;
    if (pf != null && entry) {
      if (f.number == 2) {
        action = unchecked(this.fValAction[d]);
        live = unchecked(this.fValLive[d]);
        kept = unchecked(this.fValKept[d]);
        keepLive = unchecked(this.fValKeepLive[d]);
        labels = unchecked(this.fLabels[d]);
        // The key's match left the value's states one level down, where the entry's fields are matched.
        childMatch = m;
      } else kept = true; // a key is a name: the allow-list keeps it, the detectors read it
    } else if (pf != null) {
      const map = isMap(pf);
      if (unchecked(this.fLive[d])) {
        action = this.paths.matchEither(m, changetype<usize>(pf.name), pf.name.byteLength, changetype<usize>(pf.jsonName), pf.jsonName.byteLength);
        live = this.paths.childLive;
      }
      if (unchecked(this.fKeepLive[d])) {
        kept = this.keepPaths.matchEither(m, changetype<usize>(pf.name), pf.name.byteLength, changetype<usize>(pf.jsonName), pf.jsonName.byteLength) != 0;
        keepLive = this.keepPaths.childLive;
      }
      if (pf.repeated && !map) {
        childMatch = m + 2;
        if (!packed && ((action == 0 && live) || (!kept && keepLive))) {
          const occ = this.occurrence(d, pf);
          if (action == 0 && live) {
            action = this.paths.match(m + 1, 0, 0, occ);
            live = this.paths.childLive;
          }
          if (!kept && keepLive) {
            kept = this.keepPaths.match(m + 1, 0, 0, occ) != 0;
            keepLive = this.keepPaths.childLive;
          }
        }
      }
      if (this.detectors != 0) labels = this.labelsOf(pf, this.detectors);
    }
    if (action != 0) live = false;
    if (packed) return this.packedStart(d, pf!, action, live, keepLive, kept, m + 1, labels);
    this.count(action);
    if (action == ACTION_DROP) {
      return this.dropField(f, pos, end);
    }
    if (action != 0) return this.rewrite(pf!, action, pos);
    // Not kept, and no kept path below (a message some keep path goes into is walked on).
    if (this.keepOn && !kept && !(keepLive && (wire == WIRE_SGROUP || (pf != null && pf.type == TYPE_MESSAGE)))) {
      this.keepMasked++;
      return this.masking(pf, MODE_KEEP, pos);
    }
    this.pos = f.end;
    if (wire == WIRE_SGROUP) {
      this.push(pf != null ? pf.message : null, f.end, end, 0, f.number, MODE_NORMAL, childMatch, live, keepLive, kept);
      return;
    }
    if (wire != WIRE_LEN) {
      if (this.detectors == 0) return;
      const r = numberHit(p, f, pf != null ? pf.type : 0, this.detectors, labels, this.rewriter, this.hits);
      if (r != null) this.edit(f.start, f.end, r);
      return;
    }
    if (pf != null && pf.type == TYPE_MESSAGE) {
      const msg = pf.message;
      if (msg == null) return this.fail(REASON_INVALID_PROTOBUF);
      const fend = f.end;
      if (!this.push(msg, f.start, fend, f.prefix, 0, MODE_NORMAL, childMatch, live, keepLive, kept)) return;
      if (msg.mapEntry && this.entry(pf, msg, live, keepLive, kept, childMatch) == ACTION_DROP) {
        // A map entry dropped by its key: the whole entry goes.
        this.depth--;
        this.edit(pos, fend, nothing());
        this.pos = fend;
      }
      return;
    }
    if (this.detectors == 0) return;
    this.pend(pf != null && pf.type == TYPE_STRING ? PEND_STRING : PEND_RAW, MODE_NORMAL, kept, labels);
  }

  /**
   * A message with unknown numbers (every message without a schema, a typed one
   * with unknown fields) is read as text once, at its first unknown number: a
   * hit outside its length-delimited fields (HitPlace) makes it suspicious, and
   * its unknown fields are dropped from there on (the walk resumes at pos).
   */
  /** Removes the field at pos (read into f): a group by walking it inert and cutting it where it closes, anything else at once. */
  private dropField(f: FieldAt, pos: i32, end: i32): void {
    if (f.wire == WIRE_SGROUP) {
      if (this.push(null, f.end, end, 0, f.number, MODE_INERT, 0, false, false, true)) unchecked((this.fDrop[this.depth] = pos));
    } else {
      this.edit(pos, f.end, nothing());
      this.pos = f.end;
    }
  }

  private probeFrame(d: i32): void {
    unchecked((this.fProbed[d] = true));
    const s = unchecked(this.fStart[d]);
    const e = unchecked(this.fEnd[d]);
    const on = detectorsFor(this.p, s - 1, e + 1, this.detectors);
    if (on == 0) return;
    this.pKind = PEND_FRAME;
    this.pStart = s;
    this.pEnd = e;
    this.run.begin(this.p + <usize>s, e - s, on);
    this.state = ST_TEXT;
  }

  /** A check (PEND_RAW, PEND_MASKED) or a text scan (PEND_STRING) of the current field's payload. */
  private pend(kind: i32, mode: u8, kept: bool, labels: i32): void {
    const f = this.f;
    this.pKind = kind;
    this.pPrefix = f.prefix;
    this.pStart = f.start;
    this.pEnd = f.end;
    this.pMode = mode;
    this.pKept = kept;
    this.pLabels = labels;
    this.pos = f.end;
    if (kind == PEND_STRING) {
      // Most short strings hold no byte a finding needs (redact/prefilter.ts, as for JSON strings): no scan set up.
      const on = detectorsFor(this.p, f.start - 1, f.end + 1, this.detectors | labels);
      if (on == 0) return;
      this.run.begin(this.p + <usize>f.start, f.end - f.start, on, true);
      this.state = ST_TEXT;
    } else {
      this.check.begin(this.p, f.start, f.end);
      this.state = ST_CHECK;
    }
  }

  /** A map entry just opened: its key (the last one, as parsers keep) selects what the rules do to its value. */
  private entry(pf: ProtoField, msg: ProtoMessage, live: bool, keepLive: bool, kept: bool, match: i32): u8 {
    const d = this.depth;
    const p = this.p;
    const end = unchecked(this.fEnd[d]);
    const kf = msg.field(1);
    const key = this.key;
    const found = kf != null && findKey(p, this.pos, end, kf, key, this.f);
    const keyType = kf != null ? kf.type : TYPE_STRING;
    unchecked((this.fEntry[d] = true));
    let labels = this.detectors != 0 ? this.labelsOf(pf, this.detectors) : 0;
    if (found && keyType == TYPE_STRING && this.detectors != 0) labels |= labelBits(p + <usize>key.start, <usize>(key.end - key.start), this.detectors);
    unchecked((this.fLabels[d] = labels));
    let action: u8 = 0;
    let valLive = false;
    let valKept = kept;
    let valKeepLive = false;
    if ((live || (keepLive && !kept))) {
      const name = found ? keyName(p, key, keyType) : String.UTF8.encode(keyType == TYPE_STRING ? "" : keyType == TYPE_BOOL ? "false" : "0");
      const np = changetype<usize>(name);
      if (live) {
        action = this.paths.match(match, np, name.byteLength, -1);
        valLive = action == 0 && this.paths.childLive;
      }
      if (keepLive && !kept) {
        valKept = this.keepPaths.match(match, np, name.byteLength, -1) != 0;
        valKeepLive = this.keepPaths.childLive;
      }
    }
    unchecked((this.fValAction[d] = action));
    unchecked((this.fValLive[d] = valLive));
    unchecked((this.fValKept[d] = valKept));
    unchecked((this.fValKeepLive[d] = valKeepLive));
    unchecked((this.fMatch[d] = match + 1));
    if (action == ACTION_DROP) this.count(action);
    return action;
  }

  /** A rule's mask or hash of the field just read: strings '*' or the hash token, bytes zeros or the token, numbers 0, messages and groups masked throughout. */
  private rewrite(pf: ProtoField, action: u8, pos: i32): void {
    const f = this.f;
    const p = this.p;
    if (f.wire == WIRE_LEN && (pf.type == TYPE_STRING || pf.type == TYPE_BYTES)) {
      this.pos = f.end;
      const n = f.end - f.start;
      if (action == ACTION_HASH) this.edit(f.prefix, f.end, prefixed(this.rewriter.hashToken(p + <usize>f.start, n)));
      else if (n > 0) this.edit(f.start, f.end, pf.type == TYPE_STRING ? stars(n) : zeros(n));
      return;
    }
    this.masking(pf, MODE_MASK, pos);
  }

  /** The field just read, in a masked message (MODE_MASK) or not under a kept path (MODE_KEEP): every scalar in it masked. */
  private masking(pf: ProtoField | null, mode: u8, pos: i32): void {
    const f = this.f;
    const p = this.p;
    const d = this.depth;
    const wire = f.wire;
    this.pos = f.end;
    if (wire == WIRE_SGROUP) {
      this.push(pf != null ? pf.message : null, f.end, unchecked(this.fEnd[d]), 0, f.number, mode, 0, false, false, false);
      return;
    }
    if (wire != WIRE_LEN) {
      const z = zeroOf(p, f);
      if (z != null) this.edit(f.start, f.end, z);
      return;
    }
    const n = f.end - f.start;
    if (pf != null && pf.type == TYPE_MESSAGE) {
      if (pf.message == null) return this.fail(REASON_INVALID_PROTOBUF);
      this.push(pf.message, f.start, f.end, f.prefix, 0, mode, 0, false, false, false);
      return;
    }
    if (pf != null && scalarWire(pf.type) != 255) {
      this.packedStart(d, pf, ACTION_MASK, false, false, false, 0);
      return;
    }
    if (pf != null && pf.type == TYPE_STRING) {
      if (n > 0) this.edit(f.start, f.end, mode == MODE_KEEP ? this.rewriter.maskShape(p + <usize>f.start, n, false) : stars(n));
      return;
    }
    if (pf != null && pf.type == TYPE_BYTES) {
      if (n > 0 && !allZero(p, f.start, f.end)) this.edit(f.start, f.end, zeros(n));
      return;
    }
    // Unknown: walked masked when it is a message, else masked as bytes.
    this.pend(PEND_MASKED, mode, false, 0);
  }

  /** ST_CHECK: the check of the pending payload goes on; its answer decides. */
  private checked(): void {
    if (!this.check.advance()) return;
    const ok = this.check.ok;
    const s = this.pStart;
    const e = this.pEnd;
    this.state = ST_FIELD;
    if (this.pKind == PEND_MASKED) {
      if (ok) {
        this.push(null, s, e, this.pPrefix, 0, this.pMode, 0, false, false, false);
        return;
      }
      const n = e - s;
      if (n > 0) this.edit(s, e, this.pMode == MODE_KEEP ? this.rewriter.maskShape(this.p + <usize>s, n, false) : zeros(n));
      return;
    }
    // PEND_RAW: a message is probed as text first; anything else is text.
    const on = detectorsFor(this.p, s - 1, e + 1, this.detectors | this.pLabels);
    if (on == 0) {
      if (ok) this.push(null, s, e, this.pPrefix, 0, MODE_NORMAL, 0, false, false, this.pKept);
      return;
    }
    this.pKind = ok ? PEND_PROBE : PEND_STRING;
    this.run.begin(this.p + <usize>s, e - s, on, true);
    this.state = ST_TEXT;
  }

  /** ST_TEXT: the detectors over the pending payload go on; their hits become edits. */
  private scanned(): void {
    const run = this.run;
    if (!run.advance()) return;
    if (run.overflowed) return this.fail(REASON_TOO_MANY_FINDINGS);
    this.state = ST_FIELD;
    const s = this.pStart;
    const e = this.pEnd;
    const findings = run.findings;
    if (this.pKind == PEND_FRAME) {
      if (findings.length > 0) {
        this.place.begin(this.p, s, e);
        this.state = ST_PLACE;
      }
      return;
    }
    if (this.pKind == PEND_PROBE) {
      if (findings.length == 0) this.push(null, s, e, this.pPrefix, 0, MODE_NORMAL, 0, false, false, this.pKept);
      else {
        // Where are the hits: each inside one payload of the message (the walk finds it there), or not?
        this.place.begin(this.p, s, e);
        this.state = ST_PLACE;
      }
      return;
    }
    this.asText(this.detectorHash && this.pKind != PEND_NUMBERS);
  }

  /** The pending payload's findings (run.findings) become edits: a text, its length re-encoded. */
  private asText(hash: bool): void {
    const findings = this.run.findings;
    if (findings.length == 0) return;
    const s = this.pStart;
    const from = this.edits.length;
    this.rewriter.editsOf(this.p + <usize>s, findings, hash, s, this.edits, this.hits);
    this.found += findings.length;
    WORK.spend(reencode(this.edits, from, this.pPrefix, s, this.pEnd - s));
  }

  /** ST_PLACE: where the hits of a payload that parses as a message lie (proto/check.ts HitPlace) decides: walked, or text. */
  private placed(): void {
    const place = this.place;
    if (!place.advance(this.run.findings)) return;
    this.state = ST_FIELD;
    if (this.pKind == PEND_FRAME) {
      if (!place.plausible) this.suspect(this.run.findings);
      return;
    }
    if (place.plausible) this.push(null, this.pStart, this.pEnd, this.pPrefix, 0, MODE_NORMAL, 0, false, false, this.pKept);
    else this.asText(this.detectorHash);
  }
}
