// Budgets shared by every worker thread of one Envoy: a token bucket for copies
// per second and a count of copies in flight. They live in proxy-wasm shared data
// (one store per VM id, shared across workers) and are updated with
// compare-and-swap, so --concurrency does not multiply the limits.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";

const OK: u32 = 0;
const NOT_FOUND: u32 = 1;
const CAS_MISMATCH: u32 = 8;
/** Contended updates retry a few times; a budget that cannot be updated says no (never over-spends). */
const MAX_ATTEMPTS = 8;

const outPtr = memory.data(8);
const outSize = memory.data(8);
const outCas = memory.data(8);
const nowOut = memory.data(8);

function nowNs(): u64 {
  imports.proxy_get_current_time_nanoseconds(nowOut);
  return load<u64>(nowOut);
}

class SharedValue {
  found: bool = false;
  cas: u32 = 0;
  a: f64 = 0;
  b: u64 = 0;
}

const scratch = new SharedValue();
const valueBuf = new ArrayBuffer(16);

function read(key: ArrayBuffer): u32 {
  store<usize>(outPtr, 0);
  const r = imports.proxy_get_shared_data(changetype<usize>(key), key.byteLength, outPtr, outSize, outCas);
  const ptr = load<usize>(outPtr);
  scratch.found = false;
  if (r == OK && ptr != 0) {
    if (load<usize>(outSize) >= 16) {
      scratch.a = load<f64>(ptr);
      scratch.b = load<u64>(ptr + 8);
      scratch.found = true;
    }
    scratch.cas = load<u32>(outCas);
    __unpin(ptr);
  } else if (ptr != 0) {
    __unpin(ptr);
  }
  if (r == NOT_FOUND) scratch.cas = 0;
  return r;
}

function write(key: ArrayBuffer, a: f64, b: u64, cas: u32): u32 {
  store<f64>(changetype<usize>(valueBuf), a);
  store<u64>(changetype<usize>(valueBuf) + 8, b);
  return imports.proxy_set_shared_data(changetype<usize>(key), key.byteLength, changetype<usize>(valueBuf), 16, cas);
}

export class TokenBucket {
  constructor(private key: ArrayBuffer, private perSecond: f64, private burst: f64) {}

  /** Takes one token if there is one. */
  take(): bool {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const r = read(this.key);
      if (r != OK && r != NOT_FOUND) return false;
      const now = nowNs();
      let tokens = this.burst;
      if (scratch.found) {
        const elapsed = now > scratch.b ? <f64>(now - scratch.b) / 1e9 : 0;
        tokens = Math.min(this.burst, scratch.a + elapsed * this.perSecond);
      }
      if (tokens < 1) return false;
      // The very first write has no CAS to compare (cas 0 always writes): two workers racing
      // on an empty key can each spend one token of a full bucket once; every later update is CAS-checked.
      const w = write(this.key, tokens - 1, now, scratch.found ? scratch.cas : 0);
      if (w == OK) return true;
      if (w != CAS_MISMATCH) return false;
    }
    return false;
  }
}

export class SharedCounter {
  constructor(private key: ArrayBuffer) {}

  /** Adds delta unless the result would exceed limit; returns whether it did. */
  add(delta: i64, limit: u64): bool {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const r = read(this.key);
      if (r != OK && r != NOT_FOUND) return false;
      const current = scratch.found ? <i64>scratch.b : 0;
      let next = current + delta;
      if (next < 0) next = 0;
      if (delta > 0 && <u64>next > limit) return false;
      const w = write(this.key, 0, <u64>next, scratch.found ? scratch.cas : 0);
      if (w == OK) return true;
      if (w != CAS_MISMATCH) return false;
    }
    return false;
  }
}
