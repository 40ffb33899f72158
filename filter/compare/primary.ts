// The primary's side of one request's comparisons (mirror role): its answer,
// read from the response callbacks, shared by the pairs of every shadow the
// copy went to, and what a diff record says about the request.
import { Comparison } from "./pairs";
import { Answer, Pair } from "./answer";
import { readGrpcStatus } from "./grpc";
import { Copy } from "../copy/copy";
import { ProtoMethod } from "../proto/schema";
import { HeaderCursor, utf8 } from "../util/bytes";
import { getBuffer, nowNs, HEADERS_RESPONSE, TRAILERS_RESPONSE, BUFFER_RESPONSE_BODY } from "../host/hostcalls";

const H_METHOD = utf8(":method");
const H_PATH = utf8(":path");
const H_REQUEST_ID = utf8("x-request-id");
const H_RULE = utf8("x-shadow-rule");

/** The x-shadow-rule a copy carries (the rule that selected it for its shadow), empty without one. */
function ruleOf(copyHeaders: ArrayBuffer): string {
  const c = new HeaderCursor(copyHeaders);
  while (c.next()) if (c.keyIs(H_RULE)) return String.UTF8.decodeUnsafe(c.valuePtr, c.valueLen);
  return "";
}

export class PrimarySide {
  private answer: Answer = new Answer();
  /** The pairs of this request's copies. */
  pairs: Pair[] = [];
  private done: bool = false;
  private method: string = "";
  private route: string = "";
  private requestId: string = "";
  /** A gRPC call (Copy.grpc) and its method when the descriptor knows it (Copy.method). */
  private grpc: bool;
  private grpcMethod: ProtoMethod | null;
  /**
   * Copies are still to be sent (their body is being redacted, off the primary's
   * path): the answer is read meanwhile, and pairs opened later settle at once
   * when it is already complete.
   */
  expecting: bool = true;
  /** When the request ended: the primary's latency counts from here. */
  private startedNs: u64 = nowNs();

  /** Takes the method from the copy's request header map; route and request id come from the first copy (open). */
  constructor(private comparison: Comparison, copy: Copy) {
    this.grpc = copy.grpc;
    this.grpcMethod = copy.method;
    const c = new HeaderCursor(copy.headers);
    while (c.next()) {
      if (c.keyIs(H_METHOD)) {
        this.method = String.UTF8.decodeUnsafe(c.valuePtr, c.valueLen);
        break;
      }
    }
  }

  private described: bool = false;

  /**
   * Route (the path without its query) and request id as the copy carries them:
   * redacted, so a record never holds what the copy did not (a card in the path,
   * a client's x-request-id spelling an e-mail).
   */
  private describe(copyHeaders: ArrayBuffer): void {
    this.described = true;
    const c = new HeaderCursor(copyHeaders);
    while (c.next()) {
      if (c.keyIs(H_PATH)) {
        let q: usize = 0;
        while (q < c.valueLen && load<u8>(c.valuePtr + q) != 0x3f) q++;
        this.route = String.UTF8.decodeUnsafe(c.valuePtr, q);
      } else if (c.keyIs(H_REQUEST_ID)) this.requestId = String.UTF8.decodeUnsafe(c.valuePtr, c.valueLen);
    }
  }

  /** A pair for the copy just sent with this token (its header map as sent: the record's route and request id). */
  open(token: u32, shadowName: string, copyHeaders: ArrayBuffer): void {
    if (!this.described) this.describe(copyHeaders);
    const pair = this.comparison.open(token, shadowName, this.answer, this.startedNs, this.method, this.route, this.requestId, ruleOf(copyHeaders));
    pair.grpc = this.grpc;
    pair.grpcMethod = this.grpcMethod;
    this.pairs.push(pair);
    if (this.done) this.comparison.settle(pair);
  }

  get waiting(): bool {
    return !this.done && (this.expecting || this.pairs.length > 0);
  }

  onHeaders(end: bool): void {
    if (!this.waiting) return;
    this.comparison.answerHeaders(this.answer, HEADERS_RESPONSE);
    // A trailers-only answer (an error, no messages) has its status in the headers.
    if (this.grpc) readGrpcStatus(this.answer, HEADERS_RESPONSE);
    if (end) this.finish(false);
  }

  onBody(size: usize, end: bool): void {
    if (!this.waiting) return;
    const a = this.answer;
    // Past the comparison's limit nothing more is read: a long answer must not leave garbage chunk by chunk.
    if (size > 0 && !a.truncated) {
      const chunk = getBuffer(BUFFER_RESPONSE_BODY, 0, <u32>size);
      a.append(changetype<usize>(chunk), chunk.byteLength, this.comparison.cfg.maxBodyBytes);
    }
    if (end) this.finish(false);
  }

  /** The response trailers end the answer: a gRPC answer's grpc-status and grpc-message are there. */
  onTrailers(): void {
    if (!this.waiting) return;
    if (this.grpc) readGrpcStatus(this.answer, TRAILERS_RESPONSE);
    this.finish(false);
  }

  /** The answer is complete (failed: it never ended, the stream was reset); every pair settles. */
  finish(failed: bool): void {
    if (!this.waiting) return;
    this.done = true;
    const a = this.answer;
    a.done = true;
    a.failed = failed;
    for (let i = 0; i < this.pairs.length; i++) this.comparison.settle(this.pairs[i]);
  }
}
