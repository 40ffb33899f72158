// Text bodies (text/*): the detectors over the bytes. A NUL byte means the body
// is not the text it claims to be: unscannable.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_BINARY } from "./plan";
import { ValueRewriter } from "../redact/values";
import { Edit, applyEdits } from "../redact/edits";
import { Tally } from "../redact/tally";

export function hasNul(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) == 0) return true;
  return false;
}

export class TextCodec extends BodyCodec {
  private edits: Edit[] = [];

  constructor(private detectors: i32, private detectorHash: bool, private rewriter: ValueRewriter) {
    super();
  }

  end(p: usize, len: i32, tally: Tally, out: CodecResult): void {
    if (hasNul(p, len)) return out.unscannable(REASON_BINARY);
    if (this.detectors == 0) return;
    const edits = this.edits;
    edits.length = 0;
    this.rewriter.scanEdits(p, len, this.detectors, this.detectorHash, 0, edits, tally.detectorHits);
    if (edits.length > 0) out.body = applyEdits(p, len, edits);
  }
}
