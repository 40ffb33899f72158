// The protobuf wire format's integers: varints read and written in place, and
// the size a varint takes. A reader never reads past its end.

/** Where readVarint left its result: the value and the offset after it (-1: truncated or longer than 10 bytes). */
export class Varint {
  value: u64 = 0;
  next: i32 = -1;
}

/** Reads the varint at p + at (the buffer ends at p + end) into out; false when it does not fit. */
export function readVarint(p: usize, at: i32, end: i32, out: Varint): bool {
  let v: u64 = 0;
  let shift: u64 = 0;
  let i = at;
  while (i < end && shift < 70) {
    const b = <u64>load<u8>(p + <usize>i);
    i++;
    // The tenth byte holds only the top bit of a u64.
    if (shift == 63 && b > 1) break;
    v |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      out.value = v;
      out.next = i;
      return true;
    }
    shift += 7;
  }
  out.next = -1;
  return false;
}

/** How many bytes the varint of v takes. */
export function varintSize(v: u64): i32 {
  let n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/** Writes the varint of v at p; returns the bytes written. */
export function writeVarint(p: usize, v: u64): i32 {
  let n = 0;
  while (v >= 0x80) {
    store<u8>(p + <usize>n, <u8>((v & 0x7f) | 0x80));
    v >>= 7;
    n++;
  }
  store<u8>(p + <usize>n, <u8>v);
  return n + 1;
}
