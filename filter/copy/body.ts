// The body of a copy in progress, in memory the filter allocates and frees
// itself (not collected garbage): it grows in place where it can (realloc) and
// is freed the moment the copy is sent or dropped. A body arriving in many
// chunks on many streams at once (HTTP/2) therefore leaves no trail of
// outgrown buffers, and what the VM holds is what the buffer budget counts
// (limits.max_buffered_bytes: the capacity, not just the bytes).
export class BodyBuffer {
  ptr: usize = 0;
  length: i32 = 0;
  capacity: i32 = 0;

  /**
   * The capacity after appending len bytes, growing by doubling while that fits
   * in room (what the budget has left), else by just what is needed. The caller
   * checks the growth against the budget before appending.
   */
  capacityFor(len: i32, room: u64): i32 {
    const need = this.length + len;
    if (need <= this.capacity) return this.capacity;
    let cap = this.capacity << 1;
    if (cap < need) cap = need;
    if (<u64>(cap - this.capacity) > room) cap = need;
    return cap;
  }

  /** Appends [p, p+len) with the capacity capacityFor(len, room) gave. */
  append(p: usize, len: i32, cap: i32): void {
    if (cap != this.capacity) {
      this.ptr = this.ptr == 0 ? heap.alloc(<usize>cap) : heap.realloc(this.ptr, <usize>cap);
      this.capacity = cap;
    }
    memory.copy(this.ptr + <usize>this.length, p, <usize>len);
    this.length += len;
  }

  /** Frees the memory; the buffer is empty afterwards (and may be used again). */
  free(): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
    this.length = 0;
    this.capacity = 0;
  }
}
