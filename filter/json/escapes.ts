// Findings in a JSON string that has escapes: the detectors read the decoded
// text (json/strings.ts decode), and each finding is mapped back to the raw
// bytes it came from, so only the hit changes. Escapes outside a hit stay as
// the client wrote them (`\/` from PHP, `\u00eb` from .NET); inside a hit, an
// escaped character the mask leaves as it was keeps its escape, one the mask
// changes is written as its masked form (`\u0034` in a card becomes `0`). The
// result is valid JSON and decodes to the masked value. A hash replaces the
// hit's raw range with the token of the decoded hit.
import { Edit, edit } from "../redact/edits";
import { Finding } from "../redact/detectors";
import { ValueRewriter } from "../redact/values";
import { at, hex4 } from "./lexer";

const NOTHING = new ArrayBuffer(0);

/** One unit of raw string content at i: (raw bytes << 4) | decoded bytes, as decode() reads it. */
function unit(p: usize, i: i32, ce: i32): i32 {
  const c = at(p, i);
  if (c != 0x5c) {
    if (c < 0x80) return (1 << 4) | 1;
    const n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4; // validated UTF-8: one code point, kept whole
    return (n << 4) | n;
  }
  if (at(p, i + 1) != 0x75) return (2 << 4) | 1;
  const cp = hex4(p + <usize>(i + 2));
  if (cp >= 0xd800 && cp < 0xdc00 && i + 12 <= ce && at(p, i + 6) == 0x5c && at(p, i + 7) == 0x75) {
    const lo = hex4(p + <usize>(i + 8));
    if (lo >= 0xdc00 && lo < 0xe000) return (12 << 4) | 4;
  }
  if (cp >= 0xd800 && cp < 0xe000) return (6 << 4) | 3; // U+FFFD
  return (6 << 4) | (cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3);
}

/** Bytes that writing decoded byte c into a JSON string takes (see put). */
// @ts-ignore: decorator
@inline
function putSize(c: i32): i32 {
  return c == 0x22 || c == 0x5c ? 2 : c < 0x20 ? 6 : 1;
}

/** Writes masked byte c at o: escaped as JSON requires; a non-ASCII byte a mask changed becomes '*' (never half a sequence). */
function put(o: usize, c: i32): i32 {
  if (c >= 0x80) c = 0x2a;
  if (c == 0x22 || c == 0x5c) {
    store<u8>(o, 0x5c);
    store<u8>(o + 1, <u8>c);
    return 2;
  }
  if (c < 0x20) {
    store<u32>(o, 0x3030755c); // "\u00"
    store<u8>(o + 4, <u8>(0x30 + (c >> 4)));
    const lo = c & 15;
    store<u8>(o + 5, <u8>(lo < 10 ? 0x30 + lo : 0x57 + lo));
    return 6;
  }
  store<u8>(o, <u8>c);
  return 1;
}

/**
 * Edits for findings (sorted, over the decoded text at `decoded`) of the raw
 * string content [cs, ce); counts[bit] per finding. Linear in the content.
 */
export function escapedEdits(
  p: usize, cs: i32, ce: i32, decoded: usize, findings: Finding[], hash: bool,
  rewriter: ValueRewriter, out: Edit[], counts: StaticArray<u32>,
): void {
  let i = cs;
  let d = 0;
  for (let fi = 0; fi < findings.length; fi++) {
    const f = unchecked(findings[fi]);
    const bit = ctz<i32>(f.detector);
    if (bit < counts.length) unchecked((counts[bit] += 1));
    // The unit holding the finding's first decoded byte (a finding never starts inside one; if it did, the unit goes whole).
    while (i < ce) {
      const u = unit(p, i, ce);
      if (d + (u & 15) > f.start) break;
      i += u >> 4;
      d += u & 15;
    }
    if (i >= ce) break;
    const rs = i;
    const ds = d;
    while (i < ce && d < f.end) {
      const u = unit(p, i, ce);
      i += u >> 4;
      d += u & 15;
    }
    const re = i;
    const de = d;
    if (hash) {
      out.push(edit(rs, re, rewriter.hashFinding(decoded, new Finding(ds, de, f.detector, f.encoded, f.inner))));
      continue;
    }
    // The masked decoded bytes [ds, de): the finding's mask, '*' over any part of a unit outside it.
    const masked = rewriter.maskFinding(decoded, new Finding(ds, de, f.detector, f.encoded, f.inner));
    const m = changetype<usize>(masked);
    for (let k = ds; k < f.start; k++) store<u8>(m + <usize>(k - ds), 0x2a);
    for (let k = f.end; k < de; k++) store<u8>(m + <usize>(k - ds), 0x2a);
    if (f.start > ds || f.end < de) {
      const inner = rewriter.maskFinding(decoded, f);
      memory.copy(m + <usize>(f.start - ds), changetype<usize>(inner), <usize>inner.byteLength);
    }
    // Two passes over the hit's units: the size, then the bytes.
    let size = 0;
    for (let pass = 0; pass < 2; pass++) {
      const buf = pass == 0 ? NOTHING : new ArrayBuffer(size);
      const o = changetype<usize>(buf);
      let w = 0;
      let ri = rs;
      let di = ds;
      while (ri < re) {
        const u = unit(p, ri, ce);
        const rl = u >> 4;
        const dl = u & 15;
        const same = memory.compare(m + <usize>(di - ds), decoded + <usize>di, <usize>dl) == 0;
        if (same) {
          if (pass == 1) memory.copy(o + <usize>w, p + <usize>ri, <usize>rl);
          w += rl;
        } else {
          for (let k = 0; k < dl; k++) {
            const c = <i32>load<u8>(m + <usize>(di - ds + k));
            w += pass == 1 ? put(o + <usize>w, c) : putSize(c >= 0x80 ? 0x2a : c);
          }
        }
        ri += rl;
        di += dl;
      }
      if (pass == 0) size = w;
      else out.push(edit(rs, re, buf));
    }
  }
}
