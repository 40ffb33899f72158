// Redacts one protobuf message: redact.json rules by field names (the .proto's
// or the JSON name), detectors over strings, map keys and values; without a
// schema (or for unknown fields) a length-delimited field is walked as a message
// when it parses as one completely, else scanned as text. Resumable: its state
// lives in fields and it stops when the slice's work budget (redact/work.ts) is
// spent. STUB: the proto-redact helper implements it.
import { ProtoMessage } from "./schema";
import { JsonRule, JsonPath } from "../json/path";
import { ValueRewriter } from "../redact/values";
import { Tally } from "../redact/tally";

export class ProtoRedactor {
  /** After advance() returned true: -1 when the message was walked, else the body/plan.ts REASON_* why not. */
  failure: i32 = -1;

  /**
   * @param rules redact.json's rules (their paths select fields)
   * @param detectors the enabled detectors (DETECTOR_* bits)
   * @param detectorHash redact.detector_action "hash"
   * @param keep redact.keep's JSON paths, or null
   */
  constructor(rules: JsonRule[], detectors: i32, detectorHash: bool, rewriter: ValueRewriter, keep: JsonPath[] | null) {}

  /** Begins one message [p, p+len) of `type` (null: no schema). The bytes stay put until the scan ends. */
  start(p: usize, len: i32, type: ProtoMessage | null): void {
    this.failure = -1;
  }

  /** Scans on while the slice has work left; true when the message is done. */
  advance(): bool {
    return true;
  }

  /** After advance() returned true and failure < 0: the message as redacted, or null when nothing changed. Counts go into tally. */
  finish(tally: Tally): ArrayBuffer | null {
    return null;
  }
}
