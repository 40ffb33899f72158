// A copy in progress (mirror role): one request's headers and body, the shadows
// it goes to and what each still expects, held as a value apart from the stream
// callbacks, so that whoever holds it (the stream now; the root context, to
// redact and send later, off the primary's path) can advance it: append chunks,
// then complete it.
import { ByteSink } from "../util/bytes";
import { BodyPlan } from "../body/plan";
import { BodyCodec } from "../body/codec";
import { Decision } from "../select/selector";

/** What a copy still expects for one shadow. */
export const TARGET_NONE: u8 = 0; // not selected, or already settled (skipped)
export const TARGET_BODY: u8 = 1; // the copy with its body
export const TARGET_HEADERS_ONLY: u8 = 2; // the copy without its body (over this shadow's max_body_bytes)

export class Copy {
  headers: ArrayBuffer = new ArrayBuffer(0);
  plan: BodyPlan = new BodyPlan();
  codec: BodyCodec | null = null;
  body: ByteSink | null = null;
  /** Per shadow, by index: TARGET_*. */
  targets: StaticArray<u8>;
  /** Per shadow: its own select's decision (the slot it took, the rule label). */
  decisions: Decision[] = [];
  /** The policy's select decision (its slot is held until the last call answers). */
  decision: Decision = new Decision();
  /** Largest body a shadow still wants. */
  limit: u32 = 0;
  /** Why the body was dropped for every shadow (a REASON_* index), or -1. */
  dropReason: i32 = -1;

  constructor(shadows: i32) {
    this.targets = new StaticArray<u8>(shadows);
    for (let i = 0; i < shadows; i++) this.decisions.push(new Decision());
  }

  /** Starts over for a new request (the stream reuses nothing; kept for clarity of state). */
  wants(i: i32): bool {
    return unchecked(this.targets[i]) != TARGET_NONE;
  }

  /** Whether any shadow still wants the body. */
  collecting(): bool {
    for (let i = 0; i < this.targets.length; i++) if (unchecked(this.targets[i]) == TARGET_BODY) return true;
    return false;
  }

  /** Whether any shadow still expects a copy. */
  pending(): bool {
    for (let i = 0; i < this.targets.length; i++) if (unchecked(this.targets[i]) != TARGET_NONE) return true;
    return false;
  }

  /** Appends a chunk to the body (the caller checked the limit). */
  append(p: usize, len: i32): void {
    if (len <= 0) return;
    let sink = this.body;
    if (sink == null) {
      sink = new ByteSink(len);
      this.body = sink;
    }
    sink.append(p, len);
    const codec = this.codec;
    if (codec != null) codec.consume(p, len);
  }

  get bodyLength(): i32 {
    const b = this.body;
    return b == null ? 0 : b.length;
  }
}
