// The interface every body codec implements. A codec consumes the body's chunks
// as they arrive and, at the end, yields the body to send (unchanged, or with
// its edits applied) or unscannable(reason). JSON, form and text scan the whole
// body at the end; a streaming codec (gRPC messages) can work in consume().
import { Tally } from "../redact/tally";

export class CodecResult {
  /** The body to send; null: the original bytes, unchanged. */
  body: ArrayBuffer | null = null;
  failed: bool = false;
  /** Why the body cannot be scanned (a REASON_* of body/plan.ts), when failed. */
  reason: u8 = 0;

  reset(): void {
    this.body = null;
    this.failed = false;
    this.reason = 0;
  }

  unscannable(reason: u8): void {
    this.failed = true;
    this.reason = reason;
    this.body = null;
  }
}

export abstract class BodyCodec {
  /** A new body begins. */
  begin(): void {}
  /** One chunk of the body, in order. Codecs that need the whole body ignore it. */
  consume(_p: usize, _len: i32): void {}
  /** The whole body [p, p+len) is in; the outcome goes into out (reset by the caller). */
  abstract end(p: usize, len: i32, tally: Tally, out: CodecResult): void;
}
