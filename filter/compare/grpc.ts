// gRPC answers for the comparison: grpc-status and grpc-message from a header
// map (the trailers, or the headers of a trailers-only answer), and the answer's
// messages as one JSON text by the method's output type (proto/json.ts).
import { Answer } from "./answer";
import { GRPC_STATUS_NAMES, GRPC_STATUS_NONE, H_GRPC_MESSAGE, grpcStatusIn } from "../grpc/status";
import { ProtoMethod } from "../proto/schema";
import { messageToJson } from "../proto/json";
import { ByteSink } from "../util/bytes";
import { GRPC_PREFIX, frameLength, prefixFailure } from "../grpc/frame";
import { getHeader } from "../host/hostcalls";

/** A grpc-status as a diff record spells it: the code's name, "none" or "invalid". */
export function grpcStatusName(code: i32): string {
  if (code >= 0 && code < GRPC_STATUS_NAMES.length) return GRPC_STATUS_NAMES[code];
  return code == GRPC_STATUS_NONE ? "none" : "invalid";
}

/** grpc-status and grpc-message from a header map, when it has a grpc-status (a later map, the trailers, overrides the headers). */
export function readGrpcStatus(a: Answer, mapType: i32): void {
  const code = grpcStatusIn(mapType);
  if (code == GRPC_STATUS_NONE) return;
  a.grpcStatus = code;
  a.grpcMessage = getHeader(mapType, H_GRPC_MESSAGE);
}

/** Whether two grpc-message values (null: absent) are the same bytes. */
export function sameMessage(a: ArrayBuffer | null, b: ArrayBuffer | null): bool {
  const la = a == null ? -1 : a.byteLength;
  const lb = b == null ? -1 : b.byteLength;
  if (la != lb) return false;
  return la <= 0 || memory.compare(changetype<usize>(a), changetype<usize>(b), <usize>la) == 0;
}

/**
 * The answer's messages (1-byte flag, 4-byte big-endian length, message) as JSON
 * text by the method's output type: a server-streaming answer is an array of its
 * messages ($[0], $[1], ...), a unary one its message ($), "" when it has none
 * (a trailers-only answer). Null when it cannot be decoded (a frame cut short, a
 * compressed message, one the type does not parse, a unary answer with several):
 * the answer is then compared by hash.
 */
export function messagesJson(body: ByteSink | null, method: ProtoMethod): string | null {
  const len: u64 = body == null ? 0 : <u64>body.length;
  const p: usize = body == null ? 0 : body.ptr();
  const parts: string[] = [];
  let off: u64 = 0;
  const prefix = <u64>GRPC_PREFIX;
  while (off < len) {
    if (len - off < prefix) return null;
    const at = p + <usize>off;
    if (prefixFailure(at) >= 0) return null; // compressed (or a flag gRPC does not define)
    const n = <u64>frameLength(at);
    if (n > len - off - prefix) return null;
    const json = messageToJson(at + <usize>prefix, <i32>n, method.output);
    if (json == null) return null;
    parts.push(json);
    off += prefix + n;
  }
  if (method.serverStreaming) return "[" + parts.join(",") + "]";
  if (parts.length > 1) return null;
  return parts.length == 1 ? parts[0] : "";
}
