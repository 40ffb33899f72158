// The mirror role: every request is copied to the shadow cluster with
// dispatch_http_call while the primary request continues untouched and undelayed.
// The copy's body is collected chunk by chunk as the chunks pass (the stream is
// never held), and the call is fire-and-forget: its answer is only counted.
import {
  RootContext,
  Context,
  FilterHeadersStatusValues,
  FilterDataStatusValues,
  FilterTrailersStatusValues,
} from "@solo-io/proxy-runtime/assembly/index";
import { parsePolicy, Policy, ON_TOO_LARGE_HEADERS_ONLY, UNSCANNABLE_SKIP, ROLE_EGRESS_GUARD, ROLE_MIRROR } from "./config";
import { MirrorMetrics, GuardMetrics, InPlaceMetrics } from "./metrics";
import { InPlace, InPlaceStream } from "./inplace";
import { Comparer, Pair, Answer, Verdict, MISMATCH_STATUS, MISMATCH_HEADER, MISMATCH_BODY } from "./compare";
import { CompareMetrics } from "./metrics";
import { Guard, GuardStream } from "./guard";
import { readEnvironment } from "./environ";
import { collectAtStreamStart } from "./gc";
import { Redaction } from "./redact/redaction";
import { BodyPlan, planBody, mediaType, BODY_UNSCANNABLE, BODY_NONE, BODY_PASS_THROUGH, REASON_NAMES, REASON_TOO_LARGE } from "./redact/body";
import { HEADER_DROP, HEADER_REPLACE } from "./redact/headers";
import { Selector, RequestView, DECISION_SELECTED, DECISION_NAMES } from "./select";
import { TokenBucket, SharedCounter } from "./budget";
import { random } from "./random";
import { HeaderCursor, HeaderMapBuilder, ByteSink, utf8, bytesEqual, parseDecimal } from "./bytes";
import { ShadowTag, H_BAGGAGE } from "./tag";
import {
  getHeaderPairs,
  getHeader,
  removeHeader,
  replaceHeader,
  getBuffer,
  httpCall,
  logAt,
  HEADERS_REQUEST,
  TRAILERS_REQUEST,
  HEADERS_HTTP_CALL_RESPONSE,
  BUFFER_REQUEST_BODY,
  LOG_CRITICAL,
  LOG_INFO,
  LOG_WARN,
  LOG_DEBUG,
  logEnabled,
  nowNs,
  setTickPeriod,
  BUFFER_RESPONSE_BODY,
  BUFFER_HTTP_CALL_RESPONSE_BODY,
  HEADERS_RESPONSE,
} from "./hostcalls";

// Headers that describe one hop's connection, not the request: the shadow call is
// a new hop, and Envoy computes content-length itself for the call's body.
const HOP_BY_HOP: ArrayBuffer[] = [
  utf8("connection"), utf8("keep-alive"), utf8("proxy-connection"), utf8("transfer-encoding"),
  utf8("upgrade"), utf8("te"), utf8("trailer"), utf8("content-length"), utf8("expect"),
];
const H_AUTHORITY = utf8(":authority");
const H_CONTENT_LENGTH = utf8("content-length");
const H_CONTENT_TYPE = utf8("content-type");
const H_CONTENT_ENCODING = utf8("content-encoding");
const H_PATH = utf8(":path");
const H_METHOD = utf8(":method");
const H_RULE = utf8("x-shadow-rule");
const H_REQUEST_ID = utf8("x-request-id");
const H_STATUS = utf8(":status");
const H_UPSTREAM_TIME = utf8("x-envoy-upstream-service-time");
const SHADOW_SUFFIX = utf8("-shadow");
const REASON_BYTES: ArrayBuffer[] = REASON_NAMES.map<ArrayBuffer>((n: string) => utf8(n));
const NO_TRAILERS = new ArrayBuffer(4); // a serialized map with zero pairs
const EMPTY = new ArrayBuffer(0);


/** Per-request phase: what the stream context still has to do. */
const PHASE_HEADERS: u8 = 0;
const PHASE_COLLECTING: u8 = 1;
const PHASE_FINISHED: u8 = 2;

export class MirrorRoot extends RootContext {
  policy: Policy = new Policy();
  metrics: MirrorMetrics | null = null;
  tag: ShadowTag = new ShadowTag(new Policy().tag);
  cluster: ArrayBuffer = new ArrayBuffer(0);
  authority: ArrayBuffer = new ArrayBuffer(0);
  bodyDroppedHeader: ArrayBuffer = new ArrayBuffer(0);
  inflight: u32 = 0;
  builder: HeaderMapBuilder = new HeaderMapBuilder();
  redaction: Redaction = new Redaction(new Policy().redact);
  selector: Selector = new Selector(new Policy().select, null, null);
  view: RequestView = new RequestView();

  guard: Guard | null = null;

  inPlace: InPlace | null = null;
  comparer: Comparer | null = null;
  compareMetrics: CompareMetrics | null = null;
  pairs: Map<u32, Pair> = new Map<u32, Pair>();
  /** Calls to the second primary instance, by token. */
  secondaries: Map<u32, Pair> = new Map<u32, Pair>();
  noiseCluster: ArrayBuffer = new ArrayBuffer(0);
  sinkTokens: Set<u32> = new Set<u32>();
  sinkCluster: ArrayBuffer = new ArrayBuffer(0);
  verdict: Verdict = new Verdict();
  compareHeaders: ArrayBuffer[] = [];

  createContext(context_id: u32): Context {
    collectAtStreamStart();
    if (this.guard != null) return new GuardStream(context_id, this, this.guard!);
    if (this.inPlace != null) return new InPlaceStream(context_id, this, this.inPlace!);
    return new MirrorStream(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    if (!super.onConfigure(configuration_size)) {
      logAt(LOG_CRITICAL, "mirrorshade: could not read the plugin configuration from the host");
      return false;
    }
    const result = parsePolicy(this.getConfiguration(), readEnvironment());
    if (result.policy == null) {
      // Returning false makes Envoy reject the plugin: it never runs without the filter.
      logAt(LOG_CRITICAL, "mirrorshade: invalid configuration: " + result.error);
      return false;
    }
    const policy = result.policy!;
    this.policy = policy;
    this.tag = new ShadowTag(policy.tag);
    if (policy.role == ROLE_EGRESS_GUARD) {
      const labels: string[] = [];
      for (let i = 0; i < policy.guard.destinations.length; i++) labels.push(String.UTF8.decode(policy.guard.destinations[i].label));
      this.guard = new Guard(policy.guard, this.tag, new GuardMetrics(labels));
      logAt(LOG_INFO, "mirrorshade: configured role=egress-guard destinations=" + labels.join(","));
      return true;
    }
    this.guard = null;
    this.inPlace = null;
    this.cluster = utf8(policy.shadow.cluster);
    this.authority = utf8(policy.shadow.authority);
    this.bodyDroppedHeader = utf8(policy.shadow.bodyDroppedHeader);
    this.redaction = new Redaction(policy.redact);
    const sel = policy.select;
    // Budgets are keyed by shadow cluster: plugins mirroring to the same shadow share them.
    const bucket = sel.rateLimit != null
      ? new TokenBucket(utf8("mirrorshade.rate." + policy.shadow.cluster), sel.rateLimit!.perSecond, sel.rateLimit!.burst)
      : null;
    const inflight = sel.maxInflight > 0 ? new SharedCounter(utf8("mirrorshade.inflight." + policy.shadow.cluster)) : null;
    this.selector = new Selector(sel, bucket, inflight);
    if (this.metrics == null) this.metrics = new MirrorMetrics();
    if (policy.compare.enabled) {
      this.comparer = new Comparer(policy.compare, this.redaction.rewriter);
      if (this.compareMetrics == null) this.compareMetrics = new CompareMetrics();
      this.sinkCluster = utf8(policy.compare.sinkCluster);
      this.noiseCluster = utf8(policy.compare.noiseCluster);
      this.compareHeaders = policy.compare.headers.map<ArrayBuffer>((h: string) => utf8(h));
      // Pairs whose other half does not come are dropped on the tick.
      setTickPeriod(policy.compare.pairTimeoutMs < 1000 ? policy.compare.pairTimeoutMs : 1000);
    } else {
      this.comparer = null;
    }
    if (policy.role != ROLE_MIRROR) {
      this.inPlace = new InPlace(policy, this.tag, this.redaction, this.selector, this.metrics!, new InPlaceMetrics());
      logAt(LOG_INFO, "mirrorshade: configured role=" + (policy.role == 2 ? "shadow" : "upstream"));
      return true;
    }
    logAt(LOG_INFO, "mirrorshade: configured role=mirror shadow.cluster=" + policy.shadow.cluster);
    return true;
  }

  m(): MirrorMetrics {
    return this.metrics!;
  }

  onTick(): void {
    if (this.comparer == null || this.pairs.size == 0) return;
    const limit = <u64>this.policy.compare.pairTimeoutMs * 1000000;
    const now = nowNs();
    const open = this.pairs.values();
    for (let i = 0; i < open.length; i++) {
      const p = open[i];
      if (now - p.startedNs > limit) {
        this.pairs.delete(p.token);
        p.closed = true;
        this.compareMetrics!.unmatched.inc();
      }
    }
  }

  /** Fills one side of a pair from a header map (2: primary response, 6: call response). */
  answerHeaders(a: Answer, mapType: i32): void {
    const status = getHeader(mapType, H_STATUS);
    a.status = status == null ? -1 : <i32>parseDecimal(changetype<usize>(status), <usize>status.byteLength);
    a.headerValues.length = 0;
    for (let i = 0; i < this.compareHeaders.length; i++) {
      const v = getHeader(mapType, this.compareHeaders[i]);
      a.headerValues.push(v == null ? "" : String.UTF8.decode(v));
    }
    const type = getHeader(mapType, H_CONTENT_TYPE);
    a.json = type != null && isJsonType(type);
    a.atNs = nowNs();
  }

  /** One side of a pair from a call's answer (shadow, or the second primary). */
  private fillAnswer(a: Answer, headers: u32, body_size: u32): void {
    a.done = true;
    if (headers == 0 || getHeader(HEADERS_HTTP_CALL_RESPONSE, H_UPSTREAM_TIME) == null) {
      a.failed = true;
      return;
    }
    this.answerHeaders(a, HEADERS_HTTP_CALL_RESPONSE);
    if (body_size > 0) {
      const body = getBuffer(BUFFER_HTTP_CALL_RESPONSE_BODY, 0, body_size);
      a.append(changetype<usize>(body), body.byteLength, this.policy.compare.maxBodyBytes);
    }
  }

  /** Compares a pair once both answers are in. */
  settle(p: Pair): void {
    if (p.closed || !p.primary.done || !p.shadow.done || (p.hasSecondary && !p.secondary.done)) return;
    p.closed = true;
    this.pairs.delete(p.token);
    const cm = this.compareMetrics!;
    if (p.primary.failed || p.shadow.failed) {
      cm.unmatched.inc();
      return;
    }
    const v = this.verdict;
    const comparer = this.comparer!;
    comparer.compare(p, v);
    cm.compared.inc();
    if (v.suppressed > 0) cm.noiseSuppressed.add(v.suppressed);
    if (comparer.newNoise.length > 0) {
      cm.noisePaths.add(comparer.newNoise.length);
      // The noise learned is visible: each new path once, at info.
      if (logEnabled(LOG_INFO)) for (let i = 0; i < comparer.newNoise.length; i++) logAt(LOG_INFO, "mirrorshade: learned noise " + comparer.newNoise[i] + " (differs between two primaries; not reported)");
      comparer.newNoise.length = 0;
    }
    const pm = p.primary.atNs > p.startedNs ? p.primary.atNs - p.startedNs : 0;
    const sm = p.shadow.atNs > p.startedNs ? p.shadow.atNs - p.startedNs : 0;
    if (sm >= pm) cm.shadowSlower.record((sm - pm) / 1000000);
    else cm.shadowFaster.record((pm - sm) / 1000000);
    if (v.mismatch == 0) {
      cm.matched.inc();
      return;
    }
    cm.mismatched.inc();
    if (v.mismatch & MISMATCH_STATUS) cm.mismatchedStatus.inc();
    if (v.mismatch & MISMATCH_HEADER) cm.mismatchedHeader.inc();
    if (v.mismatch & MISMATCH_BODY) cm.mismatchedBody.inc();
    const level = this.policy.compare.logLevel;
    const sinking = this.sinkCluster.byteLength > 0;
    if (!sinking && !logEnabled(level)) return;
    const record = this.comparer!.record(p, v);
    if (logEnabled(level)) logAt(level, "mirrorshade.diff " + record);
    if (sinking) this.postRecord(record);
  }

  private postRecord(record: string): void {
    const b = this.builder;
    b.reset();
    b.addOwned(H_METHOD, utf8("POST"));
    b.addOwned(H_PATH, utf8(this.policy.compare.sinkPath));
    b.addOwned(H_AUTHORITY, this.sinkCluster);
    b.addOwned(H_CONTENT_TYPE, utf8("application/json"));
    const body = utf8(record);
    const token = httpCall(this.sinkCluster, b.finish(), changetype<usize>(body), <usize>body.byteLength, NO_TRAILERS, 5000);
    if (token >= 0) this.sinkTokens.add(<u32>token);
  }

  onHttpCallResponse(token: u32, headers: u32, body_size: u32, trailers: u32): void {
    if (this.sinkTokens.has(token)) {
      this.sinkTokens.delete(token);
      return;
    }
    if (this.secondaries.has(token)) {
      const p = this.secondaries.get(token);
      this.secondaries.delete(token);
      this.fillAnswer(p.secondary, headers, body_size);
      this.settle(p);
      return;
    }
    if (this.pairs.has(token)) {
      const p = this.pairs.get(token);
      this.fillAnswer(p.shadow, headers, body_size);
      this.settle(p);
    }
    if (this.inflight > 0) this.inflight--;
    if (this.policy.select.maxInflight > 0) this.selector.release();
    const m = this.m();
    m.inflight.add(-1);
    if (headers == 0) {
      // Reset, timeout, connect failure or overflow: Envoy calls back with no headers.
      m.shadowFailed.inc();
      return;
    }
    const status = getHeader(HEADERS_HTTP_CALL_RESPONSE, H_STATUS);
    const code = status == null ? -1 : parseDecimal(changetype<usize>(status), <usize>status.byteLength);
    // Connect failures, resets and timeouts come back as Envoy's own local reply
    // (503/504). The router stamps x-envoy-upstream-service-time only on answers
    // that came from the shadow itself, which tells the two apart.
    if (getHeader(HEADERS_HTTP_CALL_RESPONSE, H_UPSTREAM_TIME) == null) {
      m.shadowFailed.inc();
      if (code == 504) m.shadowTimeouts.inc();
      return;
    }
    if (code >= 200 && code < 300) m.shadow2xx.inc();
    else if (code >= 300 && code < 400) m.shadow3xx.inc();
    else if (code >= 400 && code < 500) m.shadow4xx.inc();
    else if (code >= 500) m.shadow5xx.inc();
    else m.shadowFailed.inc();
  }
}

export class MirrorStream extends Context {
  phase: u8 = PHASE_HEADERS;
  private rootCtx: MirrorRoot;
  private headers: ArrayBuffer = new ArrayBuffer(0);
  private body: ByteSink | null = null;
  /** Why the copy goes without its body (a REASON_* index), or -1. */
  private dropReason: i32 = -1;
  private plan: BodyPlan = new BodyPlan();
  /** Label of the selecting rule, sent as x-shadow-rule; empty when selection has no rules. */
  private ruleLabel: ArrayBuffer = new ArrayBuffer(0);
  /** Holds a slot of select.max_inflight until the copy is sent (the call then holds it) or abandoned. */
  private holdsSlot: bool = false;
  /** The comparison this request's copy opened, while the primary's answer is still coming. */
  private pair: Pair | null = null;

  constructor(context_id: u32, root: MirrorRoot) {
    super(context_id, root);
    this.rootCtx = root;
  }

  onRequestHeaders(_n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.rootCtx;
    const m = root.m();
    m.requests.inc();
    m.sampleMemory();
    const raw = getHeaderPairs(HEADERS_REQUEST);
    this.headers = raw;

    // One pass over the map: is the tag present (someone posing as a shadow
    // request), and how large will the body be.
    let contentLength: i64 = -1;
    let tagged = false;
    let contentType: ArrayBuffer | null = null;
    let contentEncoding: ArrayBuffer | null = null;
    const selecting = root.policy.select.enabled;
    const view = root.view;
    if (selecting) view.reset(raw);
    const cur = new HeaderCursor(raw);
    while (cur.next()) {
      if (selecting && view.observe(cur)) continue;
      if (root.tag.matchesName(cur.keyPtr, cur.keyLen)) tagged = true;
      else if (cur.keyIs(H_BAGGAGE) && root.policy.tag.stripFromPrimary && root.tag.inBaggage(cur.valuePtr, cur.valueLen)) {
        // A forged shadow mark in baggage would travel to every dependency of the primary.
        const rest = root.tag.withoutFound(cur.valuePtr, cur.valueLen);
        if (rest.byteLength == 0) removeHeader(HEADERS_REQUEST, H_BAGGAGE);
        else replaceHeader(HEADERS_REQUEST, H_BAGGAGE, rest);
        m.tagStripped.inc();
      }
      else if (cur.keyIs(H_CONTENT_LENGTH)) contentLength = parseDecimal(cur.valuePtr, cur.valueLen);
      else if (root.policy.redact.enabled) {
        if (cur.keyIs(H_CONTENT_TYPE)) contentType = raw.slice(<i32>(cur.valuePtr - changetype<usize>(raw)), <i32>(cur.valuePtr + cur.valueLen - changetype<usize>(raw)));
        else if (cur.keyIs(H_CONTENT_ENCODING)) contentEncoding = raw.slice(<i32>(cur.valuePtr - changetype<usize>(raw)), <i32>(cur.valuePtr + cur.valueLen - changetype<usize>(raw)));
      }
    }
    if (tagged && root.policy.tag.stripFromPrimary) {
      removeHeader(HEADERS_REQUEST, root.tag.name);
      m.tagStripped.inc();
    }

    if (selecting) {
      const decision = root.selector.decide(view);
      view.raw = EMPTY;
      m.decisions[decision].inc();
      if (logEnabled(LOG_DEBUG)) {
        logAt(LOG_DEBUG, "mirrorshade: decision=" + DECISION_NAMES[decision] + " rule=" + String.UTF8.decode(root.selector.label));
      }
      if (decision != DECISION_SELECTED) {
        this.finishWithoutCopy();
        return FilterHeadersStatusValues.Continue;
      }
      this.ruleLabel = root.selector.label;
      this.holdsSlot = root.selector.holdsSlot;
    }

    if (end_of_stream) {
      this.dispatch(0, 0, NO_TRAILERS);
      return FilterHeadersStatusValues.Continue;
    }
    const max = <i64>root.policy.shadow.maxBodyBytes;
    if (contentLength > max) {
      this.bodyTooLarge();
      return FilterHeadersStatusValues.Continue;
    }
    planBody(root.policy.redact, contentType, contentEncoding, this.plan);
    if (this.plan.kind == BODY_UNSCANNABLE && contentLength != 0) {
      // Known before a byte of the body arrives: nothing is collected.
      this.unscannable(this.plan.reason);
      return FilterHeadersStatusValues.Continue;
    }
    this.phase = PHASE_COLLECTING;
    // A known length is allocated once; a chunked body grows by doubling.
    this.body = new ByteSink(contentLength > 0 ? <i32>contentLength : 0);
    return FilterHeadersStatusValues.Continue;
  }

  onRequestBody(body_buffer_length: usize, end_of_stream: bool): FilterDataStatusValues {
    if (this.phase != PHASE_COLLECTING) return FilterDataStatusValues.Continue;
    const sink = this.body!;
    const size = <i32>body_buffer_length;
    if (<i64>sink.length + <i64>size > <i64>this.rootCtx.policy.shadow.maxBodyBytes) {
      this.body = null;
      this.bodyTooLarge();
      return FilterDataStatusValues.Continue;
    }
    if (size > 0) {
      const chunk = getBuffer(BUFFER_REQUEST_BODY, 0, <u32>size);
      sink.append(changetype<usize>(chunk), chunk.byteLength);
    }
    if (end_of_stream) {
      this.dispatch(sink.ptr(), <usize>sink.length, NO_TRAILERS);
      this.body = null;
    }
    return FilterDataStatusValues.Continue;
  }

  onRequestTrailers(_n: u32): FilterTrailersStatusValues {
    // With trailers the body never carries end_of_stream: the trailers end the request.
    if (this.phase == PHASE_COLLECTING) {
      const sink = this.body!;
      this.dispatch(sink.ptr(), <usize>sink.length, getHeaderPairs(TRAILERS_REQUEST));
      this.body = null;
    }
    return FilterTrailersStatusValues.Continue;
  }

  onResponseHeaders(_n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const p = this.pair;
    if (p != null) {
      this.rootCtx.answerHeaders(p.primary, HEADERS_RESPONSE);
      if (end_of_stream) this.primaryDone(false);
    }
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(size: usize, end_of_stream: bool): FilterDataStatusValues {
    const p = this.pair;
    if (p != null) {
      // Past the comparison's limit nothing more is read: a long answer must not leave garbage chunk by chunk.
      if (size > 0 && !p.primary.truncated) {
        const chunk = getBuffer(BUFFER_RESPONSE_BODY, 0, <u32>size);
        p.primary.append(changetype<usize>(chunk), chunk.byteLength, this.rootCtx.policy.compare.maxBodyBytes);
      }
      if (end_of_stream) this.primaryDone(false);
    }
    return FilterDataStatusValues.Continue;
  }

  onResponseTrailers(_n: u32): FilterTrailersStatusValues {
    if (this.pair != null) this.primaryDone(false);
    return FilterTrailersStatusValues.Continue;
  }

  private primaryDone(failed: bool): void {
    const p = this.pair!;
    this.pair = null;
    p.primary.done = true;
    p.primary.failed = failed;
    this.rootCtx.settle(p);
  }

  onDone(): bool {
    // A primary answer that never ended (reset) cannot be compared.
    if (this.pair != null) this.primaryDone(true);
    if (this.phase == PHASE_COLLECTING) {
      // The client went away before the request ended: a partial copy would be a
      // different request, so none is sent.
      this.rootCtx.m().skippedIncomplete.inc();
      this.body = null;
      this.phase = PHASE_FINISHED;
      this.releaseSlot();
    }
    return true;
  }

  private bodyTooLarge(): void {
    const root = this.rootCtx;
    if (root.policy.shadow.onBodyTooLarge == ON_TOO_LARGE_HEADERS_ONLY) {
      this.dropReason = REASON_TOO_LARGE;
      this.dispatch(0, 0, NO_TRAILERS);
    } else {
      root.m().skippedBodyTooLarge.inc();
      this.finishWithoutCopy();
    }
  }

  /** A body the redactor cannot scan completely: never sent as it is. */
  private unscannable(reason: u8): void {
    const root = this.rootCtx;
    root.m().bodyUnscannable[reason].inc();
    this.body = null;
    if (root.policy.redact.onUnscannable == UNSCANNABLE_SKIP) {
      root.m().skippedUnscannable.inc();
      this.finishWithoutCopy();
    } else {
      this.dropReason = reason;
      this.dispatch(0, 0, NO_TRAILERS);
    }
  }

  private finishWithoutCopy(): void {
    this.phase = PHASE_FINISHED;
    this.headers = new ArrayBuffer(0);
    this.releaseSlot();
  }

  private releaseSlot(): void {
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.rootCtx.selector.release();
    }
  }

  private dispatch(body: usize, bodyLen: usize, trailers: ArrayBuffer): void {
    this.phase = PHASE_FINISHED;
    const root = this.rootCtx;
    const m = root.m();
    if (root.inflight >= root.policy.shadow.maxInflight) {
      m.skippedInflightFull.inc();
      this.finishWithoutCopy();
      return;
    }
    const redaction = root.redaction;
    const tally = redaction.tally;
    tally.reset();
    // The body first: when it cannot be scanned the copy may not go at all.
    let redactedBody: ArrayBuffer | null = null;
    if (bodyLen > 0 && this.plan.kind != BODY_NONE && this.plan.kind != BODY_PASS_THROUGH) {
      const br = redaction.body;
      br.redact(this.plan.kind, body, <i32>bodyLen, tally);
      if (br.failed) {
        m.bodyUnscannable[br.reason].inc();
        if (root.policy.redact.onUnscannable == UNSCANNABLE_SKIP) {
          m.skippedUnscannable.inc();
          this.finishWithoutCopy();
          return;
        }
        this.dropReason = br.reason;
        body = 0;
        bodyLen = 0;
      } else if (br.body != null) {
        const rewritten = br.body!;
        redactedBody = rewritten;
        body = changetype<usize>(rewritten);
        bodyLen = <usize>rewritten.byteLength;
      }
    }
    const comparing = root.comparer != null;
    let method = "";
    let route = "";
    let requestId = "";
    if (comparing) {
      const c = new HeaderCursor(this.headers);
      while (c.next()) {
        if (c.keyIs(H_METHOD)) method = String.UTF8.decodeUnsafe(c.valuePtr, c.valueLen);
        else if (c.keyIs(H_PATH)) {
          let q: usize = 0;
          while (q < c.valueLen && load<u8>(c.valuePtr + q) != 0x3f) q++;
          route = String.UTF8.decodeUnsafe(c.valuePtr, q);
        } else if (c.keyIs(H_REQUEST_ID)) requestId = String.UTF8.decodeUnsafe(c.valuePtr, c.valueLen);
      }
    }
    const b = root.builder;
    b.reset();
    const cur = new HeaderCursor(this.headers);
    let authorityDone = false;
    const addBaggage = root.policy.tag.addBaggage;
    let baggageDone = false;
    while (cur.next()) {
      if (isHopByHop(cur.keyPtr, cur.keyLen)) continue;
      if (root.tag.matchesName(cur.keyPtr, cur.keyLen)) continue;
      if (redaction.enabled) {
        if (cur.keyIs(H_PATH)) {
          const path = redaction.path(cur.valuePtr, cur.valueLen);
          if (path != null) {
            b.addOwned(H_PATH, path);
            continue;
          }
        } else {
          const verdict = redaction.headers.redact(cur.keyPtr, cur.keyLen, cur.valuePtr, cur.valueLen, tally);
          if (verdict == HEADER_DROP) continue;
          if (verdict == HEADER_REPLACE) {
            b.addOwned(copyBytes(cur.keyPtr, cur.keyLen), redaction.headers.replacement);
            continue;
          }
        }
      }
      if (addBaggage && cur.keyIs(H_BAGGAGE)) {
        baggageDone = true;
        if (root.tag.inBaggage(cur.valuePtr, cur.valueLen)) b.add(cur.keyPtr, cur.keyLen, cur.valuePtr, cur.valueLen);
        else b.addOwned(H_BAGGAGE, root.tag.withMember(cur.valuePtr, cur.valueLen));
        continue;
      }
      if (cur.keyIs(H_AUTHORITY)) {
        authorityDone = true;
        if (root.authority.byteLength > 0) {
          b.add(cur.keyPtr, cur.keyLen, changetype<usize>(root.authority), <usize>root.authority.byteLength);
        } else {
          b.addOwned(H_AUTHORITY, shadowAuthority(cur.valuePtr, cur.valueLen));
        }
        continue;
      }
      b.add(cur.keyPtr, cur.keyLen, cur.valuePtr, cur.valueLen);
    }
    if (!authorityDone && root.authority.byteLength > 0) b.addOwned(H_AUTHORITY, root.authority);
    b.addOwned(root.tag.name, root.tag.value);
    if (addBaggage && !baggageDone) b.addOwned(H_BAGGAGE, root.tag.baggageMember);
    if (this.ruleLabel.byteLength > 0) b.addOwned(H_RULE, this.ruleLabel);
    if (this.dropReason >= 0) b.addOwned(root.bodyDroppedHeader, REASON_BYTES[this.dropReason]);
    const headers = b.finish();
    this.headers = new ArrayBuffer(0);
    if (redaction.enabled) m.addTally(tally);

    const token = httpCall(root.cluster, headers, body, bodyLen, trailers, root.policy.shadow.timeoutMs);
    if (token < 0) {
      this.releaseSlot();
      m.dispatchFailed.inc();
      logAt(LOG_WARN, "mirrorshade: dispatch to shadow cluster failed with result " + (-token).toString());
      return;
    }
    // The call now holds the slot; onHttpCallResponse gives it back.
    this.holdsSlot = false;
    if (comparing) {
      const p = new Pair();
      p.token = <u32>token;
      p.method = method;
      p.route = route;
      p.requestId = requestId;
      p.startedNs = nowNs();
      root.pairs.set(p.token, p);
      this.pair = p;
      const cfg = root.policy.compare;
      if (root.noiseCluster.byteLength > 0 && random() * 100 < cfg.noisePercent) {
        // The same copy to a second instance of the primary's version: where the two
        // primaries differ is noise (timestamps, ids, redaction effects).
        const second = httpCall(root.noiseCluster, headers, body, bodyLen, trailers, root.policy.shadow.timeoutMs);
        if (second >= 0) {
          p.hasSecondary = true;
          root.secondaries.set(<u32>second, p);
        }
      }
    }
    root.inflight++;
    m.inflight.add(1);
    m.mirrored.inc();
    if (this.dropReason >= 0) m.mirroredWithoutBody.inc();
  }
}

function isJsonType(v: ArrayBuffer): bool {
  const t = mediaType(v);
  return t == "application/json" || (t.startsWith("application/") && t.endsWith("+json"));
}

function copyBytes(p: usize, len: usize): ArrayBuffer {
  const out = new ArrayBuffer(<i32>len);
  memory.copy(changetype<usize>(out), p, len);
  return out;
}

function isHopByHop(p: usize, len: usize): bool {
  for (let i = 0; i < HOP_BY_HOP.length; i++) {
    if (bytesEqual(p, len, unchecked(HOP_BY_HOP[i]))) return true;
  }
  return false;
}

/** host[:port] -> host-shadow[:port], as Envoy's native mirroring rewrites it. */
function shadowAuthority(p: usize, len: usize): ArrayBuffer {
  let hostEnd = len;
  // An IPv6 literal keeps its colons inside brackets; only a colon after them starts the port.
  let i = <isize>len - 1;
  while (i >= 0) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x3a) {
      hostEnd = <usize>i;
      break;
    }
    if (c == 0x5d || c < 0x30 || c > 0x39) break;
    i--;
  }
  const suffix = SHADOW_SUFFIX.byteLength;
  const out = new ArrayBuffer(<i32>len + suffix);
  const o = changetype<usize>(out);
  memory.copy(o, p, hostEnd);
  memory.copy(o + hostEnd, changetype<usize>(SHADOW_SUFFIX), <usize>suffix);
  memory.copy(o + hostEnd + <usize>suffix, p + hostEnd, len - hostEnd);
  return out;
}
