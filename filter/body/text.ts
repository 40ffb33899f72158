// Text bodies (text/*): the detectors over the bytes, in slices. A NUL byte means
// the body is not the text it claims to be: unscannable.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_BINARY, REASON_TOO_MANY_FINDINGS } from "./plan";
import { ValueRewriter } from "../redact/values";
import { Edit, applyEdits } from "../redact/edits";
import { Tally } from "../redact/tally";
import { DetectRun } from "../redact/detect-run";
import { WORK } from "../redact/work";

/** What turning one finding into an edit counts against the slice, besides its bytes. */
const EDIT_COST: i32 = 16;

export function hasNul(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) == 0) return true;
  return false;
}

/**
 * The NUL check of [p, p+len) from `checked` on, as far as the slice allows
 * (redact/work.ts): the offset it reached (len when done), or -1 on a NUL byte.
 */
export function checkNulFrom(p: usize, len: i32, checked: i32): i32 {
  while (checked < len) {
    if (WORK.spent) return checked;
    const stop = WORK.stop(checked, len);
    if (hasNul(p + <usize>checked, stop - checked)) return -1;
    WORK.spend(stop - checked);
    checked = stop;
  }
  return checked;
}

export class TextCodec extends BodyCodec {
  private edits: Edit[] = [];
  private run: DetectRun = new DetectRun();
  private p: usize = 0;
  private len: i32 = 0;
  /** How far the NUL check has read; the detectors run once it read everything. */
  private checked: i32 = 0;
  private failed: i32 = -1;
  /** The detectors have read the whole body; findings[0..emitted) are edits already. */
  private scanned: bool = false;
  private emitted: i32 = 0;
  /** Hits per detector of this body, added to the tally at finish(). */
  private hits: StaticArray<u32> = new StaticArray<u32>(6);

  constructor(private detectors: i32, private detectorHash: bool, private rewriter: ValueRewriter) {
    super();
  }

  start(p: usize, len: i32): void {
    this.p = p;
    this.len = len;
    this.checked = 0;
    this.failed = -1;
    this.scanned = false;
    this.emitted = 0;
    this.edits.length = 0;
    for (let i = 0; i < 6; i++) unchecked((this.hits[i] = 0));
    this.run.begin(p, len, this.detectors, true);
  }

  advance(): bool {
    const checked = checkNulFrom(this.p, this.len, this.checked);
    if (checked < 0) {
      this.failed = REASON_BINARY;
      return true;
    }
    this.checked = checked;
    if (checked < this.len) return false;
    if (this.detectors == 0) return true;
    const run = this.run;
    if (!this.scanned) {
      const done = run.advance();
      if (run.overflowed) {
        this.failed = REASON_TOO_MANY_FINDINGS;
        return true;
      }
      if (!done) return false;
      this.scanned = true;
      this.edits.length = 0;
      this.emitted = 0;
    }
    // The findings become edits in steps too: a body can hold tens of thousands of them.
    const findings = run.findings;
    const hits = this.hits;
    while (this.emitted < findings.length) {
      if (WORK.spent) return false;
      const f = unchecked(findings[this.emitted]);
      this.rewriter.editOf(this.p, f, this.detectorHash, 0, this.edits, hits);
      WORK.spend(f.end - f.start + EDIT_COST);
      this.emitted++;
    }
    return true;
  }

  finish(tally: Tally, out: CodecResult): void {
    const run = this.run;
    run.findings.length = 0;
    const edits = this.edits;
    if (this.failed >= 0) {
      out.unscannable(<u8>this.failed);
      edits.length = 0;
      return;
    }
    for (let i = 0; i < 6; i++) unchecked((tally.detectorHits[i] += unchecked(this.hits[i])));
    if (edits.length > 0) out.body = applyEdits(this.p, this.len, edits);
    edits.length = 0;
  }
}
