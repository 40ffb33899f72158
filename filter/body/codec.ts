// The interface every body codec implements. A codec consumes the body's chunks
// as they arrive; once the whole body is in, its scan runs in slices off the
// primary's path (roles/mirror-queue.ts, redact/work.ts): start(), then advance()
// until it says the scan is over, then finish() yields the body to send
// (unchanged, or with its edits applied) or unscannable(reason). A codec holds
// one scan at a time: the queue scans one copy after another.
import { Tally } from "../redact/tally";
import { WORK, UNLIMITED } from "../redact/work";
import { ProtoMessage } from "../proto/schema";

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
  /** The type of the body's messages (gRPC: the method's input type, null: unknown); set before start(). Other codecs ignore it. */
  setMessageType(_type: ProtoMessage | null): void {}
  /** One chunk of the body, in order. Codecs that need the whole body ignore it. */
  consume(_p: usize, _len: i32): void {}
  /** The whole body [p, p+len) is in (and stays where it is until finish()): its scan begins. */
  abstract start(p: usize, len: i32): void;
  /** Scans on while the slice has work left (redact/work.ts WORK); true when the scan is over. */
  abstract advance(): bool;
  /** After advance() said the scan is over: the outcome into out (reset by the caller), the counts into tally. */
  abstract finish(tally: Tally, out: CodecResult): void;
}

/** Scans a whole body in one go (the in-place roles, which hold their request anyway). */
export function scanWhole(codec: BodyCodec, p: usize, len: i32, tally: Tally, out: CodecResult): void {
  const left = WORK.left;
  WORK.left = UNLIMITED;
  codec.start(p, len);
  codec.advance();
  codec.finish(tally, out);
  WORK.left = left;
}
