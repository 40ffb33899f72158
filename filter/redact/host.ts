// Host names (the copy's :authority, the host of URL-valued headers): the
// detectors scan the labels, and a hit is rewritten with host characters only
// (letters, digits, '-' and the dots it had), so the name still parses and the
// shadow's routing still reads it: a card's digits stay digits (Luhn-valid, the
// last four kept), '*' becomes 'x'; with detector_action "hash" a hit becomes
// the token's 32 hex digits (one label). Nothing is allocated unless a hit is found.
import { ValueRewriter } from "./values";
import { Edit, applyEdits } from "./edits";
import { Tally } from "./tally";

// @ts-ignore: decorator
@inline
function isHostChar(c: u8): bool {
  return <u32>(c - 0x30) < 10 || <u32>((c | 0x20) - 0x61) < 26 || c == 0x2d || c == 0x2e;
}

export class HostRedactor {
  private edits: Edit[] = [];

  constructor(private rewriter: ValueRewriter, private detectors: i32, private detectorHash: bool) {}

  /** The host [p, p+len) (no port) with detector hits rewritten, or null when there are none. */
  redact(p: usize, len: i32, tally: Tally): ArrayBuffer | null {
    if (this.detectors == 0 || len == 0) return null;
    const edits = this.edits;
    edits.length = 0;
    this.rewriter.scanEdits(p, len, this.detectors, false, 0, edits, tally.detectorHits);
    if (edits.length == 0) return null;
    for (let k = 0; k < edits.length; k++) {
      const e = unchecked(edits[k]);
      if (this.detectorHash) {
        const token = this.rewriter.hashToken(p + <usize>e.start, e.end - e.start);
        e.replacement = token.slice(5); // the hex digits, without "hmac:"
        continue;
      }
      const r = changetype<usize>(e.replacement);
      const n = <usize>e.replacement.byteLength;
      for (let i: usize = 0; i < n; i++) if (!isHostChar(load<u8>(r + i))) store<u8>(r + i, 0x78);
    }
    const out = applyEdits(p, len, edits);
    edits.length = 0;
    return out;
  }
}
