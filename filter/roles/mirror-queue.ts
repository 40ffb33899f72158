// The mirror role's copies whose request has ended and whose body must be
// redacted before they go. Redaction never runs on the primary's path: the
// stream only appends chunks; here the copies wait, in order, and the root
// context's tick scans the first one in slices of at most limits.redaction_slice_us
// (the scanners stop where the step's byte budget runs out, redact/work.ts; the
// clock is read between steps, each sized to take about STEP_NS at the speed of
// the one before).
// What may be queued is bounded twice: every queued body counts against
// limits.max_buffered_bytes (it is held until sent), and a token bucket admits
// at most limits.redaction_bytes_per_second of bodies (skipped.redaction_budget).
import { Copy } from "../copy/copy";
import { SlotHold } from "./mirror-shadow";
import { PrimarySide } from "../compare/primary";
import { CodecResult } from "../body/codec";
import { Tally } from "../redact/tally";
import { WORK, UNLIMITED } from "../redact/work";
import { nowNs, setTickPeriod } from "../host/hostcalls";
import { MirrorDispatch } from "./mirror-dispatch";
import { MirrorMetrics } from "../host/metrics";

/** The smallest and the largest step between two looks at the clock, in bytes. */
const STEP_MIN: f64 = 1;
const STEP_MAX: f64 = 262144;
/** What one step should take, in nanoseconds: a slice ends at most about this long after its time is up. */
const STEP_NS: f64 = 50000;

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

  /** The scan's outcome and counts, once its scan is over (finish()); the copy is sent after. */
  result: CodecResult | null = null;
  tally: Tally | null = null;

  /** Reads the outcome of the copy's scan (the edits applied): a step of its own, before the calls. */
  finish(): void {
    const r = new CodecResult();
    const t = new Tally();
    this.copy.codec!.finish(t, r);
    this.result = r;
    this.tally = t;
  }
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
  /** The next step, in bytes (a cautious start: it doubles from there while steps stay short). */
  private step: i32 = 64;
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

  /** Copies not sent yet: queued, and the one whose scan is over but waits for the next slice. */
  get waiting(): i32 {
    return this.length + (this.ready != null ? 1 : 0);
  }

  /** A copy whose scan is over, to go on at the start of the next slice. */
  private ready: QueuedCopy | null = null;

  /**
   * One slice from the tick, of at most sliceNs and one step more. A copy whose scan ended
   * late in the last slice goes on first: applying its edits (finish) and making its calls
   * are not cut, so each is a step of its own, never after half a slice of other work.
   */
  slice(sliceNs: u64, out: MirrorDispatch, m: MirrorMetrics): void {
    const startNs = nowNs();
    const deadline = startNs + sliceNs;
    const half = sliceNs >> 1;
    const ready = this.ready;
    if (ready != null) {
      this.ready = null;
      if (ready.result == null) {
        ready.finish();
        if (nowNs() - startNs > half) this.ready = ready;
        else this.send(ready, out, m);
      } else this.send(ready, out, m);
    }
    // Every slice moves the work on (work() takes one step at least), then stops when its time is up.
    let first = this.ready == null;
    while (this.ready == null && this.length > 0 && (first || nowNs() < deadline)) {
      first = false;
      const q = this.work(deadline);
      if (q == null) break;
      if (nowNs() - startNs <= half) q.finish();
      if (q.result == null || nowNs() - startNs > half) {
        this.ready = q;
        break;
      }
      this.send(q, out, m);
    }
    m.redactionSlices.inc();
    m.redactionSliceUs.record((nowNs() - startNs) / 1000);
  }

  private send(q: QueuedCopy, out: MirrorDispatch, m: MirrorMetrics): void {
    const t = nowNs();
    m.redactionWaitMs.record((t - q.queuedNs) / 1000000);
    out.dispatch(q.copy, q.trailers, q.hold, q.primary, q.result, q.tally);
    m.redactionDispatchUs.record((nowNs() - t) / 1000);
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

  /** The tick's period while no copy waits (the comparison's pace; 0: no tick). */
  idleTickMs: u32 = 0;
  /** The tick runs every millisecond while copies wait. */
  private busy: bool = false;
  /** What the redaction.queued gauge says now. */
  private reported: i32 = 0;

  /** Queues a copy; the tick runs every millisecond from now on, until the queue is empty. */
  enqueue(q: QueuedCopy, m: MirrorMetrics): void {
    this.push(q);
    this.report(m);
    if (!this.busy) {
      this.busy = true;
      setTickPeriod(1);
    }
  }

  /** From the tick: a slice of redaction while copies wait, then back to the idle period. */
  tick(out: MirrorDispatch, m: MirrorMetrics): void {
    if (this.waiting > 0) {
      this.slice(this.sliceNs, out, m);
      this.report(m);
    }
    if (this.busy && this.waiting == 0) {
      this.busy = false;
      setTickPeriod(this.idleTickMs);
    }
  }

  private report(m: MirrorMetrics): void {
    m.redactionQueued.add(<i64>this.waiting - this.reported);
    this.reported = this.waiting;
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
      codec.setMessageType(copy.messageType);
      codec.start(copy.body.ptr, copy.body.length);
      this.scanning = true;
    }
    let first = true;
    while (true) {
      const now = nowNs();
      // Each slice moves the scan on by one step at least; then it stops when its time is up.
      if (!first && now >= deadlineNs) return null;
      first = false;
      const budget = this.step;
      WORK.left = budget;
      const done = codec.advance();
      const read = budget - WORK.left;
      WORK.left = UNLIMITED;
      const took = nowNs() - now;
      // The next step aims at STEP_NS at the speed just seen, and at most doubles: a body's
      // parts differ in cost (a NUL check runs far faster than the detectors after it), so one
      // fast step must not size the next for the whole slice.
      let next = <f64>budget * 2;
      if (took > 0 && read > 0) {
        const ideal = (<f64>read * <f64>STEP_NS) / <f64>took;
        if (ideal < next) next = ideal;
      }
      this.step = next < STEP_MIN ? <i32>STEP_MIN : next > STEP_MAX ? <i32>STEP_MAX : <i32>next;
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
