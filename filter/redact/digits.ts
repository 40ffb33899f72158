// The detectors over an integer's decimal digits, shared by the JSON scanner's
// numbers (json/detect.ts) and protobuf integers (proto/numbers.ts): the hits
// counted per detector, and the digits masked so that the value stays an
// integer of the same digit count without a leading zero (a card's mask
// Luhn-valid).
import { Finding, scanText, DETECTOR_CARD } from "./detectors";
import { ValueRewriter } from "./values";

function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

/** [p, p+len) is n digits without a leading zero (one zero alone is a number). */
function integerText(p: usize, len: i32, n: i32): bool {
  if (len != n) return false;
  for (let k = 0; k < len; k++) if (!isDigit(load<u8>(p + <usize>k))) return false;
  return n == 1 || load<u8>(p) != 0x30;
}

/**
 * Runs the `enabled` detectors over the n digits at `digits` (a scratch buffer
 * the caller owns; findings is scratch too). No hit: 0. Else hits[bit] counts
 * each finding and the result points at the masked digits, n of them: the
 * rewriter's, or (a rewriter whose output is not such an integer) the leading
 * digit and zeros, written over `digits`.
 */
export function maskedDigits(digits: usize, n: i32, enabled: i32, findings: Finding[], rewriter: ValueRewriter, hits: StaticArray<u32>): usize {
  findings.length = 0;
  if (scanText(digits, n, enabled, findings) == 0) return 0;
  let card = false;
  for (let i = 0; i < findings.length; i++) {
    const d = unchecked(findings[i]).detector;
    if (d == DETECTOR_CARD) card = true;
    const bit = ctz<i32>(d);
    if (bit < hits.length) unchecked((hits[bit] += 1));
  }
  // The whole value goes (a finding in a run of digits spans it anyway).
  const masked = card ? rewriter.maskFinding(digits, new Finding(0, n, DETECTOR_CARD)) : rewriter.maskShape(digits, n, true);
  const mp = changetype<usize>(masked);
  if (integerText(mp, masked.byteLength, n)) return mp;
  memory.fill(digits + 1, 0x30, <usize>(n - 1));
  return digits;
}
