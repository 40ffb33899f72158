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

/** Edits of ended scans, for edit() to reuse: allocation is a large share of a dense body's redaction (#15). */
const SPARE: Edit[] = [];
/** At most this many are kept: a body's findings are bounded (policy/defaults.ts MAX_BODY_FINDINGS). */
const SPARE_MAX: i32 = 4096;
const NO_BYTES = new ArrayBuffer(0);

/** An Edit, reused from an ended scan when one is spare. */
export function edit(start: i32, end: i32, replacement: ArrayBuffer): Edit {
  if (SPARE.length == 0) return new Edit(start, end, replacement);
  const e = SPARE.pop();
  e.start = start;
  e.end = end;
  e.replacement = replacement;
  return e;
}

/**
 * Truncates `edits` to `from`, keeping the Edits past it for edit(). Only for a
 * list whose Edits nothing else refers to (each Edit is in one list, once).
 */
export function recycleEdits(edits: Edit[], from: i32 = 0): void {
  for (let i = from; i < edits.length && SPARE.length < SPARE_MAX; i++) {
    const e = unchecked(edits[i]);
    e.replacement = NO_BYTES; // its bytes are not kept alive by the spare
    SPARE.push(e);
  }
  edits.length = from;
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
