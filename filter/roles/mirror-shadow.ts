// One shadow of the mirror role at run time: its compiled configuration, its own
// selector and counters, and its copies in flight; and the bookkeeping of one
// call (which shadow, which in-flight slots it holds until it answers).
import { ShadowConfig } from "../policy/types";
import { ShadowMetrics, MirrorMetrics } from "../host/metrics";
import { Selector } from "../select/selector";
import { SharedCounter } from "../select/budget";
import { getHeader, HEADERS_HTTP_CALL_RESPONSE, TRAILERS_HTTP_CALL_RESPONSE } from "../host/hostcalls";
import { utf8, parseDecimal } from "../util/bytes";
import { parseGrpcStatus } from "../grpc/status";

const H_STATUS = utf8(":status");
const H_UPSTREAM_TIME = utf8("x-envoy-upstream-service-time");
const H_GRPC_STATUS = utf8("grpc-status");

// gRPC status codes (grpc/status.ts GRPC_STATUS_NAMES' order).
const GRPC_UNKNOWN: i32 = 2;
const GRPC_PERMISSION_DENIED: i32 = 7;
const GRPC_UNIMPLEMENTED: i32 = 12;
const GRPC_INTERNAL: i32 = 13;
const GRPC_UNAVAILABLE: i32 = 14;
const GRPC_UNAUTHENTICATED: i32 = 16;

/** The gRPC status of an answer without grpc-status, from its HTTP status (grpc/grpc doc/http-grpc-status-mapping.md). */
export function grpcStatusOfHttp(code: i64): i32 {
  if (code == 400) return GRPC_INTERNAL;
  if (code == 401) return GRPC_UNAUTHENTICATED;
  if (code == 403) return GRPC_PERMISSION_DENIED;
  if (code == 404) return GRPC_UNIMPLEMENTED;
  if (code == 429 || code == 502 || code == 503 || code == 504) return GRPC_UNAVAILABLE;
  return GRPC_UNKNOWN;
}

/**
 * The gRPC status of a call's answer: grpc-status from its trailers, else from its
 * headers (a trailers-only answer), else mapped from the HTTP status. A value that
 * is no status code counts as UNKNOWN.
 */
function grpcStatusOfAnswer(code: i64): i32 {
  let v = getHeader(TRAILERS_HTTP_CALL_RESPONSE, H_GRPC_STATUS);
  if (v == null) v = getHeader(HEADERS_HTTP_CALL_RESPONSE, H_GRPC_STATUS);
  if (v == null) return grpcStatusOfHttp(code);
  const s = parseGrpcStatus(changetype<usize>(v), <usize>v.byteLength);
  return s < 0 ? GRPC_UNKNOWN : s;
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
  constructor(
    public shadow: i32,
    /** The shadow's own select.max_inflight slot, if it took one. */
    public slot: SharedCounter | null,
    public hold: SlotHold | null,
    /** A gRPC call: its answer is counted by grpc-status too. */
    public grpc: bool = false,
  ) {}

  release(): void {
    const s = this.slot;
    if (s != null) s.add(-1, 0);
    const h = this.hold;
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

  /** Counts a call's answer: by status class (and grpc-status for a gRPC call), or as a failure. */
  answered(m: MirrorMetrics, headers: u32, grpc: bool): void {
    if (this.inflight > 0) this.inflight--;
    m.inflight.add(-1);
    const sm = this.metrics;
    sm.inflight.add(-1);
    if (headers == 0) {
      // Reset, timeout, connect failure or overflow: Envoy calls back with no headers.
      m.shadowFailed.inc();
      sm.failures.inc();
      return;
    }
    const status = getHeader(HEADERS_HTTP_CALL_RESPONSE, H_STATUS);
    const code = status == null ? -1 : parseDecimal(changetype<usize>(status), <usize>status.byteLength);
    // Connect failures, resets and timeouts come back as Envoy's own local reply
    // (503/504). The router stamps x-envoy-upstream-service-time only on answers
    // that came from the shadow itself, which tells the two apart.
    if (getHeader(HEADERS_HTTP_CALL_RESPONSE, H_UPSTREAM_TIME) == null) {
      m.shadowFailed.inc();
      sm.failures.inc();
      if (code == 504) {
        m.shadowTimeouts.inc();
        sm.timeouts.inc();
      }
      return;
    }
    if (grpc) {
      const g = grpcStatusOfAnswer(code);
      m.shadowGrpc.of(g).inc();
      sm.grpc.of(g).inc();
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
    } else {
      m.shadowFailed.inc();
      sm.failures.inc();
    }
  }
}
