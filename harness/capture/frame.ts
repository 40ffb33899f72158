// The capture frame the filter POSTs (filter/capture/frame.ts is the one writer):
// "MSC1", then seven sections of a u32 little-endian length and their bytes:
// meta JSON, request headers, request body, request trailers (header maps in
// proxy-wasm's serialized form), the shadow's answer headers and trailers, the
// primary's answer headers (an empty section: none / not known).

export const CAPTURE_CONTENT_TYPE = "application/x-mirrorshade-capture";
const MAGIC = 0x3143534d;
const SECTIONS = 7;

/** A header map as bytes: names and values exactly as sent. */
export type RawHeaders = [Buffer, Buffer][];

export interface CaptureMeta {
  reason: "shadow_error" | "timeout" | "mismatch";
  detail: string;
  shadow: string;
  grpc: boolean;
  /** When the copy went (ms since the epoch, Envoy's clock) and how long until the shadow's answer, in ms. */
  started_ms?: number;
  elapsed_ms?: number;
}

export interface Capture {
  meta: CaptureMeta;
  request: { headers: RawHeaders; body: Buffer; trailers: RawHeaders };
  /** null: the shadow did not answer (reset, connect failure). */
  shadow: { headers: RawHeaders; trailers: RawHeaders } | null;
  /** null: the primary's answer was not known when the capture was taken. */
  primary: { headers: RawHeaders } | null;
}

export class FrameError extends Error {}

/** Reads a proxy-wasm serialized header map: u32 count, count × (u32 key length, u32 value length), then each key and value NUL-terminated. */
export function readHeaderMap(b: Buffer): RawHeaders {
  if (b.length === 0) return [];
  if (b.length < 4) throw new FrameError("header map shorter than its count");
  const n = b.readUInt32LE(0);
  if (4 + n * 8 > b.length) throw new FrameError("header map count past its end");
  const out: RawHeaders = [];
  let p = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32LE(4 + i * 8);
    const vl = b.readUInt32LE(8 + i * 8);
    if (p + kl + 1 + vl + 1 > b.length) throw new FrameError("header map pair past its end");
    const k = b.subarray(p, p + kl);
    p += kl + 1;
    const v = b.subarray(p, p + vl);
    p += vl + 1;
    out.push([k, v]);
  }
  return out;
}

export function decodeFrame(b: Buffer): Capture {
  if (b.length < 4 || b.readUInt32LE(0) !== MAGIC) throw new FrameError("not a mirrorshade capture (no MSC1 magic)");
  const parts: Buffer[] = [];
  let p = 4;
  for (let i = 0; i < SECTIONS; i++) {
    if (p + 4 > b.length) throw new FrameError(`section ${i} missing`);
    const len = b.readUInt32LE(p);
    p += 4;
    if (p + len > b.length) throw new FrameError(`section ${i} past the end`);
    parts.push(b.subarray(p, p + len));
    p += len;
  }
  if (p !== b.length) throw new FrameError("bytes after the last section");
  let meta: CaptureMeta;
  try {
    meta = JSON.parse(parts[0].toString("utf8")) as CaptureMeta;
  } catch {
    throw new FrameError("meta section is not JSON");
  }
  const m = meta as unknown as Record<string, unknown>;
  if (typeof m !== "object" || m === null || !["shadow_error", "timeout", "mismatch"].includes(m.reason as string) || typeof m.detail !== "string" || typeof m.shadow !== "string" || typeof m.grpc !== "boolean") {
    throw new FrameError("meta section is not {reason, detail, shadow, grpc}");
  }
  return {
    meta,
    request: { headers: readHeaderMap(parts[1]), body: Buffer.from(parts[2]), trailers: readHeaderMap(parts[3]) },
    shadow: parts[4].length > 0 ? { headers: readHeaderMap(parts[4]), trailers: readHeaderMap(parts[5]) } : null,
    primary: parts[6].length > 0 ? { headers: readHeaderMap(parts[6]) } : null,
  };
}
