// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) over byte ranges. Hash tokens
// and consistent sampling must agree with any other implementation (a shadow
// team recomputes them offline), so this follows the standards to the bit; the
// test vectors are in test/unit/redact/detectors.test.ts.
//
// All working memory is static: the VM runs one callback at a time and nothing
// here re-enters, so hashing a value allocates only the digest it returns. An
// HMAC key is prepared once (HmacKey, at configure time): per value it costs the
// value's blocks plus one outer block, no key padding, no allocation. (Building the
// outer block in place of the second digest's padding measured no gain: 2026-12-02.)

const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV: usize = memory.data<u32>([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

const W: usize = memory.data(256); // message schedule
const STATE: usize = memory.data(32);
const TAIL: usize = memory.data(128); // last partial block plus padding: at most two blocks
const INNER: usize = memory.data(32); // HMAC inner digest
const PAD: usize = memory.data(64); // HMAC key block

function compress(state: usize, block: usize): void {
  for (let t: usize = 0; t < 16; t++) store<u32>(W + (t << 2), bswap<u32>(load<u32>(block + (t << 2))));
  for (let t: usize = 16; t < 64; t++) {
    const w15 = load<u32>(W + ((t - 15) << 2));
    const w2 = load<u32>(W + ((t - 2) << 2));
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    store<u32>(W + (t << 2), load<u32>(W + ((t - 16) << 2)) + s0 + load<u32>(W + ((t - 7) << 2)) + s1);
  }
  let a = load<u32>(state, 0);
  let b = load<u32>(state, 4);
  let c = load<u32>(state, 8);
  let d = load<u32>(state, 12);
  let e = load<u32>(state, 16);
  let f = load<u32>(state, 20);
  let g = load<u32>(state, 24);
  let h = load<u32>(state, 28);
  for (let t: usize = 0; t < 64; t++) {
    const t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + load<u32>(K + (t << 2)) + load<u32>(W + (t << 2));
    const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  store<u32>(state, load<u32>(state, 0) + a, 0);
  store<u32>(state, load<u32>(state, 4) + b, 4);
  store<u32>(state, load<u32>(state, 8) + c, 8);
  store<u32>(state, load<u32>(state, 12) + d, 12);
  store<u32>(state, load<u32>(state, 16) + e, 16);
  store<u32>(state, load<u32>(state, 20) + f, 20);
  store<u32>(state, load<u32>(state, 24) + g, 24);
  store<u32>(state, load<u32>(state, 28) + h, 28);
}

/**
 * Hashes [ptr, ptr+len) starting from the chaining value `init`, as if `prefix`
 * bytes (a multiple of 64) had already been compressed into it; writes the
 * 32-byte digest to `out`. The HMAC key blocks are such a prefix.
 */
function digest(init: usize, prefix: u64, ptr: usize, len: i32, out: usize): void {
  chain(init, prefix, ptr, len);
  for (let k: usize = 0; k < 32; k += 4) store<u32>(out + k, bswap<u32>(load<u32>(STATE + k)));
}

/** digest's work, leaving the result in STATE as eight words (not yet serialized). */
function chain(init: usize, prefix: u64, ptr: usize, len: i32): void {
  memory.copy(STATE, init, 32);
  const total: usize = len > 0 ? <usize>len : 0;
  let p = ptr;
  let n = total;
  while (n >= 64) {
    compress(STATE, p);
    p += 64;
    n -= 64;
  }
  memory.copy(TAIL, p, n);
  store<u8>(TAIL + n, 0x80);
  const size: usize = n < 56 ? 64 : 128;
  memory.fill(TAIL + n + 1, 0, size - n - 9);
  store<u64>(TAIL + size - 8, bswap<u64>((prefix + <u64>total) << 3));
  compress(STATE, TAIL);
  if (size == 128) compress(STATE, TAIL + 64);
}

/** The first four bytes of the SHA-256 of [ptr, ptr+len) as a big-endian number, allocating nothing. */
export function sha256Prefix32(ptr: usize, len: i32): u32 {
  chain(IV, 0, ptr, len);
  return load<u32>(STATE);
}

export function sha256(ptr: usize, len: i32): ArrayBuffer {
  const out = new ArrayBuffer(32);
  digest(IV, 0, ptr, len, changetype<usize>(out));
  return out;
}

/**
 * A key with its two padded blocks already compressed: per message, HMAC then
 * costs the message's blocks plus two, not four.
 */
export class HmacKey {
  /** Chaining values after the ipad block (bytes 0-31) and the opad block (32-63). */
  private states: StaticArray<u32> = new StaticArray<u32>(16);

  constructor(key: ArrayBuffer) {
    const kl = key.byteLength;
    memory.fill(PAD, 0, 64);
    // RFC 2104: keys longer than the block are replaced by their hash.
    if (kl > 64) digest(IV, 0, changetype<usize>(key), kl, PAD);
    else memory.copy(PAD, changetype<usize>(key), <usize>kl);
    const s = changetype<usize>(this.states);
    for (let i: usize = 0; i < 64; i++) store<u8>(PAD + i, load<u8>(PAD + i) ^ 0x36);
    memory.copy(s, IV, 32);
    compress(s, PAD);
    // ipad ^ opad turns the ipad block into the opad block without keeping the key.
    for (let i: usize = 0; i < 64; i++) store<u8>(PAD + i, load<u8>(PAD + i) ^ (0x36 ^ 0x5c));
    memory.copy(s + 32, IV, 32);
    compress(s + 32, PAD);
    memory.fill(PAD, 0, 64);
  }

  /** HMAC-SHA256 of [ptr, ptr+len) into out (32 bytes). */
  macInto(ptr: usize, len: i32, out: usize): void {
    const s = changetype<usize>(this.states);
    digest(s, 64, ptr, len, INNER);
    digest(s + 32, 64, INNER, 32, out);
  }

  /**
   * macInto for four values at once (Wasm SIMD, one per lane): value j is
   * [values + 64 j, + lens[j]), at most SHORT_MAC bytes; its MAC goes to
   * out + 32 j. The same bytes as four macInto calls.
   */
  macInto4(values: usize, lens: StaticArray<i32>, out: usize): void {
    const s = changetype<usize>(this.states);
    for (let j = 0; j < 4; j++) {
      const n = <usize>unchecked(lens[j]);
      const blk = BLOCK4 + (<usize>j << 6);
      memory.copy(blk, values + (<usize>j << 6), n);
      store<u8>(blk + n, 0x80);
      memory.fill(blk + n + 1, 0, 55 - n);
      store<u64>(blk + 56, bswap<u64>((64 + <u64>n) << 3));
    }
    for (let t: usize = 0; t < 16; t++) {
      for (let j: usize = 0; j < 4; j++) store<u32>(W4 + (t << 4) + (j << 2), bswap<u32>(load<u32>(BLOCK4 + (j << 6) + (t << 2))));
    }
    splatState(s);
    compress4();
    // The outer block: the inner digest (eight words), 0x80, zeros, the length of 64 + 32 bytes in bits.
    memory.copy(W4, S4, 128);
    store<v128>(W4 + (8 << 4), i32x4.splat(0x80000000));
    for (let t: usize = 9; t < 15; t++) store<v128>(W4 + (t << 4), i32x4.splat(0));
    store<v128>(W4 + (15 << 4), i32x4.splat((64 + 32) << 3));
    splatState(s + 32);
    compress4();
    for (let j: usize = 0; j < 4; j++) {
      for (let k: usize = 0; k < 8; k++) store<u32>(out + (j << 5) + (k << 2), bswap<u32>(load<u32>(S4 + (k << 4) + (j << 2))));
    }
  }
}

export function hmacSha256(key: HmacKey, ptr: usize, len: i32): ArrayBuffer {
  const out = new ArrayBuffer(32);
  key.macInto(ptr, len, changetype<usize>(out));
  return out;
}

// ---------------------------------------------------------------- four at a time
// HMAC-SHA256 of four short values at once, one per i32x4 lane (Wasm SIMD): the
// same rounds as compress(), each operation on four words. Values of at most
// SHORT_MAC bytes fit one padded block, so each lane costs one inner and one
// outer compression, as macInto's do.

/** The longest value macInto4 takes: one block with the 0x80 byte and the 8-byte length. */
export const SHORT_MAC: i32 = 55;

const W4: usize = memory.data(64 * 16); // the four schedules, lane-interleaved
const S4: usize = memory.data(8 * 16); // the four chaining values
const BLOCK4: usize = memory.data(4 * 64); // the four inner blocks

// @ts-ignore: decorator
@inline
function rotr4(x: v128, n: i32): v128 {
  return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n));
}

/** compress() on four lanes: the state in S4 (eight v128), the first sixteen schedule words in W4. */
function compress4(): void {
  for (let t: usize = 16; t < 64; t++) {
    const w15 = load<v128>(W4 + ((t - 15) << 4));
    const w2 = load<v128>(W4 + ((t - 2) << 4));
    const s0 = v128.xor(v128.xor(rotr4(w15, 7), rotr4(w15, 18)), i32x4.shr_u(w15, 3));
    const s1 = v128.xor(v128.xor(rotr4(w2, 17), rotr4(w2, 19)), i32x4.shr_u(w2, 10));
    store<v128>(W4 + (t << 4), i32x4.add(i32x4.add(load<v128>(W4 + ((t - 16) << 4)), s0), i32x4.add(load<v128>(W4 + ((t - 7) << 4)), s1)));
  }
  let a = load<v128>(S4, 0);
  let b = load<v128>(S4, 16);
  let c = load<v128>(S4, 32);
  let d = load<v128>(S4, 48);
  let e = load<v128>(S4, 64);
  let f = load<v128>(S4, 80);
  let g = load<v128>(S4, 96);
  let h = load<v128>(S4, 112);
  for (let t: usize = 0; t < 64; t++) {
    const s1 = v128.xor(v128.xor(rotr4(e, 6), rotr4(e, 11)), rotr4(e, 25));
    const ch = v128.xor(g, v128.and(e, v128.xor(f, g)));
    const t1 = i32x4.add(i32x4.add(h, s1), i32x4.add(ch, i32x4.add(i32x4.splat(load<u32>(K + (t << 2))), load<v128>(W4 + (t << 4)))));
    const s0 = v128.xor(v128.xor(rotr4(a, 2), rotr4(a, 13)), rotr4(a, 22));
    const maj = v128.or(v128.and(a, b), v128.and(c, v128.or(a, b)));
    h = g;
    g = f;
    f = e;
    e = i32x4.add(d, t1);
    d = c;
    c = b;
    b = a;
    a = i32x4.add(t1, i32x4.add(s0, maj));
  }
  store<v128>(S4, i32x4.add(load<v128>(S4, 0), a), 0);
  store<v128>(S4, i32x4.add(load<v128>(S4, 16), b), 16);
  store<v128>(S4, i32x4.add(load<v128>(S4, 32), c), 32);
  store<v128>(S4, i32x4.add(load<v128>(S4, 48), d), 48);
  store<v128>(S4, i32x4.add(load<v128>(S4, 64), e), 64);
  store<v128>(S4, i32x4.add(load<v128>(S4, 80), f), 80);
  store<v128>(S4, i32x4.add(load<v128>(S4, 96), g), 96);
  store<v128>(S4, i32x4.add(load<v128>(S4, 112), h), 112);
}

/** S4 = the chaining value at `s` (eight words) in every lane. */
function splatState(s: usize): void {
  for (let k: usize = 0; k < 8; k++) store<v128>(S4 + (k << 4), i32x4.splat(load<u32>(s + (k << 2))));
}
