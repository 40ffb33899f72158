// The two (or three) sides of a comparison: the primary's answer, a shadow's,
// and optionally a second primary instance's (noise), and the verdict.
import { ByteSink } from "../util/bytes";
import { ProtoMethod } from "../proto/schema";
import { GRPC_STATUS_NONE } from "../grpc/status";
import { VerdictMetrics } from "../host/metrics";

/** One side's answer. */
export class Answer {
  done: bool = false;
  failed: bool = false;
  status: i32 = -1;
  headerValues: string[] = [];
  json: bool = false;
  body: ByteSink | null = null;
  truncated: bool = false;
  atNs: u64 = 0;
  /** gRPC: grpc-status (a code 0..16, or GRPC_STATUS_*) and grpc-message as received (null: none). */
  grpcStatus: i32 = GRPC_STATUS_NONE;
  grpcMessage: ArrayBuffer | null = null;

  append(p: usize, len: i32, max: u32): void {
    if (this.truncated) return;
    if (this.body == null) this.body = new ByteSink(len > 0 ? len : 256);
    const b = this.body!;
    if (<u64>b.length + <u64>len > <u64>max) {
      this.truncated = true;
      this.body = null;
      return;
    }
    b.append(p, len);
  }
}

/** One shadow's answer against the primary's. The primary's (and the noise instance's) answer is shared by the pairs of every shadow the request went to. */
export class Pair {
  token: u32 = 0;
  shadowName: string = "";
  /** The counters of this shadow and the rule that sent the copy. */
  rule: VerdictMetrics | null = null;
  /** A second instance of the primary's version answered the same copy (noise cancellation). */
  hasSecondary: bool = false;
  secondary: Answer = new Answer();
  /** Compared or expired: late answers are ignored. */
  closed: bool = false;
  method: string = "";
  route: string = "";
  requestId: string = "";
  /** A gRPC call: answers are compared by grpc-status and grpc-message too, and their messages by the method's output type when known. */
  grpc: bool = false;
  grpcMethod: ProtoMethod | null = null;
  /** When the copy went to the shadow (the shadow's latency counts from here). */
  startedNs: u64 = 0;
  /** When the request ended (the primary's latency counts from here; redaction may delay the copy). */
  primaryStartedNs: u64 = 0;
  primary: Answer = new Answer();
  shadow: Answer = new Answer();
}

export class Difference {
  constructor(public path: string, public kind: string, public primary: string, public shadow: string) {}
}

export const MISMATCH_STATUS: i32 = 1;
export const MISMATCH_HEADER: i32 = 2;
export const MISMATCH_BODY: i32 = 4;
/** grpc-status or grpc-message (a status mismatch too). */
export const MISMATCH_GRPC_STATUS: i32 = 8;

export class Verdict {
  mismatch: i32 = 0;
  /** Differences dropped as learned noise. */
  suppressed: i32 = 0;
  differences: Difference[] = [];
}

