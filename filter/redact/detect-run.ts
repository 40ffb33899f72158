// The detectors over one range of a body, resumable: a scan that the slice's
// work budget (redact/work.ts) cuts short goes on where it stopped at the next
// slice, with the findings it would have had in one go.
import { Finding, TextCursor, scanTextUntil } from "./detectors";
import { WORK } from "./work";
import { MAX_BODY_FINDINGS } from "../policy/defaults";

export class DetectRun {
  findings: Finding[] = [];
  private cursor: TextCursor = new TextCursor();
  private ptr: usize = 0;
  private len: i32 = 0;
  private enabled: i32 = 0;

  begin(ptr: usize, len: i32, enabled: i32): void {
    this.findings.length = 0;
    this.cursor.reset(0);
    this.ptr = ptr;
    this.len = len;
    this.enabled = enabled;
  }

  /** Scans on while the slice has work left; true when the range is read. */
  advance(): bool {
    const cur = this.cursor;
    const from = cur.pos;
    scanTextUntil(this.ptr, this.len, this.enabled, this.findings, cur, WORK.stop(from, this.len));
    WORK.spend(cur.pos - from);
    return cur.pos >= this.len;
  }

  /** More findings than a body may have (policy/defaults.ts MAX_BODY_FINDINGS): the body is not sent. */
  get overflowed(): bool {
    return this.findings.length > MAX_BODY_FINDINGS;
  }
}
