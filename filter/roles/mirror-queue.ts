// The mirror role's copies whose request has ended and whose body must be
// redacted before they go. Redaction never runs on the primary's path: the
// stream only appends chunks; here the copies wait, in order, and the root
// context's tick scans the first one in slices of at most limits.redaction_slice_us
// (the scanners stop where the slice's byte budget runs out, redact/work.ts, and
// the budget of each step is sized from the speed measured on the step before).
// What may be queued is bounded twice: every queued body counts against
// limits.max_buffered_bytes (it is held until sent), and a token bucket admits
// at most limits.redaction_bytes_per_second of bodies (skipped.redaction_budget).
import { Copy } from "../copy/copy";
import { SlotHold } from "./mirror-shadow";
import { PrimarySide } from "../compare/primary";
import { WORK, UNLIMITED } from "../redact/work";
import { nowNs } from "../host/hostcalls";

/** The smallest and the largest step between two looks at the clock, in bytes (a slice's first step may be smaller: each slice moves the scan on). */
const STEP_MIN: f64 = 64;
const STEP_MAX: f64 = 1048576;

/** A copy waiting for its body to be redacted, with what its stream handed over. */
export class QueuedCopy {
  constructor(
    public copy: Copy,
    public trailers: ArrayBuffer,
    /** The policy's select.max_inflight slot, while the copy holds it. */
    public hold: SlotHold | null,
    /** With compare: the primary's answer, read while the copy waits. */
    public primary: PrimarySide | null,
    /** When the request ended. */
    public queuedNs: u64,
  ) {}
}

export class RedactionQueue {
  private items: Array<QueuedCopy | null> = [];
  private head: i32 = 0;
  /** The first copy's scan has begun. */
  private scanning: bool = false;
  private rate: f64;
  private tokens: f64;
  private refilledNs: u64 = 0;
  private sliceNs: u64;
  /** The last step's speed, in nanoseconds per byte (a cautious start: 50 MB/s). */
  private nsPerByte: f64 = 20;
  /** Bodies bytes queued and not yet sent. */
  queuedBytes: i64 = 0;

  constructor(bytesPerSecond: u32, sliceUs: u32) {
    this.rate = <f64>bytesPerSecond;
    this.tokens = this.rate;
    this.sliceNs = <u64>sliceUs * 1000;
  }

  get length(): i32 {
    return this.items.length - this.head;
  }

  /** Takes `bytes` from the redaction budget; false when it does not hold them (the copy is not sent). */
  admit(bytes: i32): bool {
    const now = nowNs();
    if (this.refilledNs != 0 && now > this.refilledNs) {
      const t = this.tokens + (<f64>(now - this.refilledNs) * this.rate) / 1e9;
      this.tokens = t < this.rate ? t : this.rate;
    }
    this.refilledNs = now;
    if (this.tokens < <f64>bytes) return false;
    this.tokens -= <f64>bytes;
    return true;
  }

  push(q: QueuedCopy): void {
    this.items.push(q);
    this.queuedBytes += q.copy.body.length;
  }

  /**
   * One slice: scans the first copy until its scan is over (returns it, taken
   * off the queue; call again for the next) or the slice's time is up (null).
   */
  work(deadlineNs: u64): QueuedCopy | null {
    if (this.head >= this.items.length) return null;
    const q = unchecked(this.items[this.head])!;
    const copy = q.copy;
    const codec = copy.codec!;
    if (!this.scanning) {
      codec.start(copy.body.ptr, copy.body.length);
      this.scanning = true;
    }
    let first = true;
    while (true) {
      const now = nowNs();
      const left = deadlineNs > now ? <f64>(deadlineNs - now) : 0;
      // Half of what the time left allows at the last speed: the clock is read between steps only.
      let step = left / this.nsPerByte / 2;
      if (step < STEP_MIN) {
        // Too little time for a step worth a look at the clock; but every slice moves the scan on.
        if (!first) return null;
        if (step < 1) step = 1;
      } else if (step > STEP_MAX) step = STEP_MAX;
      first = false;
      const budget = <i32>step;
      WORK.left = budget;
      const done = codec.advance();
      const read = budget - WORK.left;
      WORK.left = UNLIMITED;
      const took = nowNs() - now;
      if (read >= 256) {
        const speed = <f64>took / <f64>read;
        this.nsPerByte = speed > 0.05 ? speed : 0.05;
      }
      if (done) {
        this.scanning = false;
        this.take();
        return q;
      }
    }
  }

  /** Removes the first copy (its scan is over, or it is dropped). */
  private take(): void {
    const q = unchecked(this.items[this.head])!;
    this.queuedBytes -= q.copy.body.length;
    unchecked((this.items[this.head] = null));
    this.head++;
    if (this.head == this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
