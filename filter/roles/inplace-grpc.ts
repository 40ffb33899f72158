// The in-place roles' gRPC bodies, redacted message by message as they stream
// (Envoy's native mirroring streams the copy; a long client stream is mirrored
// live): each chunk's complete messages go on redacted in its place, and only
// the message still incomplete at its end is held, until the chunk that
// completes it. A message declared longer than inplace.max_body_bytes is not
// held (too_large); a failure mid-stream empties the rest of the stream (the
// messages already sent were redacted); a partial message at the end is never
// sent (invalid_grpc_frame).
import { GrpcCodec } from "../body/grpc";
import { GRPC_PREFIX, frameLength, prefixFailure } from "../grpc/frame";
import { CodecResult, scanWhole } from "../body/codec";
import { REASON_TOO_LARGE, REASON_INVALID_GRPC_FRAME } from "../body/plan";
import { ProtoMessage } from "../proto/schema";
import { Tally } from "../redact/tally";
import { BodyBuffer } from "../copy/body";

const EMPTY = new ArrayBuffer(0);
/** A held buffer grown past this is freed once it empties (a long message's room is not kept for the stream's life). */
const KEEP_CAPACITY: i32 = 65536;

export class GrpcStream {
  /**
   * The stream's incomplete tail so far (part of a prefix, or a prefix and part
   * of its message), in memory the filter frees itself (release()). Chunks are
   * appended as they come (amortized growth) and a message's prefix is read
   * once per chunk: linear in the stream however it is chunked.
   */
  private held: BodyBuffer = new BodyBuffer();
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
    const had = held.length;
    let p = changetype<usize>(chunk);
    let len = chunk.byteLength;
    if (had > 0) {
      held.append(p, len, held.capacityFor(len, U64.MAX_VALUE));
      p = held.ptr;
      len = held.length;
    }
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
    if (cut == 0) {
      if (bad >= 0) return this.fail(bad);
      if (had == 0) held.append(p, len, held.capacityFor(len, U64.MAX_VALUE));
      return EMPTY;
    }
    const codec = this.codec;
    r.reset();
    codec.begin();
    codec.setMessageType(this.type);
    scanWhole(codec, p, cut, tally, r);
    if (r.failed) return this.fail(r.reason);
    let out = r.body;
    if (out == null && (had > 0 || cut < len)) {
      // Unchanged but not exactly the chunk: the complete messages' bytes.
      out = new ArrayBuffer(cut);
      memory.copy(changetype<usize>(out), p, <usize>cut);
    }
    if (bad >= 0) {
      this.failure = bad;
      this.release();
    } else if (cut < len) {
      // The tail (at most this chunk's bytes) is what is held now.
      if (had > 0) {
        memory.copy(held.ptr, held.ptr + <usize>cut, <usize>(len - cut));
        held.length = len - cut;
      } else held.append(p + <usize>cut, len - cut, held.capacityFor(len - cut, U64.MAX_VALUE));
    } else this.emptied();
    return out;
  }

  /** The stream ended: a message still held was cut short (REASON_INVALID_GRPC_FRAME, never sent), else -1. */
  end(): i32 {
    const partial = this.held.length > 0;
    this.release();
    return partial ? <i32>REASON_INVALID_GRPC_FRAME : -1;
  }

  /** Frees what is held (the stream ended, failed or went away). */
  release(): void {
    this.held.free();
  }

  private emptied(): void {
    const held = this.held;
    if (held.capacity > KEEP_CAPACITY) held.free();
    else held.length = 0;
  }

  private fail(reason: i32): ArrayBuffer {
    this.failure = reason;
    this.release();
    return EMPTY;
  }
}
