// Per-request random draws for sampling without a hash header. Seeded once from
// the host's entropy (WASI random_get), then xorshift64*: no host call per draw.

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: usize): u16;

let state: u64 = 0;

function seed(): void {
  const buf = memory.data(8);
  if (random_get(buf, 8) == 0) state = load<u64>(buf);
  if (state == 0) state = 0x9e3779b97f4a7c15;
}

/** Uniform in [0, 1). */
export function random(): f64 {
  if (state == 0) seed();
  let x = state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  state = x;
  return <f64>((x * 0x2545f4914f6cdd1d) >> 11) / 9007199254740992.0;
}

/** A key of n bytes from the host's entropy (WASI random_get), for hashes that must not be reversible by guessing. */
export function randomKey(n: i32): ArrayBuffer {
  const out = new ArrayBuffer(n);
  if (random_get(changetype<usize>(out), <usize>n) != 0) {
    // No entropy from the host: the draws above (seeded as well as the host allows) fill it.
    for (let i = 0; i < n; i++) store<u8>(changetype<usize>(out) + <usize>i, <u8>(random() * 256));
  }
  return out;
}
