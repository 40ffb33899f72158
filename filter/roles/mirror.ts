// The mirror role: each selected request is copied to each of its shadows with
// dispatch_http_call while the primary request continues untouched and
// undelayed. The copy's body is collected chunk by chunk as the chunks pass (the
// stream is never held), redacted once, and sent to every shadow that selected
// it; the calls are fire-and-forget: their answers are counted, and compared
// with the primary's when the policy has a compare section.
import { Context, RootContext, FilterHeadersStatusValues, FilterDataStatusValues, FilterTrailersStatusValues } from "@solo-io/proxy-runtime/assembly/index";
import { Role } from "./role";
import { Spares } from "./spares";
import { collectIfGrown } from "../host/gc";
import { isForged, stripForged } from "./forged";
import { MirrorShadow, MirrorCall, SlotHold } from "./mirror-shadow";
import { Policy, UNSCANNABLE_SKIP } from "../policy/types";
import * as D from "../policy/defaults";
import { MirrorMetrics } from "../host/metrics";
import { Redaction } from "../redact/redaction";
import { CopyHeaders, H_RULE, AUTHORITY_SHADOW } from "../copy/builder";
import { Copy, ShadowChoices, TARGET_NONE, TARGET_BODY } from "../copy/copy";
import { CodecResult, scanWhole } from "../body/codec";
import { Tally } from "../redact/tally";
import { BodyPlan, BodyHeaders, planBody, isGrpcType, BODY_UNSCANNABLE, REASON_BYTES, REASON_TOO_LARGE } from "../body/plan";
import { Selector, Decision, DECISION_NAMES, DECISION_SELECTED } from "../select/selector";
import { RequestView } from "../select/view";
import { Draw } from "../select/sampling";
import { Comparison } from "../compare/pairs";
import { PrimarySide } from "../compare/primary";
import { HeaderCursor, HeaderMapBuilder, utf8, parseDecimal, sliceOf } from "../util/bytes";
import { random, randomKey } from "../host/random";
import { RedactionQueue, QueuedCopy } from "./mirror-queue";
import { limitBody, skipForMemory, expireStream } from "./mirror-limits";
import { MirrorDispatch, settle } from "./mirror-dispatch";
import { getHeaderPairs, getBuffer, httpCall, logAt, logEnabled, nowNs, setTickPeriod, HEADERS_REQUEST, HEADERS_RESPONSE, TRAILERS_REQUEST, BUFFER_REQUEST_BODY, LOG_DEBUG, LOG_WARN } from "../host/hostcalls";
import { ValueRewriter } from "../redact/values";
import { PrimaryHeard } from "../capture/retained";

const H_CONTENT_LENGTH = utf8("content-length");
const DEFAULT_BODY_DROPPED = utf8(D.SHADOW_BODY_DROPPED_HEADER);
const NO_TRAILERS = new ArrayBuffer(4); // a serialized map with zero pairs
const EMPTY = new ArrayBuffer(0);

/** The mirror role's configuration, compiled once: the shadows, selection, redaction, comparison. */
export class MirrorRole extends Role {
  metrics: MirrorMetrics = new MirrorMetrics();
  shadows: MirrorShadow[] = [];
  selector: Selector;
  redaction: Redaction;
  headers: CopyHeaders;
  comparison: Comparison | null = null;
  /** Sends complete copies, tracks their calls, accounts for the bodies held. */
  out!: MirrorDispatch;
  /** Selection looks at the request at all (the policy's or any shadow's select section). */
  selecting: bool;
  /** Some shadow has its own select section. */
  shadowsSelect: bool = false;
  // Per-request scratch, reused: the VM runs one callback at a time.
  view: RequestView = new RequestView();
  draw: Draw = new Draw();
  decision: Decision = new Decision();
  ownDecision: Decision = new Decision();
  plan: BodyPlan = new BodyPlan();
  bodyHeaders: BodyHeaders = new BodyHeaders();
  /** Rewrites a request's headers or trailers without the forged marks. */
  stripped: HeaderMapBuilder = new HeaderMapBuilder();
  /** Walks a request's headers or trailers. */
  cursor: HeaderCursor = new HeaderCursor(EMPTY);

  constructor(public policy: Policy) {
    super();
    const redaction = new Redaction(policy.redact);
    this.redaction = redaction;
    this.selector = Selector.create(policy.select, policy.budgetKey);
    let selecting = policy.select.enabled;
    // The default body-dropped header too: a shadow app may look for it whatever a policy names.
    const owned: ArrayBuffer[] = [H_RULE, DEFAULT_BODY_DROPPED];
    const shadows: MirrorShadow[] = [];
    for (let i = 0; i < policy.shadows.length; i++) {
      const s = policy.shadows[i];
      const shadow = new MirrorShadow(s, i);
      shadow.reportShare(policy.select);
      shadows.push(shadow);
      if (s.select.enabled) {
        selecting = true;
        this.shadowsSelect = true;
      }
      owned.push(s.bodyDroppedHeader);
    }
    this.selecting = selecting;
    const headers = new CopyHeaders(policy.tag, redaction, owned, true);
    this.headers = headers;
    this.shadows = shadows;
    const metrics = this.metrics;
    let comparison: Comparison | null = null;
    if (policy.compare.enabled) {
      // Records show values as keyed hashes: the policy's key, else one of this VM's own (never an unkeyed hash).
      const recordKey = policy.redact.hashKey.byteLength > 0 ? redaction.rewriter : new ValueRewriter(randomKey(32));
      comparison = new Comparison(policy.compare, recordKey);
      this.comparison = comparison;
      // Pairs whose other half does not come are dropped on the tick.
      setTickPeriod(comparison!.expireEveryMs);
    }
    this.out = new MirrorDispatch(policy, metrics, shadows, redaction, headers, comparison);
    this.queue = new RedactionQueue(policy.redactionBytesPerSecond, policy.redactionSliceUs);
    if (comparison != null) this.queue.idleTickMs = comparison.expireEveryMs;
  }

  newStream(id: u32, root: RootContext): Context {
    const stream = this.spare.take();
    if (stream == null) return new MirrorStream(id, root, this);
    stream.context_id = id;
    return stream;
  }
  /** Streams whose context the host deleted (MirrorStream.onDelete), for the next ones. */
  spare: Spares<MirrorStream> = new Spares<MirrorStream>(1024);

  /** Copies waiting for their body to be redacted, scanned in slices from the tick. */
  queue!: RedactionQueue;
  private expiredNs: u64 = 0;

  onTick(): void {
    // A safe point to collect (no reference lives only on the Wasm stack), and the moment bodies were just let go.
    collectIfGrown();
    // Bodies arriving on streams opened earlier grow memory without a request starting.
    this.metrics.sampleMemory();
    const comparison = this.comparison;
    if (comparison != null) {
      const now = nowNs();
      if (now - this.expiredNs >= <u64>comparison.expireEveryMs * 1000000) {
        this.expiredNs = now;
        comparison.expire();
      }
    }
    this.queue.tick(this.out, this.metrics);
  }
  /** Scratch for bodies redacted at once (limits.redaction_inline_bytes). */
  private inlineResult: CodecResult = new CodecResult();
  private inlineTally: Tally = new Tally();

  onCallResponse(token: u32, headers: u32, bodySize: u32): void {
    this.out.onCallResponse(token, headers, bodySize);
  }

  /**
   * The request ended and some shadow still expects its copy. A copy whose body
   * needs no scan goes now; one whose body must be redacted waits in the queue,
   * admitted against the VM's redaction budget, and goes from the tick: nothing
   * on the primary's path scans a body.
   */
  complete(copy: Copy, trailers: ArrayBuffer, stream: MirrorStream): void {
    const comparison = this.comparison;
    // The primary's answer is read from now on, whenever the copies go.
    const primary = comparison != null ? new PrimarySide(comparison, copy) : null;
    stream.primary = primary;
    const hold = stream.hold;
    stream.hold = null;
    const length = copy.body.length;
    if (length == 0 || copy.codec == null || !copy.collecting()) {
      this.out.dispatch(copy, trailers, hold, primary, null, null);
      return;
    }
    const queue = this.queue;
    if (!queue.admit(length)) {
      // Over the redaction budget: never queued without limit, never sent unscanned.
      for (let i = 0; i < this.shadows.length; i++) {
        if (unchecked(copy.targets[i]) == TARGET_NONE) continue;
        copy.drop(i);
        this.metrics.skippedRedactionBudget.inc();
        this.shadows[i].metrics.skippedRedactionBudget.inc();
      }
      this.out.discard(copy, hold, primary);
      return;
    }
    // Only while the queue is empty: its codecs are the same, and a scan in progress there must not be reset.
    if (length <= <i32>this.policy.redactionInlineBytes && queue.waiting == 0) {
      // A small body is scanned at once: bounded work (limits.redaction_inline_bytes), and the tick,
      // which comes every few milliseconds, would otherwise bound how many small copies a worker sends.
      const r = this.inlineResult;
      const t = this.inlineTally;
      r.reset();
      t.reset();
      copy.codec!.setMessageType(copy.messageType);
      scanWhole(copy.codec!, copy.body.ptr, length, t, r);
      this.out.dispatch(copy, trailers, hold, primary, r, t);
      return;
    }
    // A borrowed body outlives its callback from here: it is copied and held (onRequestBody checked the room).
    if (copy.body.isBorrowed) this.out.hold(copy.body.own());
    queue.enqueue(new QueuedCopy(copy, trailers, hold, primary, nowNs()), this.metrics);
  }

  /** The copy's body is no longer held (MirrorDispatch.release). */
  release(copy: Copy): void {
    this.out.release(copy);
  }

  /** No shadow gets this copy (MirrorDispatch.skipAll). */
  skipAll(copy: Copy, unscannable: bool): void {
    this.out.skipAll(copy, unscannable);
  }

  /** Applies the body limits (roles/mirror-limits.ts) to a body of `length` bytes; the largest body any shadow still wants. */
  limit(copy: Copy, length: i64): i64 {
    return limitBody(copy, this.shadows, this.metrics, length);
  }
}

const PHASE_HEADERS: u8 = 0;
const PHASE_COLLECTING: u8 = 1; // the body is collected for the shadows that want it
/** No shadow wants more of the body, but copies still wait for the request to end (a request that never ends is not copied). */
const PHASE_DRAINING: u8 = 2;
const PHASE_FINISHED: u8 = 3;

/** One request's stream: the copy in progress, and the primary's answer while a comparison waits for it. */
export class MirrorStream extends Context {
  private phase: u8 = PHASE_HEADERS;
  private copy: Copy | null = null;
  /** The policy's select.max_inflight slot, while the request's copies hold it. */
  hold: SlotHold | null = null;
  /** Why the body cannot be scanned, while an unscannable body of unknown length may still turn out empty. */
  private unscannableReason: u8 = 0;
  /** With compare: the primary's answer, shared by the pairs of every shadow the copy went to. */
  primary: PrimarySide | null = null;
  /** With capture: the primary's answer headers, for a capture of this request's copy. */
  private heard: PrimaryHeard | null = null;

  constructor(id: u32, root: RootContext, private role: MirrorRole) {
    super(id, root);
  }

  onRequestHeaders(_n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const role = this.role;
    const policy = role.policy;
    const m = role.metrics;
    m.requests.inc();
    m.sampleMemory();
    const raw = getHeaderPairs(HEADERS_REQUEST);

    // One pass over the map: the forged marks, the body's length and type, and what selection looks at.
    let contentLength: i64 = -1;
    // A forged mark (the tag in any spelling, our baggage member): the primary must not see it.
    let forged = false;
    const bodyHeaders = role.bodyHeaders;
    bodyHeaders.reset();
    const tag = policy.tag;
    const selecting = role.selecting;
    const view = role.view;
    if (selecting) view.reset(raw);
    const cur = role.cursor.reset(raw);
    while (cur.next()) {
      if (selecting && view.observe(cur)) continue;
      if (isForged(tag, cur)) forged = true;
      else if (cur.keyIs(H_CONTENT_LENGTH)) contentLength = parseDecimal(cur.valuePtr, cur.valueLen);
      else bodyHeaders.observe(raw, cur);
    }
    if (forged && tag.stripFromPrimary) {
      // A forged mark in baggage would also travel to every dependency of the primary.
      stripForged(HEADERS_REQUEST, raw, tag, role.stripped);
      m.tagStripped.inc();
    }

    const copy = this.select();
    view.raw = EMPTY;
    if (copy == null) {
      this.phase = PHASE_FINISHED;
      return FilterHeadersStatusValues.Continue;
    }
    copy.headers = raw;
    // A gRPC call, whether redacting or not: its answers are counted by grpc-status, its stream's length and duration bounded.
    copy.grpc = isGrpcType(bodyHeaders.type);
    if (copy.grpc) {
      copy.startedNs = nowNs();
      copy.method = bodyHeaders.grpcMethod(policy.redact);
    }
    this.copy = copy;
    if (end_of_stream) {
      this.complete(NO_TRAILERS);
      return FilterHeadersStatusValues.Continue;
    }
    if (contentLength >= 0 && role.limit(copy, contentLength) < 0) {
      // Over every shadow's limit: nothing is collected; headers-only copies wait for the end.
      this.drain();
      return FilterHeadersStatusValues.Continue;
    }
    const plan = role.plan;
    planBody(policy.redact, bodyHeaders, plan);
    copy.planKind = plan.kind;
    if (plan.kind == BODY_UNSCANNABLE) {
      // Known before a byte of the body arrives: nothing is collected, never sent as it is.
      // Without a content-length (HTTP/2) the body may yet be empty (headers, then an empty
      // DATA frame ending the stream): the drop waits for its first byte (unscannable()).
      if (contentLength > 0) this.unscannable(plan.reason);
      else {
        this.unscannableReason = plan.reason;
        this.phase = PHASE_COLLECTING;
      }
      return FilterHeadersStatusValues.Continue;
    }
    copy.codec = role.redaction.codecs.forKind(plan.kind);
    if (copy.codec != null) copy.codec!.begin();
    this.phase = PHASE_COLLECTING;
    return FilterHeadersStatusValues.Continue;
  }

  /** The policy's select, then each shadow's: the copy, when at least one shadow takes it. */
  private select(): Copy | null {
    const role = this.role;
    const m = role.metrics;
    const view = role.view;
    const draw = role.draw;
    draw.reset();
    const top = role.decision;
    top.code = DECISION_SELECTED;
    top.label = EMPTY;
    top.slot = null;
    if (role.policy.select.enabled) {
      role.selector.decide(view, draw, top);
      if (logEnabled(LOG_DEBUG)) logAt(LOG_DEBUG, "mirrorshade: decision=" + DECISION_NAMES[top.code] + " rule=" + String.UTF8.decode(top.label));
    }
    m.decisions[top.code].inc(); // also without a select section: select.selected agrees with mirrored
    if (!top.selected) return null;
    const shadows = role.shadows;
    const n = shadows.length;
    let copy: Copy | null = null;
    if (!role.shadowsSelect) {
      copy = new Copy(n);
      for (let i = 0; i < n; i++) unchecked((copy.targets[i] = TARGET_BODY));
    } else {
      const own = role.ownDecision;
      for (let i = 0; i < n; i++) {
        const shadow = unchecked(shadows[i]);
        if (shadow.cfg.select.enabled) {
          shadow.selector.decide(view, draw, own);
          shadow.metrics.decisions[own.code].inc();
          if (!own.selected) continue;
        } else {
          own.label = EMPTY;
          own.slot = null;
        }
        if (copy == null) {
          copy = new Copy(n);
          copy.choices = new ShadowChoices(n);
        }
        unchecked((copy.targets[i] = TARGET_BODY));
        const c = copy.choices!;
        unchecked((c.labels[i] = own.label));
        unchecked((c.slots[i] = own.slot));
      }
    }
    if (copy == null) {
      top.release();
      return null;
    }
    copy.label = top.label;
    // With capture, the primary's answer headers are kept for a capture of this copy.
    if (role.out.capture != null) copy.heard = this.heard = new PrimaryHeard();
    const slot = top.slot;
    if (slot != null) {
      top.slot = null;
      this.hold = new SlotHold(slot);
    }
    return copy;
  }

  onRequestBody(size: usize, end_of_stream: bool): FilterDataStatusValues {
    // Bodies arriving on many open streams (HTTP/2) leave their garbage here, not only at a stream's start.
    collectIfGrown();
    this.role.metrics.sampleMemory();
    if (this.phase == PHASE_DRAINING) {
      if (end_of_stream || this.expired()) this.complete(NO_TRAILERS);
      return FilterDataStatusValues.Continue;
    }
    if (this.phase != PHASE_COLLECTING || this.expired()) return FilterDataStatusValues.Continue;
    const copy = this.copy!;
    const len = <i32>size;
    const role = this.role;
    if (copy.planKind == BODY_UNSCANNABLE) {
      // The body is not empty after all: it is dropped now; an empty one ends the copy as it is.
      if (len > 0) this.unscannable(this.unscannableReason);
      else if (end_of_stream) this.complete(NO_TRAILERS);
      return FilterDataStatusValues.Continue;
    }
    if (role.limit(copy, <i64>copy.bodyLength + <i64>len) < 0) {
      // Over every remaining shadow's limit: the body is let go.
      this.release();
      this.drain();
      if (end_of_stream && this.phase == PHASE_DRAINING) this.complete(NO_TRAILERS);
      return FilterDataStatusValues.Continue;
    }
    if (len > 0) {
      const body = copy.body;
      const budget = <u64>role.policy.maxBufferedBytes;
      const room = role.out.used() < budget ? budget - role.out.used() : 0;
      const capacity = body.capacityFor(len, room);
      const growth = capacity - body.capacity;
      if (growth > 0 && <u64>growth > room) {
        // The VM holds as many bodies as it may: this copy goes to no shadow, and memory stays bounded whatever clients announce or send.
        skipForMemory(copy, role.shadows, role.metrics);
        this.release();
        this.finish();
        return FilterDataStatusValues.Continue;
      }
      const chunk = getBuffer(BUFFER_REQUEST_BODY, 0, <u32>len);
      if (end_of_stream && body.length == 0) {
        // The whole body in one chunk: the copy goes (or waits, then held: complete()) from the host's chunk itself.
        copy.borrow(chunk);
      } else {
        copy.append(changetype<usize>(chunk), chunk.byteLength, capacity);
        if (growth > 0) role.out.hold(growth);
      }
    }
    if (end_of_stream) this.complete(NO_TRAILERS);
    return FilterDataStatusValues.Continue;
  }

  onRequestTrailers(_n: u32): FilterTrailersStatusValues {
    const trailers = getHeaderPairs(TRAILERS_REQUEST);
    const tag = this.role.policy.tag;
    // A forged tag in the trailers would reach the primary as surely as one in the headers.
    if (tag.stripFromPrimary) {
      let forged = false;
      const cur = this.role.cursor.reset(trailers);
      while (!forged && cur.next()) forged = isForged(tag, cur);
      if (forged) {
        stripForged(TRAILERS_REQUEST, trailers, tag, this.role.stripped);
        this.role.metrics.tagStripped.inc();
      }
    }
    // With trailers the body never carries end_of_stream: the trailers end the request.
    if (this.phase == PHASE_COLLECTING || this.phase == PHASE_DRAINING) this.complete(trailers);
    return FilterTrailersStatusValues.Continue;
  }

  /** The body cannot be scanned (body/plan.ts REASON_*): the copy goes without it, or not at all (on_unscannable: skip). */
  private unscannable(reason: u8): void {
    const role = this.role;
    role.metrics.bodyUnscannable[reason].inc();
    if (role.policy.redact.onUnscannable == UNSCANNABLE_SKIP) {
      role.skipAll(this.copy!, true);
      this.finish();
    } else {
      this.copy!.dropReason = reason;
      this.complete(NO_TRAILERS);
    }
  }

  /** A gRPC stream that outlasted some shadow's timeout_ms (roles/mirror-limits.ts): true when no shadow is left (the copy is let go). */
  private expired(): bool {
    const copy = this.copy!;
    if (!copy.grpc) return false;
    expireStream(copy, this.role.shadows, this.role.metrics, nowNs() - copy.startedNs);
    if (copy.pending()) return false;
    this.finish();
    return true;
  }

  /** No shadow wants (more of) the body: the copies left are headers-only and go when the request ends. */
  private drain(): void {
    if (this.copy!.pending()) this.phase = PHASE_DRAINING;
    else this.finish();
  }

  /** The request is complete (or no shadow needs more of it): the copies go (now, or from the queue once redacted). */
  private complete(trailers: ArrayBuffer): void {
    const copy = this.copy!;
    if (copy.grpc) expireStream(copy, this.role.shadows, this.role.metrics, nowNs() - copy.startedNs);
    this.phase = PHASE_FINISHED;
    this.copy = null;
    // The role owns the copy from here: it frees the body once the copy went or was dropped.
    if (copy.pending()) this.role.complete(copy, trailers, this);
    else {
      this.role.release(copy);
      this.settleHold();
    }
  }

  private finish(): void {
    this.phase = PHASE_FINISHED;
    this.release();
    this.copy = null;
    this.settleHold();
  }

  /** The copy's body is no longer held: freed, its capacity leaves the VM's budget. */
  private release(): void {
    const copy = this.copy;
    if (copy != null) this.role.release(copy);
  }

  /** A hold no call took goes back now. */
  settleHold(): void {
    const h = this.hold;
    this.hold = null;
    settle(h);
  }

  onResponseHeaders(_n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const h = this.heard;
    if (h != null) {
      this.heard = null;
      h.headers = getHeaderPairs(HEADERS_RESPONSE);
    }
    const p = this.primary;
    if (p != null) p.onHeaders(end_of_stream);
    return FilterHeadersStatusValues.Continue;
  }

  onResponseBody(size: usize, end_of_stream: bool): FilterDataStatusValues {
    const p = this.primary;
    if (p != null) p.onBody(size, end_of_stream);
    return FilterDataStatusValues.Continue;
  }

  onResponseTrailers(_n: u32): FilterTrailersStatusValues {
    const p = this.primary;
    if (p != null) p.onTrailers();
    return FilterTrailersStatusValues.Continue;
  }

  onDone(): bool {
    // A primary answer that never ended (reset) cannot be compared.
    const p = this.primary;
    this.primary = null;
    if (p != null) p.finish(true);
    if (this.phase == PHASE_COLLECTING || this.phase == PHASE_DRAINING) {
      // The client went away before the request ended: a partial copy would be a
      // different request, so none is sent.
      this.role.metrics.skippedIncomplete.inc();
      this.role.skipAll(this.copy!, false);
      this.finish();
    }
    return true;
  }

  /** The host deleted the context: the stream is reset and kept for a later one (MirrorRole.spare). */
  onDelete(): void {
    // Envoy calls proxy_on_done first; should it not have, what onDone settles is settled here.
    if (this.primary != null || this.phase == PHASE_COLLECTING || this.phase == PHASE_DRAINING) this.onDone();
    this.settleHold();
    this.phase = PHASE_HEADERS;
    this.copy = null;
    this.unscannableReason = 0;
    this.heard = null;
    this.role.spare.keep(this);
  }
}

