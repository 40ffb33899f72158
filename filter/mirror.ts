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
import { parsePolicy, Policy, ON_TOO_LARGE_HEADERS_ONLY } from "./config";
import { MirrorMetrics } from "./metrics";
import { HeaderCursor, HeaderMapBuilder, ByteSink, utf8, bytesEqual, parseDecimal } from "./bytes";
import { ShadowTag } from "./tag";
import {
  getHeaderPairs,
  getHeader,
  removeHeader,
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
} from "./hostcalls";

// Headers that describe one hop's connection, not the request: the shadow call is
// a new hop, and Envoy computes content-length itself for the call's body.
const HOP_BY_HOP: ArrayBuffer[] = [
  utf8("connection"), utf8("keep-alive"), utf8("proxy-connection"), utf8("transfer-encoding"),
  utf8("upgrade"), utf8("te"), utf8("trailer"), utf8("content-length"), utf8("expect"),
];
const H_AUTHORITY = utf8(":authority");
const H_CONTENT_LENGTH = utf8("content-length");
const H_STATUS = utf8(":status");
const H_UPSTREAM_TIME = utf8("x-envoy-upstream-service-time");
const SHADOW_SUFFIX = utf8("-shadow");
const TOO_LARGE = utf8("too_large");
const NO_TRAILERS = new ArrayBuffer(4); // a serialized map with zero pairs

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

  createContext(context_id: u32): Context {
    return new MirrorStream(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    if (!super.onConfigure(configuration_size)) {
      logAt(LOG_CRITICAL, "mirrorshade: could not read the plugin configuration from the host");
      return false;
    }
    const result = parsePolicy(this.getConfiguration());
    if (result.policy == null) {
      // Returning false makes Envoy reject the plugin: it never runs without the filter.
      logAt(LOG_CRITICAL, "mirrorshade: invalid configuration: " + result.error);
      return false;
    }
    const policy = result.policy!;
    this.policy = policy;
    this.tag = new ShadowTag(policy.tag);
    this.cluster = utf8(policy.shadow.cluster);
    this.authority = utf8(policy.shadow.authority);
    this.bodyDroppedHeader = utf8(policy.shadow.bodyDroppedHeader);
    if (this.metrics == null) this.metrics = new MirrorMetrics();
    logAt(LOG_INFO, "mirrorshade: configured role=mirror shadow.cluster=" + policy.shadow.cluster);
    return true;
  }

  m(): MirrorMetrics {
    return this.metrics!;
  }

  onHttpCallResponse(token: u32, headers: u32, body_size: u32, trailers: u32): void {
    if (this.inflight > 0) this.inflight--;
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
  private dropBody: bool = false;

  constructor(context_id: u32, root: MirrorRoot) {
    super(context_id, root);
    this.rootCtx = root;
  }

  onRequestHeaders(_n: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.rootCtx;
    const m = root.m();
    m.requests.inc();
    const raw = getHeaderPairs(HEADERS_REQUEST);
    this.headers = raw;

    // One pass over the map: is the tag present (someone posing as a shadow
    // request), and how large will the body be.
    let contentLength: i64 = -1;
    let tagged = false;
    const cur = new HeaderCursor(raw);
    while (cur.next()) {
      if (root.tag.matchesName(cur.keyPtr, cur.keyLen)) tagged = true;
      else if (cur.keyIs(H_CONTENT_LENGTH)) contentLength = parseDecimal(cur.valuePtr, cur.valueLen);
    }
    if (tagged && root.policy.tag.stripFromPrimary) {
      removeHeader(HEADERS_REQUEST, root.tag.name);
      m.tagStripped.inc();
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

  onDone(): bool {
    if (this.phase == PHASE_COLLECTING) {
      // The client went away before the request ended: a partial copy would be a
      // different request, so none is sent.
      this.rootCtx.m().skippedIncomplete.inc();
      this.body = null;
      this.phase = PHASE_FINISHED;
    }
    return true;
  }

  private bodyTooLarge(): void {
    const root = this.rootCtx;
    if (root.policy.shadow.onBodyTooLarge == ON_TOO_LARGE_HEADERS_ONLY) {
      this.dropBody = true;
      this.dispatch(0, 0, NO_TRAILERS);
    } else {
      root.m().skippedBodyTooLarge.inc();
      this.phase = PHASE_FINISHED;
      this.headers = new ArrayBuffer(0);
    }
  }

  private dispatch(body: usize, bodyLen: usize, trailers: ArrayBuffer): void {
    this.phase = PHASE_FINISHED;
    const root = this.rootCtx;
    const m = root.m();
    if (root.inflight >= root.policy.shadow.maxInflight) {
      m.skippedInflightFull.inc();
      this.headers = new ArrayBuffer(0);
      return;
    }
    const b = root.builder;
    b.reset();
    const cur = new HeaderCursor(this.headers);
    let authorityDone = false;
    while (cur.next()) {
      if (isHopByHop(cur.keyPtr, cur.keyLen)) continue;
      if (root.tag.matchesName(cur.keyPtr, cur.keyLen)) continue;
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
    if (this.dropBody) b.addOwned(root.bodyDroppedHeader, TOO_LARGE);
    const headers = b.finish();
    this.headers = new ArrayBuffer(0);

    const token = httpCall(root.cluster, headers, body, bodyLen, trailers, root.policy.shadow.timeoutMs);
    if (token < 0) {
      m.dispatchFailed.inc();
      logAt(LOG_WARN, "mirrorshade: dispatch to shadow cluster failed with result " + (-token).toString());
      return;
    }
    root.inflight++;
    m.inflight.add(1);
    m.mirrored.inc();
    if (this.dropBody) m.mirroredWithoutBody.inc();
  }
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
