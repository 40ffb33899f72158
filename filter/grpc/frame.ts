// gRPC message framing (gRPC over HTTP/2, PROTOCOL-HTTP2.md): each message is
// prefixed by a 1-byte compressed flag and its 4-byte big-endian length. One
// reading of the prefix for the codec (body/grpc.ts), the in-place streams
// (roles/inplace-grpc.ts) and the comparison of answers (compare/grpc.ts).
import { REASON_COMPRESSED, REASON_INVALID_GRPC_FRAME } from "../body/plan";

export const GRPC_PREFIX: i32 = 5;

/** The length a gRPC prefix at p declares (4 bytes, big-endian, after the flag). */
// @ts-ignore: decorator
@inline
export function frameLength(p: usize): u32 {
  return bswap<u32>(load<u32>(p + 1));
}

/**
 * What the prefix at p says before the message is read: -1 when it is fine, else
 * the REASON_* why the body cannot be scanned (flag 1: compressed; another flag:
 * not a gRPC frame).
 */
export function prefixFailure(p: usize): i32 {
  const flag = load<u8>(p);
  if (flag == 0) return -1;
  return flag == 1 ? <i32>REASON_COMPRESSED : <i32>REASON_INVALID_GRPC_FRAME;
}
