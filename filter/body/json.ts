// JSON bodies: validated and scanned in one pass (json/scanner.ts), in slices;
// rules and detectors yield edits, every other byte stays as the client wrote it.
import { BodyCodec, CodecResult } from "./codec";
import { REASON_INVALID_JSON, REASON_TOO_MANY_FINDINGS } from "./plan";
import { JsonScan } from "../json/scanner";
import { JsonRule, JsonPath } from "../json/path";
import { ACTION_MASK } from "../redact/edits";
import { ValueRewriter } from "../redact/values";
import { applyEdits, recycleEdits } from "../redact/edits";
import { Tally } from "../redact/tally";

export class JsonCodec extends BodyCodec {
  private scan: JsonScan = new JsonScan();
  private p: usize = 0;
  private len: i32 = 0;
  /** redact.keep's paths as rules for the scanner's second matcher, or null. */
  private keepRules: JsonRule[] | null = null;
  /** redact.detector_action "hash": detector hits in strings and member names become hash tokens (numbers stay numbers, masked). */
  detectorHash: bool = false;

  /**
   * @param keep redact.keep's JSON paths (null: not the allow-list mode): every string and number not under one is masked keeping its shape
   * @param sequence the body is a sequence of JSON texts separated by whitespace (application/x-ndjson, application/jsonl), not one
   */
  constructor(private rules: JsonRule[], private detectors: i32, private rewriter: ValueRewriter, private keep: JsonPath[] | null = null, private sequence: bool = false) {
    super();
    if (keep != null) {
      const k: JsonRule[] = [];
      for (let i = 0; i < keep.length; i++) k.push(new JsonRule(keep[i], ACTION_MASK));
      this.keepRules = k;
    }
  }

  start(p: usize, len: i32): void {
    this.p = p;
    this.len = len;
    this.scan.start(p, len, this.rules, this.detectors, this.rewriter, this.keepRules, this.sequence, this.detectorHash);
  }

  advance(): bool {
    return this.scan.advance();
  }

  finish(tally: Tally, out: CodecResult): void {
    const scan = this.scan;
    if (!scan.valid) {
      out.unscannable(scan.overflowed ? REASON_TOO_MANY_FINDINGS : REASON_INVALID_JSON);
      return;
    }
    tally.jsonDropped += scan.dropped;
    tally.jsonMasked += scan.masked;
    tally.jsonHashed += scan.hashed;
    tally.jsonKeepMasked += scan.keepMasked;
    for (let i = 0; i < 6; i++) tally.detectorHits[i] += scan.detectorHits[i];
    if (scan.edits.length > 0) out.body = applyEdits(this.p, this.len, scan.edits);
    recycleEdits(scan.edits);
  }
}
