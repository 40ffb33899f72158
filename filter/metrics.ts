// Counters the filter reports in Envoy's stats. Envoy stores them under
// "wasmcustom." and shows them in /stats without that prefix.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";

const METRIC_COUNTER: i32 = 0;
const METRIC_GAUGE: i32 = 1;

function define(kind: i32, name: string): u32 {
  const id = memory.data(4);
  const b = String.UTF8.encode(name);
  if (imports.proxy_define_metric(kind, changetype<usize>(b), b.byteLength, id) != 0) return 0xffffffff;
  return load<u32>(id);
}

/** A metric id that is a no-op when the host refused to define it, so counting never faults. */
export class Metric {
  constructor(public id: u32) {}
  inc(): void {
    if (this.id != 0xffffffff) imports.proxy_increment_metric(this.id, 1);
  }
  add(delta: i64): void {
    if (this.id != 0xffffffff) imports.proxy_increment_metric(this.id, delta);
  }
}

export const PREFIX = "mirrorshade.";

export class MirrorMetrics {
  requests: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "requests"));
  mirrored: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "mirrored"));
  mirroredWithoutBody: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "mirrored_without_body"));
  skippedBodyTooLarge: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "skipped.body_too_large"));
  skippedInflightFull: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "skipped.inflight_full"));
  skippedIncomplete: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "skipped.request_incomplete"));
  dispatchFailed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "skipped.dispatch_failed"));
  tagStripped: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "primary.tag_stripped"));
  shadow2xx: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "shadow.responses.2xx"));
  shadow3xx: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "shadow.responses.3xx"));
  shadow4xx: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "shadow.responses.4xx"));
  shadow5xx: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "shadow.responses.5xx"));
  shadowFailed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "shadow.failures"));
  shadowTimeouts: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "shadow.timeouts"));
  inflight: Metric = new Metric(define(METRIC_GAUGE, PREFIX + "shadow.inflight"));
}
