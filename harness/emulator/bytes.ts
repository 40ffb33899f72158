// Byte helpers shared by the emulator: UTF-8 codecs, the empty buffer, and the
// body buffer the module sees through proxy_get/set_buffer_bytes.

export const enc = new TextEncoder();
// A BOM is a byte like any other: Envoy hands it on (TextDecoder would strip a leading one).
export const dec = new TextDecoder("utf-8", { ignoreBOM: true });
export const EMPTY = new Uint8Array(0);

export const u32 = (x: number): number => x >>> 0;

export function toBytes(v: string | Uint8Array | undefined): Uint8Array {
  if (v === undefined) return EMPTY;
  return typeof v === "string" ? enc.encode(v) : v;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}


/** A byte buffer the module can see through proxy_get/set_buffer_bytes. */
export class Bytes {
  constructor(public data: Uint8Array, readonly mutable: boolean) {}
  append(more: Uint8Array): void {
    this.data = concat(this.data, more);
  }
  take(): Uint8Array {
    const d = this.data;
    this.data = EMPTY;
    return d;
  }
}
