// Header values of the copy: drop, mask or hash by name, then the detectors over
// what is left. The primary's headers are never touched.
import { NameActions } from "./names";
import { ValueRewriter } from "./values";
import { Edit, applyEdits, ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";
import { Tally } from "./tally";

/** Result of redacting one header: keep as is, drop, or replace the value. */
export const HEADER_KEEP: u8 = 0;
export const HEADER_DROP: u8 = 1;
export const HEADER_REPLACE: u8 = 2;

export class HeaderRedactor {
  /** The new value after redact() answered HEADER_REPLACE. */
  replacement: ArrayBuffer = new ArrayBuffer(0);
  private findings: Edit[] = [];

  constructor(private names: NameActions, private rewriter: ValueRewriter, private detectors: i32, private detectorHash: bool) {}

  redact(kp: usize, kl: usize, vp: usize, vl: usize, tally: Tally): u8 {
    const action = this.names.action(kp, kl);
    if (action == ACTION_DROP) {
      if (this.names.notKept) tally.headersNotKept++;
      else tally.headersDropped++;
      return HEADER_DROP;
    }
    if (action == ACTION_HASH) {
      this.replacement = this.rewriter.hashToken(vp, <i32>vl);
      tally.headersHashed++;
      return HEADER_REPLACE;
    }
    if (action == ACTION_MASK) {
      this.replacement = this.rewriter.maskValue(vp, <i32>vl);
      tally.headersMasked++;
      return HEADER_REPLACE;
    }
    // Pseudo-headers are not values a person typed; :path goes through the query redactor.
    if (this.detectors == 0 || vl == 0 || load<u8>(kp) == 0x3a) return HEADER_KEEP;
    const findings = this.findings;
    findings.length = 0;
    this.rewriter.scanEdits(vp, <i32>vl, this.detectors, this.detectorHash, 0, findings, tally.detectorHits);
    if (findings.length == 0) return HEADER_KEEP;
    this.replacement = applyEdits(vp, <i32>vl, findings);
    return HEADER_REPLACE;
  }
}
