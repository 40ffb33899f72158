// Labels: names that say a value is an SSN or a phone number ("ssn",
// "socialSecurityNumber", "tel", "mobile_phone", ...), so that its bare forms
// (536228147, 2025550143), which alone are any 9 or 10 digits, count. A label
// comes from the value's name (a JSON key, a query or form parameter, a header:
// labelKinds, for redact/detectors.ts labelBits) or from the text just before
// the number (labelBefore: "ssn: 536228147", "tel:2025550143").
//
// Names compare ignoring ASCII case and one '_', '-', '.' or ' ' between
// letters, and match at word boundaries (start, end, a non-letter, a camelCase
// step): "customer_ssn" and "mobilePhone" are labels, "hotel" and "tinyint"
// are not. "phone" also matches glued to a word before it (telephone,
// cellphone, homephone). A label may be followed by "number", "no", "nr" or
// "num" ("Phone number: ...", "SSN No. ...").
import { byteAt, isDigit, isUpper, isAlpha, isAlnum, phoneEnds } from "./formats";

export const KIND_SSN: i32 = 1;
export const KIND_PHONE: i32 = 2;

/** The label words in lower case; WORD_KIND and WORD_GLUED say what each means and whether it may be glued on. */
const WORDS: string[] = [
  "ssn", "socialsecuritynumber", "socialsecurity", "socialinsurancenumber", "sin", "taxid", "taxpayerid", "tin", "itin",
  "phone", "telephone", "tel", "telefon", "telefono", "telefone", "mobile", "mobil", "cell", "msisdn", "fax", "telefax",
];
const WORD_KIND: i32[] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2];
const WORD_GLUED: bool[] = [false, false, false, false, false, false, false, false, false, true, false, false, false, false, false, false, false, false, false, false, false];
/** Bit k: some word starts with letter 'a' + k (c, f, i, m, p, s, t). */
const INITIALS: i32 = (1 << 2) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 15) | (1 << 18) | (1 << 19);
const SUFFIXES: string[] = ["number", "num", "nr", "no"];

// @ts-ignore: decorator
@inline
function isSep(c: i32): bool {
  return c == 0x5f || c == 0x2d || c == 0x2e || c == 0x20;
}

// @ts-ignore: decorator
@inline
function isLower(c: i32): bool {
  return <u32>(c - 0x61) < 26;
}

/** A word may start at s: an end, a non-letter before, or a camelCase step. */
function startsWord(p: usize, len: i32, s: i32): bool {
  const b = byteAt(p, len, s - 1);
  return !isAlpha(b) || (isLower(b) && isUpper(byteAt(p, len, s)));
}

/** A word may end before e (its last letter at e - 1). */
function endsWord(p: usize, len: i32, e: i32): bool {
  const c = byteAt(p, len, e);
  return !isAlpha(c) || (isUpper(c) && isLower(byteAt(p, len, e - 1)));
}

/** Where `w` read forward from s ends (one separator allowed between letters), -1 if it is not there. */
function matchForward(p: usize, len: i32, s: i32, w: string): i32 {
  let j = s;
  for (let k = 0; k < w.length; k++) {
    let c = byteAt(p, len, j);
    if (k > 0 && isSep(c) && isAlpha(byteAt(p, len, j + 1))) c = byteAt(p, len, ++j);
    if ((c | 0x20) != w.charCodeAt(k) || !isAlpha(c)) return -1;
    j++;
  }
  return j;
}

/** Where `w` read backward to its last letter at e starts, -1 if it is not there. */
function matchBackward(p: usize, len: i32, e: i32, w: string): i32 {
  let j = e;
  for (let k = w.length - 1; k >= 0; k--) {
    let c = byteAt(p, len, j);
    if (k < w.length - 1 && isSep(c) && isAlpha(byteAt(p, len, j - 1))) c = byteAt(p, len, --j);
    if ((c | 0x20) != w.charCodeAt(k) || !isAlpha(c)) return -1;
    j--;
  }
  return j + 1;
}

/** Per word, the set of its letters (bit k: 'a' + k): a name without all of some word's letters holds no label. */
const WORD_LETTERS: StaticArray<i32> = StaticArray.fromArray<i32>(WORDS.map<i32>((w: string) => {
  let m = 0;
  for (let i = 0; i < w.length; i++) m |= 1 << (w.charCodeAt(i) - 0x61);
  return m;
}));

/** The ASCII letters of [p, p+len), either case, as bits ('a' + k: bit k). */
function lettersOf(p: usize, len: i32): i32 {
  let m = 0;
  for (let i = 0; i < len; i++) {
    const c = <i32>(load<u8>(p + <usize>i) | 0x20) - 0x61;
    if (<u32>c < 26) m |= 1 << c;
  }
  return m;
}

/** Every label word has an 'l', an 'n' or an 'x': most names have none of them. */
const KEY_LETTERS: i32 = (1 << 11) | (1 << 13) | (1 << 23);

/** Whether the letters `m` of a name include all of some label word's: one look before the word matching. */
function mayLabel(m: i32): bool {
  if ((m & KEY_LETTERS) == 0) return false;
  for (let w = 0; w < WORD_LETTERS.length; w++) {
    const need = unchecked(WORD_LETTERS[w]);
    if ((m & need) == need) return true;
  }
  return false;
}

/**
 * The KIND_* bits of the names in [p, p+len): every word-bounded label in it.
 * `letters`: the name's letter bits when the caller has them (redact/prefilter.ts classify), else -1.
 */
export function labelKinds(p: usize, len: i32, letters: i32 = -1): i32 {
  if (!mayLabel(letters >= 0 ? letters : lettersOf(p, len))) return 0;
  let kinds = 0;
  for (let s = 0; s < len; s++) {
    const c = byteAt(p, len, s);
    if (!isAlpha(c)) continue;
    const l = c | 0x20;
    const word = startsWord(p, len, s);
    if ((word ? (INITIALS >> (l - 0x61)) & 1 : <i32>(l == 0x70)) == 0) continue;
    for (let w = 0; w < WORDS.length; w++) {
      const kind = unchecked(WORD_KIND[w]);
      if ((kinds & kind) != 0 || (!word && !unchecked(WORD_GLUED[w]))) continue;
      const e = matchForward(p, len, s, unchecked(WORDS[w]));
      if (e < 0) continue;
      let ok = endsWord(p, len, e);
      for (let x = 0; !ok && x < SUFFIXES.length; x++) ok = matchForward(p, len, e, unchecked(SUFFIXES[x])) > 0;
      if (ok) kinds |= kind;
    }
    if (kinds == (KIND_SSN | KIND_PHONE)) break;
  }
  return kinds;
}

/** The KIND_* bits of a label ending at e (its last letter), or 0. */
function labelAt(p: usize, len: i32, e: i32): i32 {
  for (let w = 0; w < WORDS.length; w++) {
    const s = matchBackward(p, len, e, unchecked(WORDS[w]));
    if (s >= 0 && (unchecked(WORD_GLUED[w]) || startsWord(p, len, s))) return unchecked(WORD_KIND[w]);
  }
  return 0;
}

/** Bytes between a label and its number at most, all of them ' ', tab, ':', '=', '#', '"', '\'', '.', '-', '>'. */
const GAP_MAX: i32 = 6;

// @ts-ignore: decorator
@inline
function isGap(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x3a || c == 0x3d || c == 0x23 || c == 0x22 || c == 0x27 || c == 0x2e || c == 0x2d || c == 0x3e;
}

/**
 * The KIND_* bits of a label just before the number at i: at most GAP_MAX gap
 * bytes, then a label word ending there, optionally followed by a suffix word
 * ("Phone number: ", "SSN No. "). Reads at most ~40 bytes back.
 */
export function labelBefore(p: usize, len: i32, i: i32): i32 {
  let e = i - 1;
  const stop = i - 1 - GAP_MAX;
  while (e > stop && isGap(byteAt(p, len, e))) e--;
  if (!isAlpha(byteAt(p, len, e))) return 0;
  const kind = labelAt(p, len, e);
  if (kind != 0) return kind;
  for (let x = 0; x < SUFFIXES.length; x++) {
    const s = matchBackward(p, len, e, unchecked(SUFFIXES[x]));
    if (s < 0) continue;
    let f = s - 1;
    if (isSep(byteAt(p, len, f))) f--;
    if (isAlpha(byteAt(p, len, f))) {
      const k = labelAt(p, len, f);
      if (k != 0) return k;
    }
  }
  return 0;
}

/** Where the digit run at i ends (the first non-digit byte). */
// @ts-ignore: decorator
@inline
function runEnd(p: usize, len: i32, i: i32, max: i32): i32 {
  let j = i;
  while (isDigit(byteAt(p, len, j)) && j - i <= max) j++;
  return j;
}

/** No letter, digit or decimal part right after a number ending at j. */
// @ts-ignore: decorator
@inline
function ends(p: usize, len: i32, j: i32): bool {
  const c = byteAt(p, len, j);
  return !isAlnum(c) && !((c == 0x2e || c == 0x2d) && isDigit(byteAt(p, len, j + 1)));
}

/**
 * A labelled SSN at i: 9 bare digits, or 3-2-4 with '-', ' ' or '.' (one kind).
 * Labelled, the never-issued areas and groups count too (when in doubt, redact).
 */
export function labelledSsnEnd(p: usize, len: i32, i: i32): i32 {
  const j = runEnd(p, len, i, 9);
  if (j - i == 9) return ends(p, len, j) ? j : -1;
  if (j - i != 3) return -1;
  const s = byteAt(p, len, j);
  if (s != 0x2d && s != 0x20 && s != 0x2e) return -1;
  if (runEnd(p, len, j + 1, 2) != j + 3 || byteAt(p, len, j + 3) != s || runEnd(p, len, j + 4, 4) != j + 8) return -1;
  return ends(p, len, j + 8) ? j + 8 : -1;
}

/**
 * A labelled national phone number at i, bare or grouped by single ' ', '-' or
 * '.': 10 digits of a NANP number (area and exchange starting 2-9) or 11 with
 * a leading 1; 9-11 digits after a trunk 0 (UK, FR, DE, IT, ...); 10-16 after
 * an international 00, 9-16 after "011" (a trunk 0, or North America's international
 * prefix); 12-15 of an international
 * number written without its '+' (a country code 1-9 first: "442079460958").
 */
export function labelledPhoneEnd(p: usize, len: i32, i: i32): i32 {
  let j = i;
  let n = 0;
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0;
  while (true) {
    let c = byteAt(p, len, j);
    while (isDigit(c)) {
      if (n == 17) return -1;
      if (n == 0) d0 = c;
      else if (n == 1) d1 = c;
      else if (n == 2) d2 = c;
      else if (n == 3) d3 = c;
      else if (n == 4) d4 = c;
      n++;
      j++;
      c = byteAt(p, len, j);
    }
    if ((c == 0x20 || c == 0x2d || c == 0x2e) && isDigit(byteAt(p, len, j + 1))) {
      j++;
      continue;
    }
    break;
  }
  if (!phoneEnds(p, len, j)) return -1;
  let ok = false;
  if (d0 == 0x30) ok = d1 == 0x30 ? n >= 10 : d1 == 0x31 && d2 == 0x31 ? n >= 9 : n >= 9 && n <= 11;
  else if (n == 10) ok = d0 >= 0x32 && d3 >= 0x32;
  else if (n == 11) ok = d0 == 0x31 && d1 >= 0x32 && d4 >= 0x32;
  else ok = n >= 12 && n <= 15;
  return ok ? j : -1;
}
