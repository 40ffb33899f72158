// gRPC in `mirrorshade preview`: which requests and copies are gRPC calls, the
// answer a gRPC shadow gives (OK in the trailers), and a body's messages as JSON
// by the policy's own descriptor set (redact.grpc.descriptor_set, "env:NAME" read
// from the preview's environment as the filter reads its VM environment).
import type protobuf from "protobufjs";
import type { CallResponse, HeaderList } from "./emulator/index.js";
import { decodeMessages, isGrpc, loadDescriptorSet, methodType, policyDescriptorSet, DescriptorSetError } from "./descriptor-set.js";

export interface GrpcView {
  isCall(headers: readonly (readonly [string, string])[]): boolean;
  /** What a shadow answers a unary call with, for the filter to count: 200, then grpc-status 0. */
  readonly okAnswer: CallResponse;
  /** For a gRPC call: its messages as JSON when the descriptor knows the :path's method; null when not a gRPC call. */
  of(headers: HeaderList, body: Uint8Array): { decoded?: unknown[] } | null;
}

export function grpcView(policyText: string, env: Record<string, string | undefined>): GrpcView {
  let root: protobuf.Root | null = null;
  const bytes = policyDescriptorSet(policyText, env);
  if (bytes) {
    try {
      root = loadDescriptorSet(bytes);
    } catch (e) {
      // The filter has accepted the policy; a set protobufjs cannot read only costs the decoded view.
      if (!(e instanceof DescriptorSetError)) throw e;
    }
  }
  return {
    isCall: isGrpc,
    okAnswer: { headers: [[":status", "200"], ["content-type", "application/grpc"]], body: new Uint8Array(0), trailers: [["grpc-status", "0"]] },
    of(headers, body) {
      if (!isGrpc(headers)) return null;
      const path = headers.find(([k]) => k === ":path")?.[1] ?? "";
      const type = root ? methodType(root, path, "request") : null;
      const decoded = type ? decodeMessages(type, body) : null;
      return decoded ? { decoded } : {};
    },
  };
}
