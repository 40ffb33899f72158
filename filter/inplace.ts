// The in-place roles. "upstream": an upstream HTTP filter on the shadow cluster,
// behind Envoy's native mirroring, so every request it sees is a copy. "shadow":
// at the shadow workload's inbound sidecar, where copies are recognized by the
// "-shadow" Host suffix Envoy adds, or by the tag. Either way the copy is
// selected, redacted and tagged on its way to the shadow app, with the same
// engine as the mirror role; requests that are not copies pass untouched.
//
// Headers go on before the body is known (holding them would need Envoy's
// allow_on_headers_stop_iteration, which Istio cannot set), so a body that will be
// rewritten loses its content-length, and a body found unscannable at its end is
// emptied rather than flagged.
import {
  Context,
  RootContext,
  FilterHeadersStatusValues,
  FilterDataStatusValues,
  FilterTrailersStatusValues,
  send_local_response,
  GrpcStatusValues,
} from "@solo-io/proxy-runtime/assembly/index";
import { Policy, ROLE_SHADOW, UNSCANNABLE_SKIP } from "./config";
import { ShadowTag, H_BAGGAGE } from "./tag";
import { HeaderCursor, HeaderMapBuilder, utf8, bytesEqual } from "./bytes";
import { RequestView, Selector, DECISION_SELECTED } from "./select";
import { Redaction } from "./redact/redaction";
import { HEADER_DROP, HEADER_REPLACE } from "./redact/headers";
import { BodyPlan, planBody, BODY_NONE, BODY_PASS_THROUGH, BODY_UNSCANNABLE, REASON_NAMES, REASON_TOO_LARGE } from "./redact/body";
import { MirrorMetrics, InPlaceMetrics } from "./metrics";
import { getHeaderPairs, getBuffer, setHeaderPairs, setBuffer, bufferLength, HEADERS_REQUEST, BUFFER_REQUEST_BODY } from "./hostcalls";

const H_PATH = utf8(":path");
const H_AUTHORITY = utf8(":authority");
const H_CONTENT_LENGTH = utf8("content-length");
const H_CONTENT_TYPE = utf8("content-type");
const H_CONTENT_ENCODING = utf8("content-encoding");
const H_RULE = utf8("x-shadow-rule");
const SUFFIX = utf8("-shadow");
const REASON_BYTES: ArrayBuffer[] = REASON_NAMES.map<ArrayBuffer>((n: string) => utf8(n));
const EMPTY = new ArrayBuffer(0);
const DETAILS = "mirrorshade_not_selected";

/** Length of the host part of an authority (without ":port"; IPv6 brackets kept). */
function hostEnd(p: usize, len: usize): usize {
  let i = <isize>len - 1;
  while (i >= 0) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x3a) return <usize>i;
    if (c < 0x30 || c > 0x39) break;
    i--;
  }
  return len;
}

function hasShadowSuffix(p: usize, len: usize): bool {
  const h = hostEnd(p, len);
  const n = <usize>SUFFIX.byteLength;
  return h > n && bytesEqual(p + h - n, n, SUFFIX);
}

/** host-shadow[:port] -> host[:port] */
function withoutSuffix(p: usize, len: usize): ArrayBuffer {
  const h = hostEnd(p, len);
  const n = <usize>SUFFIX.byteLength;
  const out = new ArrayBuffer(<i32>(len - n));
  const o = changetype<usize>(out);
  memory.copy(o, p, h - n);
  memory.copy(o + h - n, p + h, len - h);
  return out;
}

/** Per-configuration state of an in-place role, shared by its streams. */
export class InPlace {
  view: RequestView = new RequestView();
  builder: HeaderMapBuilder = new HeaderMapBuilder();

  constructor(
    public policy: Policy,
    public tag: ShadowTag,
    public redaction: Redaction,
    public selector: Selector,
    public metrics: MirrorMetrics,
    public counters: InPlaceMetrics,
  ) {}
}

const BODY_PASS: u8 = 0;
const BODY_HOLD: u8 = 1;
const BODY_EMPTY: u8 = 2;

export class InPlaceStream extends Context {
  /** What happens to the body: passed as is, held for redaction, or emptied. */
  private body: u8 = BODY_PASS;
  private plan: BodyPlan = new BodyPlan();
  private holdsSlot: bool = false;

  constructor(context_id: u32, root: RootContext, private s: InPlace) {
    super(context_id, root);
  }

  onRequestHeaders(_n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const s = this.s;
    const policy = s.policy;
    const cfg = policy.inPlace;
    const raw = getHeaderPairs(HEADERS_REQUEST);
    const view = s.view;
    view.reset(raw);
    let tagged = false;
    let contentType: ArrayBuffer | null = null;
    let contentEncoding: ArrayBuffer | null = null;
    const cur = new HeaderCursor(raw);
    while (cur.next()) {
      if (view.observe(cur)) continue;
      if (s.tag.matchesName(cur.keyPtr, cur.keyLen)) {
        if (s.tag.valueMatches(cur.valuePtr, cur.valueLen)) tagged = true;
      } else if (cur.keyIs(H_BAGGAGE)) {
        if (s.tag.inBaggage(cur.valuePtr, cur.valueLen)) tagged = true;
      } else if (cur.keyIs(H_CONTENT_TYPE)) {
        contentType = slice(raw, cur.valuePtr, cur.valueLen);
      } else if (cur.keyIs(H_CONTENT_ENCODING)) {
        contentEncoding = slice(raw, cur.valuePtr, cur.valueLen);
      }
    }
    const m = s.metrics;
    const c = s.counters;
    if (policy.role == ROLE_SHADOW) {
      const suffixed = view.hasHost && hasShadowSuffix(view.hostPtr, view.hostLen);
      const isCopy = (policy.inPlace.recognizeHostSuffix && suffixed) || (policy.inPlace.recognizeTag && tagged);
      if (!isCopy) {
        view.raw = EMPTY;
        c.passed.inc();
        return FilterHeadersStatusValues.Continue;
      }
    }
    c.copies.inc();
    m.requests.inc();
    m.sampleMemory();

    let label = EMPTY;
    if (policy.select.enabled) {
      const decision = s.selector.decide(view);
      m.decisions[decision].inc();
      if (decision != DECISION_SELECTED) {
        view.raw = EMPTY;
        c.notSelected.inc();
        // The copy stops here: the shadow app never sees it.
        send_local_response(cfg.notSelectedStatus, DETAILS, EMPTY, [], GrpcStatusValues.InvalidCode);
        return FilterHeadersStatusValues.StopIteration;
      }
      label = s.selector.label;
      // In place there is no call to wait for: the slot is only a gate.
      if (s.selector.holdsSlot) s.selector.release();
    }
    view.raw = EMPTY;

    // What will happen to the body decides whether content-length can stay.
    const redaction = s.redaction;
    planBody(policy.redact, contentType, contentEncoding, this.plan);
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
      } else if (kind != BODY_NONE && kind != BODY_PASS_THROUGH) {
        this.body = BODY_HOLD;
      }
    }

    const tally = redaction.tally;
    tally.reset();
    const b = s.builder;
    b.reset();
    const addBaggage = policy.tag.addBaggage;
    let baggageDone = false;
    const rw = new HeaderCursor(raw);
    while (rw.next()) {
      if (s.tag.matchesName(rw.keyPtr, rw.keyLen)) continue;
      if (rw.keyIs(H_RULE)) continue;
      if (rw.keyIs(H_CONTENT_LENGTH) && this.body != BODY_PASS) continue;
      if (rw.keyIs(H_AUTHORITY)) {
        if (cfg.restoreHost && hasShadowSuffix(rw.valuePtr, rw.valueLen)) b.addOwned(H_AUTHORITY, withoutSuffix(rw.valuePtr, rw.valueLen));
        else b.add(rw.keyPtr, rw.keyLen, rw.valuePtr, rw.valueLen);
        continue;
      }
      if (redaction.enabled) {
        if (rw.keyIs(H_PATH)) {
          const path = redaction.path(rw.valuePtr, rw.valueLen);
          if (path != null) {
            b.addOwned(H_PATH, path);
            continue;
          }
        } else if (load<u8>(rw.keyPtr) != 0x3a) {
          const verdict = redaction.headers.redact(rw.keyPtr, rw.keyLen, rw.valuePtr, rw.valueLen, tally);
          if (verdict == HEADER_DROP) continue;
          if (verdict == HEADER_REPLACE) {
            b.addOwned(slice(raw, rw.keyPtr, rw.keyLen), redaction.headers.replacement);
            continue;
          }
        }
      }
      if (addBaggage && rw.keyIs(H_BAGGAGE)) {
        baggageDone = true;
        if (!s.tag.inBaggage(rw.valuePtr, rw.valueLen)) {
          b.addOwned(H_BAGGAGE, s.tag.withMember(rw.valuePtr, rw.valueLen));
          continue;
        }
      }
      b.add(rw.keyPtr, rw.keyLen, rw.valuePtr, rw.valueLen);
    }
    b.addOwned(s.tag.name, s.tag.value);
    if (label.byteLength > 0) b.addOwned(H_RULE, label);
    if (addBaggage && !baggageDone) b.addOwned(H_BAGGAGE, s.tag.baggageMember);
    if (dropReason >= 0) b.addOwned(utf8(policy.shadow.bodyDroppedHeader), REASON_BYTES[dropReason]);
    setHeaderPairs(HEADERS_REQUEST, b.finish());
    if (redaction.enabled) m.addTally(tally);
    return FilterHeadersStatusValues.Continue;
  }

  onRequestBody(size: usize, end_of_stream: bool): FilterDataStatusValues {
    if (this.body == BODY_PASS) return FilterDataStatusValues.Continue;
    if (this.body == BODY_EMPTY) {
      if (size > 0) setBuffer(BUFFER_REQUEST_BODY, 0, <u32>size, EMPTY);
      return FilterDataStatusValues.Continue;
    }
    // Held: Envoy keeps appending chunks; size is the whole body so far.
    const s = this.s;
    if (<u64>size > <u64>s.policy.inPlace.maxBodyBytes) {
      s.metrics.bodyUnscannable[REASON_TOO_LARGE].inc();
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
    if (this.body == BODY_HOLD) {
      this.rewrite(<usize>bufferLength(BUFFER_REQUEST_BODY));
    }
    return FilterTrailersStatusValues.Continue;
  }

  private rewrite(size: usize): void {
    this.body = BODY_PASS;
    if (size == 0) return;
    const s = this.s;
    const body = getBuffer(BUFFER_REQUEST_BODY, 0, <u32>size);
    const tally = s.redaction.tally;
    tally.reset();
    const br = s.redaction.body;
    br.redact(this.plan.kind, changetype<usize>(body), body.byteLength, tally);
    s.metrics.addTally(tally);
    if (br.failed) {
      s.metrics.bodyUnscannable[br.reason].inc();
      setBuffer(BUFFER_REQUEST_BODY, 0, <u32>body.byteLength, EMPTY);
    } else if (br.body != null) {
      setBuffer(BUFFER_REQUEST_BODY, 0, <u32>body.byteLength, br.body!);
    }
  }
}

function slice(raw: ArrayBuffer, p: usize, len: usize): ArrayBuffer {
  const start = <i32>(p - changetype<usize>(raw));
  return raw.slice(start, start + <i32>len);
}
