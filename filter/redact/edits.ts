// Redaction works by edits: byte ranges of the original and their replacements.
// Everything outside an edit is copied through untouched, so a redacted copy is
// byte-identical to the original except where something sensitive was found.

export const ACTION_MASK: u8 = 1;
export const ACTION_HASH: u8 = 2;
export const ACTION_DROP: u8 = 3;

export class Edit {
  constructor(
    /** First byte replaced (offset into the scanned buffer). */
    public start: i32,
    /** One past the last byte replaced. */
    public end: i32,
    public replacement: ArrayBuffer,
  ) {}
}

/** Applies sorted, non-overlapping edits to [src, src+len). Returns a new buffer. */
export function applyEdits(src: usize, len: i32, edits: Edit[]): ArrayBuffer {
  let size = len;
  for (let i = 0; i < edits.length; i++) {
    const e = unchecked(edits[i]);
    size += e.replacement.byteLength - (e.end - e.start);
  }
  // Every byte of it is written below: no zero-filling first (a body is up to max_body_bytes).
  const out = changetype<ArrayBuffer>(__new(<usize>size, idof<ArrayBuffer>()));
  const o = changetype<usize>(out);
  let from = 0;
  let to: usize = 0;
  for (let i = 0; i < edits.length; i++) {
    const e = unchecked(edits[i]);
    const keep = e.start - from;
    memory.copy(o + to, src + <usize>from, <usize>keep);
    to += <usize>keep;
    const r = e.replacement.byteLength;
    memory.copy(o + to, changetype<usize>(e.replacement), <usize>r);
    to += <usize>r;
    from = e.end;
  }
  memory.copy(o + to, src + <usize>from, <usize>(len - from));
  return out;
}
