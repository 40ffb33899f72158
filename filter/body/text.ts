// Text bodies (text/*): the detectors over the bytes, in slices. A NUL byte means
// the body is not the text it claims to be: unscannable.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_BINARY, REASON_TOO_MANY_FINDINGS } from "./plan";
import { ValueRewriter } from "../redact/values";
import { Edit, applyEdits } from "../redact/edits";
import { Tally } from "../redact/tally";
import { DetectRun } from "../redact/detect-run";
import { WORK } from "../redact/work";

export function hasNul(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) == 0) return true;
  return false;
}

export class TextCodec extends BodyCodec {
  private edits: Edit[] = [];
  private run: DetectRun = new DetectRun();
  private p: usize = 0;
  private len: i32 = 0;
  /** How far the NUL check has read; the detectors run once it read everything. */
  private checked: i32 = 0;
  private failed: i32 = -1;

  constructor(private detectors: i32, private detectorHash: bool, private rewriter: ValueRewriter) {
    super();
  }

  start(p: usize, len: i32): void {
    this.p = p;
    this.len = len;
    this.checked = 0;
    this.failed = -1;
    this.run.begin(p, len, this.detectors);
  }

  advance(): bool {
    const p = this.p;
    const len = this.len;
    while (this.checked < len) {
      if (WORK.spent) return false;
      const from = this.checked;
      const stop = WORK.stop(from, len);
      if (hasNul(p + <usize>from, stop - from)) {
        this.failed = REASON_BINARY;
        return true;
      }
      WORK.spend(stop - from);
      this.checked = stop;
    }
    if (this.detectors == 0) return true;
    const done = this.run.advance();
    if (this.run.overflowed) {
      this.failed = REASON_TOO_MANY_FINDINGS;
      return true;
    }
    return done;
  }

  finish(tally: Tally, out: CodecResult): void {
    const run = this.run;
    if (this.failed >= 0) {
      out.unscannable(<u8>this.failed);
      run.findings.length = 0;
      return;
    }
    if (run.findings.length == 0) return;
    const edits = this.edits;
    edits.length = 0;
    this.rewriter.editsOf(this.p, run.findings, this.detectorHash, 0, edits, tally.detectorHits);
    run.findings.length = 0;
    out.body = applyEdits(this.p, this.len, edits);
    edits.length = 0;
  }
}
