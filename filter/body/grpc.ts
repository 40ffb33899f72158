// gRPC bodies: a sequence of messages, each framed by a 1-byte compressed flag
// and a 4-byte big-endian length (gRPC over HTTP/2, PROTOCOL-HTTP2.md). Each
// message goes through the protobuf redactor (proto/redact.ts) by the method's
// input type (setMessageType; null: walked without a schema); a message that
// changes gets a new prefix, and the body is rebuilt once at finish(). The frame
// walk is resumable: it stops between prefixes, and inside a message where the
// redactor stops, when the slice's work budget (redact/work.ts) is spent.
// Never sent as it is: a compressed message (flag 1: REASON_COMPRESSED), a flag
// other than 0 or 1 or a frame cut short (REASON_INVALID_GRPC_FRAME), a message
// the redactor cannot walk (its reason).
import { BodyCodec, CodecResult } from "./codec";
import { REASON_INVALID_GRPC_FRAME } from "./plan";
import { GRPC_PREFIX, frameLength, prefixFailure } from "../grpc/frame";
import { ProtoMessage } from "../proto/schema";
import { ProtoRedactor } from "../proto/redact";
import { Tally } from "../redact/tally";
import { WORK } from "../redact/work";

export class GrpcCodec extends BodyCodec {
  private type: ProtoMessage | null = null;
  private p: usize = 0;
  private len: i32 = 0;
  /** Where the next frame's prefix begins. */
  private pos: i32 = 0;
  /** A message is being redacted: its frame is [frameAt, frameEnd). */
  private inMessage: bool = false;
  private frameAt: i32 = 0;
  private frameEnd: i32 = 0;
  private failed: i32 = -1;
  /** The frames that changed, in order: [starts[i], ends[i]) becomes a new prefix and messages[i]. */
  private starts: i32[] = [];
  private ends: i32[] = [];
  private messages: ArrayBuffer[] = [];
  /** What the messages' redaction counted, added to the caller's tally at finish(). */
  private counts: Tally = new Tally();

  constructor(private redactor: ProtoRedactor) {
    super();
  }

  setMessageType(type: ProtoMessage | null): void {
    this.type = type;
  }

  start(p: usize, len: i32): void {
    this.p = p;
    this.len = len;
    this.pos = 0;
    this.inMessage = false;
    this.failed = -1;
    this.starts.length = 0;
    this.ends.length = 0;
    this.messages.length = 0;
    this.counts.reset();
  }

  advance(): bool {
    const redactor = this.redactor;
    while (true) {
      if (this.inMessage) {
        if (!redactor.advance()) return false;
        this.inMessage = false;
        if (redactor.failure >= 0) {
          this.failed = redactor.failure;
          return true;
        }
        const out = redactor.finish(this.counts);
        if (out != null) {
          this.starts.push(this.frameAt);
          this.ends.push(this.frameEnd);
          this.messages.push(out);
        }
        this.pos = this.frameEnd;
      }
      const pos = this.pos;
      const left = this.len - pos;
      if (left == 0) return true;
      if (WORK.spent) return false;
      if (left < GRPC_PREFIX) {
        this.failed = REASON_INVALID_GRPC_FRAME;
        return true;
      }
      const at = this.p + <usize>pos;
      const bad = prefixFailure(at);
      if (bad >= 0) {
        this.failed = bad;
        return true;
      }
      const n = frameLength(at);
      if (<u64>n > <u64>(left - GRPC_PREFIX)) {
        this.failed = REASON_INVALID_GRPC_FRAME;
        return true;
      }
      WORK.spend(GRPC_PREFIX);
      this.frameAt = pos;
      this.frameEnd = pos + GRPC_PREFIX + <i32>n;
      this.inMessage = true;
      redactor.start(at + <usize>GRPC_PREFIX, <i32>n, this.type);
    }
  }

  finish(tally: Tally, out: CodecResult): void {
    const messages = this.messages;
    if (this.failed >= 0) {
      out.unscannable(<u8>this.failed);
      messages.length = 0;
      return;
    }
    tally.add(this.counts);
    if (messages.length > 0) out.body = this.rebuild();
    messages.length = 0;
  }

  /** The body with every changed frame replaced: one allocation, the rest copied as it was. */
  private rebuild(): ArrayBuffer {
    const starts = this.starts;
    const ends = this.ends;
    const messages = this.messages;
    let size = this.len;
    for (let i = 0; i < messages.length; i++) size += GRPC_PREFIX + unchecked(messages[i]).byteLength - (unchecked(ends[i]) - unchecked(starts[i]));
    const buf = new ArrayBuffer(size);
    const dst = changetype<usize>(buf);
    let from = 0;
    let to: usize = 0;
    for (let i = 0; i < messages.length; i++) {
      const s = unchecked(starts[i]);
      const m = unchecked(messages[i]);
      memory.copy(dst + to, this.p + <usize>from, <usize>(s - from));
      to += <usize>(s - from);
      store<u8>(dst + to, 0);
      store<u32>(dst + to + 1, bswap<u32>(<u32>m.byteLength));
      memory.copy(dst + to + <usize>GRPC_PREFIX, changetype<usize>(m), <usize>m.byteLength);
      to += <usize>(GRPC_PREFIX + m.byteLength);
      from = unchecked(ends[i]);
    }
    memory.copy(dst + to, this.p + <usize>from, <usize>(this.len - from));
    return buf;
  }
}
