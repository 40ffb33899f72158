// Query strings (and application/x-www-form-urlencoded bodies, which share the
// syntax): parameters are matched by percent-decoded name the way frameworks bind
// it (names.ts), ';'-separated parts of a value as parameters too; only the values
// that a rule, redact.keep or a detector hits are rewritten, and of a detector's
// hit only its raw bytes: every other byte stays as it was, encoding included.
import { NameActions, ACTION_NOT_KEPT } from "./names";
import { ValueRewriter } from "./values";
import { Edit, applyEdits, ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";
import { Tally } from "./tally";
import { formDecode, formEncode, formReencode, reencodeSameLength, needsDecoding, DecodedOffsets } from "../util/form";
import { formPlusReading, formPlusView } from "./percent";
import { joinReadings } from "./readings";
import { labelBits, countFindings, Finding } from "./detectors";
import { isAscii } from "../util/fold";

/** Work units per byte of a non-ASCII name (its fold), against the slice's budget. */
const FOLD_WORK: i32 = 8;
import { DetectRun } from "./detect-run";
import { WORK, UNLIMITED } from "./work";
import { MAX_BODY_FINDINGS } from "../policy/defaults";

export class QueryRedactor {
  private edits: Edit[] = [];
  /** The value in progress: its findings' edits, and its redacted ';' sub-parts (raw offsets, in order). */
  private findings: Edit[] = [];
  private sub: Edit[] = [];
  private offsets: DecodedOffsets = new DecodedOffsets();
  /** What this scan's rules and detectors did, added to the caller's tally by result(). */
  private counts: Tally = new Tally();
  /** The detectors over the value in progress (resumable), its range, and its decoded bytes when it was percent-encoded. */
  private run: DetectRun = new DetectRun();
  private running: bool = false;
  private valueStart: i32 = 0;
  private valueEnd: i32 = 0;
  private decoded: ArrayBuffer | null = null;
  /**
   * The value read with a '+' before a digit at a word's start kept (redact/readings.ts),
   * when that reading differs, its detectors (begun once the other reading is read),
   * and its findings' edits.
   */
  private plussed: ArrayBuffer | null = null;
  private plusRun: DetectRun = new DetectRun();
  private plusBegun: bool = false;
  private plusFound: Edit[] = [];
  private enabled: i32 = 0;
  // The scan in progress: [p, p+len), the next parameter's first byte.
  private p: usize = 0;
  private len: i32 = 0;
  private next: i32 = 0;
  /** More edits than MAX_BODY_FINDINGS: the scan stopped (too_many_findings). */
  overflowed: bool = false;

  constructor(private names: NameActions, private rewriter: ValueRewriter, private detectors: i32, private detectorHash: bool) {}

  /** True when nothing could ever change, so callers can skip the scan. */
  get inert(): bool {
    return this.names.empty && this.detectors == 0;
  }

  /**
   * Redacts the parameters in [p, p+len) in one go. Returns the rewritten bytes,
   * or null when nothing was changed (the caller keeps the original, byte for byte).
   */
  redact(p: usize, len: i32, tally: Tally): ArrayBuffer | null {
    if (this.inert || len == 0) return null;
    const left = WORK.left;
    WORK.left = UNLIMITED;
    this.begin(p, len);
    this.advance();
    WORK.left = left;
    return this.result(tally);
  }

  /** Begins a scan of [p, p+len) that advance() runs in slices (form bodies). */
  begin(p: usize, len: i32): void {
    this.p = p;
    this.len = len;
    this.next = 0;
    this.edits.length = 0;
    this.counts.reset();
    this.running = false;
    this.decoded = null;
    this.plussed = null;
    this.sub.length = 0;
    this.findings.length = 0;
    this.overflowed = false;
  }

  /** Scans on while the slice has work left (redact/work.ts); true when the scan is over. */
  advance(): bool {
    if (this.inert) return true;
    const p = this.p;
    const len = this.len;
    while (true) {
      if (this.running && !this.finishValue()) return false;
      if (this.overflowed) return true;
      if (this.next > len) return true;
      if (this.edits.length > MAX_BODY_FINDINGS) {
        this.overflowed = true;
        return true;
      }
      if (WORK.spent) return false;
      const start = this.next;
      let end = start;
      while (end < len && load<u8>(p + <usize>end) != 0x26) end++;
      WORK.spend(end - start + 1);
      this.next = end + 1;
      this.param(p, start, end, len, this.counts);
    }
  }

  /** After advance() said the scan is over: the rewritten bytes, or null when nothing changed; the counts go into tally. */
  result(tally: Tally): ArrayBuffer | null {
    const c = this.counts;
    tally.queryDropped += c.queryDropped;
    tally.queryMasked += c.queryMasked;
    tally.queryHashed += c.queryHashed;
    tally.queryNotKept += c.queryNotKept;
    for (let i = 0; i < 6; i++) unchecked((tally.detectorHits[i] += unchecked(c.detectorHits[i])));
    this.decoded = null;
    this.plussed = null;
    const edits = this.edits;
    if (edits.length == 0 || this.overflowed) {
      edits.length = 0;
      return null;
    }
    const out = applyEdits(this.p, this.len, edits);
    edits.length = 0;
    return out;
  }

  /** The detector scan of the value in progress goes on; false when the slice ran out first. */
  private finishValue(): bool {
    const run = this.run;
    // A run that is done says so again at once: the other reading may have held the slice.
    const done = run.advance();
    if (run.overflowed) {
      this.overflowed = true;
      this.running = false;
      return true;
    }
    if (!done) return false;
    const plussed = this.plussed;
    const plusRun = this.plusRun;
    if (plussed != null) {
      if (!this.plusBegun) {
        plusRun.begin(changetype<usize>(plussed), plussed.byteLength, this.enabled, true);
        this.plusBegun = true;
      }
      const read = plusRun.advance();
      if (plusRun.overflowed) {
        this.overflowed = true;
        this.running = false;
        return true;
      }
      if (!read) return false;
      joinReadings(run.findings, plusRun.findings, changetype<usize>(plussed));
    }
    this.running = false;
    const findings = run.findings;
    const found = this.findings;
    found.length = 0;
    if (findings.length > 0) {
      const counts = this.counts.detectorHits;
      const decoded = this.decoded;
      const vs = this.valueStart;
      if (decoded == null) {
        this.rewriter.editsOf(this.p + <usize>vs, findings, this.detectorHash, vs, found, counts);
      } else {
        // Findings are over the decoded value: each goes back to its raw bytes, and only
        // those change ('+' and escapes around a finding stay as the client wrote them).
        this.rewriter.editsOf(changetype<usize>(decoded), findings, this.detectorHash, 0, found, counts);
        this.toRaw(found, null);
      }
    }
    if (plussed != null && plusRun.findings.length > 0) this.plusEdits(plussed, plusRun.findings, found);
    this.decoded = null;
    this.plussed = null;
    this.flush(found);
    return true;
  }

  /**
   * The edits of the findings of the value's '+'-kept reading (raw offsets), merged
   * into `found` (the other reading's, in order): a replacement as long as the
   * decoded bytes keeps every unchanged unit's spelling (its '+' stays a '+').
   */
  private plusEdits(plussed: ArrayBuffer, findings: Finding[], found: Edit[]): void {
    const more = this.plusFound;
    more.length = 0;
    this.rewriter.editsOf(changetype<usize>(plussed), findings, this.detectorHash, 0, more, this.counts.detectorHits);
    this.toRaw(more, plussed);
    // Both sorted and apart (readings.ts joinReadings): one ordered list.
    const n = found.length;
    for (let i = 0; i < more.length; i++) found.push(unchecked(more[i]));
    if (n > 0) found.sort((a: Edit, b: Edit): i32 => a.start - b.start);
    more.length = 0;
  }

  /**
   * Moves edits made over a decoded reading of the current value onto its raw
   * bytes. A replacement as long as the decoded bytes is re-encoded in the
   * client's spelling: against the form decoding (`plussed` null), or against the
   * '+'-kept reading's bytes (a kept '+' stays a '+'); any other is form-encoded.
   */
  private toRaw(list: Edit[], plussed: ArrayBuffer | null): void {
    const vs = this.valueStart;
    const vp = this.p + <usize>vs;
    const vl = this.valueEnd - vs;
    const offsets = this.offsets;
    offsets.reset();
    for (let i = 0; i < list.length; i++) {
      const e = unchecked(list[i]);
      const rs = offsets.raw(vp, vl, e.start);
      const re = offsets.raw(vp, vl, e.end);
      const r = e.replacement;
      if (r.byteLength != e.end - e.start) e.replacement = formEncode(r);
      else if (plussed == null) e.replacement = formReencode(vp + <usize>rs, re - rs, r);
      else e.replacement = reencodeSameLength(vp + <usize>rs, re - rs, plussed.slice(e.start, e.end), r);
      e.start = vs + rs;
      e.end = vs + re;
    }
  }

  /** The value's edits in order: its redacted ';' sub-parts, and the findings outside them. */
  private flush(found: Edit[]): void {
    const sub = this.sub;
    const edits = this.edits;
    let a = 0;
    for (let i = 0; i < found.length; i++) {
      const f = unchecked(found[i]);
      while (a < sub.length && unchecked(sub[a]).end <= f.start) edits.push(unchecked(sub[a++]));
      // A finding reaching into a redacted sub-part: the sub-part's edit covers it.
      if (a < sub.length && unchecked(sub[a]).start < f.end) continue;
      edits.push(f);
    }
    while (a < sub.length) edits.push(unchecked(sub[a++]));
    sub.length = 0;
    found.length = 0;
  }

  /** The replacement of the raw value [p+s, p+e) for a name rule's action (or redact.keep's mask), counted. */
  private replace(action: u8, p: usize, s: i32, e: i32, tally: Tally): ArrayBuffer {
    const value = formDecode(p + <usize>s, e - s);
    const vp = changetype<usize>(value);
    if (action == ACTION_NOT_KEPT) {
      tally.queryNotKept++;
      return formReencode(p + <usize>s, e - s, this.rewriter.maskShape(vp, value.byteLength, false));
    }
    if (action == ACTION_HASH) {
      tally.queryHashed++;
      return formEncode(this.rewriter.hashToken(vp, value.byteLength));
    }
    tally.queryMasked++;
    return formEncode(this.rewriter.maskValue(vp, value.byteLength));
  }

  /** The action of a raw name [p+s, p+e), matched percent-decoded. */
  private actionOf(p: usize, s: i32, e: i32): u8 {
    if (needsDecoding(p + <usize>s, e - s)) {
      const name = formDecode(p + <usize>s, e - s);
      return this.names.action(changetype<usize>(name), <usize>name.byteLength);
    }
    return this.names.action(p + <usize>s, <usize>(e - s));
  }

  private param(p: usize, start: i32, end: i32, total: i32, tally: Tally): void {
    if (end == start) return;
    let eq = start;
    while (eq < end && load<u8>(p + <usize>eq) != 0x3d) eq++;
    const nameLen = eq - start;
    let np = p + <usize>start;
    let nl = nameLen;
    let name: ArrayBuffer | null = null;
    if (needsDecoding(np, nl)) {
      name = formDecode(np, nl);
      np = changetype<usize>(name);
      nl = name.byteLength;
    }
    // A non-ASCII name is case-folded (util/fold.ts), several times the cost of reading it: counted so.
    if (!this.names.empty && !isAscii(np, nl)) WORK.spend(nl * FOLD_WORK);
    let action: u8 = this.names.empty ? 0 : this.names.action(np, <usize>nl);
    // A name that is itself data (?4111111111111111, ?alice@example.com=1): the parameter goes, as a header whose name holds a hit.
    if (action == 0 && this.detectors != 0 && (this.nameHit(np, nl, tally) || (name != null && this.plusNameHit(p + <usize>start, nameLen, tally)))) action = ACTION_DROP;
    if (action == ACTION_DROP) {
      // Drop the parameter together with one '&' next to it, so no empty pair is left behind.
      let s = start;
      let e = end;
      if (e < total) e++;
      else if (s > 0 && !this.endsEdit(s - 1)) s--;
      this.edits.push(new Edit(s, e, new ArrayBuffer(0)));
      tally.queryDropped++;
      return;
    }
    if (eq >= end) {
      // A bare name in the allow-list mode: the name is all the data there is (?4111111111111111).
      if (action == ACTION_NOT_KEPT && nameLen > 0) {
        this.edits.push(new Edit(start, eq, formReencode(p + <usize>start, nameLen, this.rewriter.maskShape(np, nl, false))));
        tally.queryNotKept++;
      }
      return;
    }
    const vStart = eq + 1;
    const vLen = end - vStart;
    if (action != 0) {
      // Mask, hash, or not kept: the whole value, ';' and all.
      if (vLen > 0 || action != ACTION_NOT_KEPT) this.edits.push(new Edit(vStart, end, this.replace(action, p, vStart, end, tally)));
      return;
    }
    if (!this.names.empty) this.subParts(p, vStart, end, tally);
    if (this.detectors == 0 || vLen == 0) {
      this.flush(this.findings);
      return;
    }
    // The detectors run from advance(), resumable: one long value cannot hold a slice.
    // The name labels the value (ssn=536228147): labelBits widens what the detectors accept.
    const enabled = this.detectors | labelBits(np, <usize>nl, this.detectors);
    this.valueStart = vStart;
    this.valueEnd = end;
    this.running = true;
    if (!needsDecoding(p + <usize>vStart, vLen)) {
      this.decoded = null;
      this.plussed = null;
      this.run.begin(p + <usize>vStart, vLen, enabled, true);
      return;
    }
    const value = formDecode(p + <usize>vStart, vLen);
    this.decoded = value;
    // A raw '+' before a digit where a form encoder writes none: the value is read with it kept too (redact/readings.ts).
    this.plussed = formPlusView(p + <usize>vStart, vLen) ? formPlusReading(p + <usize>vStart, vLen) : null;
    this.plusBegun = false;
    this.enabled = enabled;
    this.run.begin(changetype<usize>(value), value.byteLength, enabled, true);
  }

  /** Whether the detectors find something in a parameter's (decoded) name; each hit is counted. */
  private nameHit(np: usize, nl: i32, tally: Tally): bool {
    return nl >= 5 && countFindings(np, nl, this.detectors, tally.detectorHits);
  }

  /**
   * nameHit for the raw name [rp, rp+rl) read with a '+' before a digit kept, as a value is
   * (redact/readings.ts): "+1+415+555+2671=1". Only for a name that needed decoding (a '+' or '%').
   */
  private plusNameHit(rp: usize, rl: i32, tally: Tally): bool {
    if (rl < 5 || !formPlusView(rp, rl)) return false;
    const name = formPlusReading(rp, rl);
    return countFindings(changetype<usize>(name), name.byteLength, this.detectors, tally.detectorHits);
  }

  /**
   * ';' as a separator too (some stacks split "a=1;password=x" into two
   * parameters): each "name=value" after a ';' in a value is matched like a
   * parameter, and its value redacted when a rule (or redact.keep) says so.
   */
  private subParts(p: usize, vStart: i32, end: i32, tally: Tally): void {
    let i = vStart;
    while (i < end && load<u8>(p + <usize>i) != 0x3b) i++;
    while (i < end) {
      const s = i + 1;
      let j = s;
      while (j < end && load<u8>(p + <usize>j) != 0x3b) j++;
      let eq = s;
      while (eq < j && load<u8>(p + <usize>eq) != 0x3d) eq++;
      if (eq < j) {
        const action = this.actionOf(p, s, eq);
        if (action == ACTION_DROP) {
          this.sub.push(new Edit(i, j, new ArrayBuffer(0)));
          tally.queryDropped++;
        } else if (action != 0 && eq + 1 < j) {
          this.sub.push(new Edit(eq + 1, j, this.replace(action, p, eq + 1, j, tally)));
        }
      }
      i = j;
    }
  }

  /** Whether the last edit already ends at `pos` (two adjacent drops must not both take the same '&'). */
  private endsEdit(pos: i32): bool {
    const n = this.edits.length;
    return n > 0 && this.edits[n - 1].end > pos;
  }
}
