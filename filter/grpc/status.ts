// gRPC status codes (grpc/grpc doc/statuscodes.md) and their names as
// counters and diff records spell them (lower case: shadow.grpc.invalid_argument);
// how an answer's status is read from a header map, and what an HTTP status
// means as one when the answer has none (doc/http-grpc-status-mapping.md).
import { getHeader } from "../host/hostcalls";
import { utf8 } from "../util/bytes";

export const GRPC_STATUS_NAMES: string[] = [
  "ok", "cancelled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
  "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
  "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
];
// The codes named where the filter decides on them (GRPC_STATUS_NAMES' order).
export const GRPC_UNKNOWN: i32 = 2;
export const GRPC_PERMISSION_DENIED: i32 = 7;
export const GRPC_UNIMPLEMENTED: i32 = 12;
export const GRPC_INTERNAL: i32 = 13;
export const GRPC_UNAVAILABLE: i32 = 14;
export const GRPC_UNAUTHENTICATED: i32 = 16;

/** A header map without grpc-status. */
export const GRPC_STATUS_NONE: i32 = -1;
/** A grpc-status that is no code 0..16. */
export const GRPC_STATUS_INVALID: i32 = -2;

export const H_GRPC_STATUS = utf8("grpc-status");
export const H_GRPC_MESSAGE = utf8("grpc-message");

/** A grpc-status value [p, p+len) as a code 0..16, or -1 when it is not one. */
export function parseGrpcStatus(p: usize, len: usize): i32 {
  if (len == 0 || len > 2) return -1;
  let v: i32 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <i32>load<u8>(p + i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v < GRPC_STATUS_NAMES.length ? v : -1;
}

/** The grpc-status of header map `mapType` (trailers, or the headers of a trailers-only answer): a code, GRPC_STATUS_NONE or GRPC_STATUS_INVALID. */
export function grpcStatusIn(mapType: i32): i32 {
  const s = getHeader(mapType, H_GRPC_STATUS);
  if (s == null) return GRPC_STATUS_NONE;
  const code = parseGrpcStatus(changetype<usize>(s), <usize>s.byteLength);
  return code < 0 ? GRPC_STATUS_INVALID : code;
}

/** The gRPC status of an answer without grpc-status, from its HTTP status. */
export function grpcStatusOfHttp(code: i64): i32 {
  if (code == 400) return GRPC_INTERNAL;
  if (code == 401) return GRPC_UNAUTHENTICATED;
  if (code == 403) return GRPC_PERMISSION_DENIED;
  if (code == 404) return GRPC_UNIMPLEMENTED;
  if (code == 429 || code == 502 || code == 503 || code == 504) return GRPC_UNAVAILABLE;
  return GRPC_UNKNOWN;
}
