// Query strings (and application/x-www-form-urlencoded bodies, which share the
// syntax): parameters are matched by percent-decoded name; only the values that a
// rule or a detector hits are rewritten, every other byte stays as it was.
import { NameActions } from "./names";
import { ValueRewriter } from "./values";
import { Edit, applyEdits, ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";
import { Tally } from "./tally";

function hexVal(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  if (c >= 0x41 && c <= 0x46) return <i32>c - 0x37;
  if (c >= 0x61 && c <= 0x66) return <i32>c - 0x57;
  return -1;
}

/** Percent-decodes (and '+' as space) into a new buffer; malformed escapes are kept literally. */
export function formDecode(p: usize, len: i32): ArrayBuffer {
  const out = new ArrayBuffer(len);
  const o = changetype<usize>(out);
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x2b) {
      store<u8>(o + <usize>n, 0x20);
    } else if (c == 0x25 && i + 2 < len && hexVal(load<u8>(p + <usize>i + 1)) >= 0 && hexVal(load<u8>(p + <usize>i + 2)) >= 0) {
      store<u8>(o + <usize>n, <u8>((hexVal(load<u8>(p + <usize>i + 1)) << 4) | hexVal(load<u8>(p + <usize>i + 2))));
      i += 2;
    } else {
      store<u8>(o + <usize>n, c);
    }
    n++;
  }
  return n == len ? out : out.slice(0, n);
}

function needsDecoding(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x25 || c == 0x2b) return true;
  }
  return false;
}

const HEX = "0123456789ABCDEF";

/** Percent-encodes everything outside RFC 3986 unreserved characters and '*' / ':' (which masks and tokens use). */
function formEncode(src: ArrayBuffer): ArrayBuffer {
  const p = changetype<usize>(src);
  const len = src.byteLength;
  let size = 0;
  for (let i = 0; i < len; i++) size += keepRaw(load<u8>(p + <usize>i)) ? 1 : 3;
  const out = new ArrayBuffer(size);
  const o = changetype<usize>(out);
  let n: usize = 0;
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (keepRaw(c)) {
      store<u8>(o + n++, c);
    } else {
      store<u8>(o + n++, 0x25);
      store<u8>(o + n++, <u8>HEX.charCodeAt(c >> 4));
      store<u8>(o + n++, <u8>HEX.charCodeAt(c & 15));
    }
  }
  return out;
}

function keepRaw(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e || c == 0x2a || c == 0x3a;
}

export class QueryRedactor {
  private edits: Edit[] = [];
  private findings: Edit[] = [];

  constructor(private names: NameActions, private rewriter: ValueRewriter, private detectors: i32, private detectorHash: bool) {}

  /** True when nothing could ever change, so callers can skip the scan. */
  get inert(): bool {
    return this.names.empty && this.detectors == 0;
  }

  /**
   * Redacts the parameters in [p, p+len). Returns the rewritten bytes, or null
   * when nothing was changed (the caller keeps the original, byte for byte).
   */
  redact(p: usize, len: i32, tally: Tally): ArrayBuffer | null {
    if (this.inert || len == 0) return null;
    const edits = this.edits;
    edits.length = 0;
    let start = 0;
    while (start <= len) {
      let end = start;
      while (end < len && load<u8>(p + <usize>end) != 0x26) end++;
      this.param(p, start, end, len, tally);
      start = end + 1;
    }
    if (edits.length == 0) return null;
    return applyEdits(p, len, edits);
  }

  private param(p: usize, start: i32, end: i32, total: i32, tally: Tally): void {
    if (end == start) return;
    let eq = start;
    while (eq < end && load<u8>(p + <usize>eq) != 0x3d) eq++;
    const nameLen = eq - start;
    let action: u8 = 0;
    if (!this.names.empty) {
      if (needsDecoding(p + <usize>start, nameLen)) {
        const name = formDecode(p + <usize>start, nameLen);
        action = this.names.action(changetype<usize>(name), <usize>name.byteLength);
      } else {
        action = this.names.action(p + <usize>start, <usize>nameLen);
      }
    }
    if (action == ACTION_DROP) {
      // Drop the parameter together with one '&' next to it, so no empty pair is left behind.
      let s = start;
      let e = end;
      if (e < total) e++;
      else if (s > 0 && !this.endsEdit(s - 1)) s--;
      this.edits.push(new Edit(s, e, new ArrayBuffer(0)));
      tally.queryDropped++;
      return;
    }
    if (eq >= end) return; // no value
    const vStart = eq + 1;
    const vLen = end - vStart;
    if (action == ACTION_MASK || action == ACTION_HASH) {
      const value = formDecode(p + <usize>vStart, vLen);
      const vp = changetype<usize>(value);
      const replacement = action == ACTION_HASH
        ? this.rewriter.hashToken(vp, value.byteLength)
        : this.rewriter.maskValue(vp, value.byteLength);
      this.edits.push(new Edit(vStart, end, formEncode(replacement)));
      if (action == ACTION_HASH) tally.queryHashed++;
      else tally.queryMasked++;
      return;
    }
    if (this.detectors == 0 || vLen == 0) return;
    const findings = this.findings;
    findings.length = 0;
    if (!needsDecoding(p + <usize>vStart, vLen)) {
      this.rewriter.scanEdits(p + <usize>vStart, vLen, this.detectors, this.detectorHash, vStart, findings, tally.detectorHits);
      for (let i = 0; i < findings.length; i++) this.edits.push(findings[i]);
      return;
    }
    const value = formDecode(p + <usize>vStart, vLen);
    this.rewriter.scanEdits(changetype<usize>(value), value.byteLength, this.detectors, this.detectorHash, 0, findings, tally.detectorHits);
    if (findings.length == 0) return;
    const rewritten = applyEdits(changetype<usize>(value), value.byteLength, findings);
    this.edits.push(new Edit(vStart, end, formEncode(rewritten)));
  }

  /** Whether the last edit already ends at `pos` (two adjacent drops must not both take the same '&'). */
  private endsEdit(pos: i32): bool {
    const n = this.edits.length;
    return n > 0 && this.edits[n - 1].end > pos;
  }
}
