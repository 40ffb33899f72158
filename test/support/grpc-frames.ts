// gRPC message framing for tests: a 1-byte compressed flag, a 4-byte big-endian
// length, the message (gRPC over HTTP/2, PROTOCOL-HTTP2.md).
export function frame(message: Uint8Array | string, flag = 0): Uint8Array {
  const m = typeof message === "string" ? new TextEncoder().encode(message) : message;
  const out = new Uint8Array(5 + m.length);
  out[0] = flag;
  new DataView(out.buffer).setUint32(1, m.length, false);
  out.set(m, 5);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A protobuf message by hand: field 1 a string, field 2 a varint, field 3 a nested message holding a string in its field 1. */
export function message(name: string, n: number, inner: string): Uint8Array {
  const enc = new TextEncoder();
  const s = enc.encode(name);
  const i = enc.encode(inner);
  const nested = [0x0a, ...varint(i.length), ...i];
  return new Uint8Array([0x0a, ...varint(s.length), ...s, 0x10, ...varint(n), 0x1a, ...varint(nested.length), ...nested]);
}

/** The same framed messages split into chunks of the given sizes, cycling. */
export function chunks(body: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (let k = 0; at < body.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]);
    out.push(body.subarray(at, at + n));
    at += n;
  }
  return out;
}

export const GRPC_HEADERS: [string, string][] = [["content-type", "application/grpc"], ["te", "trailers"]];
