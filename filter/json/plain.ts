// The scanner's fast path for the common string (json/scanner.ts): no escape,
// no control byte, closed within SHORT bytes of content and within the slice.
// One pass validates it and classifies its bytes for the detectors' prefilter
// (redact/prefilter.ts classify), so a short string is read once, not twice.
// Anything else returns -1 and goes to the full reader (json/strings.ts), which
// also reports the errors: this path only ever accepts what that one accepts.
import { utf8Seq } from "./lexer";
import { CLASS_TABLE } from "../redact/prefilter";
import { SHORT } from "./detect";

/** What plainString read last: the content's classify() bits and its ASCII digits. */
export let plainClass: u32 = 0;
export let plainDigits: i32 = 0;

/** Bit 32 of a SCAN entry: the byte ends the fast path's run ('"', '\\', a control byte, >= 0x80). */
const STOP: u64 = (<u64>1) << 32;
const SCAN: usize = buildScan();

function buildScan(): usize {
  const t = memory.data(256 * 8);
  for (let c = 0; c < 256; c++) {
    let k = <u64>load<u32>(CLASS_TABLE + (<usize>c << 2));
    if (c == 0x22 || c == 0x5c || c < 0x20 || c >= 0x80) k |= STOP;
    store<u64>(t + (<usize>c << 3), k);
  }
  return t;
}

/**
 * The end (past the closing quote) of the string whose quote is at s, when it
 * has no escape or control byte and closes before `stop` (the slice's limit)
 * with at most SHORT bytes of well-formed UTF-8 content; -1 otherwise. Sets
 * plainClass and plainDigits for the content.
 */
// @ts-ignore: decorator
@inline
export function plainString(p: usize, len: i32, s: i32, stop: i32): i32 {
  let i = s + 1;
  const cap = s + 2 + SHORT;
  const limit = stop < cap ? stop : cap;
  let acc: u32 = 0;
  let digits: u32 = 0;
  let end = -1;
  while (i < limit) {
    const c = <usize>load<u8>(p + <usize>i);
    const k = load<u64>(SCAN + (c << 3));
    if (k < STOP) {
      acc |= <u32>k;
      digits += <u32>k >> 31;
      i++;
      continue;
    }
    if (c == 0x22) {
      end = i + 1;
      break;
    }
    if (c < 0x80) break;
    const n = utf8Seq(p, len, i);
    if (n == 0) break;
    for (let j = 0; j < n; j++) acc |= <u32>load<u64>(SCAN + (<usize>load<u8>(p + <usize>(i + j)) << 3));
    i += n;
  }
  plainClass = acc;
  plainDigits = <i32>digits;
  return end;
}
