// Counters the filter reports in Envoy's stats. Envoy 1.40 stores them under
// its custom stat namespace "wasmcustom.": /stats shows that prefix, /stats/prometheus
// drops it (and adds no "envoy_"); the bootstrap's stats_tags
// (harness/envoy/stats-tags.ts) turn the dotted parts into labels there, so names
// must stay unambiguous: a label value is a token, or a closed list, or last.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { Tally } from "../redact/tally";
import { REASON_NAMES } from "../body/plan";
import { DETECTOR_NAMES } from "../redact/detectors";
import { DECISION_NAMES } from "../select/selector";
import { GRPC_STATUS_NAMES } from "../grpc/status";

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

/** A counter, gauge or histogram named PREFIX + name. */
function counter(name: string): Metric {
  return new Metric(define(METRIC_COUNTER, PREFIX + name));
}
function gauge(name: string): Metric {
  return new Metric(define(METRIC_GAUGE, PREFIX + name));
}
function histogram(name: string): Metric {
  return new Metric(define(METRIC_HISTOGRAM, PREFIX + name));
}

/**
 * Counters by gRPC status code, under prefix + the code's name: each defined the
 * first time a code is counted (a policy that mirrors no gRPC shows none), its
 * name built that once.
 */
export class GrpcCounters {
  private m: Array<Metric | null> = new Array<Metric | null>(GRPC_STATUS_NAMES.length);

  constructor(private prefix: string) {}

  /** The counter of code 0..16. */
  of(code: i32): Metric {
    let c = unchecked(this.m[code]);
    if (c == null) {
      c = counter(this.prefix + unchecked(GRPC_STATUS_NAMES[code]));
      unchecked((this.m[code] = c));
    }
    return c!;
  }
}

export class MirrorMetrics {
  requests: Metric = counter("requests");
  mirrored: Metric = counter("mirrored");
  mirroredWithoutBody: Metric = counter("mirrored_without_body");
  skippedBodyTooLarge: Metric = counter("skipped.body_too_large");
  skippedInflightFull: Metric = counter("skipped.inflight_full");
  skippedIncomplete: Metric = counter("skipped.request_incomplete");
  /** gRPC copies not sent: their stream went over max_body_bytes or did not end within timeout_ms. */
  skippedStreamTooLong: Metric = counter("skipped.stream_too_long");
  /** Answers to gRPC copies, by grpc-status (shadow.grpc.<name>). */
  shadowGrpc: GrpcCounters = new GrpcCounters("shadow.grpc.");
  /** Copies not sent because the VM already held limits.max_buffered_bytes of bodies. */
  skippedMemoryBudget: Metric = counter("skipped.memory_budget");
  /** Gauge: bytes of request bodies held for copies. */
  buffered: Metric = gauge("buffered_bytes");
  /** Copies not sent because their body would have gone over limits.redaction_bytes_per_second. */
  skippedRedactionBudget: Metric = counter("skipped.redaction_budget");
  /** Gauge: copies waiting for their body to be redacted (off the primary's path, from the tick). */
  redactionQueued: Metric = gauge("redaction.queued");
  /** Slices of redaction work run from the tick, and how long each took on the worker, in microseconds. */
  redactionSlices: Metric = counter("redaction.slices");
  redactionSliceUs: Metric = histogram("redaction.slice_us");
  /** How long sending a redacted copy (its calls to the shadows) held the worker, in microseconds. */
  redactionDispatchUs: Metric = histogram("redaction.dispatch_us");
  /** How long copies waited between their request's end and their dispatch, in milliseconds. */
  redactionWaitMs: Metric = histogram("redaction.wait_ms");
  dispatchFailed: Metric = counter("skipped.dispatch_failed");
  tagStripped: Metric = counter("primary.tag_stripped");
  shadow2xx: Metric = counter("shadow.responses.2xx");
  shadow3xx: Metric = counter("shadow.responses.3xx");
  shadow4xx: Metric = counter("shadow.responses.4xx");
  shadow5xx: Metric = counter("shadow.responses.5xx");
  shadowFailed: Metric = counter("shadow.failures");
  shadowTimeouts: Metric = counter("shadow.timeouts");
  inflight: Metric = gauge("shadow.inflight");
  /** Gauge: the VM's linear memory, refreshed at each request's start when it changed (memory.size() is one instruction). */
  memoryBytes: Metric = gauge("vm.memory_bytes");
  private memoryReported: i64 = 0;

  sampleMemory(): void {
    const now = <i64>memory.size() << 16;
    if (now != this.memoryReported) {
      this.memoryBytes.add(now - this.memoryReported);
      this.memoryReported = now;
    }
  }

  /** Selection decisions, by DECISION_* index. */
  decisions: Metric[] = DECISION_NAMES.map<Metric>((n: string) => counter("select." + n));
  skippedUnscannable: Metric = counter("skipped.unscannable_body");
  /** Bodies not mirrored as they were, by REASON_* index. */
  bodyUnscannable: Metric[] = REASON_NAMES.map<Metric>((n: string) => counter("redact.body_unscannable." + n));
  headersDropped: Metric = counter("redact.headers.dropped");
  headersMasked: Metric = counter("redact.headers.masked");
  headersHashed: Metric = counter("redact.headers.hashed");
  queryDropped: Metric = counter("redact.query.dropped");
  queryMasked: Metric = counter("redact.query.masked");
  queryHashed: Metric = counter("redact.query.hashed");
  jsonDropped: Metric = counter("redact.json.dropped");
  jsonMasked: Metric = counter("redact.json.masked");
  jsonHashed: Metric = counter("redact.json.hashed");
  keepHeadersDropped: Metric = counter("redact.keep.headers_dropped");
  keepQueryMasked: Metric = counter("redact.keep.query_masked");
  pathMasked: Metric = counter("redact.path.masked");
  pathHashed: Metric = counter("redact.path.hashed");
  jsonKeepMasked: Metric = counter("redact.json.keep_masked");
  detectorHits: Metric[] = DETECTOR_NAMES.map<Metric>((n: string) => counter("redact.detector." + n));

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
    addIf(this.keepHeadersDropped, t.headersNotKept);
    addIf(this.keepQueryMasked, t.queryNotKept);
    addIf(this.pathMasked, t.pathMasked);
    addIf(this.pathHashed, t.pathHashed);
    addIf(this.jsonKeepMasked, t.jsonKeepMasked);
    for (let i = 0; i < 6; i++) addIf(unchecked(this.detectorHits[i]), unchecked(t.detectorHits[i]));
  }
}

// Counters take increments > 0 only; skipping zeros also saves a host call per rule kind.
function addIf(m: Metric, n: u32): void {
  if (n > 0) m.add(<i64>n);
}

/** One shadow's counters, under shadows.<name>. (the totals above count copies to every shadow). */
export class ShadowMetrics {
  mirrored: Metric;
  mirroredWithoutBody: Metric;
  skippedBodyTooLarge: Metric;
  skippedInflightFull: Metric;
  skippedUnscannable: Metric;
  dispatchFailed: Metric;
  skippedMemoryBudget: Metric;
  skippedRedactionBudget: Metric;
  skippedStreamTooLong: Metric;
  grpc: GrpcCounters;
  responses2xx: Metric;
  responses3xx: Metric;
  responses4xx: Metric;
  responses5xx: Metric;
  failures: Metric;
  timeouts: Metric;
  inflight: Metric;
  /**
   * Gauge, set (not added) by every VM to the same value: the share of the requests
   * passing the match rules that the policy sends this shadow, in parts per million
   * (mirrored share against configured share).
   */
  configuredShare: Metric;
  /** The shadow's own select section's decisions (empty when it has none). */
  decisions: Metric[] = [];

  constructor(name: string, selects: bool) {
    const p = "shadows." + name + ".";
    this.mirrored = counter(p + "mirrored");
    this.mirroredWithoutBody = counter(p + "mirrored_without_body");
    this.skippedBodyTooLarge = counter(p + "skipped.body_too_large");
    this.skippedInflightFull = counter(p + "skipped.inflight_full");
    this.skippedUnscannable = counter(p + "skipped.unscannable_body");
    this.dispatchFailed = counter(p + "skipped.dispatch_failed");
    this.skippedMemoryBudget = counter(p + "skipped.memory_budget");
    this.skippedRedactionBudget = counter(p + "skipped.redaction_budget");
    this.skippedStreamTooLong = counter(p + "skipped.stream_too_long");
    this.grpc = new GrpcCounters(p + "grpc.");
    this.responses2xx = counter(p + "responses.2xx");
    this.responses3xx = counter(p + "responses.3xx");
    this.responses4xx = counter(p + "responses.4xx");
    this.responses5xx = counter(p + "responses.5xx");
    this.failures = counter(p + "failures");
    this.timeouts = counter(p + "timeouts");
    this.inflight = gauge(p + "inflight");
    this.configuredShare = gauge(p + "configured_share_ppm");
    if (selects) for (let i = 0; i < DECISION_NAMES.length; i++) this.decisions.push(counter(p + "select." + DECISION_NAMES[i]));
  }
}

export class GuardMetrics {
  untagged: Metric = counter("guard.untagged");
  taggedAllowed: Metric = counter("guard.tagged_allowed");
  blocked: Metric = counter("guard.blocked");
  /** Per destination rule, by its name or index. */
  blockedByRule: Metric[] = [];

  constructor(labels: string[]) {
    for (let i = 0; i < labels.length; i++) this.blockedByRule.push(counter("guard.blocked." + labels[i]));
  }
}

export class InPlaceMetrics {
  /** Requests treated as mirrored copies. */
  copies: Metric = counter("inplace.copies");
  /** shadow role: requests that were not copies, passed untouched. */
  passed: Metric = counter("inplace.passed");
  /** Copies answered locally because selection did not pass them. */
  notSelected: Metric = counter("inplace.not_selected");
}

/** capture / compare.capture (filter/capture/capture.ts). */
export class CaptureMetrics {
  /** Captures POSTed to the capture cluster. */
  captured: Metric = counter("capture.captured");
  /** Not captured: the rate budget was spent, the copy's body was over capture.max_body_bytes, the buffer budget had no room, the call to the capture cluster could not be made. */
  skippedBudget: Metric = counter("capture.skipped.budget");
  skippedTooLarge: Metric = counter("capture.skipped.too_large");
  skippedMemory: Metric = counter("capture.skipped.memory");
  skippedDispatchFailed: Metric = counter("capture.skipped.dispatch_failed");
  /** The capture cluster answered a capture with no 2xx, or not at all. */
  sinkFailed: Metric = counter("capture.sink_failed");
}

/**
 * A label as it can stand in a dotted stats name, so that the bootstrap's stats_tags
 * read it back unambiguously: A-Z, a-z, 0-9, '_' and '-' kept, every other character
 * '_', at most 64 characters; empty: "all" (a copy that no match rule named).
 */
export function statLabel(s: string): string {
  if (s.length == 0) return "all";
  let out = "";
  const n = s.length < 64 ? s.length : 64;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d;
    out += ok ? String.fromCharCode(c) : "_";
  }
  return out;
}

/**
 * The verdicts of compared pairs under one prefix: "compare." for all of them, and
 * shadows.<name>.compare.<rule>. (rule: statLabel of the copy's x-shadow-rule) for one
 * shadow and one selection rule: the mismatch rate by shadow and route that dashboards,
 * alerts and rollout gates read.
 */
export class VerdictMetrics {
  compared: Metric;
  matched: Metric;
  mismatched: Metric;
  mismatchedStatus: Metric;
  mismatchedHeader: Metric;
  mismatchedBody: Metric;
  /** gRPC: grpc-status or grpc-message differed (counted in mismatched.status too). */
  mismatchedGrpcStatus: Metric;
  /** Pairs whose other half never came (timeout, primary reset, shadow failure). */
  unmatched: Metric;

  constructor(p: string) {
    this.compared = counter(p + "compared");
    this.matched = counter(p + "matched");
    this.mismatched = counter(p + "mismatched");
    this.mismatchedStatus = counter(p + "mismatched.status");
    this.mismatchedHeader = counter(p + "mismatched.header");
    this.mismatchedBody = counter(p + "mismatched.body");
    this.mismatchedGrpcStatus = counter(p + "mismatched.grpc_status");
    this.unmatched = counter(p + "unmatched");
  }
}

/** The counters of one shadow and one selection rule (shadows.<name>.compare.<rule>.*). */
export function ruleCompareMetrics(shadow: string, rule: string): VerdictMetrics {
  return new VerdictMetrics("shadows." + shadow + ".compare." + rule + ".");
}

export class CompareMetrics extends VerdictMetrics {
  /** Shadow minus primary latency, in ms, split by sign (histograms take non-negative values). */
  shadowSlower: Metric = histogram("compare.shadow_slower_ms");
  shadowFaster: Metric = histogram("compare.shadow_faster_ms");
  /** Differences dropped because the two primaries differ there too. */
  noiseSuppressed: Metric = counter("compare.noise_suppressed");
  /** Gauge: paths learned as noise. */
  noisePaths: Metric = gauge("compare.noise_paths");

  constructor() {
    super("compare.");
  }
}
