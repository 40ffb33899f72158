// FileDescriptorSets in the harness (as `protoc --include_imports --descriptor_set_out`
// writes them): read and checked for `render --descriptor-set`, and used by `preview`
// to show a gRPC copy's messages as JSON. Decoding here is protobufjs's, independent
// of the filter's own descriptor parser: preview shows what the shadow would read.
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";

export class DescriptorSetError extends Error {}

/** A gRPC message of a body: the compressed flag and its bytes. */
export interface GrpcFrame {
  compressed: boolean;
  message: Uint8Array;
}

/**
 * Reads a FileDescriptorSet; a file that is not one (does not decode, holds no
 * file, or names types it does not define) is a DescriptorSetError saying why.
 */
export function loadDescriptorSet(bytes: Uint8Array): protobuf.Root {
  let set: protobuf.Message & { file?: { name?: string }[] };
  try {
    set = descriptor.FileDescriptorSet.decode(bytes) as typeof set;
  } catch (e) {
    throw new DescriptorSetError(`not a FileDescriptorSet (${(e as Error).message}); write one with protoc --include_imports --descriptor_set_out=FILE your.proto`);
  }
  const files = set.file ?? [];
  if (files.length === 0 || files.some((f) => !f.name)) {
    throw new DescriptorSetError("not a FileDescriptorSet (no file descriptors in it); write one with protoc --include_imports --descriptor_set_out=FILE your.proto");
  }
  try {
    // protobufjs/ext/descriptor adds Root.fromDescriptor at run time; its typings do not declare it.
    const root = (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor(set);
    root.resolveAll();
    return root;
  } catch (e) {
    throw new DescriptorSetError(`the descriptor set does not resolve (${(e as Error).message}): was it written with --include_imports?`);
  }
}

/** The policy's redact.grpc.descriptor_set, resolved as the filter does: base64, or "env:NAME" read from env (also base64). */
export function policyDescriptorSet(policyText: string, env: Record<string, string | undefined>): Uint8Array | null {
  let p: unknown;
  try {
    p = JSON.parse(policyText);
  } catch {
    return null;
  }
  const value = (p as { redact?: { grpc?: { descriptor_set?: unknown } } } | null)?.redact?.grpc?.descriptor_set;
  if (typeof value !== "string") return null;
  const text = value.startsWith("env:") ? env[value.slice(4)] : value;
  if (text === undefined) return null;
  return new Uint8Array(Buffer.from(text.trim(), "base64"));
}

/** Whether headers describe a gRPC call (content-type application/grpc, +proto, +json...). */
export function isGrpc(headers: readonly (readonly [string, string])[]): boolean {
  return headers.some(([k, v]) => k.toLowerCase() === "content-type" && /^application\/grpc(\+|;|$)/i.test(v.trim()));
}

/** The messages of a gRPC body (5-byte prefix: flag, big-endian length); null when the framing does not parse. */
export function splitFrames(body: Uint8Array): GrpcFrame[] | null {
  const out: GrpcFrame[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < 5 || body[at] > 1) return null;
    const len = ((body[at + 1] << 24) >>> 0) + (body[at + 2] << 16) + (body[at + 3] << 8) + body[at + 4];
    if (body.length - at - 5 < len) return null;
    out.push({ compressed: body[at] === 1, message: body.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return out;
}

/** One message with its 5-byte prefix: the flag (1: compressed), the big-endian length. */
export function frame(message: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** The request (or response) type of the method a :path names ("/package.Service/Method"), or null. */
export function methodType(root: protobuf.Root, path: string, which: "request" | "response"): protobuf.Type | null {
  const m = /^\/([^/?]+)\/([^/?]+)$/.exec(path.split("?")[0]);
  if (!m) return null;
  const service = root.lookup(m[1]);
  if (!(service instanceof protobuf.Service)) return null;
  const method = service.methods[m[2]];
  if (!method) return null;
  method.resolve();
  return (which === "request" ? method.resolvedRequestType : method.resolvedResponseType) ?? null;
}

/**
 * A gRPC body's messages as JSON values, by the type given: field names as in
 * the .proto, 64-bit integers and enums as strings, bytes as base64. A message
 * that is compressed or does not decode is shown as {"undecoded": <why>}.
 */
export function decodeMessages(type: protobuf.Type, body: Uint8Array): unknown[] | null {
  const frames = splitFrames(body);
  if (!frames) return null;
  return frames.map((f) => {
    if (f.compressed) return { undecoded: "compressed" };
    try {
      return type.toObject(type.decode(f.message), { longs: String, enums: String, bytes: String });
    } catch (e) {
      return { undecoded: (e as Error).message };
    }
  });
}
