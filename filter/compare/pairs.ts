// Open comparisons of the mirror role. A pair per copy is opened when the copy
// is sent, filled from the primary's response callbacks and the call's answer,
// compared when both are in (compare/comparer.ts), and dropped as unmatched
// after pair_timeout_ms. Mismatches are logged and optionally POSTed to a sink.
import { CompareConfig } from "../policy/types";
import { Comparer } from "./comparer";
import { Answer, Pair, Verdict, MISMATCH_STATUS, MISMATCH_HEADER, MISMATCH_BODY, MISMATCH_GRPC_STATUS } from "./answer";
import { readGrpcStatus } from "./grpc";
import { CompareMetrics, VerdictMetrics, ruleCompareMetrics, statLabel } from "../host/metrics";
import { ValueRewriter } from "../redact/values";
import { HeaderMapBuilder, utf8, parseDecimal } from "../util/bytes";
import { mediaType } from "../body/plan";
import { Capture } from "../capture/capture";
import {
  getHeader, getBuffer, httpCall, logAt, logEnabled, nowNs,
  HEADERS_HTTP_CALL_RESPONSE, TRAILERS_HTTP_CALL_RESPONSE, BUFFER_HTTP_CALL_RESPONSE_BODY, LOG_INFO,
} from "../host/hostcalls";

const H_STATUS = utf8(":status");
const H_CONTENT_TYPE = utf8("content-type");
const H_UPSTREAM_TIME = utf8("x-envoy-upstream-service-time");
const H_METHOD = utf8(":method");
const H_PATH = utf8(":path");
const H_AUTHORITY = utf8(":authority");
const POST = utf8("POST");
const APPLICATION_JSON = utf8("application/json");
const NO_TRAILERS = new ArrayBuffer(4);

function isJsonType(v: ArrayBuffer): bool {
  const t = mediaType(v);
  return t == "application/json" || (t.startsWith("application/") && t.endsWith("+json"));
}

export class Comparison {
  comparer: Comparer;
  metrics: CompareMetrics = new CompareMetrics();
  private pairs: Map<u32, Pair> = new Map<u32, Pair>();
  /** Calls to the second primary instance, by token: the pairs its answer completes. */
  private secondaries: Map<u32, Pair[]> = new Map<u32, Pair[]>();
  private sinkTokens: Set<u32> = new Set<u32>();
  private verdict: Verdict = new Verdict();
  private builder: HeaderMapBuilder = new HeaderMapBuilder();
  /** compare.capture: told each pair's verdict. */
  capture: Capture | null = null;
  /** Counters by shadow and rule, each defined the first time a copy of that rule is compared (bounded by the policy's shadows and rules). */
  private byRule: Map<string, VerdictMetrics> = new Map<string, VerdictMetrics>();

  constructor(public cfg: CompareConfig, rewriter: ValueRewriter) {
    this.comparer = new Comparer(cfg, rewriter);
  }

  /** Opens the pair of a copy just sent. */
  open(token: u32, shadowName: string, primary: Answer, primaryStartedNs: u64, method: string, route: string, requestId: string, rule: string): Pair {
    const p = new Pair();
    p.token = token;
    p.shadowName = shadowName;
    p.rule = this.ruleMetrics(shadowName, rule);
    p.primary = primary;
    p.method = method;
    p.route = route;
    p.requestId = requestId;
    p.startedNs = nowNs();
    p.primaryStartedNs = primaryStartedNs;
    this.pairs.set(token, p);
    return p;
  }

  /** The counters of a shadow and a rule label (x-shadow-rule as the copy carries it; empty: none). */
  private ruleMetrics(shadowName: string, rule: string): VerdictMetrics {
    const key = shadowName + "/" + rule;
    if (this.byRule.has(key)) return this.byRule.get(key);
    const m = ruleCompareMetrics(shadowName, statLabel(rule));
    this.byRule.set(key, m);
    return m;
  }

  /** The pairs of one request also wait for the noise instance's answer to this call. */
  openSecondary(token: u32, secondary: Answer, pairs: Pair[]): void {
    for (let i = 0; i < pairs.length; i++) {
      pairs[i].hasSecondary = true;
      pairs[i].secondary = secondary;
    }
    this.secondaries.set(token, pairs);
  }

  /** How often expire() needs to run, in ms (the role's tick when it has no other work). */
  get expireEveryMs(): u32 {
    return this.cfg.pairTimeoutMs < 1000 ? this.cfg.pairTimeoutMs : 1000;
  }

  /** Drops pairs past pair_timeout_ms. */
  expire(): void {
    if (this.pairs.size == 0) return;
    const limit = <u64>this.cfg.pairTimeoutMs * 1000000;
    const now = nowNs();
    const open = this.pairs.values();
    for (let i = 0; i < open.length; i++) {
      const p = open[i];
      if (now - p.startedNs > limit) {
        this.pairs.delete(p.token);
        p.closed = true;
        this.metrics.unmatched.inc();
        if (p.rule != null) p.rule!.unmatched.inc();
        if (this.capture != null) this.capture!.closed(p.token);
      }
    }
  }

  /** Fills one side from a header map (2: primary response, 6: call response). */
  answerHeaders(a: Answer, mapType: i32): void {
    const status = getHeader(mapType, H_STATUS);
    a.status = status == null ? -1 : <i32>parseDecimal(changetype<usize>(status), <usize>status.byteLength);
    a.headerValues.length = 0;
    const names = this.cfg.headerBytes;
    for (let i = 0; i < names.length; i++) {
      const v = getHeader(mapType, names[i]);
      a.headerValues.push(v == null ? "" : String.UTF8.decode(v));
    }
    const type = getHeader(mapType, H_CONTENT_TYPE);
    a.json = type != null && isJsonType(type);
    a.atNs = nowNs();
  }

  /** One side of a pair from a call's answer (shadow, or the second primary); a gRPC answer's status from its trailers, or its headers when trailers-only. */
  private fillAnswer(a: Answer, headers: u32, bodySize: u32, grpc: bool): void {
    a.done = true;
    if (headers == 0 || getHeader(HEADERS_HTTP_CALL_RESPONSE, H_UPSTREAM_TIME) == null) {
      a.failed = true;
      return;
    }
    this.answerHeaders(a, HEADERS_HTTP_CALL_RESPONSE);
    if (grpc) {
      readGrpcStatus(a, HEADERS_HTTP_CALL_RESPONSE);
      readGrpcStatus(a, TRAILERS_HTTP_CALL_RESPONSE);
    }
    if (bodySize > 0) {
      const body = getBuffer(BUFFER_HTTP_CALL_RESPONSE_BODY, 0, bodySize);
      a.append(changetype<usize>(body), body.byteLength, this.cfg.maxBodyBytes);
    }
  }

  /** A call's answer, if the call is one of the comparison's; true when it was (and nothing else should count it). */
  onCallResponse(token: u32, headers: u32, bodySize: u32): bool {
    if (this.sinkTokens.has(token)) {
      this.sinkTokens.delete(token);
      return true;
    }
    if (this.secondaries.has(token)) {
      const pairs = this.secondaries.get(token);
      this.secondaries.delete(token);
      if (pairs.length > 0) this.fillAnswer(pairs[0].secondary, headers, bodySize, pairs[0].grpc);
      for (let i = 0; i < pairs.length; i++) this.settle(pairs[i]);
      return true;
    }
    if (this.pairs.has(token)) {
      const p = this.pairs.get(token);
      this.fillAnswer(p.shadow, headers, bodySize, p.grpc);
      this.settle(p);
    }
    return false;
  }

  /** Compares a pair once all its answers are in. */
  settle(p: Pair): void {
    if (p.closed || !p.primary.done || !p.shadow.done || (p.hasSecondary && !p.secondary.done)) return;
    p.closed = true;
    this.pairs.delete(p.token);
    const cm = this.metrics;
    const cap = this.capture;
    const rm = p.rule!;
    if (p.primary.failed || p.shadow.failed) {
      cm.unmatched.inc();
      rm.unmatched.inc();
      if (cap != null) cap.closed(p.token);
      return;
    }
    const v = this.verdict;
    const comparer = this.comparer;
    comparer.compare(p, v);
    if (v.suppressed > 0) cm.noiseSuppressed.add(v.suppressed);
    if (comparer.newNoise.length > 0) {
      cm.noisePaths.add(comparer.newNoise.length);
      // The noise learned is visible: each new path once, at info.
      if (logEnabled(LOG_INFO)) for (let i = 0; i < comparer.newNoise.length; i++) logAt(LOG_INFO, "mirrorshade: learned noise " + comparer.newNoise[i] + " (differs between two primaries; not reported)");
      comparer.newNoise.length = 0;
    }
    const pm = p.primary.atNs > p.primaryStartedNs ? p.primary.atNs - p.primaryStartedNs : 0;
    const sm = p.shadow.atNs > p.startedNs ? p.shadow.atNs - p.startedNs : 0;
    if (sm >= pm) cm.shadowSlower.record((sm - pm) / 1000000);
    else cm.shadowFaster.record((pm - sm) / 1000000);
    countVerdict(cm, v.mismatch);
    countVerdict(rm, v.mismatch);
    if (v.mismatch == 0) {
      if (cap != null) cap.closed(p.token);
      return;
    }
    if (cap != null) cap.mismatched(p.token);
    const level = this.cfg.logLevel;
    const sinking = this.cfg.sinkCluster.byteLength > 0;
    if (!sinking && !logEnabled(level)) return;
    const record = comparer.record(p, v);
    if (logEnabled(level)) logAt(level, "mirrorshade.diff " + record);
    if (sinking) this.post(record);
  }

  private post(record: string): void {
    const b = this.builder;
    const cluster = this.cfg.sinkCluster;
    b.reset();
    b.addOwned(H_METHOD, POST);
    b.addOwned(H_PATH, this.cfg.sinkPath);
    b.addOwned(H_AUTHORITY, cluster);
    b.addOwned(H_CONTENT_TYPE, APPLICATION_JSON);
    const body = utf8(record);
    const token = httpCall(cluster, b.finish(), changetype<usize>(body), <usize>body.byteLength, NO_TRAILERS, 5000);
    if (token >= 0) this.sinkTokens.add(<u32>token);
  }
}

/** One compared pair's verdict (MISMATCH_* bits; 0: matched) in one set of counters. */
function countVerdict(m: VerdictMetrics, mismatch: i32): void {
  m.compared.inc();
  if (mismatch == 0) {
    m.matched.inc();
    return;
  }
  m.mismatched.inc();
  if (mismatch & MISMATCH_STATUS) m.mismatchedStatus.inc();
  if (mismatch & MISMATCH_HEADER) m.mismatchedHeader.inc();
  if (mismatch & MISMATCH_BODY) m.mismatchedBody.inc();
  if (mismatch & MISMATCH_GRPC_STATUS) m.mismatchedGrpcStatus.inc();
}
