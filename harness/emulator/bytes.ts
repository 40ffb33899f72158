// Byte helpers shared by the emulator: UTF-8 codecs, the empty buffer, and the
// body buffer the module sees through proxy_get/set_buffer_bytes.

export const enc = new TextEncoder();
// A BOM is a byte like any other: Envoy hands it on (TextDecoder would strip a leading one).
export const dec = new TextDecoder("utf-8", { ignoreBOM: true });
export const EMPTY = new Uint8Array(0);

export const u32 = (x: number): number => x >>> 0;

const encoded = new Map<string, Uint8Array>();
/**
 * The UTF-8 of a header name or value, kept for the next request (the same few
 * strings come back on every request; Envoy holds them as bytes to begin with).
 * The result is shared: never write to it.
 */
export function utf8Of(s: string): Uint8Array {
  let b = encoded.get(s);
  if (b === undefined) {
    if (encoded.size >= 4096) encoded.clear();
    b = enc.encode(s);
    if (s.length <= 1024) encoded.set(s, b);
  }
  return b;
}

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
/**
 * Appends in amortized linear time, as Envoy's buffers (chains of slices) do: the
 * bytes go into spare room after the last result when `cur` is that result, else
 * into a new buffer of twice the size. Earlier results stay valid (only bytes past
 * their end are written).
 */
export class Appender {
  private store: Uint8Array = EMPTY;
  private last: Uint8Array = EMPTY;

  /** `owned`: nobody else holds `more`, so it may be kept as it is (the first bytes are then not copied). */
  join(cur: Uint8Array, more: Uint8Array, owned = false): Uint8Array {
    if (more.length === 0) return cur;
    if (cur.length === 0) {
      // The first bytes: an exact copy (most bodies come in one piece); growth starts with the second.
      this.store = this.last = owned ? more : more.slice();
      return this.last;
    }
    const n = cur.length + more.length;
    if (cur !== this.last || n > this.store.length) {
      const store = new Uint8Array(Math.max(256, 2 * n));
      store.set(cur, 0);
      this.store = store;
    }
    this.store.set(more, cur.length);
    this.last = this.store.subarray(0, n);
    return this.last;
  }
}

/** A byte buffer the module can see through proxy_get/set_buffer_bytes. */
export class Bytes {
  private readonly appender = new Appender();
  constructor(public data: Uint8Array, readonly mutable: boolean) {}
  append(more: Uint8Array): void {
    this.data = this.appender.join(this.data, more);
  }
  take(): Uint8Array {
    const d = this.data;
    this.data = EMPTY;
    return d;
  }
}
