// The test service's schema, loaded twice from test/grpc/payments.proto: by
// @grpc/proto-loader for @grpc/grpc-js's method definitions, and by protobufjs to
// encode and decode messages for assertions. Plus the wire helpers the tests
// need to look at bytes as sent: gRPC framing and a message's top-level fields.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { loadSync, type PackageDefinition, type MethodDefinition } from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { projectRoot } from "../paths.js";
import { splitFrames } from "../descriptor-set.js";

export const PAYMENTS_PROTO = join(projectRoot, "test", "grpc", "payments.proto");
export const PAYMENTS_DESCRIPTOR = join(projectRoot, "test", "grpc", "payments.pb");
export const PAYMENTS_SERVICE = "shop.payments.v1.Payments";

/** The descriptor set as `redact.grpc.descriptor_set` takes it (base64 of protoc's output). */
export function paymentsDescriptorBase64(): string {
  return readFileSync(PAYMENTS_DESCRIPTOR).toString("base64");
}

export type MethodName = "Charge" | "Upload" | "Watch";

export interface Schema {
  root: protobuf.Root;
  /** proto-loader's definitions of the service's methods (path, streaming, (de)serializers). */
  methods: Record<MethodName, MethodDefinition<object, object>>;
  /** `/shop.payments.v1.Payments/Charge` */
  path(method: MethodName): string;
  type(name: string): protobuf.Type;
  requestType(method: MethodName): protobuf.Type;
  responseType(method: MethodName): protobuf.Type;
  encode(typeName: string, value: object): Buffer;
  /** Decoded to a plain object: 64-bit integers and enums as strings, bytes as Buffers, defaults omitted (as on the wire). */
  decode(typeName: string, bytes: Uint8Array): Record<string, unknown>;
}

let cached: Schema | null = null;

export function paymentsSchema(): Schema {
  if (cached) return cached;
  const pkg: PackageDefinition = loadSync(PAYMENTS_PROTO, { keepCase: true, longs: String, enums: String, defaults: false });
  const service = pkg[PAYMENTS_SERVICE] as unknown as Record<MethodName, MethodDefinition<object, object>>;
  if (!service || !service.Charge) throw new Error(`${PAYMENTS_PROTO}: no service ${PAYMENTS_SERVICE}`);
  // Field names as written in the .proto (billing_address), as the filter's rules and proto-loader (keepCase) name them.
  const root = new protobuf.Root().loadSync(PAYMENTS_PROTO, { keepCase: true });
  root.resolveAll();
  const type = (name: string) => root.lookupType(name.replace(/^\./, ""));
  const svc = root.lookupService(PAYMENTS_SERVICE);
  const method = (m: MethodName) => svc.methods[m];
  cached = {
    root,
    methods: service,
    path: (m) => `/${PAYMENTS_SERVICE}/${m}`,
    type,
    requestType: (m) => type(method(m).requestType),
    responseType: (m) => type(method(m).responseType),
    encode(typeName, value) {
      const t = type(typeName);
      for (const k of Object.keys(value)) if (!t.fields[k]) throw new Error(`${typeName} has no field ${k}`);
      const msg = t.fromObject(value);
      const err = t.verify(msg);
      if (err) throw new Error(`${typeName}: ${err}`);
      return Buffer.from(t.encode(msg).finish());
    },
    decode(typeName, bytes) {
      const t = type(typeName);
      return t.toObject(t.decode(bytes), { longs: String, enums: String, bytes: Buffer }) as Record<string, unknown>;
    },
  };
  return cached;
}

export { frame } from "../descriptor-set.js";

export interface Frame {
  compressed: boolean;
  message: Buffer;
}

/** Splits a gRPC body into its messages (descriptor-set.ts splitFrames); throws when it is not whole frames (a body the tests expect to be whole). */
export function unframe(body: Uint8Array): Frame[] {
  const frames = splitFrames(body);
  if (frames == null) throw new Error(`not whole gRPC frames: ${body.length} bytes starting ${Buffer.from(body.subarray(0, 16)).toString("hex")}`);
  return frames.map((f) => ({ compressed: f.compressed, message: Buffer.from(f.message.buffer, f.message.byteOffset, f.message.byteLength) }));
}

export interface WireField {
  /** Field number. */
  no: number;
  /** Wire type (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  wire: number;
  /** The whole field as encoded: tag, length prefix and payload. */
  raw: Buffer;
}

/** A message's top-level fields as they appear on the wire, in order (what "byte-identical" is checked against). */
export function wireFields(message: Uint8Array): WireField[] {
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const r = protobuf.Reader.create(buf);
  const out: WireField[] = [];
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    r.skipType(tag & 7);
    out.push({ no: tag >>> 3, wire: tag & 7, raw: buf.subarray(start, r.pos) });
  }
  return out;
}

/** The raw encodings of field `no` (several for repeated fields), concatenated. */
export function rawField(message: Uint8Array, no: number): Buffer {
  return Buffer.concat(wireFields(message).filter((f) => f.no === no).map((f) => f.raw));
}

/** The payload of the first length-delimited field `no` (a nested message's own bytes); throws if there is none. */
export function fieldPayload(message: Uint8Array, no: number): Buffer {
  const f = wireFields(message).find((x) => x.no === no && x.wire === 2);
  if (!f) throw new Error(`no length-delimited field ${no}`);
  const r = protobuf.Reader.create(f.raw);
  r.uint32();
  const len = r.uint32();
  return f.raw.subarray(r.pos, r.pos + len);
}
