// Capture (capture, compare.capture): a copy that failed at the shadow (5xx, a
// gRPC error status, no answer, Envoy's local reply, a timeout) or whose answer
// did not match the primary's is POSTed, exactly as the shadow received it, with
// the answers' headers, to the capture cluster (frame.ts), at most
// capture.rate_limit_per_second (a token bucket in shared data, like
// select.rate_limit: every worker draws on it). The bytes are kept from the
// dispatch until the call's fate is known (capture/retained.ts), against
// limits.max_buffered_bytes; a capture never delays or changes the primary.
import { CaptureConfig, CAPTURE_ON_MISMATCH } from "../policy/types";
import { TokenBucket } from "../select/budget";
import { Redaction } from "../redact/redaction";
import { Metric, CaptureMetrics } from "../host/metrics";
import { HeaderMapBuilder, utf8, parseDecimal } from "../util/bytes";
import { getHeader, getHeaderPairs, httpCall, nowNs, HEADERS_HTTP_CALL_RESPONSE, TRAILERS_HTTP_CALL_RESPONSE } from "../host/hostcalls";
import { KeptCopy, KeptCall, PrimaryHeard, KEPT, SKIP_TOO_LARGE, SKIP_MEMORY } from "./retained";
import { Frame } from "./frame";
import { AnswerHeaders } from "./answers";
import { ANSWER_MISMATCH, OUTCOME_DETAILS, triggerOf, reasonOf } from "./outcome";

const H_METHOD = utf8(":method");
const H_PATH = utf8(":path");
const H_AUTHORITY = utf8(":authority");
const H_STATUS = utf8(":status");
const H_CONTENT_TYPE = utf8("content-type");
const POST = utf8("POST");
const CAPTURE_TYPE = utf8("application/x-mirrorshade-capture");
const NO_TRAILERS = new ArrayBuffer(4);

export class Capture {
  metrics: CaptureMetrics = new CaptureMetrics();
  /** Calls that may still be captured, by token. */
  private calls: Map<u32, KeptCall> = new Map<u32, KeptCall>();
  /** Captures in flight to the capture cluster. */
  private sinkTokens: Set<u32> = new Set<u32>();
  private bucket: TokenBucket;
  private answers: AnswerHeaders;
  private frame: Frame = new Frame();
  private builder: HeaderMapBuilder = new HeaderMapBuilder();
  /** The copy being dispatched (begin() .. end()). */
  private current: KeptCopy | null = null;
  /** Bytes kept for captures (counted in the buffered gauge and against limits.max_buffered_bytes). */
  held: u64 = 0;
  /** The comparison tells mismatches (compare.capture with "mismatch"). */
  private watchMismatch: bool;

  constructor(public cfg: CaptureConfig, redaction: Redaction, comparing: bool, private maxBuffered: u64, private buffered: Metric) {
    const burst = cfg.ratePerSecond < 1 ? 1 : Math.ceil(cfg.ratePerSecond);
    this.bucket = new TokenBucket(String.UTF8.encode("mirrorshade.capture." + cfg.clusterName), cfg.ratePerSecond, burst);
    this.answers = new AnswerHeaders(redaction, cfg.answerHeaders);
    this.watchMismatch = comparing && (cfg.on & CAPTURE_ON_MISMATCH) != 0;
  }

  private hold(delta: i64): void {
    this.held = <u64>(<i64>this.held + delta);
    this.buffered.add(delta);
  }

  /**
   * A copy is about to be dispatched: its body (rewritten by redaction, or the
   * collected bytes at body..body+bodyLen) and trailers are kept for its calls,
   * unless the body is over max_body_bytes or the VM's buffer budget (copies
   * buffered: `copies` bytes) has no room.
   */
  begin(body: usize, bodyLen: usize, rewritten: ArrayBuffer | null, trailers: ArrayBuffer, grpc: bool, heard: PrimaryHeard | null, copies: u64): void {
    const k = new KeptCopy();
    k.grpc = grpc;
    k.heard = heard;
    k.startedNs = nowNs();
    this.current = k;
    if (bodyLen > <usize>this.cfg.maxBodyBytes) {
      k.skip = SKIP_TOO_LARGE;
      return;
    }
    if (copies + this.held + <u64>bodyLen > this.maxBuffered) {
      k.skip = SKIP_MEMORY;
      return;
    }
    if (bodyLen > 0) {
      if (rewritten != null) k.body = rewritten;
      else {
        const b = new ArrayBuffer(<i32>bodyLen);
        memory.copy(changetype<usize>(b), body, bodyLen);
        k.body = b;
      }
    }
    k.trailers = trailers;
    k.bytes = <i32>bodyLen + trailers.byteLength;
    this.hold(k.bytes);
  }

  /** A call of the current copy went out with this header map. */
  track(token: u32, shadow: string, headers: ArrayBuffer, withBody: bool): void {
    const k = this.current;
    if (k == null) return;
    k.refs++;
    const kept = k.skip == KEPT;
    const c = new KeptCall(k, shadow, kept ? headers : null);
    c.withBody = withBody;
    if (kept) this.hold(headers.byteLength);
    this.calls.set(token, c);
  }

  /** The copy's calls are out: a copy no call took is let go. */
  end(): void {
    const k = this.current;
    this.current = null;
    if (k != null && k.refs == 0) this.letGo(k);
  }

  private letGo(k: KeptCopy): void {
    if (k.bytes > 0) this.hold(-k.bytes);
    k.bytes = 0;
    k.body = null;
    k.heard = null;
  }

  /** Forgets a call: its headers, and its copy's body with the last call. */
  private drop(token: u32, c: KeptCall): void {
    this.calls.delete(token);
    const h = c.headers;
    if (h != null) this.hold(-h.byteLength);
    if (c.answerBytes > 0) this.hold(-c.answerBytes);
    c.answerBytes = 0;
    c.headers = null;
    c.shadowHeaders = null;
    c.shadowTrailers = null;
    if (--c.copy.refs <= 0) this.letGo(c.copy);
  }

  /**
   * A call's answer, first of all: true when it is a capture's own (nothing else
   * counts it). A kept call takes the shadow's answer headers and trailers now, while the host has them.
   */
  onCallResponse(token: u32, headers: u32): bool {
    if (this.sinkTokens.has(token)) {
      this.sinkTokens.delete(token);
      let ok = false;
      if (headers > 0) {
        const s = getHeader(HEADERS_HTTP_CALL_RESPONSE, H_STATUS);
        const code = s == null ? -1 : parseDecimal(changetype<usize>(s), <usize>s.byteLength);
        ok = code >= 200 && code < 300;
      }
      if (!ok) this.metrics.sinkFailed.inc();
      return true;
    }
    if (this.calls.has(token)) {
      const c = this.calls.get(token);
      c.answeredNs = nowNs();
      if (headers == 0) return false;
      if (c.headers != null) {
        const h = getHeaderPairs(HEADERS_HTTP_CALL_RESPONSE);
        const t = getHeaderPairs(TRAILERS_HTTP_CALL_RESPONSE);
        c.shadowHeaders = h;
        c.shadowTrailers = t.byteLength > 4 ? t : null;
        // Held until the capture goes or the call's fate says none will: counted like the rest.
        c.answerBytes = h.byteLength + (t.byteLength > 4 ? t.byteLength : 0);
        this.hold(c.answerBytes);
      }
    }
    return false;
  }

  /** The shadow's answer was counted as `outcome` (capture/outcome.ts): captured when capture.on names it. */
  answered(token: u32, outcome: i32): void {
    if (!this.calls.has(token)) return;
    const c = this.calls.get(token);
    // A failure is captured as one (a 5xx also differs from the primary's answer: one capture, by its failure).
    if ((triggerOf(outcome) & this.cfg.on) != 0) {
      this.send(c, outcome);
      this.drop(token, c);
    } else if (c.mismatch) {
      this.send(c, ANSWER_MISMATCH);
      this.drop(token, c);
    } else if (this.watchMismatch && !c.pairClosed) {
      // The verdict comes when the primary's answer is in (closed() or mismatched()).
      c.answered = true;
    } else this.drop(token, c);
  }

  /** The comparison found this call's answer differs from the primary's (settled in the call's own callback, before answered(), or later). */
  mismatched(token: u32): void {
    if (!this.calls.has(token)) return;
    const c = this.calls.get(token);
    if (!this.watchMismatch) {
      if (c.answered) this.drop(token, c);
      else c.pairClosed = true;
      return;
    }
    if (!c.answered) {
      c.mismatch = true;
      return;
    }
    this.send(c, ANSWER_MISMATCH);
    this.drop(token, c);
  }

  /** The call's comparison pair closed without a mismatch (matched, unmatched, expired). */
  closed(token: u32): void {
    if (!this.calls.has(token)) return;
    const c = this.calls.get(token);
    if (c.answered) this.drop(token, c);
    else c.pairClosed = true;
  }

  /** One capture, if its copy was kept and the budget has a token. */
  private send(c: KeptCall, outcome: i32): void {
    const k = c.copy;
    const m = this.metrics;
    if (k.skip == SKIP_TOO_LARGE) {
      m.skippedTooLarge.inc();
      return;
    }
    if (k.skip == SKIP_MEMORY) {
      m.skippedMemory.inc();
      return;
    }
    if (!this.bucket.take()) {
      m.skippedBudget.inc();
      return;
    }
    const f = this.frame;
    const heard = k.heard;
    const primary = heard != null ? heard.headers : null;
    const end = c.answeredNs > k.startedNs ? c.answeredNs : k.startedNs;
    // When the copy went (ms since the epoch, the host's wall clock) and how long until the shadow's answer (or its absence).
    const times = ",\"started_ms\":" + (k.startedNs / 1000000).toString() + ",\"elapsed_ms\":" + ((end - k.startedNs) / 1000000).toString();
    f.set(0, utf8("{\"reason\":\"" + reasonOf(outcome) + "\",\"detail\":\"" + OUTCOME_DETAILS[outcome] + "\",\"shadow\":\"" + c.shadow + "\",\"grpc\":" + (k.grpc ? "true" : "false") + times + "}"));
    f.set(1, c.headers);
    f.set(2, c.withBody ? k.body : null);
    f.set(3, k.trailers.byteLength > 0 ? k.trailers : NO_TRAILERS);
    const sh = c.shadowHeaders;
    f.set(4, sh != null ? this.answers.redact(sh) : null);
    const st = c.shadowTrailers;
    f.set(5, st != null ? this.answers.redact(st) : null);
    f.set(6, primary != null ? this.answers.redact(primary) : null);
    const body = f.finish();
    const b = this.builder;
    const cfg = this.cfg;
    b.reset();
    b.addOwned(H_METHOD, POST);
    b.addOwned(H_PATH, cfg.path);
    b.addOwned(H_AUTHORITY, cfg.cluster);
    b.addOwned(H_CONTENT_TYPE, CAPTURE_TYPE);
    const token = httpCall(cfg.cluster, b.finish(), changetype<usize>(body), <usize>body.byteLength, NO_TRAILERS, cfg.timeoutMs);
    if (token < 0) {
      m.skippedDispatchFailed.inc();
      return;
    }
    this.sinkTokens.add(<u32>token);
    m.captured.inc();
  }
}
