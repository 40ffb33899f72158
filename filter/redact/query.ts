// Query strings (and application/x-www-form-urlencoded bodies, which share the
// syntax): parameters are matched by percent-decoded name; only the values that a
// rule or a detector hits are rewritten, every other byte stays as it was.
import { NameActions } from "./names";
import { ValueRewriter } from "./values";
import { Edit, applyEdits, ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";
import { Tally } from "./tally";
import { formDecode, formEncode, needsDecoding } from "../util/form";
import { DetectRun } from "./detect-run";
import { WORK, UNLIMITED } from "./work";
import { MAX_BODY_FINDINGS } from "../policy/defaults";

export class QueryRedactor {
  private edits: Edit[] = [];
  private findings: Edit[] = [];
  /** What this scan's rules and detectors did, added to the caller's tally by result(). */
  private counts: Tally = new Tally();
  /** The detectors over the value in progress (resumable), its range, and its decoded bytes when it was percent-encoded. */
  private run: DetectRun = new DetectRun();
  private running: bool = false;
  private valueStart: i32 = 0;
  private valueEnd: i32 = 0;
  private decoded: ArrayBuffer | null = null;
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
    for (let i = 0; i < 6; i++) unchecked((tally.detectorHits[i] += unchecked(c.detectorHits[i])));
    this.decoded = null;
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
    const done = run.advance();
    if (run.overflowed) {
      this.overflowed = true;
      this.running = false;
      return true;
    }
    if (!done) return false;
    this.running = false;
    const findings = run.findings;
    if (findings.length == 0) return true;
    const counts = this.counts.detectorHits;
    const decoded = this.decoded;
    if (decoded == null) {
      this.rewriter.editsOf(this.p + <usize>this.valueStart, findings, this.detectorHash, this.valueStart, this.edits, counts);
      return true;
    }
    const edits = this.findings;
    edits.length = 0;
    this.rewriter.editsOf(changetype<usize>(decoded), findings, this.detectorHash, 0, edits, counts);
    const rewritten = applyEdits(changetype<usize>(decoded), decoded.byteLength, edits);
    edits.length = 0;
    this.decoded = null;
    this.edits.push(new Edit(this.valueStart, this.valueEnd, formEncode(rewritten)));
    return true;
  }

  private param(p: usize, start: i32, end: i32, total: i32, tally: Tally): void {
    if (end == start) return;
    let eq = start;
    while (eq < end && load<u8>(p + <usize>eq) != 0x3d) eq++;
    const nameLen = eq - start;
    let action: u8 = 0;
    if (!this.names.empty) {
      if (needsDecoding(p + <usize>start, nameLen)) {
        const name = formDecode(p + <usize>start, nameLen);
        action = this.names.action(changetype<usize>(name), <usize>name.byteLength);
      } else {
        action = this.names.action(p + <usize>start, <usize>nameLen);
      }
    }
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
    if (eq >= end) return; // no value
    const vStart = eq + 1;
    const vLen = end - vStart;
    if (action == ACTION_MASK || action == ACTION_HASH) {
      const value = formDecode(p + <usize>vStart, vLen);
      const vp = changetype<usize>(value);
      const replacement = action == ACTION_HASH
        ? this.rewriter.hashToken(vp, value.byteLength)
        : this.rewriter.maskValue(vp, value.byteLength);
      this.edits.push(new Edit(vStart, end, formEncode(replacement)));
      if (action == ACTION_HASH) tally.queryHashed++;
      else tally.queryMasked++;
      return;
    }
    if (this.detectors == 0 || vLen == 0) return;
    // The detectors run from advance(), resumable: one long value cannot hold a slice.
    this.valueStart = vStart;
    this.valueEnd = end;
    this.running = true;
    if (!needsDecoding(p + <usize>vStart, vLen)) {
      this.decoded = null;
      this.run.begin(p + <usize>vStart, vLen, this.detectors);
      return;
    }
    const value = formDecode(p + <usize>vStart, vLen);
    this.decoded = value;
    this.run.begin(changetype<usize>(value), value.byteLength, this.detectors);
  }

  /** Whether the last edit already ends at `pos` (two adjacent drops must not both take the same '&'). */
  private endsEdit(pos: i32): bool {
    const n = this.edits.length;
    return n > 0 && this.edits[n - 1].end > pos;
  }
}
