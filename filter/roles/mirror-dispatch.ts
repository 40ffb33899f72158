// The mirror role's sending side: a complete copy goes to every shadow that
// still expects it (dispatch_http_call, fire-and-forget), its body redacted once
// and its headers built once; the calls in flight and their answers; and the
// bodies held for copies, counted against limits.max_buffered_bytes.
import { MirrorShadow, MirrorCall, SlotHold } from "./mirror-shadow";
import { Policy, UNSCANNABLE_SKIP } from "../policy/types";
import { MirrorMetrics } from "../host/metrics";
import { Redaction } from "../redact/redaction";
import { CopyHeaders, AUTHORITY_SHADOW } from "../copy/builder";
import { Copy, TARGET_NONE, TARGET_BODY, TARGET_HEADERS_ONLY } from "../copy/copy";
import { CodecResult } from "../body/codec";
import { REASON_BYTES, REASON_TOO_LARGE } from "../body/plan";
import { Comparison } from "../compare/pairs";
import { Answer } from "../compare/answer";
import { PrimarySide } from "../compare/primary";
import { random } from "../host/random";
import { httpCall, logAt, LOG_WARN } from "../host/hostcalls";
import { Tally } from "../redact/tally";
import { Capture } from "../capture/capture";
import { Spares } from "./spares";

const EMPTY = new ArrayBuffer(0);

export class MirrorDispatch {
  /** Calls in flight to the shadows, by token. */
  calls: Map<u32, MirrorCall> = new Map<u32, MirrorCall>();
  /** capture / compare.capture: failing copies kept until their fate is known. */
  capture: Capture | null = null;

  constructor(
    private policy: Policy,
    private metrics: MirrorMetrics,
    private shadows: MirrorShadow[],
    private redaction: Redaction,
    private headers: CopyHeaders,
    private comparison: Comparison | null,
  ) {
    if (policy.capture.enabled) {
      const capture = new Capture(policy.capture, redaction, comparison != null, <u64>policy.maxBufferedBytes, metrics.buffered);
      this.capture = capture;
      if (comparison != null) comparison.capture = capture;
    }
  }

  onCallResponse(token: u32, headers: u32, bodySize: u32): void {
    const cap = this.capture;
    if (cap != null && cap.onCallResponse(token, headers)) return;
    const comparison = this.comparison;
    if (comparison != null && comparison.onCallResponse(token, headers, bodySize)) return;
    if (!this.calls.has(token)) return;
    const call = this.calls.get(token);
    this.calls.delete(token);
    call.release();
    const outcome = this.shadows[call.shadow].answered(this.metrics, headers, call.grpc);
    this.spareCalls.keep(call);
    if (cap != null) cap.answered(token, outcome);
  }

  /** Answered calls' records, for the next calls. */
  private spareCalls: Spares<MirrorCall> = new Spares<MirrorCall>(1024);

  private newCall(): MirrorCall {
    const c = this.spareCalls.take();
    return c != null ? c : new MirrorCall();
  }

  /** A copy that goes nowhere: its body is freed, its slots go back. */
  discard(copy: Copy, hold: SlotHold | null, primary: PrimarySide | null): void {
    this.release(copy);
    settle(hold);
    if (primary != null) primary.expecting = false;
  }

  /**
   * Sends a complete copy to every shadow that still expects it: the body
   * redacted once (scanned: the outcome of its codec's scan, with its counts),
   * the headers built once and finished per shadow.
   */
  dispatch(copy: Copy, trailers: ArrayBuffer, hold: SlotHold | null, primary: PrimarySide | null, scanned: CodecResult | null, counted: Tally | null): void {
    const m = this.metrics;
    const redaction = this.redaction;
    const tally = redaction.tally;
    tally.reset();
    if (counted != null) tally.add(counted);
    let body: usize = 0;
    let bodyLen: usize = 0;
    let rewritten: ArrayBuffer | null = null;
    const sink = copy.body;
    if (sink.length > 0 && copy.collecting()) {
      body = sink.ptr;
      bodyLen = <usize>sink.length;
      if (scanned != null) {
        const r = scanned;
        if (r.failed) {
          // Never sent as it is.
          m.bodyUnscannable[r.reason].inc();
          body = 0;
          bodyLen = 0;
          if (this.policy.redact.onUnscannable == UNSCANNABLE_SKIP) {
            this.skipAll(copy, true);
            this.discard(copy, hold, primary);
            return;
          }
          copy.dropReason = r.reason;
        } else if (r.body != null) {
          rewritten = r.body;
          body = changetype<usize>(rewritten);
          bodyLen = <usize>rewritten!.byteLength;
        }
      }
    }
    const comparison = this.comparison;
    const builder = this.headers;
    builder.prepare(copy.headers, AUTHORITY_SHADOW, true, tally);
    // Trailers are headers too: redacted the same way (Envoy 1.40 does not forward a call's trailers, a later one may).
    trailers = builder.trailers(trailers, tally);
    if (redaction.enabled) m.addTally(tally);
    copy.headers = EMPTY;
    let first: ArrayBuffer | null = null;
    let firstBody: usize = 0;
    let firstLen: usize = 0;
    let firstTimeout: u32 = 0;
    const cap = this.capture;
    if (cap != null) cap.begin(body, bodyLen, rewritten, trailers, copy.grpc, copy.heard, this.buffered);
    for (let i = 0; i < this.shadows.length; i++) {
      const target = unchecked(copy.targets[i]);
      if (target == TARGET_NONE) continue;
      unchecked((copy.targets[i] = TARGET_NONE));
      const shadow = this.shadows[i];
      const cfg = shadow.cfg;
      if (shadow.inflight >= cfg.maxInflight) {
        m.skippedInflightFull.inc();
        shadow.metrics.skippedInflightFull.inc();
        copy.drop(i);
        continue;
      }
      const withBody = target == TARGET_BODY && copy.dropReason < 0;
      const reason = target == TARGET_HEADERS_ONLY ? REASON_BYTES[REASON_TOO_LARGE] : copy.dropReason >= 0 ? REASON_BYTES[copy.dropReason] : EMPTY;
      // The shadow's own rule names the copy when it has match rules; else the policy's.
      const headers = builder.finish(cfg.authority, copy.labelFor(i), cfg.bodyDroppedHeader, reason);
      const cb = withBody ? body : 0;
      const cl = withBody ? bodyLen : 0;
      const token = httpCall(cfg.cluster, headers, cb, cl, trailers, cfg.timeoutMs);
      if (token < 0) {
        copy.drop(i);
        m.dispatchFailed.inc();
        shadow.metrics.dispatchFailed.inc();
        logAt(LOG_WARN, "mirrorshade: dispatch to shadow cluster " + cfg.clusterName + " failed with result " + (-token).toString());
        continue;
      }
      if (hold != null) hold.count++;
      this.calls.set(<u32>token, this.newCall().set(i, copy.takeSlot(i), hold, copy.grpc));
      shadow.sent(m, reason.byteLength > 0);
      if (cap != null) cap.track(<u32>token, cfg.name, headers, cl > 0);
      if (comparison != null) {
        primary!.open(<u32>token, cfg.name, headers);
        if (first == null) {
          first = headers;
          firstBody = cb;
          firstLen = cl;
          firstTimeout = cfg.timeoutMs;
        }
      }
    }
    if (cap != null) cap.end();
    settle(hold);
    if (primary != null) primary.expecting = false;
    if (comparison != null && first != null) {
      const cfg = comparison.cfg;
      if (cfg.noiseCluster.byteLength > 0 && random() * 100 < cfg.noisePercent) {
        // The same copy to a second instance of the primary's version: where the two
        // primaries differ is noise (timestamps, ids, redaction effects).
        const second = httpCall(cfg.noiseCluster, first!, firstBody, firstLen, trailers, firstTimeout);
        if (second >= 0) comparison.openSecondary(<u32>second, new Answer(), primary!.pairs.slice());
      }
    }
    // Envoy copied the body into each call: the buffer goes now.
    this.release(copy);
  }

  /** The copy's body is no longer held: freed, its capacity leaves the VM's budget. */
  release(copy: Copy): void {
    // A borrowed body (the host's chunk) holds no capacity: it is only let go.
    const capacity = copy.body.capacity;
    if (capacity > 0) this.hold(-capacity);
    copy.body.free();
  }

  /** Capacity of the bodies held for copies, per VM (limits.max_buffered_bytes bounds it, with what captures keep). */
  buffered: u64 = 0;

  /** Bytes held against limits.max_buffered_bytes: copies' bodies and what captures keep. */
  used(): u64 {
    const cap = this.capture;
    return cap != null ? this.buffered + cap.held : this.buffered;
  }

  hold(delta: i32): void {
    this.buffered = <u64>(<i64>this.buffered + <i64>delta);
    this.metrics.buffered.add(<i64>delta);
  }

  /** No shadow gets this copy: gives back every slot (counted as unscannable when it is why). */
  skipAll(copy: Copy, unscannable: bool): void {
    for (let i = 0; i < this.shadows.length; i++) {
      if (unchecked(copy.targets[i]) == TARGET_NONE) continue;
      copy.drop(i);
      if (unscannable) {
        this.metrics.skippedUnscannable.inc();
        this.shadows[i].metrics.skippedUnscannable.inc();
      }
    }
  }

}

/** After dispatching: a hold no call took goes back now. */
export function settle(h: SlotHold | null): void {
  if (h != null && h.count == 0) h.slot.add(-1, 0);
}

