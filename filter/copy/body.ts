// The body of a copy in progress, in memory the filter allocates and frees
// itself (not collected garbage): it grows in place where it can (realloc) and
// is freed the moment the copy is sent or dropped. A body arriving in many
// chunks on many streams at once (HTTP/2) therefore leaves no trail of
// outgrown buffers, and what the VM holds is what the buffer budget counts
// (limits.max_buffered_bytes: the capacity, not just the bytes).
//
// A body that arrives whole in one chunk and goes (or is dropped) within that
// callback is not copied at all: the buffer borrows the chunk the host handed
// over (capacity 0, nothing held across callbacks, nothing to free), and the
// call takes the bytes from there. own() makes it a buffer of its own when the
// copy must outlive the callback (it waits in the redaction queue).
export class BodyBuffer {
  ptr: usize = 0;
  length: i32 = 0;
  capacity: i32 = 0;
  /** The host's chunk this buffer points into (borrow()), kept referenced while it does. */
  private borrowed: ArrayBuffer | null = null;

  /** Points at the whole body in the host's chunk (the buffer must be empty). */
  borrow(chunk: ArrayBuffer): void {
    this.borrowed = chunk;
    this.ptr = changetype<usize>(chunk);
    this.length = chunk.byteLength;
    this.capacity = 0;
  }

  get isBorrowed(): bool {
    return this.borrowed != null;
  }

  /** A borrowed body copied into memory of its own (capacity = length); returns the capacity now held. */
  own(): i32 {
    if (this.borrowed == null) return 0;
    const len = this.length;
    const p = heap.alloc(<usize>len);
    memory.copy(p, this.ptr, <usize>len);
    this.borrowed = null;
    this.ptr = p;
    this.capacity = len;
    return len;
  }

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
    if (this.borrowed != null) this.borrowed = null;
    else if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
    this.length = 0;
    this.capacity = 0;
  }
}
