// application/x-www-form-urlencoded bodies: the query rules and detectors
// (redact/query.ts), since the syntax is the same.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_BINARY } from "./plan";
import { hasNul } from "./text";
import { QueryRedactor } from "../redact/query";
import { Tally } from "../redact/tally";

export class FormCodec extends BodyCodec {
  constructor(private form: QueryRedactor) {
    super();
  }

  end(p: usize, len: i32, tally: Tally, out: CodecResult): void {
    if (hasNul(p, len)) return out.unscannable(REASON_BINARY);
    out.body = this.form.redact(p, len, tally);
  }
}
