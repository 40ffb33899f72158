// JSON bodies: validated and scanned in one pass (json/scanner.ts); rules and
// detectors yield edits, every other byte stays as the client wrote it.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_INVALID_JSON } from "./plan";
import { JsonScan, scanJson } from "../json/scanner";
import { JsonRule } from "../json/path";
import { ValueRewriter } from "../redact/values";
import { applyEdits } from "../redact/edits";
import { Tally } from "../redact/tally";

export class JsonCodec extends BodyCodec {
  private scan: JsonScan = new JsonScan();

  constructor(private rules: JsonRule[], private detectors: i32, private rewriter: ValueRewriter) {
    super();
  }

  end(p: usize, len: i32, tally: Tally, out: CodecResult): void {
    const scan = this.scan;
    scan.reset();
    scanJson(p, len, this.rules, this.detectors, this.rewriter, scan);
    if (!scan.valid) return out.unscannable(REASON_INVALID_JSON);
    tally.jsonDropped += scan.dropped;
    tally.jsonMasked += scan.masked;
    tally.jsonHashed += scan.hashed;
    for (let i = 0; i < 6; i++) tally.detectorHits[i] += scan.detectorHits[i];
    if (scan.edits.length > 0) out.body = applyEdits(p, len, scan.edits);
  }
}
