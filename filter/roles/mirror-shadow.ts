// One shadow of the mirror role at run time: its compiled configuration, its own
// selector and counters, and its copies in flight; and the bookkeeping of one
// call (which shadow, which in-flight slots it holds until it answers).
import { ShadowConfig } from "../policy/types";
import { ShadowMetrics, MirrorMetrics } from "../host/metrics";
import { Selector } from "../select/selector";
import { SharedCounter } from "../select/budget";
import { getHeader, HEADERS_HTTP_CALL_RESPONSE } from "../host/hostcalls";
import { utf8, parseDecimal } from "../util/bytes";

const H_STATUS = utf8(":status");
const H_UPSTREAM_TIME = utf8("x-envoy-upstream-service-time");

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

  /** Counts a call's answer: by status class, or as a failure. */
  answered(m: MirrorMetrics, headers: u32): void {
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
