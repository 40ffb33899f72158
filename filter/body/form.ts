// application/x-www-form-urlencoded bodies: the query rules and detectors
// (redact/query.ts), since the syntax is the same; scanned in slices.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_BINARY, REASON_TOO_MANY_FINDINGS } from "./plan";
import { checkNulFrom } from "./text";
import { QueryRedactor } from "../redact/query";
import { Tally } from "../redact/tally";

export class FormCodec extends BodyCodec {
  private p: usize = 0;
  private len: i32 = 0;
  private checked: i32 = 0;
  private binary: bool = false;

  constructor(private form: QueryRedactor) {
    super();
  }

  start(p: usize, len: i32): void {
    this.p = p;
    this.len = len;
    this.checked = 0;
    this.binary = false;
    this.form.begin(p, len);
  }

  advance(): bool {
    const checked = checkNulFrom(this.p, this.len, this.checked);
    if (checked < 0) {
      this.binary = true;
      return true;
    }
    this.checked = checked;
    if (checked < this.len) return false;
    return this.len == 0 || this.form.advance();
  }

  finish(tally: Tally, out: CodecResult): void {
    if (this.binary) return out.unscannable(REASON_BINARY);
    const body = this.form.result(tally);
    if (this.form.overflowed) return out.unscannable(REASON_TOO_MANY_FINDINGS);
    out.body = body;
  }
}
