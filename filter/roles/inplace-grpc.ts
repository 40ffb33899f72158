// The in-place roles' gRPC bodies, redacted message by message as they stream
// (Envoy's native mirroring streams the copy; a long client stream is mirrored
// live): each chunk's complete messages go on redacted in its place, and only
// the message still incomplete at its end is held, until the chunk that
// completes it. A message declared longer than inplace.max_body_bytes is not
// held (too_large); a failure mid-stream empties the rest of the stream (the
// messages already sent were redacted); a partial message at the end is never
// sent (invalid_grpc_frame).
import { GrpcCodec, GRPC_PREFIX, frameLength, prefixFailure } from "../body/grpc";
import { CodecResult, scanWhole } from "../body/codec";
import { REASON_TOO_LARGE, REASON_INVALID_GRPC_FRAME } from "../body/plan";
import { ProtoMessage } from "../proto/schema";
import { Tally } from "../redact/tally";

const EMPTY = new ArrayBuffer(0);

export class GrpcStream {
  /** The stream's incomplete tail so far (part of a prefix, or a prefix and part of its message). */
  private held: ArrayBuffer = EMPTY;
  /** After chunk() returned: -1, or the REASON_* why the rest of the stream is not sent. */
  failure: i32 = -1;

  /**
   * @param codec the policy's gRPC codec (shared by every stream: each chunk is scanned whole, within one callback)
   * @param type the messages' type (the method's input type; null: none)
   * @param max inplace.max_body_bytes: the longest message held
   */
  constructor(private codec: GrpcCodec, private type: ProtoMessage | null, private max: u32) {}

  /**
   * One chunk as Envoy hands it: the bytes to send in its place (its complete
   * messages, redacted), or null to send it as it is. On failure (this.failure)
   * the caller empties the chunk and the rest of the stream.
   */
  chunk(chunk: ArrayBuffer, tally: Tally, r: CodecResult): ArrayBuffer | null {
    const held = this.held;
    let data = chunk;
    if (held.byteLength > 0) {
      data = new ArrayBuffer(held.byteLength + chunk.byteLength);
      memory.copy(changetype<usize>(data), changetype<usize>(held), <usize>held.byteLength);
      memory.copy(changetype<usize>(data) + <usize>held.byteLength, changetype<usize>(chunk), <usize>chunk.byteLength);
    }
    const p = changetype<usize>(data);
    const len = data.byteLength;
    // The complete frames end at `cut`; a prefix is judged as soon as its flag (and then its length) is in.
    let cut = 0;
    let bad: i32 = -1;
    while (cut < len) {
      bad = prefixFailure(p + <usize>cut);
      if (bad >= 0) break;
      if (len - cut < GRPC_PREFIX) break;
      const n = frameLength(p + <usize>cut);
      if (n > this.max) {
        bad = REASON_TOO_LARGE;
        break;
      }
      if (<u64>n > <u64>(len - cut - GRPC_PREFIX)) break;
      cut += GRPC_PREFIX + <i32>n;
    }
    // The messages before a bad frame still go (redacted); nothing from it on does.
    this.held = bad < 0 && cut < len ? data.slice(cut) : EMPTY;
    if (cut == 0) return bad >= 0 ? this.fail(bad) : EMPTY;
    const codec = this.codec;
    r.reset();
    codec.begin();
    codec.setMessageType(this.type);
    scanWhole(codec, p, cut, tally, r);
    if (r.failed) return this.fail(r.reason);
    if (bad >= 0) this.failure = bad;
    const out = r.body;
    if (out != null) return out;
    // Unchanged: as it is when it is exactly the chunk.
    return held.byteLength == 0 && cut == len ? null : data.slice(0, cut);
  }

  /** The stream ended: a message still held was cut short (REASON_INVALID_GRPC_FRAME, never sent), else -1. */
  end(): i32 {
    const partial = this.held.byteLength > 0;
    this.held = EMPTY;
    return partial ? <i32>REASON_INVALID_GRPC_FRAME : -1;
  }

  private fail(reason: i32): ArrayBuffer {
    this.failure = reason;
    this.held = EMPTY;
    return EMPTY;
  }
}
