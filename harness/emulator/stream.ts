// An HTTP stream through the filter, as Envoy's filter manager drives it for this
// (single) filter: status conversions, buffering, continue, local replies, resets.
import { LogLevel, MapType, BufferType, NOT_DELIVERED, actionFor, type HeaderList, type Forwarded, type LocalResponse, type StatusRecord, type Phase, type Side, type Outcome } from "./types.js";
import { Bytes, EMPTY, enc, toBytes } from "./bytes.js";
import { lowerPairs, clonePairs } from "./pairs.js";
import { Direction } from "./direction.js";

/** @internal What a stream needs from its host (ProxyWasmHost implements it). */
export interface StreamHost {
  readonly vmFailed: boolean;
  readonly failOpenInFlight: boolean;
  readonly skipNewStreams: boolean;
  readonly allowOnHeadersStopIteration: boolean;
  /** HostOptions.keepForwardedBodies. */
  readonly keepForwardedBodies: boolean;
  top<T>(f: () => T): T;
  defer(action: () => void): void;
  invoke(ctx: HttpStream, fn: string, args: number[]): Outcome;
  takeStopNextIteration(): boolean;
  releaseContext(id: number): void;
  hostLog(level: number, message: string): void;
  createVmContext(stream: HttpStream): void;
}

export class HttpStream {
  readonly id: number;
  readonly upstreamRequest: Forwarded = { headers: [], body: EMPTY, trailers: [], headersSent: false, ended: false };
  readonly downstreamResponse: Forwarded = { headers: [], body: EMPTY, trailers: [], headersSent: false, ended: false };
  localResponse?: LocalResponse;
  /** The stream was reset: proxy_close_stream, or a local reply after response headers had gone downstream. */
  reset = false;
  completed = false;
  readonly results: StatusRecord[] = [];

  private readonly host: StreamHost;
  private readonly req: Direction;
  private readonly resp: Direction;
  private vmContextCreated = false;
  /** The filter was never added to this stream (FAIL_OPEN with an already failed VM). */
  private readonly skipped: boolean;
  private accessLogPhase = false;
  private failureReplySent = false;
  private readonly props = new Map<string, Uint8Array>();

  /** @internal use ProxyWasmHost.newStream() */
  constructor(host: StreamHost, id: number) {
    this.host = host;
    this.id = id;
    this.req = new Direction("request", this.upstreamRequest);
    this.resp = new Direction("response", this.downstreamResponse);
    this.skipped = host.skipNewStreams;
  }

  requestHeaders(headers: HeaderList, endOfStream = false): number {
    return this.onHeaders(this.req, headers, endOfStream);
  }
  requestBody(chunk: Uint8Array | string, endOfStream: boolean): number {
    return this.onData(this.req, toBytes(chunk), endOfStream);
  }
  requestTrailers(trailers: HeaderList): number {
    return this.onTrailers(this.req, trailers);
  }
  responseHeaders(headers: HeaderList, endOfStream = false): number {
    if (this.localResponse) return this.record("response_headers", NOT_DELIVERED);
    return this.onHeaders(this.resp, headers, endOfStream);
  }
  responseBody(chunk: Uint8Array | string, endOfStream: boolean): number {
    if (this.localResponse) return this.record("response_body", NOT_DELIVERED);
    return this.onData(this.resp, toBytes(chunk), endOfStream);
  }
  responseTrailers(trailers: HeaderList): number {
    if (this.localResponse) return this.record("response_trailers", NOT_DELIVERED);
    return this.onTrailers(this.resp, trailers);
  }

  /**
   * Stream end as in Envoy 1.40's doDeferredStreamDestroy: access log first (proxy_on_log), then
   * onDestroy (proxy_on_done, proxy_on_delete; on_done's return value is ignored for HTTP streams).
   */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.host.top(() => {
      // Context::log calls onCreate for streams that never reached decodeHeaders.
      if (!this.skipped) this.ensureVmContext();
      if (this.vmContextCreated) {
        this.accessLogPhase = true;
        this.host.invoke(this, "proxy_on_log", [this.id]);
        this.accessLogPhase = false;
        this.host.invoke(this, "proxy_on_done", [this.id]);
        this.host.invoke(this, "proxy_on_delete", [this.id]);
      }
      this.host.releaseContext(this.id);
    });
  }

  /** Whether a side is currently held by the filter (stopped iteration, waiting for proxy_continue_stream). */
  isStopped(side: Side): boolean {
    const d = side === "request" ? this.req : this.resp;
    return d.stopAll || d.stopped;
  }

  // ---------------------------------------------------------------- used by the host

  /** @internal */
  get inAccessLogPhase(): boolean {
    return this.accessLogPhase;
  }

  /** @internal */
  constMap(type: number): HeaderList | null {
    const log = this.accessLogPhase;
    switch (type) {
      case MapType.RequestHeaders:
        return log ? this.req.headers : this.req.headersLive ? this.req.headers : null;
      case MapType.RequestTrailers:
        return log ? null : this.req.trailersLive ? this.req.trailers : null;
      case MapType.ResponseHeaders:
        return log ? this.resp.headers : this.resp.headersLive ? this.resp.headers : null;
      case MapType.ResponseTrailers:
        return log ? this.resp.trailers : this.resp.trailersLive ? this.resp.trailers : null;
      default:
        return null;
    }
  }

  /** @internal */
  mutableMap(type: number): HeaderList | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.req.headersLive ? this.req.headers : null;
      case MapType.RequestTrailers:
        return this.trailersForWrite(this.req);
      case MapType.ResponseHeaders:
        return this.resp.headersLive ? this.resp.headers : null;
      case MapType.ResponseTrailers:
        return this.trailersForWrite(this.resp);
      default:
        return null;
    }
  }

  /** @internal */
  bodyBuffer(type: number): Bytes | null {
    return (type === BufferType.HttpRequestBody ? this.req : this.resp).body;
  }

  /** @internal */
  property(key: string): Uint8Array | undefined {
    const own = this.props.get(key);
    if (own) return own;
    const header = (h: HeaderList | null, name: string) => h?.find(([k]) => k === name)?.[1];
    const str = (v: string | undefined) => (v === undefined ? undefined : enc.encode(v));
    const rh = this.req.headers;
    if (key.startsWith("request.headers.")) return str(header(rh, key.slice(16).toLowerCase()));
    if (key.startsWith("response.headers.")) return str(header(this.resp.headers, key.slice(17).toLowerCase()));
    switch (key) {
      case "request.path": return str(header(rh, ":path"));
      case "request.url_path": return str(header(rh, ":path")?.split("?")[0]);
      case "request.host": return str(header(rh, ":authority"));
      case "request.method": return str(header(rh, ":method"));
      case "request.scheme": return str(header(rh, ":scheme"));
      case "request.id": return str(header(rh, "x-request-id"));
      case "request.useragent": return str(header(rh, "user-agent"));
      case "request.referer": return str(header(rh, "referer"));
      case "response.code": {
        const s = header(this.resp.headers, ":status");
        if (s === undefined) return undefined;
        // Envoy serializes CEL ints as 8 little-endian bytes.
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigInt64(0, BigInt(s), true);
        return b;
      }
      default: return undefined;
    }
  }

  /** @internal */
  setProperty(key: string, value: Uint8Array): void {
    this.props.set(key, value);
  }

  /** @internal proxy_continue_stream: Envoy clears the request-side pointers at once and continues after the VM call. */
  onContinueCalled(side: Side): void {
    // Envoy's Context::continueStream clears request_* pointers for both stream types (not response_*).
    this.req.headersLive = false;
    this.req.body = null;
    this.req.trailersLive = false;
    this.host.defer(() => this.continueSide(side === "request" ? this.req : this.resp));
  }

  /** @internal */
  sendLocalReply(lr: LocalResponse): void {
    if (this.completed || this.localResponse) return;
    // Once response headers went downstream Envoy cannot answer any more; it resets the stream instead.
    if (this.downstreamResponse.headersSent) {
      this.host.hostLog(LogLevel.debug, `stream ${this.id}: local reply ${lr.status} after response headers, resetting stream`);
      this.resetStream();
      return;
    }
    this.localResponse = lr;
    this.req.terminated = true;
    this.req.held.take();
    // Same order Envoy 1.40 shows the filter: :status, the module's headers, then content-length/type.
    const headers: HeaderList = [[":status", String(lr.status)], ...lr.headers];
    if (lr.body.length > 0) headers.push(["content-length", String(lr.body.length)], ["content-type", "text/plain"]);
    if (this.resp.headersReceived) {
      // Already encoding an upstream response: Envoy sends the reply directly, bypassing filters.
      this.resp.terminated = true;
      Object.assign(this.downstreamResponse, { headers, body: lr.body, trailers: [], headersSent: true, ended: true });
      return;
    }
    // Otherwise the reply runs through the encoder filters, this one included.
    this.onHeaders(this.resp, headers, lr.body.length === 0);
    if (lr.body.length > 0) this.onData(this.resp, lr.body, true);
  }

  /** @internal */
  resetStream(): void {
    this.reset = true;
    this.req.terminated = true;
    this.resp.terminated = true;
  }

  // ---------------------------------------------------------------- filter-manager model

  private record(phase: Phase, status: number, raw?: number): number {
    const r: StatusRecord = { phase, status, action: actionFor(phase, status) };
    if (raw !== undefined) r.raw = raw;
    this.results.push(r);
    return status;
  }

  private ensureVmContext(): void {
    if (this.vmContextCreated || this.host.vmFailed) return;
    this.host.createVmContext(this);
    this.vmContextCreated = !this.host.vmFailed;
  }

  private phase(d: Direction, what: "headers" | "body" | "trailers"): Phase {
    return `${d.side}_${what}` as Phase;
  }

  /** CHECK_FAIL_HTTP: fail open passes through; fail closed answers 503 once. */
  private failedStatus(open: number, closed: number): number {
    if (this.host.failOpenInFlight) return open;
    if (!this.failureReplySent) {
      this.failureReplySent = true;
      this.host.hostLog(LogLevel.error, `stream ${this.id}: VM failed, sending 503 (fail closed)`);
      this.sendLocalReply({ status: 503, details: "wasm_fail_stream", body: EMPTY, headers: [], grpcStatus: 14 });
    }
    return closed;
  }

  /** No VM involvement: the filter was skipped, or (encoder side) a fail-closed reply was already sent. */
  private bypass(d: Direction): boolean {
    return this.skipped || (d.side === "response" && this.failureReplySent);
  }

  private onHeaders(d: Direction, headers: HeaderList, eos: boolean): number {
    if (this.completed) throw new Error(`stream ${this.id} already completed`);
    if (d.headersReceived) throw new Error(`${d.side} headers already delivered on stream ${this.id}`);
    d.headersReceived = true;
    d.headersEos = eos;
    d.remoteEnded = eos;
    // Envoy's codecs lowercase header names before filters see them.
    const list = lowerPairs(headers);
    d.headers = list;
    const phase = this.phase(d, "headers");
    if (d.terminated) return this.record(phase, NOT_DELIVERED);
    return this.host.top(() => {
      if (d.side === "request" && !this.skipped) this.ensureVmContext();
      // Envoy's encode callbacks skip a context the VM never created (and a fail-closed reply already sent).
      if (this.bypass(d) || (d.side === "response" && !this.vmContextCreated && !this.host.vmFailed)) {
        this.forwardHeaders(d);
        return this.record(phase, 0);
      }
      if (this.host.vmFailed) return this.applyHeaders(d, this.failedStatus(0, 4), phase);
      d.headersLive = true;
      const out = this.host.invoke(this, `proxy_on_${d.side}_headers`, [this.id, list.length, eos ? 1 : 0]);
      const stopNext = this.host.takeStopNextIteration();
      if (out.kind === "failed") return this.applyHeaders(d, this.failedStatus(0, 4), phase);
      if (out.kind === "absent") return this.applyHeaders(d, 0, phase);
      let status = out.value;
      if (stopNext || status > 4) status = 4;
      else if (status === 1 && !this.host.allowOnHeadersStopIteration) status = 4;
      // Envoy's convertFilterHeadersStatus maps ContinueAndEndStream to plain Continue.
      else if (status === 2) status = 0;
      return this.applyHeaders(d, status, phase, out.value);
    });
  }

  private applyHeaders(d: Direction, status: number, phase: Phase, raw?: number): number {
    if (status === 0 || status === 2) {
      d.headersLive = false;
      this.forwardHeaders(d);
    } else if (status === 1) {
      d.stopped = true;
    } else {
      d.stopAll = true;
    }
    return this.record(phase, status, raw);
  }

  private onData(d: Direction, chunk: Uint8Array, eos: boolean): number {
    if (this.completed) throw new Error(`stream ${this.id} already completed`);
    if (!d.headersReceived) throw new Error(`${d.side} body before ${d.side} headers on stream ${this.id}`);
    if (d.remoteEnded) throw new Error(`${d.side} already ended on stream ${this.id}`);
    d.remoteEnded = eos;
    const phase = this.phase(d, "body");
    if (d.terminated) return this.record(phase, NOT_DELIVERED);
    return this.host.top(() => {
      if (this.bypass(d)) {
        this.forwardData(d, chunk, eos);
        return this.record(phase, 0);
      }
      if (d.stopAll) {
        // The filter manager buffers at a filter that stopped all iteration and does not call it.
        d.held.append(chunk);
        d.heldPending = true;
        return this.record(phase, NOT_DELIVERED);
      }
      return this.deliverData(d, chunk, eos);
    });
  }

  private deliverData(d: Direction, chunk: Uint8Array, eos: boolean): number {
    const phase = this.phase(d, "body");
    if (d.bufferingBody) {
      // Envoy's decodeData: addDecodedData appends the chunk, and the module sees the whole buffered body.
      d.held.append(chunk);
      d.body = d.held;
    } else {
      d.body = new Bytes(chunk, true);
    }
    d.lastEos = eos;
    let status: number;
    let raw: number | undefined;
    if (this.host.vmFailed) {
      status = this.failedStatus(0, 3);
    } else {
      const out = this.host.invoke(this, `proxy_on_${d.side}_body`, [this.id, d.body.data.length, eos ? 1 : 0]);
      const stopNext = this.host.takeStopNextIteration();
      if (out.kind === "failed") status = this.failedStatus(0, 3);
      else if (out.kind === "absent") status = 0;
      else {
        raw = out.value;
        status = stopNext || out.value > 3 ? 3 : out.value;
      }
    }
    const provided = d.body ?? new Bytes(EMPTY, true);
    d.bufferingBody = false;
    switch (status) {
      case 0:
        if (provided !== d.held) d.held.append(provided.data);
        d.body = null;
        d.stopped = false;
        this.flush(d, eos);
        break;
      case 1:
        if (provided !== d.held) d.held.append(provided.data);
        d.body = d.held;
        d.bufferingBody = true;
        d.stopped = true;
        break;
      case 2:
        if (provided !== d.held) d.held.append(provided.data);
        d.stopped = true;
        break;
      default:
        // StopIterationNoBuffer: the filter manager drops the chunk.
        d.stopped = true;
        break;
    }
    return this.record(phase, status, raw);
  }

  private onTrailers(d: Direction, trailers: HeaderList): number {
    if (this.completed) throw new Error(`stream ${this.id} already completed`);
    if (!d.headersReceived) throw new Error(`${d.side} trailers before ${d.side} headers on stream ${this.id}`);
    if (d.remoteEnded) throw new Error(`${d.side} already ended on stream ${this.id}`);
    d.remoteEnded = true;
    const phase = this.phase(d, "trailers");
    const list = lowerPairs(trailers);
    if (d.terminated) return this.record(phase, NOT_DELIVERED);
    return this.host.top(() => {
      if (this.bypass(d)) {
        d.trailers = list;
        this.flush(d, true, list);
        return this.record(phase, 0);
      }
      if (d.stopAll) {
        d.heldTrailers = list;
        return this.record(phase, NOT_DELIVERED);
      }
      return this.deliverTrailers(d, list);
    });
  }

  private deliverTrailers(d: Direction, trailers: HeaderList): number {
    const phase = this.phase(d, "trailers");
    d.trailers = trailers;
    d.trailersLive = true;
    let status: number;
    let raw: number | undefined;
    if (this.host.vmFailed) {
      status = this.failedStatus(0, 1);
    } else {
      const out = this.host.invoke(this, `proxy_on_${d.side}_trailers`, [this.id, trailers.length]);
      const stopNext = this.host.takeStopNextIteration();
      if (out.kind === "failed") status = this.failedStatus(0, 1);
      else if (out.kind === "absent") status = 0;
      else {
        raw = out.value;
        status = stopNext || out.value > 1 ? 1 : out.value;
      }
    }
    if (status === 0) {
      d.trailersLive = false;
      d.stopped = false;
      this.flush(d, true, trailers);
    } else {
      d.stopped = true;
      d.heldTrailers = trailers;
    }
    return this.record(phase, status, raw);
  }

  /** The filter manager's commonContinue for this filter. */
  private continueSide(d: Direction): void {
    if (this.completed || d.terminated) return;
    if (d.stopAll) {
      d.stopAll = false;
      d.headersLive = false;
      this.forwardHeaders(d);
      const trailers = d.heldTrailers;
      d.heldTrailers = null;
      // Iteration restarts at this filter: the held data and trailers are now delivered to it.
      if (d.heldPending) {
        d.heldPending = false;
        this.deliverData(d, d.held.take(), d.remoteEnded && trailers === null);
      }
      if (trailers) this.deliverTrailers(d, trailers);
      return;
    }
    if (!d.stopped) return;
    d.stopped = false;
    d.bufferingBody = false;
    d.body = null;
    const trailers = d.heldTrailers;
    d.heldTrailers = null;
    if (trailers) this.flush(d, true, trailers);
    else this.flush(d, d.remoteEnded);
  }

  private trailersForWrite(d: Direction): HeaderList | null {
    if (d.trailersLive) return d.trailers;
    // Context::getMap lets a body callback at end of stream add trailers (addDecodedTrailers).
    if (d.body !== null && d.lastEos && d.trailers === null) {
      d.trailers = [];
      d.trailersLive = true;
      d.addedTrailers = true;
      return d.trailers;
    }
    return null;
  }

  private forwardHeaders(d: Direction): void {
    if (d.terminated || d.out.headersSent || d.headers === null) return;
    d.out.headers = clonePairs(d.headers);
    d.out.headersSent = true;
    if (d.headersEos) d.out.ended = true;
  }

  private forwardData(d: Direction, data: Uint8Array, eos: boolean): void {
    if (d.terminated) return;
    this.forwardHeaders(d);
    if (data.length > 0 && this.host.keepForwardedBodies) d.out.body = d.passed.join(d.out.body, data);
    if (eos) this.finish(d);
  }

  /** Pass on headers (if still held), everything held at this filter, and optionally the end of stream / trailers. */
  private flush(d: Direction, eos: boolean, trailers?: HeaderList): void {
    if (d.terminated) return;
    this.forwardHeaders(d);
    const data = d.held.take();
    d.heldPending = false;
    // What held took is its own copy, nobody else's.
    if (data.length > 0 && this.host.keepForwardedBodies) d.out.body = d.passed.join(d.out.body, data, true);
    if (trailers) {
      d.out.trailers = clonePairs(trailers);
      d.out.ended = true;
    } else if (eos) {
      this.finish(d);
    }
  }

  private finish(d: Direction): void {
    if (d.addedTrailers && d.trailers) {
      d.out.trailers = clonePairs(d.trailers);
      d.trailersLive = false;
    }
    d.out.ended = true;
  }
}

/** Feed a body in chunks of `chunkSize` bytes; the last chunk carries end_of_stream. Returns each chunk's status. */
export function feedBody(
  stream: HttpStream,
  body: Uint8Array | string,
  chunkSize: number,
  dir: "request" | "response" = "request",
): number[] {
  if (chunkSize <= 0) throw new Error("chunkSize must be positive");
  const bytes = toBytes(body);
  const send = (c: Uint8Array, eos: boolean) =>
    dir === "request" ? stream.requestBody(c, eos) : stream.responseBody(c, eos);
  if (bytes.length === 0) return [send(EMPTY, true)];
  const statuses: number[] = [];
  for (let off = 0; off < bytes.length; off += chunkSize) {
    const end = Math.min(off + chunkSize, bytes.length);
    statuses.push(send(bytes.subarray(off, end), end === bytes.length));
  }
  return statuses;
}
