// One shadow of the mirror role at run time: its compiled configuration, its own
// selector and counters, and its copies in flight; and the bookkeeping of one
// call (which shadow, which in-flight slots it holds until it answers).
import { ShadowConfig, SelectConfig } from "../policy/types";
import { ShadowMetrics, MirrorMetrics } from "../host/metrics";
import { Selector } from "../select/selector";
import { SharedCounter } from "../select/budget";
import { getHeaderPairs, HEADERS_HTTP_CALL_RESPONSE, TRAILERS_HTTP_CALL_RESPONSE } from "../host/hostcalls";
import { utf8, parseDecimal, bytesEqual, HeaderCursor } from "../util/bytes";
import { ANSWER_OK, ANSWER_5XX, ANSWER_GRPC_ERROR, ANSWER_RESET, ANSWER_LOCAL_REPLY, ANSWER_TIMEOUT } from "../capture/outcome";
import { grpcStatusIn, grpcStatusOfHttp, GRPC_STATUS_NONE, GRPC_STATUS_INVALID, GRPC_UNKNOWN } from "../grpc/status";

const H_STATUS = utf8(":status");
const H_UPSTREAM_TIME = utf8("x-envoy-upstream-service-time");
const EMPTY_MAP = new ArrayBuffer(0);
/** Walks a call's answer headers (the VM runs one callback at a time). */
const answerCursor = new HeaderCursor(new ArrayBuffer(0));
/**
 * The gRPC status of a call's answer: grpc-status from its trailers, else from its
 * headers (a trailers-only answer), else mapped from the HTTP status. A value that
 * is no status code counts as UNKNOWN.
 */
function grpcStatusOfAnswer(code: i64): i32 {
  let s = grpcStatusIn(TRAILERS_HTTP_CALL_RESPONSE);
  if (s == GRPC_STATUS_NONE) s = grpcStatusIn(HEADERS_HTTP_CALL_RESPONSE);
  if (s == GRPC_STATUS_NONE) return grpcStatusOfHttp(code);
  return s == GRPC_STATUS_INVALID ? GRPC_UNKNOWN : s;
}

/** The policy's select.max_inflight slot of one request, held until the last of its copies answers. */
export class SlotHold {
  count: i32 = 0;
  constructor(public slot: SharedCounter) {}

  /** One copy answered (or was not sent); the slot goes back with the last. */
  done(): void {
    if (--this.count <= 0) this.slot.add(-1, 0);
  }
}

export class MirrorCall {
  shadow: i32 = 0;
  /** The shadow's own select.max_inflight slot, if it took one. */
  slot: SharedCounter | null = null;
  hold: SlotHold | null = null;
  /** A gRPC call: its answer is counted by grpc-status too. */
  grpc: bool = false;

  /** The call now tracked (a new or a reused object). */
  set(shadow: i32, slot: SharedCounter | null, hold: SlotHold | null, grpc: bool): MirrorCall {
    this.shadow = shadow;
    this.slot = slot;
    this.hold = hold;
    this.grpc = grpc;
    return this;
  }

  /** The call answered: its slots go back, and it holds nothing any more. */
  release(): void {
    const s = this.slot;
    this.slot = null;
    if (s != null) s.add(-1, 0);
    const h = this.hold;
    this.hold = null;
    if (h != null) h.done();
  }
}

export class MirrorShadow {
  metrics: ShadowMetrics;
  selector: Selector;
  /** Copies in flight from this worker (bounded by max_inflight). */
  inflight: u32 = 0;

  constructor(public cfg: ShadowConfig, index: i32) {
    this.metrics = new ShadowMetrics(cfg.name, cfg.select.enabled);
    // A shadow's own budgets are its alone; the policy's are keyed by all its clusters.
    this.selector = Selector.create(cfg.select, cfg.clusterName + "#" + index.toString());
  }

  /**
   * Publishes the share of matching requests this shadow gets: the smaller of the
   * policy's and its own percent when one point decides both (the same hash_header,
   * or none: one draw per request), else their product.
   */
  reportShare(top: SelectConfig): void {
    const own = this.cfg.select;
    const a = top.enabled ? top.percent : 100.0;
    const b = own.enabled ? own.percent : 100.0;
    const shared = bytesEqual(changetype<usize>(top.hashHeader), <usize>top.hashHeader.byteLength, own.hashHeader);
    const share = a >= 100 || b >= 100 || shared ? Math.min(a, b) : (a * b) / 100;
    this.metrics.configuredShare.record(<u64>Math.round(share * 10000));
  }

  sent(m: MirrorMetrics, withoutBody: bool): void {
    this.inflight++;
    m.inflight.add(1);
    this.metrics.inflight.add(1);
    m.mirrored.inc();
    this.metrics.mirrored.inc();
    if (withoutBody) {
      m.mirroredWithoutBody.inc();
      this.metrics.mirroredWithoutBody.inc();
    }
  }

  /** Counts a call's answer: by status class (and grpc-status for a gRPC call), or as a failure; how it turned out (capture/outcome.ts). */
  answered(m: MirrorMetrics, headers: u32, grpc: bool): i32 {
    if (this.inflight > 0) this.inflight--;
    m.inflight.add(-1);
    const sm = this.metrics;
    sm.inflight.add(-1);
    if (headers == 0) {
      // Reset, timeout, connect failure or overflow: Envoy calls back with no headers.
      m.shadowFailed.inc();
      sm.failures.inc();
      return ANSWER_RESET;
    }
    // One read of the answer's headers (one host call, not one per header): its :status, and whether
    // Envoy's router stamped x-envoy-upstream-service-time.
    const cur = answerCursor.reset(getHeaderPairs(HEADERS_HTTP_CALL_RESPONSE));
    let code: i64 = -1;
    let fromShadow = false;
    while (cur.next()) {
      if (code < 0 && cur.keyIs(H_STATUS)) code = parseDecimal(cur.valuePtr, cur.valueLen);
      else if (cur.keyIs(H_UPSTREAM_TIME)) fromShadow = true;
    }
    cur.reset(EMPTY_MAP);
    // Connect failures, resets and timeouts come back as Envoy's own local reply
    // (503/504). The router stamps x-envoy-upstream-service-time only on answers
    // that came from the shadow itself, which tells the two apart.
    if (!fromShadow) {
      m.shadowFailed.inc();
      sm.failures.inc();
      if (code == 504) {
        m.shadowTimeouts.inc();
        sm.timeouts.inc();
        return ANSWER_TIMEOUT;
      }
      return ANSWER_LOCAL_REPLY;
    }
    let outcome = ANSWER_OK;
    if (grpc) {
      const g = grpcStatusOfAnswer(code);
      m.shadowGrpc.of(g).inc();
      sm.grpc.of(g).inc();
      if (g != 0) outcome = ANSWER_GRPC_ERROR;
    }
    if (code >= 200 && code < 300) {
      m.shadow2xx.inc();
      sm.responses2xx.inc();
    } else if (code >= 300 && code < 400) {
      m.shadow3xx.inc();
      sm.responses3xx.inc();
    } else if (code >= 400 && code < 500) {
      m.shadow4xx.inc();
      sm.responses4xx.inc();
    } else if (code >= 500) {
      m.shadow5xx.inc();
      sm.responses5xx.inc();
      return ANSWER_5XX;
    } else {
      m.shadowFailed.inc();
      sm.failures.inc();
      return ANSWER_RESET;
    }
    return outcome;
  }
}
