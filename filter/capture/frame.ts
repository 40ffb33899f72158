// The capture's wire form, one POST per capture to the capture cluster
// (content-type application/x-mirrorshade-capture): the magic "MSC1", then
// seven sections, each a u32 little-endian length and its bytes, in this order:
//   0 meta: a JSON object (ASCII, written by the filter): reason, detail, shadow, grpc,
//     started_ms (when the copy went, ms since the epoch), elapsed_ms (until the shadow's answer)
//   1 the request's header map as dispatched (proxy-wasm serialized map)
//   2 the request's body as dispatched
//   3 the request's trailers as dispatched (a map; 4 zero bytes: none)
//   4 the shadow's answer headers (a map, redacted; empty section: no answer)
//   5 the shadow's answer trailers (a map, redacted; empty: none)
//   6 the primary's answer headers (a map, redacted; empty: not known)
// One buffer, sized once and filled with memory.copy: no other allocation.
export const SECTIONS: i32 = 7;
const MAGIC: u32 = 0x3143534d; // "MSC1", little-endian

export class Frame {
  parts: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(SECTIONS);

  set(i: i32, b: ArrayBuffer | null): void {
    unchecked((this.parts[i] = b));
  }

  /** Lays out the frame; the parts are let go. */
  finish(): ArrayBuffer {
    let size: i32 = 4;
    for (let i = 0; i < SECTIONS; i++) {
      const p = unchecked(this.parts[i]);
      size += 4 + (p == null ? 0 : p.byteLength);
    }
    const out = new ArrayBuffer(size);
    let at = changetype<usize>(out);
    store<u32>(at, MAGIC);
    at += 4;
    for (let i = 0; i < SECTIONS; i++) {
      const p = unchecked(this.parts[i]);
      const len = p == null ? 0 : p.byteLength;
      store<u32>(at, <u32>len);
      at += 4;
      if (len > 0) memory.copy(at, changetype<usize>(p), <usize>len);
      at += <usize>len;
      unchecked((this.parts[i] = null));
    }
    return out;
  }
}
