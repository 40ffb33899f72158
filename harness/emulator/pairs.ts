// Header maps as the ABI carries them (proxy-wasm pair serialization), and the
// copies Envoy makes of them (keys lower-cased).
import type { HeaderList } from "./types.js";
import { utf8Of, dec, EMPTY } from "./bytes.js";

export function lowerPairs(h: HeaderList): HeaderList {
  return h.map(([k, v]) => [k.toLowerCase(), v]);
}

export function clonePairs(h: HeaderList): HeaderList {
  return h.map(([k, v]) => [k, v]);
}

/** proxy-wasm pair serialization: u32 count; count x (u32 key_len, u32 value_len); key\0 value\0 ... */
export function serializePairs(pairs: HeaderList): Uint8Array {
  if (pairs.length === 0) return EMPTY;
  const encoded = pairs.map(([k, v]) => [utf8Of(k), utf8Of(v)] as const);
  let size = 4 + pairs.length * 8;
  for (const [k, v] of encoded) size += k.length + v.length + 2;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, pairs.length, true);
  let p = 4;
  for (const [k, v] of encoded) {
    dv.setUint32(p, k.length, true);
    dv.setUint32(p + 4, v.length, true);
    p += 8;
  }
  for (const [k, v] of encoded) {
    out.set(k, p);
    p += k.length + 1;
    out.set(v, p);
    p += v.length + 1;
  }
  return out;
}

/** Like PairsUtil::toPairs: malformed input yields no pairs rather than an error. */
export function parsePairs(bytes: Uint8Array): HeaderList {
  if (bytes.length < 4) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true);
  if (4 + n * 8 > bytes.length) return [];
  const lens: [number, number][] = [];
  for (let i = 0; i < n; i++) lens.push([dv.getUint32(4 + i * 8, true), dv.getUint32(8 + i * 8, true)]);
  let p = 4 + n * 8;
  const out: HeaderList = [];
  for (const [kl, vl] of lens) {
    if (p + kl + 1 + vl + 1 > bytes.length) return [];
    const k = dec.decode(bytes.subarray(p, p + kl));
    p += kl + 1;
    const v = dec.decode(bytes.subarray(p, p + vl));
    p += vl + 1;
    out.push([k, v]);
  }
  return out;
}
