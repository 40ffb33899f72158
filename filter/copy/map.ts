// A header map written straight in the proxy-wasm serialized form (u32 count;
// count x (u32 key length, u32 value length); key\0value\0 ...), for the copy's
// headers (copy/builder.ts). Pairs go into two buffers the writer owns and
// reuses from request to request (the sizes and the bytes), so adding a pair is
// two stores and two copies, and nothing is allocated but the finished map.
// A prefix of pairs can be kept for the next map (mark/truncate), and one pair
// of that prefix can have its value replaced in the finished map (the copy's
// :authority, which differs per shadow).

export class MapWriter {
  private sizes: usize = 0; // u32 pairs
  private sizesCap: usize = 0;
  private data: usize = 0;
  private dataLen: usize = 0;
  private dataCap: usize = 0;
  private n: i32 = 0;

  get length(): i32 {
    return this.n;
  }

  /** Bytes of key\0value\0 data written so far. */
  get dataLength(): usize {
    return this.dataLen;
  }

  reset(): void {
    this.n = 0;
    this.dataLen = 0;
  }

  /** Forgets the pairs after the first n, whose data ended at dataLength (as both read when they were the last). */
  truncate(n: i32, dataLength: usize): void {
    this.n = n;
    this.dataLen = dataLength;
  }

  add(kp: usize, kl: usize, vp: usize, vl: usize): void {
    const i = <usize>this.n;
    if ((i + 1) * 8 > this.sizesCap) this.growSizes();
    store<u32>(this.sizes + i * 8, <u32>kl);
    store<u32>(this.sizes + i * 8 + 4, <u32>vl);
    const need = this.dataLen + kl + vl + 2;
    if (need > this.dataCap) this.growData(need);
    let p = this.data + this.dataLen;
    memory.copy(p, kp, kl);
    p += kl;
    store<u8>(p, 0);
    memory.copy(p + 1, vp, vl);
    store<u8>(p + 1 + vl, 0);
    this.dataLen = need;
    this.n = <i32>i + 1;
  }

  /** A pair whose value is [vp, vp+vl) with `insert` inserted after its first `at` bytes. */
  addInserted(kp: usize, kl: usize, vp: usize, vl: usize, at: usize, insert: ArrayBuffer): void {
    const il = <usize>insert.byteLength;
    const i = <usize>this.n;
    if ((i + 1) * 8 > this.sizesCap) this.growSizes();
    store<u32>(this.sizes + i * 8, <u32>kl);
    store<u32>(this.sizes + i * 8 + 4, <u32>(vl + il));
    const need = this.dataLen + kl + vl + il + 2;
    if (need > this.dataCap) this.growData(need);
    let p = this.data + this.dataLen;
    memory.copy(p, kp, kl);
    p += kl;
    store<u8>(p, 0);
    p++;
    memory.copy(p, vp, at);
    memory.copy(p + at, changetype<usize>(insert), il);
    memory.copy(p + at + il, vp + at, vl - at);
    store<u8>(p + vl + il, 0);
    this.dataLen = need;
    this.n = <i32>i + 1;
  }

  addBuffers(key: ArrayBuffer, value: ArrayBuffer): void {
    this.add(changetype<usize>(key), <usize>key.byteLength, changetype<usize>(value), <usize>value.byteLength);
  }

  private growSizes(): void {
    const cap = this.sizesCap == 0 ? <usize>256 : this.sizesCap << 1;
    this.sizes = this.sizes == 0 ? heap.alloc(cap) : heap.realloc(this.sizes, cap);
    this.sizesCap = cap;
  }

  private growData(need: usize): void {
    let cap = this.dataCap == 0 ? <usize>2048 : this.dataCap << 1;
    while (cap < need) cap <<= 1;
    this.data = this.data == 0 ? heap.alloc(cap) : heap.realloc(this.data, cap);
    this.dataCap = cap;
  }

  /**
   * The map as one buffer. With at >= 0, pair `at` (whose data starts at byte
   * `atData`) carries the value [vp, vp+vl) instead of the one written.
   */
  finish(at: i32, atData: usize, vp: usize, vl: usize): ArrayBuffer {
    const n = <usize>this.n;
    const head: usize = 4 + n * 8;
    if (at < 0) {
      const out = new ArrayBuffer(<i32>(head + this.dataLen));
      const o = changetype<usize>(out);
      store<u32>(o, <u32>n);
      memory.copy(o + 4, this.sizes, n * 8);
      memory.copy(o + head, this.data, this.dataLen);
      return out;
    }
    const kl = <usize>load<u32>(this.sizes + <usize>at * 8);
    const old = <usize>load<u32>(this.sizes + <usize>at * 8 + 4);
    const out = new ArrayBuffer(<i32>(head + this.dataLen - old + vl));
    const o = changetype<usize>(out);
    store<u32>(o, <u32>n);
    memory.copy(o + 4, this.sizes, n * 8);
    store<u32>(o + 4 + <usize>at * 8 + 4, <u32>vl);
    // The data before the value (its key and \0), the new value, then the rest from the old value's \0 on.
    const before = atData + kl + 1;
    memory.copy(o + head, this.data, before);
    memory.copy(o + head + before, vp, vl);
    const rest = before + old;
    memory.copy(o + head + before + vl, this.data + rest, this.dataLen - rest);
    return out;
  }
}
