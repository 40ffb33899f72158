// Hostile gRPC probes (issue #14): hand-built protobuf and gRPC framing, sent
// with node:http2 through real Envoy, and what the recording shadow got.
import { connect, constants as h2 } from "node:http2";
import { paymentsSchema, paymentsDescriptorBase64, type PaymentsServer, type ReceivedCall } from "../../harness/grpc/index.js";
import { HASH_KEY } from "./grpc-fixture.js";

export const PATH = "/shop.payments.v1.Payments/Charge";
export const UPLOAD = "/shop.payments.v1.Payments/Upload";

// ---- protobuf by hand ----
export function varint(n: number | bigint, minBytes = 0): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    out.push(Number(v & 0x7fn));
    v >>= 7n;
  } while (v > 0n);
  while (out.length < minBytes) out.push(0);
  for (let i = 0; i < out.length - 1; i++) out[i] |= 0x80;
  return Buffer.from(out);
}
export const tag = (no: number, wire: number, minBytes = 0) => varint((no << 3) | wire, minBytes);
const b = (x: Buffer | string) => (typeof x === "string" ? Buffer.from(x, "latin1") : x);
/** Length-delimited field; `tagBytes`/`lenBytes` force non-minimal varints, `wire` a wrong wire type. */
export function ld(no: number, payload: Buffer | string, o: { tagBytes?: number; lenBytes?: number; wire?: number } = {}): Buffer {
  const p = b(payload);
  return Buffer.concat([tag(no, o.wire ?? 2, o.tagBytes), varint(p.length, o.lenBytes), p]);
}
export const vi = (no: number, v: number) => Buffer.concat([tag(no, 0), varint(v)]);
export const cat = (...x: (Buffer | string)[]) => Buffer.concat(x.map(b));

export function frame(msg: Buffer, flag = 0): Buffer {
  const h = Buffer.alloc(5);
  h[0] = flag;
  h.writeUInt32BE(msg.length, 1);
  return Buffer.concat([h, msg]);
}

// ---- policies ----
export const SIX = ["card", "email", "ssn", "jwt", "iban", "phone"];
export function descriptorPolicy(): object {
  return {
    role: "mirror",
    shadow: { cluster: "shadow", timeout_ms: 5000 },
    redact: {
      hash_key: `inline:${HASH_KEY}`,
      headers: { drop: ["authorization"] },
      grpc: { descriptor_set: paymentsDescriptorBase64() },
      json: { mask: ["$..card.number"], drop: ["$..cvv"], hash: ["$..email"] },
      detectors: SIX,
    },
  };
}
export function detectorsPolicy(): object {
  return { role: "mirror", shadow: { cluster: "shadow", timeout_ms: 5000 }, redact: { hash_key: `inline:${HASH_KEY}`, detectors: SIX } };
}

// ---- raw call ----
export interface Sent {
  status: number;
  grpcStatus: string | null;
  err?: string;
}
export function send(
  port: number,
  path: string,
  body: Buffer | Buffer[],
  headers: Record<string, string | string[]> = {},
  o: { trailers?: Record<string, string>; ct?: string | null; timeoutMs?: number } = {},
): Promise<Sent> {
  return new Promise((resolve) => {
    const s = connect(`http://127.0.0.1:${port}`);
    const out: Sent = { status: 0, grpcStatus: null };
    const t = setTimeout(() => (s.destroy(), resolve({ ...out, err: "timeout" })), o.timeoutMs ?? 8000);
    s.on("error", (e) => (clearTimeout(t), resolve({ ...out, err: String(e) })));
    const hdr: Record<string, string | string[]> = {
      [h2.HTTP2_HEADER_METHOD]: "POST",
      [h2.HTTP2_HEADER_PATH]: path,
      [h2.HTTP2_HEADER_AUTHORITY]: "payments.shop.svc:50051",
      te: "trailers",
      ...headers,
    };
    if (o.ct !== null) hdr["content-type"] = o.ct ?? "application/grpc";
    const st = s.request(hdr, { waitForTrailers: !!o.trailers });
    if (o.trailers) st.on("wantTrailers", () => st.sendTrailers(o.trailers!));
    st.on("response", (h) => {
      out.status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) out.grpcStatus = String(h["grpc-status"]);
    });
    st.on("trailers", (h) => {
      if (h["grpc-status"] !== undefined) out.grpcStatus = String(h["grpc-status"]);
    });
    st.on("data", () => {});
    st.on("error", (e) => (out.err = String(e)));
    st.on("close", () => (clearTimeout(t), s.close(), resolve(out)));
    const parts = Buffer.isBuffer(body) ? [body] : [...body];
    const next = () => {
      const p = parts.shift();
      if (p === undefined) return void st.end();
      st.write(p, () => setTimeout(next, 15));
    };
    next();
  });
}

/** The shadow's call, or null if none arrived in `ms`. */
export async function shadowCall(shadow: PaymentsServer, ms = 2500): Promise<ReceivedCall | null> {
  try {
    const [c] = await shadow.waitFor(1, ms);
    return c ?? null;
  } catch {
    return shadow.calls[0] ?? null;
  }
}

export function decodeCharge(m: Buffer): Record<string, unknown> | string {
  try {
    return paymentsSchema().decode("shop.payments.v1.ChargeRequest", m);
  } catch (e) {
    return `undecodable: ${(e as Error).message}`;
  }
}

/** Every message of a received body (lenient: stops at a partial frame). */
export function messagesOf(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 5 <= body.length) {
    const n = body.readUInt32BE(i + 1);
    if (i + 5 + n > body.length) break;
    out.push(body.subarray(i + 5, i + 5 + n));
    i += 5 + n;
  }
  return out;
}

// ---- a raw HTTP/2 shadow that records headers, body and trailers ----
import { createServer } from "node:http2";
export interface RawCall {
  headers: Record<string, unknown>;
  body: Buffer;
  trailers: Record<string, unknown> | null;
}
export async function startRawShadow(): Promise<{ port: number; calls: RawCall[]; close(): Promise<void> }> {
  const calls: RawCall[] = [];
  const srv = createServer();
  srv.on("stream", (st, headers) => {
    const c: RawCall = { headers: { ...headers }, body: Buffer.alloc(0), trailers: null };
    calls.push(c);
    const parts: Buffer[] = [];
    st.on("trailers", (t) => (c.trailers = { ...t }));
    st.on("data", (d: Buffer) => parts.push(d));
    st.on("end", () => {
      c.body = Buffer.concat(parts);
      st.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      st.on("wantTrailers", () => st.sendTrailers({ "grpc-status": "0" }));
      st.end();
    });
    st.on("error", () => {});
  });
  const port = await new Promise<number>((r) => srv.listen(0, "127.0.0.1", () => r((srv.address() as { port: number }).port)));
  return { port, calls, close: () => new Promise((r) => srv.close(() => r())) };
}
