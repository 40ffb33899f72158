// A form or query value read two ways (redact/query.ts): with '+' as a space, as
// the form decoders of the shadow's framework read it (a label needs that:
// "ssn%3A+536+22+8147"), and with a '+' before a digit at the value's start or
// after a space kept (redact/percent.ts formPlusReading), where it is more
// likely an E.164 number's own (encodeURI writes "+1%20415%20555%202671"; as a
// space, " 1 415 555 2671" is a bare number no detector takes). Both readings
// have one byte per unit of the raw value, so their findings share offsets;
// this joins them.
import { Finding, ENCODED_WIDE, ENCODED_PLUS } from "./detectors";
import { isAlnum } from "./formats";

/**
 * Joins the findings of the two readings (`plussed` over p), both sorted and not
 * overlapping: `spaced` keeps what only it found, `plussed` what only it found.
 * A finding of `plussed` inside one of `spaced`, or holding findings of `spaced`
 * and nothing else but punctuation (its '+'), is the same value and goes, so
 * what the form reading found is redacted as before; one that
 * overlaps findings of `spaced` otherwise replaces them, widened over any it
 * does not hold (every letter and digit masked: ENCODED_WIDE), so no byte
 * either found stays. Linear in the findings.
 */
export function joinReadings(spaced: Finding[], plussed: Finding[], p: usize): void {
  if (plussed.length == 0) return;
  let i = 0;
  let ws = 0;
  let wp = 0;
  for (let k = 0; k < plussed.length; k++) {
    const b = unchecked(plussed[k]);
    while (i < spaced.length && unchecked(spaced[i]).end <= b.start) unchecked((spaced[ws++] = unchecked(spaced[i++])));
    // Only the first finding of `spaced` that ends after b starts can hold it.
    if (i < spaced.length) {
      const f = unchecked(spaced[i]);
      if (f.start <= b.start && f.end >= b.end) continue;
    }
    // Findings of `spaced` that leave of b only what no one is named by (its '+', a separator)
    // are the same value, read as the form decoder reads it: they stay, b goes.
    if (i < spaced.length && unchecked(spaced[i]).start < b.end && onlyPunctuationOutside(p, b, spaced, i)) continue;
    while (i < spaced.length && unchecked(spaced[i]).start < b.end) {
      const f = unchecked(spaced[i++]);
      if (f.start < b.start || f.end > b.end) {
        if (f.start < b.start) b.start = f.start;
        if (f.end > b.end) b.end = f.end;
        b.encoded = ENCODED_WIDE | (b.encoded & ENCODED_PLUS);
      }
    }
    // A widened one may now reach into the next: they go as one, widened.
    if (wp > 0 && unchecked(plussed[wp - 1]).end > b.start) {
      const prev = unchecked(plussed[wp - 1]);
      if (b.end > prev.end) prev.end = b.end;
      prev.encoded = ENCODED_WIDE | (prev.encoded & ENCODED_PLUS);
      continue;
    }
    unchecked((plussed[wp++] = b));
  }
  while (i < spaced.length) unchecked((spaced[ws++] = unchecked(spaced[i++])));
  spaced.length = ws;
  plussed.length = wp;
}

/** Whether the bytes of b (over p) outside the findings spaced[i..] it overlaps hold no letter or digit. */
function onlyPunctuationOutside(p: usize, b: Finding, spaced: Finding[], i: i32): bool {
  let at = b.start;
  for (let k = i; k < spaced.length; k++) {
    const f = unchecked(spaced[k]);
    if (f.start >= b.end) break;
    if (f.start < b.start || f.end > b.end) return false;
    if (!punctuation(p, at, f.start)) return false;
    at = f.end;
  }
  return punctuation(p, at, b.end);
}

/** Whether [p+s, p+e) holds no ASCII letter or digit. */
function punctuation(p: usize, s: i32, e: i32): bool {
  for (let k = s; k < e; k++) if (isAlnum(<i32>load<u8>(p + <usize>k))) return false;
  return true;
}
