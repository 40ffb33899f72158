// What the JSON scanner (json/scanner.ts) does to a string or number no rule
// rewrote: the detectors over it (member names too), resumable in slices, each
// hit masked or hashed in place; and the allow-list mode's (redact.keep) shape
// mask of a value not kept. Every replacement keeps the document valid JSON.
import { Edit, edit, recycleEdits } from "../redact/edits";
import { ValueRewriter } from "../redact/values";
import { Finding, scanText, labelBits, DETECTOR_CARD, DETECTOR_SSN, DETECTOR_PHONE, ENCODED_NO } from "../redact/detectors";
import { bareCard, NOT_BARE } from "../redact/digit-string";
import { maskedDigits } from "../redact/digits";
import { DetectRun } from "../redact/detect-run";
import { WORK } from "../redact/work";
import { at, quoted, utf8Seq } from "./lexer";
import { JsonStrings } from "./strings";
import { escapedEdits } from "./escapes";
import { integerDigits, maskedNumber, isJsonNumber, VALUE_DIGITS } from "./numbers";
import { classify, candidates, detectorsIn, digitCount, LETTERS } from "../redact/prefilter";

/** string(): the slice ran out (call again with the same s); the findings overflowed. */
export const DETECT_SUSPENDED: i32 = 0;
export const DETECT_DONE: i32 = 1;
export const DETECT_OVERFLOW: i32 = -1;

const ZERO: ArrayBuffer = String.UTF8.encode("0");

export class JsonDetect {
  /** The detectors over the string being scanned (resumable). */
  private run: DetectRun = new DetectRun();
  /** Where the scan in progress began (the string's quote), or -1. */
  private runAt: i32 = -1;
  private runDecoded: i32 = 0;
  private numberFindings: Finding[] = [];
  /** The one finding of a string of digits that is a card (redact/digit-string.ts). */
  private bare: Finding[] = [new Finding()];

  /** A new document or body: no scan in progress. */
  forget(): void {
    this.runAt = -1;
  }

  /**
   * Detectors over the string token [s, e) (a value or a member name); DETECT_*.
   * `escaped`: the content has escapes, so the scan reads it decoded into the
   * strings' scratch, which must hold it until the scan is done.
   */
  string(p: usize, s: i32, e: i32, escaped: bool, enabled: i32, hash: bool, strings: JsonStrings, rewriter: ValueRewriter, edits: Edit[], hits: StaticArray<u32>): i32 {
    const cs = s + 1;
    const ce = e - 1;
    if (ce <= cs) return DETECT_DONE;
    const run = this.run;
    if (!escaped && this.runAt != s) {
      const bare = bareCard(p + <usize>cs, ce - cs, enabled);
      if (bare != NOT_BARE) {
        WORK.spend(ce - cs);
        if (bare < 0) return DETECT_DONE;
        const f = unchecked(this.bare[0]);
        f.start = 0;
        f.end = bare;
        f.detector = DETECTOR_CARD;
        f.encoded = ENCODED_NO;
        f.inner = ENCODED_NO;
        return this.finish(p, s, e, false, this.bare, hash, strings, rewriter, edits, hits);
      }
    }
    if (this.runAt != s) {
      this.runAt = s;
      if (!escaped) run.begin(p + <usize>cs, ce - cs, enabled, true);
      else {
        const n = strings.decode(p, cs, ce);
        WORK.spend(ce - cs);
        this.runDecoded = n;
        run.begin(changetype<usize>(strings.scratch), n, enabled, true);
      }
    }
    const finished = run.advance();
    if (run.overflowed) {
      this.runAt = -1;
      return DETECT_OVERFLOW;
    }
    if (!finished) return DETECT_SUSPENDED;
    this.runAt = -1;
    const findings = run.findings;
    if (findings.length == 0) return DETECT_DONE;
    return this.finish(p, s, e, escaped, findings, hash, strings, rewriter, edits, hits);
  }

  /** The edits of a string token's findings (made over its content, raw or decoded into the strings' scratch). */
  private finish(p: usize, s: i32, e: i32, escaped: bool, findings: Finding[], hash: bool, strings: JsonStrings, rewriter: ValueRewriter, edits: Edit[], hits: StaticArray<u32>): i32 {
    const cs = s + 1;
    const ce = e - 1;
    const before = edits.length;
    if (!escaped) {
      rewriter.editsOf(p + <usize>cs, findings, hash, cs, edits, hits);
      if (!editsWithin(edits, before, cs, ce)) {
        // Findings that do not fit the string would corrupt the document; mask the value whole instead.
        recycleEdits(edits, before);
        edits.push(edit(s, e, quoted(rewriter.maskValue(p + <usize>cs, ce - cs))));
      }
      return DETECT_DONE;
    }
    // The scratch still holds this string: nothing decoded another since (a suspended scan resumes here first).
    escapedEdits(p, cs, ce, changetype<usize>(strings.scratch), findings, hash, rewriter, edits, hits);
    if (!editsWithin(edits, before, cs, ce)) {
      recycleEdits(edits, before);
      edits.push(edit(s, e, quoted(rewriter.maskValue(changetype<usize>(strings.scratch), this.runDecoded))));
    }
    return DETECT_DONE;
  }

  /**
   * Detectors over the value of the number token [s, e) (json/numbers.ts): a
   * card whatever the spelling; SSNs and phone numbers only when the member's
   * name labels them (label bits in `labels`), since bare numbers of those
   * lengths are mostly ids and amounts. A hit is masked, never hashed: the
   * number stays a number (a digit mask, a card's Luhn-valid).
   */
  number(p: usize, s: i32, e: i32, plain: bool, detectors: i32, labels: i32, rewriter: ValueRewriter, edits: Edit[], hits: StaticArray<u32>): void {
    let enabled = detectors & DETECTOR_CARD;
    if (labels != 0) enabled |= (detectors & (DETECTOR_SSN | DETECTOR_PHONE)) | labels;
    if (enabled == 0) return;
    // A bare integer too short or too long for anything enabled costs no more than its length check.
    if (plain && labels == 0) {
      const nd = at(p, s) == 0x2d ? e - s - 1 : e - s;
      if (nd < 13 || nd > 19) return;
    }
    const n = integerDigits(p, s, e);
    if (n == 0) return;
    const digits = maskedDigits(VALUE_DIGITS, n, enabled, this.numberFindings, rewriter, hits);
    if (digits == 0) return;
    const sign = at(p, s) == 0x2d ? 1 : 0;
    if (plain) {
      const out = new ArrayBuffer(n);
      memory.copy(changetype<usize>(out), digits, <usize>n);
      edits.push(edit(s + sign, e, out));
    } else edits.push(edit(s, e, maskedNumber(p, s, e, digits, n)));
  }

  /** The allow-list mode's mask of the string token [s, e): its decoded content, shape kept, written back as a JSON string. */
  keepString(p: usize, s: i32, e: i32, escaped: bool, strings: JsonStrings, rewriter: ValueRewriter, edits: Edit[]): bool {
    const cs = s + 1;
    const ce = e - 1;
    if (ce <= cs) return false;
    let vp = p + <usize>cs;
    let vl = ce - cs;
    if (escaped) {
      vl = strings.decode(p, cs, ce);
      vp = changetype<usize>(strings.scratch);
    }
    let shape = rewriter.maskShape(vp, vl, false);
    if (!wellFormed(changetype<usize>(shape), shape.byteLength)) shape = rewriter.maskValue(vp, vl);
    edits.push(edit(s, e, quoted(shape)));
    return true;
  }

  /** The allow-list mode's mask of the number token [s, e): a number of the same shape. */
  keepNumber(p: usize, s: i32, e: i32, rewriter: ValueRewriter, edits: Edit[]): void {
    const shape = rewriter.maskShape(p + <usize>s, e - s, true);
    edits.push(edit(s, e, isJsonNumber(changetype<usize>(shape), shape.byteLength) ? shape : ZERO));
  }
}

/** Strings up to this many bytes go through the prefilter (redact/prefilter.ts); longer ones get every detector. */
export const SHORT: i32 = 256;

/**
 * The detectors among `enabled` worth running over the string token [s, e)
 * (redact/prefilter.ts: the ones that could find something), 0 when none; for
 * strings longer than SHORT, all of them. The same answer every time, so a scan
 * resumed in a later slice is not skipped. JSON strings and protobuf strings
 * (proto/redact.ts, the token's bounds one byte outside the payload) alike.
 */
export function detectorsFor(p: usize, s: i32, e: i32, enabled: i32): i32 {
  const n = e - s - 2;
  if (n > SHORT) return enabled;
  return detectorsIn(p + <usize>(s + 1), n, enabled);
}

/** detectorsFor for a string token of at most SHORT bytes whose content's classify() bits and digits are known. */
export function detectorsOf(p: usize, s: i32, e: i32, cls: u32, digits: i32, enabled: i32): i32 {
  return candidates(p + <usize>(s + 1), e - s - 2, cls, digits, enabled);
}

/** What nameLabels found worth running over the name itself (detectorsFor's answer for it). */
export let nameDetectors: i32 = 0;

/**
 * The label bits of the member name [kp, kp+kl) (decoded), with one look at its
 * bytes that also sets nameDetectors: `escaped`, the raw token has a backslash,
 * so every detector reads the decoded name.
 */
export function nameLabels(kp: usize, kl: i32, escaped: bool, detectors: i32): i32 {
  const cls = classify(kp, kl);
  return nameLabelsOf(kp, kl, cls, digitCount, escaped, detectors);
}

/** nameLabels for a name whose classify() bits and digits are known (json/plain.ts read them). */
export function nameLabelsOf(kp: usize, kl: i32, cls: u32, digits: i32, escaped: bool, detectors: i32): i32 {
  nameDetectors = escaped || kl > SHORT ? detectors : candidates(kp, kl, cls, digits, detectors);
  return labelBits(kp, <usize>kl, detectors, <i32>(cls & LETTERS));
}

/** Well-formed UTF-8 (a mask must not leave half a sequence in the document). */
function wellFormed(p: usize, len: i32): bool {
  let i = 0;
  while (i < len) {
    if (at(p, i) < 0x80) {
      i++;
      continue;
    }
    const n = utf8Seq(p, len, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

/** Whether edits[from..] are sorted and inside [lo, hi): guards the document against a rewriter whose output would not fit. */
function editsWithin(edits: Edit[], from: i32, lo: i32, hi: i32): bool {
  let prev = lo;
  for (let i = from; i < edits.length; i++) {
    const ed = unchecked(edits[i]);
    if (ed.start < prev || ed.end < ed.start || ed.end > hi) return false;
    prev = ed.end;
  }
  return true;
}
