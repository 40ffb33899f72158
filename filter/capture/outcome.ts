// How a shadow's answer to a copy turned out, as the mirror role counts it
// (roles/mirror-shadow.ts answered()), and which capture.on trigger each is.
import { CAPTURE_ON_SHADOW_ERROR, CAPTURE_ON_TIMEOUT } from "../policy/types";

export const ANSWER_OK: i32 = 0;
/** A 5xx from the shadow itself. */
export const ANSWER_5XX: i32 = 1;
/** A gRPC call answered with a status other than OK. */
export const ANSWER_GRPC_ERROR: i32 = 2;
/** No answer: reset, connect failure, overflow (Envoy calls back with no headers). */
export const ANSWER_RESET: i32 = 3;
/** Envoy's own local reply other than a timeout (503: no healthy upstream, connect failure). */
export const ANSWER_LOCAL_REPLY: i32 = 4;
/** Envoy's local 504: the call timed out (shadow.timeout_ms). */
export const ANSWER_TIMEOUT: i32 = 5;
/** Not an answer: the comparison found the answers differ (compare.capture). */
export const ANSWER_MISMATCH: i32 = 6;

/** The capture record's "detail", by outcome. */
export const OUTCOME_DETAILS: string[] = ["ok", "status_5xx", "grpc_status", "reset", "local_reply", "timeout", "mismatch"];

/** The capture.on bit an outcome answers to (0: none). */
export function triggerOf(outcome: i32): i32 {
  if (outcome == ANSWER_TIMEOUT) return CAPTURE_ON_TIMEOUT;
  if (outcome == ANSWER_OK || outcome == ANSWER_MISMATCH) return 0;
  return CAPTURE_ON_SHADOW_ERROR;
}

/** The capture record's "reason" (a capture.on name). */
export function reasonOf(outcome: i32): string {
  if (outcome == ANSWER_TIMEOUT) return "timeout";
  if (outcome == ANSWER_MISMATCH) return "mismatch";
  return "shadow_error";
}
