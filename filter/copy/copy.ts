// A copy in progress (mirror role): one request's headers and body, the shadows
// it goes to and what each still expects, held as a value apart from the stream
// callbacks, so that whoever holds it (the stream now; the root context, to
// redact and send later, off the primary's path) can advance it: append chunks,
// then complete it. Made only for a request that some shadow selected.
import { BodyBuffer } from "./body";
import { BodyCodec } from "../body/codec";
import { SharedCounter } from "../select/budget";
import { ProtoMethod, ProtoMessage } from "../proto/schema";
import { PrimaryHeard } from "../capture/retained";

const EMPTY = new ArrayBuffer(0);

/** What a copy still expects for one shadow. */
export const TARGET_NONE: u8 = 0; // not selected, or already settled (skipped)
export const TARGET_BODY: u8 = 1; // the copy with its body
export const TARGET_HEADERS_ONLY: u8 = 2; // the copy without its body (over this shadow's max_body_bytes)

/** What the shadows' own select sections decided, per shadow (only when some shadow has one). */
export class ShadowChoices {
  /** The label of the shadow's own selecting rule (empty: none). */
  labels: ArrayBuffer[];
  /** The shadow's own select.max_inflight slot, until the call takes it or the copy is dropped. */
  slots: Array<SharedCounter | null>;

  constructor(n: i32) {
    this.labels = new Array<ArrayBuffer>(n);
    this.slots = new Array<SharedCounter | null>(n);
    for (let i = 0; i < n; i++) {
      unchecked((this.labels[i] = EMPTY));
      unchecked((this.slots[i] = null));
    }
  }
}

export class Copy {
  headers: ArrayBuffer = EMPTY;
  /** The body plan (body/plan.ts BODY_*), and its codec when the body is scanned. */
  planKind: u8 = 0;
  codec: BodyCodec | null = null;
  /** The body collected so far (freed by release()). */
  body: BodyBuffer = new BodyBuffer();
  /** Per shadow, by index: TARGET_*. */
  targets: StaticArray<u8>;
  /** The label of the policy's selecting rule (empty: none). */
  label: ArrayBuffer = EMPTY;
  choices: ShadowChoices | null = null;
  /** Why the body was dropped for every shadow (a REASON_* index), or -1. */
  dropReason: i32 = -1;
  /** A gRPC call (content-type application/grpc*): its answers are counted by grpc-status. */
  grpc: bool = false;
  /** The gRPC method the :path calls, when the policy's descriptor knows it (its input type types the body's messages). */
  method: ProtoMethod | null = null;
  /** A gRPC call: when its headers came (nowNs), for the shadows' timeout_ms on the stream. */
  startedNs: u64 = 0;
  /** With capture: the primary's answer headers, as the stream sees them. */
  heard: PrimaryHeard | null = null;

  /** The type of the body's messages for the codec (the method's input type; null: none). */
  get messageType(): ProtoMessage | null {
    const m = this.method;
    return m != null ? m.input : null;
  }

  constructor(shadows: i32) {
    this.targets = new StaticArray<u8>(shadows);
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

  /** The label a shadow's copy carries: the shadow's own rule's, else the policy's. */
  labelFor(i: i32): ArrayBuffer {
    const c = this.choices;
    if (c != null) {
      const own = unchecked(c.labels[i]);
      if (own.byteLength > 0) return own;
    }
    return this.label;
  }

  /** Takes shadow i's own in-flight slot (the call holds it from now on), or null. */
  takeSlot(i: i32): SharedCounter | null {
    const c = this.choices;
    if (c == null) return null;
    const s = unchecked(c.slots[i]);
    unchecked((c.slots[i] = null));
    return s;
  }

  /** Shadow i gets no copy: its target is settled and its own slot given back. */
  drop(i: i32): void {
    unchecked((this.targets[i] = TARGET_NONE));
    const s = this.takeSlot(i);
    if (s != null) s.add(-1, 0);
  }

  /** Appends a chunk to the body with the capacity the caller checked against the budget (BodyBuffer.capacityFor). */
  append(p: usize, len: i32, capacity: i32): void {
    if (len <= 0) return;
    this.body.append(p, len, capacity);
    const codec = this.codec;
    if (codec != null) codec.consume(p, len);
  }

  /** The whole body in one chunk, borrowed from the host's buffer (BodyBuffer.borrow): no copy, nothing held. */
  borrow(chunk: ArrayBuffer): void {
    if (chunk.byteLength <= 0) return;
    this.body.borrow(chunk);
    const codec = this.codec;
    if (codec != null) codec.consume(changetype<usize>(chunk), chunk.byteLength);
  }

  get bodyLength(): i32 {
    return this.body.length;
  }
}

