// Counters the filter reports in Envoy's stats. Envoy stores them under
// "wasmcustom." and shows them in /stats without that prefix.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { Tally } from "./redact/tally";
import { REASON_NAMES } from "./redact/body";
import { DETECTOR_NAMES } from "./redact/detectors";
import { DECISION_NAMES } from "./select";

const METRIC_COUNTER: i32 = 0;
const METRIC_GAUGE: i32 = 1;
const METRIC_HISTOGRAM: i32 = 2;

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
  record(value: u64): void {
    if (this.id != 0xffffffff) imports.proxy_record_metric(this.id, value);
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
  /** Gauge: the VM's linear memory, refreshed every 1024 requests (for soak and leak checks). */
  memoryBytes: Metric = new Metric(define(METRIC_GAUGE, PREFIX + "vm.memory_bytes"));
  private memoryReported: i64 = 0;
  private sinceMemory: u32 = 0;

  /** Cheap enough for every request: a host call only once per 1024. */
  sampleMemory(): void {
    if (++this.sinceMemory < 1024 && this.memoryReported != 0) return;
    this.sinceMemory = 0;
    const now = <i64>memory.size() << 16;
    if (now != this.memoryReported) {
      this.memoryBytes.add(now - this.memoryReported);
      this.memoryReported = now;
    }
  }

  /** Selection decisions, by DECISION_* index. */
  decisions: Metric[] = DECISION_NAMES.map<Metric>((n: string) => new Metric(define(METRIC_COUNTER, PREFIX + "select." + n)));
  skippedUnscannable: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "skipped.unscannable_body"));
  /** Bodies not mirrored as they were, by REASON_* index. */
  bodyUnscannable: Metric[] = REASON_NAMES.map<Metric>((n: string) => new Metric(define(METRIC_COUNTER, PREFIX + "redact.body_unscannable." + n)));
  headersDropped: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.headers.dropped"));
  headersMasked: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.headers.masked"));
  headersHashed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.headers.hashed"));
  queryDropped: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.query.dropped"));
  queryMasked: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.query.masked"));
  queryHashed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.query.hashed"));
  jsonDropped: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.json.dropped"));
  jsonMasked: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.json.masked"));
  jsonHashed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "redact.json.hashed"));
  detectorHits: Metric[] = DETECTOR_NAMES.map<Metric>((n: string) => new Metric(define(METRIC_COUNTER, PREFIX + "redact.detector." + n)));

  addTally(t: Tally): void {
    addIf(this.headersDropped, t.headersDropped);
    addIf(this.headersMasked, t.headersMasked);
    addIf(this.headersHashed, t.headersHashed);
    addIf(this.queryDropped, t.queryDropped);
    addIf(this.queryMasked, t.queryMasked);
    addIf(this.queryHashed, t.queryHashed);
    addIf(this.jsonDropped, t.jsonDropped);
    addIf(this.jsonMasked, t.jsonMasked);
    addIf(this.jsonHashed, t.jsonHashed);
    for (let i = 0; i < 6; i++) addIf(unchecked(this.detectorHits[i]), unchecked(t.detectorHits[i]));
  }
}

// Counters take increments > 0 only; skipping zeros also saves a host call per rule kind.
function addIf(m: Metric, n: u32): void {
  if (n > 0) m.add(<i64>n);
}

export class GuardMetrics {
  untagged: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "guard.untagged"));
  taggedAllowed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "guard.tagged_allowed"));
  blocked: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "guard.blocked"));
  /** Per destination rule, by its name or index. */
  blockedByRule: Metric[] = [];

  constructor(labels: string[]) {
    for (let i = 0; i < labels.length; i++) this.blockedByRule.push(new Metric(define(METRIC_COUNTER, PREFIX + "guard.blocked." + labels[i])));
  }
}

export class InPlaceMetrics {
  /** Requests treated as mirrored copies. */
  copies: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "inplace.copies"));
  /** shadow role: requests that were not copies, passed untouched. */
  passed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "inplace.passed"));
  /** Copies answered locally because selection did not pass them. */
  notSelected: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "inplace.not_selected"));
}

export class CompareMetrics {
  compared: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.compared"));
  matched: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.matched"));
  mismatched: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.mismatched"));
  mismatchedStatus: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.mismatched.status"));
  mismatchedHeader: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.mismatched.header"));
  mismatchedBody: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.mismatched.body"));
  /** Pairs whose other half never came (timeout, primary reset, shadow failure). */
  unmatched: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.unmatched"));
  /** Shadow minus primary latency, in ms, split by sign (histograms take non-negative values). */
  shadowSlower: Metric = new Metric(define(METRIC_HISTOGRAM, PREFIX + "compare.shadow_slower_ms"));
  shadowFaster: Metric = new Metric(define(METRIC_HISTOGRAM, PREFIX + "compare.shadow_faster_ms"));
  /** Differences dropped because the two primaries differ there too. */
  noiseSuppressed: Metric = new Metric(define(METRIC_COUNTER, PREFIX + "compare.noise_suppressed"));
  /** Gauge: paths learned as noise. */
  noisePaths: Metric = new Metric(define(METRIC_GAUGE, PREFIX + "compare.noise_paths"));
}
