// Query strings (and application/x-www-form-urlencoded bodies, which share the
// syntax): parameters are matched by percent-decoded name; only the values that a
// rule or a detector hits are rewritten, every other byte stays as it was.
import { NameActions } from "./names";
import { ValueRewriter } from "./values";
import { Edit, applyEdits, ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";
import { Tally } from "./tally";
import { formDecode, formEncode, needsDecoding } from "../util/form";

export class QueryRedactor {
  private edits: Edit[] = [];
  private findings: Edit[] = [];

  constructor(private names: NameActions, private rewriter: ValueRewriter, private detectors: i32, private detectorHash: bool) {}

  /** True when nothing could ever change, so callers can skip the scan. */
  get inert(): bool {
    return this.names.empty && this.detectors == 0;
  }

  /**
   * Redacts the parameters in [p, p+len). Returns the rewritten bytes, or null
   * when nothing was changed (the caller keeps the original, byte for byte).
   */
  redact(p: usize, len: i32, tally: Tally): ArrayBuffer | null {
    if (this.inert || len == 0) return null;
    const edits = this.edits;
    edits.length = 0;
    let start = 0;
    while (start <= len) {
      let end = start;
      while (end < len && load<u8>(p + <usize>end) != 0x26) end++;
      this.param(p, start, end, len, tally);
      start = end + 1;
    }
    if (edits.length == 0) return null;
    return applyEdits(p, len, edits);
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
    const findings = this.findings;
    findings.length = 0;
    if (!needsDecoding(p + <usize>vStart, vLen)) {
      this.rewriter.scanEdits(p + <usize>vStart, vLen, this.detectors, this.detectorHash, vStart, findings, tally.detectorHits);
      for (let i = 0; i < findings.length; i++) this.edits.push(findings[i]);
      return;
    }
    const value = formDecode(p + <usize>vStart, vLen);
    this.rewriter.scanEdits(changetype<usize>(value), value.byteLength, this.detectors, this.detectorHash, 0, findings, tally.detectorHits);
    if (findings.length == 0) return;
    const rewritten = applyEdits(changetype<usize>(value), value.byteLength, findings);
    this.edits.push(new Edit(vStart, end, formEncode(rewritten)));
  }

  /** Whether the last edit already ends at `pos` (two adjacent drops must not both take the same '&'). */
  private endsEdit(pos: i32): bool {
    const n = this.edits.length;
    return n > 0 && this.edits[n - 1].end > pos;
  }
}
