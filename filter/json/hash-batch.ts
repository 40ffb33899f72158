// The hash rule's string values, hashed four at a time (util/sha256.ts
// macInto4: one value per Wasm SIMD lane). The scanner (json/scanner.ts) gets
// each value's token buffer at once, for its edit, and the batch writes the
// token into it when four values are waiting or the scan is over, before
// anything reads the edits. A value longer than one block's worth is hashed
// at once, as before.
import { ValueRewriter, QUOTED_TOKEN } from "../redact/values";
import { SHORT_MAC } from "../util/sha256";

export class HashBatch {
  /** The waiting values, 64 bytes apart (copied: a value may be decoded text in a scratch the scan reuses). */
  private values: ArrayBuffer = new ArrayBuffer(4 * 64);
  private lens: StaticArray<i32> = new StaticArray<i32>(4);
  /** The buffers their edits hold, kept alive here until written. */
  private outs: StaticArray<ArrayBuffer | null> = new StaticArray<ArrayBuffer | null>(4);
  private pending: i32 = 0;

  /** The quoted hash token of [vp, vp+vl) (ValueRewriter.hashTokenQuoted): written now, or by write() at the latest. */
  token(vp: usize, vl: i32, rewriter: ValueRewriter): ArrayBuffer {
    if (vl > SHORT_MAC) return rewriter.hashTokenQuoted(vp, vl);
    const out = new ArrayBuffer(QUOTED_TOKEN);
    const i = this.pending;
    memory.copy(changetype<usize>(this.values) + (<usize>i << 6), vp, <usize>vl);
    unchecked((this.lens[i] = vl));
    unchecked((this.outs[i] = out));
    this.pending = i + 1;
    if (i + 1 == 4) this.write(rewriter);
    return out;
  }

  /** Writes the waiting tokens: four at once, fewer one by one. */
  write(rewriter: ValueRewriter): void {
    const n = this.pending;
    if (n == 0) return;
    const values = changetype<usize>(this.values);
    if (n == 4) rewriter.hashTokensQuoted4(values, this.lens, this.outs);
    else for (let i = 0; i < n; i++) rewriter.hashTokenQuotedInto(values + (<usize>i << 6), unchecked(this.lens[i]), unchecked(this.outs[i])!);
    this.forget();
  }

  /** Drops the waiting values (their edits are gone: a new scan, or a failed one). */
  forget(): void {
    for (let i = 0; i < 4; i++) unchecked((this.outs[i] = null));
    this.pending = 0;
  }
}
