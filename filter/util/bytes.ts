// Byte-level helpers for header maps and bodies. Headers stay in the host's wire
// format (u32 count; count x (u32 key_len, u32 value_len); key NUL value NUL ...)
// so a request is copied without decoding to UTF-16 strings.

export function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

/** Equality of a byte range with a prepared constant. */
// @ts-ignore: decorator
@inline
export function bytesEqual(ptr: usize, len: usize, constant: ArrayBuffer): bool {
  return len == <usize>constant.byteLength && memory.compare(ptr, changetype<usize>(constant), len) == 0;
}

/** Compares ASCII case-insensitively; the rule names are stored lower-case. */
export function equalsLower(p: usize, len: usize, lower: ArrayBuffer): bool {
  if (len != <usize>lower.byteLength) return false;
  const q = changetype<usize>(lower);
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(p + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != load<u8>(q + i)) return false;
  }
  return true;
}

/**
 * Whether a header name from the wire is the given (lower-case) name, taking
 * '_' and '-' as the same character and case aside: CGI, WSGI, Rack and PHP
 * stacks read x-shadow-request, X_Shadow_Request and x_shadow_request all as
 * HTTP_X_SHADOW_REQUEST, and Envoy passes names with underscores by default.
 */
export function sameHeaderName(p: usize, len: usize, name: ArrayBuffer): bool {
  if (len != <usize>name.byteLength) return false;
  const q = changetype<usize>(name);
  for (let i: usize = 0; i < len; i++) {
    let a = load<u8>(p + i);
    let b = load<u8>(q + i);
    if (a >= 0x41 && a <= 0x5a) a += 0x20;
    if (a == 0x5f) a = 0x2d;
    if (b == 0x5f) b = 0x2d;
    if (a != b) return false;
  }
  return true;
}

/** Walks one serialized header map pair by pair without copying. */
export class HeaderCursor {
  keyPtr: usize = 0;
  keyLen: usize = 0;
  valuePtr: usize = 0;
  valueLen: usize = 0;
  count: u32 = 0;
  private base: usize = 0;
  private end: usize = 0;
  private next_: usize = 0;
  private index: u32 = 0;

  constructor(public raw: ArrayBuffer) {
    this.reset(raw);
  }

  /** Starts over on another map (a cursor kept for reuse allocates nothing per map). */
  reset(raw: ArrayBuffer): HeaderCursor {
    this.raw = raw;
    const len = <usize>raw.byteLength;
    this.base = changetype<usize>(raw);
    this.end = this.base + len;
    this.index = 0;
    this.count = 0;
    this.next_ = 0;
    this.keyPtr = 0;
    this.keyLen = 0;
    this.valuePtr = 0;
    this.valueLen = 0;
    const n: u32 = len < 4 ? 0 : load<u32>(this.base);
    // A malformed map from the host must not make the filter read out of bounds.
    if (len >= 4 && <u64>4 + <u64>n * 8 <= <u64>len) {
      this.count = n;
      this.next_ = this.base + 4 + <usize>n * 8;
    }
    return this;
  }

  /** Moves to the next pair; false when there is none. */
  next(): bool {
    if (this.index >= this.count) return false;
    const kl = <usize>load<u32>(this.base + 4 + <usize>this.index * 8);
    const vl = <usize>load<u32>(this.base + 8 + <usize>this.index * 8);
    const p = this.next_;
    if (p + kl + 1 + vl + 1 > this.end) {
      this.index = this.count;
      return false;
    }
    this.keyPtr = p;
    this.keyLen = kl;
    this.valuePtr = p + kl + 1;
    this.valueLen = vl;
    this.next_ = this.valuePtr + vl + 1;
    this.index++;
    return true;
  }

  keyIs(constant: ArrayBuffer): bool {
    return bytesEqual(this.keyPtr, this.keyLen, constant);
  }
}

/** Builds a serialized header map: pairs are appended, then finish() lays out the wire format (as often as needed, until reset()). */
export class HeaderMapBuilder {
  private keys: usize[] = [];
  private keyLens: usize[] = [];
  private values: usize[] = [];
  private valueLens: usize[] = [];
  // Buffers created by the builder (derived values) stay referenced until finish.
  private owned: ArrayBuffer[] = [];
  private dataSize: usize = 0;

  reset(): void {
    this.keys.length = 0;
    this.keyLens.length = 0;
    this.values.length = 0;
    this.valueLens.length = 0;
    this.owned.length = 0;
    this.dataSize = 0;
  }

  /** Appends a pair of byte ranges; the caller keeps them alive until finish(). */
  add(kp: usize, kl: usize, vp: usize, vl: usize): void {
    this.keys.push(kp);
    this.keyLens.push(kl);
    this.values.push(vp);
    this.valueLens.push(vl);
    this.dataSize += kl + vl + 2;
  }

  addOwned(key: ArrayBuffer, value: ArrayBuffer): void {
    this.owned.push(key);
    this.owned.push(value);
    this.add(changetype<usize>(key), <usize>key.byteLength, changetype<usize>(value), <usize>value.byteLength);
  }

  get length(): i32 {
    return this.keys.length;
  }

  /** Points pair i at another value (kept alive by the caller until finish()). */
  setValue(i: i32, vp: usize, vl: usize): void {
    this.dataSize = this.dataSize - unchecked(this.valueLens[i]) + vl;
    unchecked((this.values[i] = vp));
    unchecked((this.valueLens[i] = vl));
  }

  /** Forgets the pairs added after the first n (a shared prefix is kept for the next finish()). */
  truncate(n: i32): void {
    for (let i = n; i < this.keys.length; i++) this.dataSize -= unchecked(this.keyLens[i]) + unchecked(this.valueLens[i]) + 2;
    this.keys.length = n;
    this.keyLens.length = n;
    this.values.length = n;
    this.valueLens.length = n;
  }

  finish(): ArrayBuffer {
    const n = this.keys.length;
    const out = new ArrayBuffer(4 + n * 8 + <i32>this.dataSize);
    const base = changetype<usize>(out);
    store<u32>(base, <u32>n);
    let p = base + 4 + <usize>n * 8;
    for (let i = 0; i < n; i++) {
      const kl = unchecked(this.keyLens[i]);
      const vl = unchecked(this.valueLens[i]);
      store<u32>(base + 4 + <usize>i * 8, <u32>kl);
      store<u32>(base + 8 + <usize>i * 8, <u32>vl);
      memory.copy(p, unchecked(this.keys[i]), kl);
      p += kl;
      store<u8>(p, 0);
      p += 1;
      memory.copy(p, unchecked(this.values[i]), vl);
      p += vl;
      store<u8>(p, 0);
      p += 1;
    }
    return out;
  }
}

/** Append-only byte buffer for collecting a request body across chunks. */
export class ByteSink {
  buf: ArrayBuffer;
  length: i32 = 0;

  constructor(initial: i32) {
    this.buf = new ArrayBuffer(initial > 0 ? initial : 256);
  }

  append(src: usize, len: i32): void {
    const need = this.length + len;
    if (need > this.buf.byteLength) {
      let cap = this.buf.byteLength << 1;
      if (cap < need) cap = need;
      const grown = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), <usize>this.length);
      this.buf = grown;
    }
    memory.copy(changetype<usize>(this.buf) + <usize>this.length, src, <usize>len);
    this.length = need;
  }

  ptr(): usize {
    return changetype<usize>(this.buf);
  }
}

/** Parses a non-negative decimal; -1 when absent or malformed. */
export function parseDecimal(p: usize, len: usize): i64 {
  if (len == 0 || len > 18) return -1;
  let n: i64 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <i32>load<u8>(p + i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + <i64>(c - 0x30);
  }
  return n;
}

/** A copy of the byte range [p, p+len). */
export function copyBytes(p: usize, len: usize): ArrayBuffer {
  const out = new ArrayBuffer(<i32>len);
  memory.copy(changetype<usize>(out), p, len);
  return out;
}

/** A copy of the range [p, p+len) of raw (p points into raw). */
export function sliceOf(raw: ArrayBuffer, p: usize, len: usize): ArrayBuffer {
  const start = <i32>(p - changetype<usize>(raw));
  return raw.slice(start, start + <i32>len);
}
