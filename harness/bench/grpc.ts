// The benchmark's gRPC unary family (bench --grpc): h2load posting one framed
// ~1 KB protobuf message (shop.v1.ChargeRequest of examples/grpc/payments.proto)
// with content-type application/grpc and te: trailers, over h2c, to Envoy whose
// clusters speak HTTP/2 to gRPC upstreams (grpc-upstream.ts). Four scenarios:
// no mirroring, Envoy's native mirroring, mirrorshade with the descriptor set and
// rules (examples/grpc-redact.json), and mirrorshade with the detectors only (no
// schema: messages walked as protoc --decode_raw reads them).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBootstrap, type BootstrapSpec } from "../envoy/bootstrap.js";
import { projectRoot } from "../paths.js";
import { frame, loadDescriptorSet } from "../descriptor-set.js";

export const GRPC_SCENARIOS = ["grpc_floor", "grpc_native", "grpc_mirrorshade", "grpc_mirrorshade_detectors"] as const;
export type GrpcScenario = (typeof GRPC_SCENARIOS)[number];

export const GRPC_PATH = "/shop.v1.Payments/Charge";
export const GRPC_HEADERS = { te: "trailers", "grpc-timeout": "5S", authorization: "Bearer secret-token", "x-user-id": "alice" };
export const GRPC_CONTENT_TYPE = "application/grpc";

/** The loads of the family (protocol h2c: gRPC is HTTP/2 only). */
export const GRPC_LOADS = [
  { name: "open 500 rps grpc 1KB", kind: "open", protocol: "h2c", bodyBytes: 1024, rps: 500, grpc: true },
  { name: "saturation grpc 1KB", kind: "closed", protocol: "h2c", bodyBytes: 1024, grpc: true },
] as const;

const KEY = "bench-hash-key-0123456789abcdef";
const EXAMPLE = JSON.parse(readFileSync(join(projectRoot, "examples", "grpc-redact.json"), "utf8")) as { redact: Record<string, unknown> & { detectors: string[] } };

/** examples/grpc-redact.json (descriptor set, header, mask, hash and drop rules, six detectors) with the hash key inline. */
export const GRPC_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 },
  redact: { ...EXAMPLE.redact, hash_key: `inline:${KEY}` },
};
/** The same detectors, no schema and no rules. */
export const GRPC_DETECTORS_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 },
  redact: { detectors: EXAMPLE.redact.detectors, hash_key: `inline:${KEY}` },
};

/**
 * One framed ChargeRequest of about `bytes` bytes (card, email, notes: some with a
 * phone number or an email address, as free text carries them), encoded by protobufjs
 * from examples/grpc/payments.pb.
 */
export function sampleGrpcMessage(bytes = 1024): Uint8Array {
  const root = loadDescriptorSet(readFileSync(join(projectRoot, "examples", "grpc", "payments.pb")));
  const T = root.lookupType("shop.v1.ChargeRequest");
  const notes: string[] = [];
  const base = {
    order_id: "ord_8f2k",
    amount_cents: 1250,
    currency: "EUR",
    card: { number: "4556737586899855", cvv: "123", holder: "Ann Lee" },
    email: "ann@example.com",
    notes,
  };
  const size = () => T.encode(T.fromObject(base)).finish().length;
  const lines = ["gift wrap, no invoice in the parcel", "call +1 415 555 0134 before delivery", "leave at the door if nobody answers", "copy to billing@example.com"];
  for (let i = 0; size() < bytes - 40; i++) notes.push(`${lines[i % lines.length]} (${i})`);
  const pad = bytes - 5 - size() - 2;
  if (pad > 0) notes.push("x".repeat(Math.min(pad, 120)));
  return frame(T.encode(T.fromObject(base)).finish() as Uint8Array);
}

type Ports = { admin: number; listener: number; primary: number; shadow: number };

/** The scenario's bootstrap: both clusters HTTP/2, as rendered for gRPC (render --grpc). */
export function grpcBootstrapFor(s: GrpcScenario, ports: Ports, wasmPath: string): object {
  const base: BootstrapSpec = {
    adminPort: ports.admin,
    listenerPort: ports.listener,
    primary: { name: "primary", port: ports.primary, http2: true },
    extraClusters: [{ name: "shadow", port: ports.shadow, http2: true }],
  };
  switch (s) {
    case "grpc_floor":
      return buildBootstrap(base);
    case "grpc_native":
      return buildBootstrap({ ...base, nativeMirror: { cluster: "shadow" } });
    case "grpc_mirrorshade":
      return buildBootstrap({ ...base, wasm: { wasmPath, configuration: GRPC_POLICY } });
    case "grpc_mirrorshade_detectors":
      return buildBootstrap({ ...base, wasm: { wasmPath, configuration: GRPC_DETECTORS_POLICY } });
  }
}

export const GRPC_DESCRIPTIONS: Record<GrpcScenario, string> = {
  grpc_floor: "gRPC unary (h2c, a framed ~1 KB shop.v1.ChargeRequest, te: trailers), HTTP/2 clusters, no mirroring",
  grpc_native: "gRPC: route `request_mirror_policies` to the HTTP/2 shadow cluster",
  grpc_mirrorshade: "gRPC: the mirror role with `examples/grpc-redact.json` (descriptor set; mask, hash and drop rules on message fields; six detectors; hash key inline)",
  grpc_mirrorshade_detectors: "gRPC: the mirror role with the six detectors only (no descriptor set: messages walked without a schema)",
};
