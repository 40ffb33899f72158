// The percent-decoded view of a text the detectors read (a JSON string, a text
// body, a gRPC string field): a URL's query written there keeps its values encoded
// ("?to=%2B14155552671", "pan=4556%207375%208689%209855", "pan=4556+7375+...",
// "e=bob%40example%2Eorg"), which the raw scan cannot read, while the shadow,
// which decodes the URL it stores, can. The view is scanned too (redact/detect-run.ts),
// and its findings whose bytes are spelled differently in the raw text are mapped
// back to raw offsets and marked encoded: their replacement is made from the
// decoded bytes and written back in the raw spelling (redact/values.ts), every
// byte around them as the client wrote it. Query values and form bodies are
// decoded by their own redactors (redact/query.ts) and do not use the view.
import { Finding, ENCODED_YES, ENCODED_WIDE } from "./detectors";
import { escapeAt, formDecode, DecodedOffsets } from "../util/form";

/** Whether [p, p+len) has a well-formed percent escape or a '+' (a space in a query): only then is a view worth decoding. */
export function mayBeEncoded(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x2b || (c == 0x25 && escapeAt(p, <usize>i, <usize>len) >= 0)) return true;
  }
  return false;
}

/** The decoded view of [p, p+len) (escapes and '+' as a space, as a query's values are decoded). */
export function decodedView(p: usize, len: i32): ArrayBuffer {
  return formDecode(p, len);
}

/** Whether the raw bytes [p+s, p+e) spell their decoded bytes as they are (no escape, no '+'). */
function plain(p: usize, s: i32, e: i32): bool {
  for (let i = s; i < e; i++) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x2b || c == 0x25) return false;
  }
  return true;
}

const OFFSETS = new DecodedOffsets();
const MERGED: Finding[] = [];

/**
 * Adds to `raw` (findings of [p, p+len), sorted, not overlapping, from index
 * `base` on) the findings `decoded` of its view, in raw offsets: those spelled
 * as they are in the raw text are the raw scan's to find and are left out, and
 * so are those inside a raw finding of the same detector; one that overlaps
 * raw findings otherwise is widened over them (ENCODED_WIDE), so no byte either
 * found stays. `decoded` is consumed (its objects move into `raw`).
 */
export function mergeDecoded(p: usize, len: i32, raw: Finding[], base: i32, decoded: Finding[]): void {
  if (decoded.length == 0) return;
  const offsets = OFFSETS;
  offsets.reset();
  const out = MERGED;
  out.length = 0;
  let r = base;
  for (let i = 0; i < decoded.length; i++) {
    const d = unchecked(decoded[i]);
    const rs = offsets.raw(p, len, d.start);
    const re = offsets.raw(p, len, d.end);
    if (plain(p, rs, re)) continue;
    d.start = rs;
    d.end = re;
    d.encoded = ENCODED_YES;
    // Raw findings wholly before this one go first.
    while (r < raw.length && unchecked(raw[r]).end <= rs) out.push(unchecked(raw[r++]));
    // The raw findings it overlaps: one of the same detector that holds all of its bytes
    // is the same value, read where the raw scan reads escapes itself (an e-mail's "%40"),
    // and stays; one of the same detector it holds is replaced; any other overlap widens
    // it over them (ENCODED_WIDE), so no byte either found stays.
    let k = r;
    let covered = false;
    let holds = true;
    while (k < raw.length && unchecked(raw[k]).start < re) {
      const f = unchecked(raw[k++]);
      if (f.detector == d.detector && f.start <= rs && f.end >= re) covered = true;
      if (f.detector != d.detector || f.start < rs || f.end > re) holds = false;
    }
    if (covered && k - r == 1) continue;
    while (r < k) {
      const f = unchecked(raw[r++]);
      if (f.start < d.start) d.start = f.start;
      if (f.end > d.end) d.end = f.end;
      if (!holds) d.encoded = ENCODED_WIDE;
    }
    // A widened finding may now reach the previous one (itself widened): join them.
    if (out.length > 0 && unchecked(out[out.length - 1]).end > d.start) {
      const prev = unchecked(out[out.length - 1]);
      if (d.end > prev.end) prev.end = d.end;
      prev.encoded = ENCODED_WIDE;
      continue;
    }
    out.push(d);
  }
  while (r < raw.length) out.push(unchecked(raw[r++]));
  raw.length = base;
  for (let i = 0; i < out.length; i++) raw.push(unchecked(out[i]));
  out.length = 0;
  decoded.length = 0;
}
