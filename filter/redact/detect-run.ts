// The detectors over one range of a body, resumable: a scan that the slice's
// work budget (redact/work.ts) cuts short goes on where it stopped at the next
// slice, with the findings it would have had in one go. A range that may hold
// percent escapes is read twice when the caller asks for it: raw, then its
// decoded view (redact/percent.ts), whose findings join the raw ones; a view
// that is encoded still (a URL kept encoded in a URL's query) has its own
// views read too, whose findings join the view's first.
import { Finding, TextCursor, scanTextUntil } from "./detectors";
import { mayBeEncoded, decodedView, mergeDecoded, nestInner, nestedWorth, plusView } from "./percent";
import { WORK } from "./work";
import { MAX_BODY_FINDINGS } from "../policy/defaults";

const PHASE_RAW: u8 = 0;
const PHASE_DECODED: u8 = 1;
const PHASE_PLUS: u8 = 2;
const PHASE_DONE: u8 = 3;
const PHASE_NESTED: u8 = 4;
const PHASE_NESTED_PLUS: u8 = 5;
const NO_VIEW = new ArrayBuffer(0);

export class DetectRun {
  findings: Finding[] = [];
  private cursor: TextCursor = new TextCursor();
  private ptr: usize = 0;
  private len: i32 = 0;
  private enabled: i32 = 0;
  private percent: bool = false;
  private phase: u8 = PHASE_RAW;
  /** The decoded view and its findings (decoded offsets) while it is read. */
  private view: ArrayBuffer = NO_VIEW;
  private viewFindings: Finding[] = [];
  /** The view's own decoded view and its findings (its offsets) while it is read (PHASE_NESTED, PHASE_NESTED_PLUS: '+' before a digit kept). */
  private nested: ArrayBuffer = NO_VIEW;
  private nestedFindings: Finding[] = [];

  /** `percent`: also read the range's percent-decoded view (JSON strings, text bodies, gRPC strings; not query values, decoded already). */
  begin(ptr: usize, len: i32, enabled: i32, percent: bool = false): void {
    this.findings.length = 0;
    this.viewFindings.length = 0;
    this.nestedFindings.length = 0;
    this.cursor.reset(0);
    this.ptr = ptr;
    this.len = len;
    this.enabled = enabled;
    this.percent = percent;
    this.phase = PHASE_RAW;
    this.view = NO_VIEW;
    this.nested = NO_VIEW;
  }

  /** Scans on while the slice has work left; true when the range is read. */
  advance(): bool {
    const cur = this.cursor;
    if (this.phase == PHASE_RAW) {
      const from = cur.pos;
      scanTextUntil(this.ptr, this.len, this.enabled, this.findings, cur, WORK.stop(from, this.len));
      WORK.spend(cur.pos - from);
      if (cur.pos < this.len) return false;
      if (!this.percent || this.overflowed || !mayBeEncoded(this.ptr, this.len)) {
        this.phase = PHASE_DONE;
        return true;
      }
      this.startView(PHASE_DECODED);
    }
    while (this.phase != PHASE_DONE) {
      const nesting = this.phase >= PHASE_NESTED;
      const view = nesting ? this.nested : this.view;
      const n = view.byteLength;
      const from = cur.pos;
      scanTextUntil(changetype<usize>(view), n, this.enabled, nesting ? this.nestedFindings : this.viewFindings, cur, WORK.stop(from, n));
      WORK.spend(cur.pos - from);
      if (cur.pos < n) return false;
      const v = changetype<usize>(this.view);
      const vn = this.view.byteLength;
      // The view may be encoded still (a URL kept encoded in a URL's query): its own views
      // are read before it joins the raw text's findings (redact/percent.ts nestInner).
      if (this.phase == PHASE_DECODED && !this.overflowed && nestedWorth(v, vn)) {
        this.startNested(PHASE_NESTED);
        continue;
      }
      if (nesting) {
        const plusKept = this.phase == PHASE_NESTED_PLUS;
        mergeDecoded(v, vn, this.viewFindings, this.nestedFindings, plusKept);
        if (!plusKept && !this.overflowed && plusView(v, vn)) {
          this.startNested(PHASE_NESTED_PLUS);
          continue;
        }
        nestInner(this.viewFindings);
        this.nested = NO_VIEW;
        this.phase = PHASE_DECODED;
      }
      const plus = this.phase == PHASE_PLUS;
      mergeDecoded(this.ptr, this.len, this.findings, this.viewFindings, plus);
      if (!plus && !this.overflowed && plusView(this.ptr, this.len)) {
        // The view that reads '+' before a digit as a plus, where the two differ.
        this.startView(PHASE_PLUS);
        continue;
      }
      this.view = NO_VIEW;
      this.phase = PHASE_DONE;
    }
    return true;
  }

  /** Decodes the range's view for `phase` (PHASE_PLUS: '+' before a digit kept), to be read from its start. */
  private startView(phase: u8): void {
    this.view = decodedView(this.ptr, this.len, phase == PHASE_PLUS);
    WORK.spend(this.len);
    this.cursor.reset(0);
    this.phase = phase;
  }

  /** Decodes the view's own view for `phase` (PHASE_NESTED_PLUS: '+' before a digit kept), to be read from its start. */
  private startNested(phase: u8): void {
    const view = this.view;
    this.nested = decodedView(changetype<usize>(view), view.byteLength, phase == PHASE_NESTED_PLUS);
    WORK.spend(view.byteLength);
    this.cursor.reset(0);
    this.phase = phase;
  }

  /** More findings than a body may have (policy/defaults.ts MAX_BODY_FINDINGS): the body is not sent. */
  get overflowed(): bool {
    return this.findings.length > MAX_BODY_FINDINGS || this.viewFindings.length > MAX_BODY_FINDINGS || this.nestedFindings.length > MAX_BODY_FINDINGS;
  }
}
