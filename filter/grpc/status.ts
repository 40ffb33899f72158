// gRPC status codes (grpc/grpc doc/statuscodes.md) and their names as
// counters and diff records spell them (lower case: shadow.grpc.invalid_argument).
export const GRPC_STATUS_NAMES: string[] = [
  "ok", "cancelled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
  "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
  "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
];

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
