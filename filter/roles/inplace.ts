// What the in-place roles share. "upstream" (roles/upstream.ts): an upstream
// HTTP filter on the shadow cluster, behind Envoy's native mirroring, so every
// request it sees is a copy. "shadow" (roles/shadow.ts): the shadow workload's
// inbound sidecar, where copies are recognized by the "-shadow" Host suffix
// Envoy adds, or by the tag. Either way the copy is selected, redacted and
// tagged on its way to the shadow app by the same copy builder as the mirror
// role's (copy/builder.ts); requests that are not copies pass untouched.
//
// Headers go on before the body is known (holding them would need Envoy's
// allow_on_headers_stop_iteration, which Istio cannot set), so a body that will be
// rewritten loses its content-length, and a body found unscannable at its end is
// emptied rather than flagged.
import {
  Context, RootContext, FilterHeadersStatusValues, FilterDataStatusValues, FilterTrailersStatusValues,
  send_local_response, GrpcStatusValues,
} from "@solo-io/proxy-runtime/assembly/index";
import { Role } from "./role";
import { Policy, UNSCANNABLE_SKIP } from "../policy/types";
import * as D from "../policy/defaults";
import { H_BAGGAGE } from "../copy/tag";
import { CopyHeaders, H_RULE, AUTHORITY_KEEP, AUTHORITY_RESTORE } from "../copy/builder";
import { utf8, HeaderCursor, sliceOf } from "../util/bytes";
import { RequestView } from "../select/view";
import { Selector, Decision, DECISION_SELECTED } from "../select/selector";
import { Draw } from "../select/sampling";
import { Redaction } from "../redact/redaction";
import { BodyPlan, BodyHeaders, planBody, BODY_NONE, BODY_PASS_THROUGH, BODY_UNSCANNABLE, BODY_GRPC, REASON_BYTES, REASON_TOO_LARGE } from "../body/plan";
import { GrpcStream } from "./inplace-grpc";
import { CodecResult, scanWhole } from "../body/codec";
import { MirrorMetrics, InPlaceMetrics } from "../host/metrics";
import { getHeaderPairs, getBuffer, setHeaderPairs, setBuffer, bufferLength, HEADERS_REQUEST, TRAILERS_REQUEST, BUFFER_REQUEST_BODY } from "../host/hostcalls";

const BODY_DROPPED = utf8(D.SHADOW_BODY_DROPPED_HEADER);
const EMPTY = new ArrayBuffer(0);
const DETAILS = "mirrorshade_not_selected";

/** The configuration of an in-place role, compiled once, shared by its streams. */
export abstract class InPlaceRole extends Role {
  metrics: MirrorMetrics = new MirrorMetrics();
  counters: InPlaceMetrics = new InPlaceMetrics();
  redaction: Redaction;
  selector: Selector;
  headers: CopyHeaders;
  view: RequestView = new RequestView();
  draw: Draw = new Draw();
  decision: Decision = new Decision();
  result: CodecResult = new CodecResult();
  bodyHeaders: BodyHeaders = new BodyHeaders();

  /** How the copy's :authority is made: as sent, or with the "-shadow" suffix removed (restore_host). */
  mode: u8;

  constructor(public policy: Policy) {
    super();
    this.mode = policy.inPlace.restoreHost ? AUTHORITY_RESTORE : AUTHORITY_KEEP;
    const redaction = new Redaction(policy.redact);
    this.redaction = redaction;
    this.selector = Selector.create(policy.select, "inplace");
    this.headers = new CopyHeaders(policy.tag, redaction, [H_RULE, BODY_DROPPED], false);
  }

  /** Whether a request is a copy this role rewrites (the upstream role: all of them). */
  abstract isCopy(view: RequestView, tagged: bool): bool;

  newStream(id: u32, root: RootContext): Context {
    return new InPlaceStream(id, root, this);
  }
}

const BODY_PASS: u8 = 0;
const BODY_HOLD: u8 = 1;
const BODY_EMPTY: u8 = 2;
/** gRPC: redacted message by message as the chunks pass (roles/inplace-grpc.ts). */
const BODY_STREAM: u8 = 3;

export class InPlaceStream extends Context {
  /** What happens to the body: passed as is, held for redaction, or emptied. */
  private body: u8 = BODY_PASS;
  /** The request is a copy this role rewrites (its trailers are redacted too). */
  private copy: bool = false;
  private plan: BodyPlan = new BodyPlan();
  private grpc: GrpcStream | null = null;

  constructor(id: u32, root: RootContext, private role: InPlaceRole) {
    super(id, root);
  }

  onRequestHeaders(_n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const role = this.role;
    const policy = role.policy;
    const cfg = policy.inPlace;
    const tag = policy.tag;
    const raw = getHeaderPairs(HEADERS_REQUEST);
    const view = role.view;
    view.reset(raw);
    let tagged = false;
    const bodyHeaders = role.bodyHeaders;
    bodyHeaders.reset();
    const cur = new HeaderCursor(raw);
    while (cur.next()) {
      if (view.observe(cur)) continue;
      if (tag.matchesName(cur.keyPtr, cur.keyLen)) {
        if (tag.valueMatches(cur.valuePtr, cur.valueLen)) tagged = true;
      } else if (cur.keyIs(H_BAGGAGE)) {
        if (tag.inBaggage(cur.valuePtr, cur.valueLen)) tagged = true;
      } else bodyHeaders.observe(raw, cur);
    }
    const m = role.metrics;
    const c = role.counters;
    if (!role.isCopy(view, tagged)) {
      view.raw = EMPTY;
      c.passed.inc();
      return FilterHeadersStatusValues.Continue;
    }
    c.copies.inc();
    this.copy = true;
    m.requests.inc();
    m.sampleMemory();

    let label = EMPTY;
    // Without a select section every copy is selected, and counted so (select.selected agrees with inplace.copies).
    if (!policy.select.enabled) m.decisions[DECISION_SELECTED].inc();
    else {
      const d = role.decision;
      role.draw.reset();
      role.selector.decide(view, role.draw, d);
      m.decisions[d.code].inc();
      if (!d.selected) {
        view.raw = EMPTY;
        c.notSelected.inc();
        // The copy stops here: the shadow app never sees it.
        send_local_response(cfg.notSelectedStatus, DETAILS, EMPTY, [], GrpcStatusValues.InvalidCode);
        return FilterHeadersStatusValues.StopIteration;
      }
      label = d.label;
      // In place there is no call to wait for: the slot is only a gate.
      d.release();
    }
    view.raw = EMPTY;

    // What will happen to the body decides whether content-length can stay.
    planBody(policy.redact, bodyHeaders, this.plan);
    let dropReason: i32 = -1;
    if (!end_of_stream) {
      const kind = this.plan.kind;
      if (kind == BODY_UNSCANNABLE) {
        m.bodyUnscannable[this.plan.reason].inc();
        if (policy.redact.onUnscannable == UNSCANNABLE_SKIP) {
          m.skippedUnscannable.inc();
          send_local_response(cfg.notSelectedStatus, DETAILS, EMPTY, [], GrpcStatusValues.InvalidCode);
          return FilterHeadersStatusValues.StopIteration;
        }
        dropReason = this.plan.reason;
        this.body = BODY_EMPTY;
      } else if (kind == BODY_GRPC) {
        const method = this.plan.method;
        this.grpc = new GrpcStream(role.redaction.codecs.grpc, method != null ? method.input : null, cfg.maxBodyBytes);
        this.body = BODY_STREAM;
      } else if (kind != BODY_NONE && kind != BODY_PASS_THROUGH) {
        this.body = BODY_HOLD;
      }
    }

    const tally = role.redaction.tally;
    tally.reset();
    const builder = role.headers;
    builder.prepare(raw, role.mode, this.body != BODY_PASS, tally);
    setHeaderPairs(HEADERS_REQUEST, builder.finish(EMPTY, label, BODY_DROPPED, dropReason >= 0 ? REASON_BYTES[dropReason] : EMPTY));
    if (role.redaction.enabled) m.addTally(tally);
    return FilterHeadersStatusValues.Continue;
  }

  onRequestBody(size: usize, end_of_stream: bool): FilterDataStatusValues {
    if (this.body == BODY_PASS) return FilterDataStatusValues.Continue;
    if (this.body == BODY_EMPTY) {
      if (size > 0) setBuffer(BUFFER_REQUEST_BODY, 0, <u32>size, EMPTY);
      return FilterDataStatusValues.Continue;
    }
    const role = this.role;
    if (this.body == BODY_STREAM) {
      this.stream(size, end_of_stream);
      return FilterDataStatusValues.Continue;
    }
    // Held: Envoy keeps appending chunks; size is the whole body so far.
    if (<u64>size > <u64>role.policy.inPlace.maxBodyBytes) {
      role.metrics.bodyUnscannable[REASON_TOO_LARGE].inc();
      this.body = BODY_EMPTY;
      setBuffer(BUFFER_REQUEST_BODY, 0, <u32>size, EMPTY);
      return FilterDataStatusValues.Continue;
    }
    if (!end_of_stream) return FilterDataStatusValues.StopIterationAndBuffer;
    this.rewrite(size);
    return FilterDataStatusValues.Continue;
  }

  onRequestTrailers(_n: u32): FilterTrailersStatusValues {
    // With trailers the body never carries end_of_stream: the trailers end it.
    if (this.body == BODY_HOLD) this.rewrite(<usize>bufferLength(BUFFER_REQUEST_BODY));
    else if (this.body == BODY_STREAM) this.stream(0, true);
    if (this.copy) {
      // A trailer is a header that comes late: the same rules and detectors, and names the filter owns go.
      const role = this.role;
      const raw = getHeaderPairs(TRAILERS_REQUEST);
      const tally = role.redaction.tally;
      tally.reset();
      const out = role.headers.trailers(raw, tally);
      if (out != raw) setHeaderPairs(TRAILERS_REQUEST, out);
      if (role.redaction.enabled) role.metrics.addTally(tally);
    }
    return FilterTrailersStatusValues.Continue;
  }

  onDone(): bool {
    // A stream reset mid-message: what it held is freed (not garbage the collector sees).
    const g = this.grpc;
    if (g != null) g.release();
    this.grpc = null;
    return true;
  }

  /** A gRPC chunk (Continue: each arrives once, size is its own): its complete messages go on redacted, in its place. */
  private stream(size: usize, end: bool): void {
    const role = this.role;
    const g = this.grpc!;
    let failure: i32 = -1;
    if (size > 0) {
      const chunk = getBuffer(BUFFER_REQUEST_BODY, 0, <u32>size);
      const tally = role.redaction.tally;
      tally.reset();
      const out = g.chunk(chunk, tally, role.result);
      role.metrics.addTally(tally);
      failure = g.failure;
      if (out != null) setBuffer(BUFFER_REQUEST_BODY, 0, <u32>size, out);
    }
    if (failure < 0 && end) failure = g.end();
    if (failure >= 0) {
      role.metrics.bodyUnscannable[failure].inc();
      this.body = BODY_EMPTY;
      this.grpc = null;
    } else if (end) {
      this.body = BODY_PASS;
      this.grpc = null;
    }
  }

  private rewrite(size: usize): void {
    this.body = BODY_PASS;
    if (size == 0) return;
    const role = this.role;
    const codec = role.redaction.codecs.forKind(this.plan.kind);
    if (codec == null) return;
    const body = getBuffer(BUFFER_REQUEST_BODY, 0, <u32>size);
    const tally = role.redaction.tally;
    tally.reset();
    const r = role.result;
    r.reset();
    codec.begin();
    scanWhole(codec, changetype<usize>(body), body.byteLength, tally, r);
    role.metrics.addTally(tally);
    if (r.failed) {
      role.metrics.bodyUnscannable[r.reason].inc();
      setBuffer(BUFFER_REQUEST_BODY, 0, <u32>body.byteLength, EMPTY);
    } else if (r.body != null) {
      setBuffer(BUFFER_REQUEST_BODY, 0, <u32>body.byteLength, r.body!);
    }
  }
}
