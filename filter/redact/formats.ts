// The formats the detectors recognize (redact/detectors.ts runs them): SSNs,
// phone numbers (E.164 and US), IBANs (mod 97) and e-mail addresses, each
// a matcher that reads a bounded window from a position (cards: redact/cards.ts,
// JWTs: redact/jwt.ts, labelled bare forms: redact/labels.ts).

// Character classes. Out-of-range reads come back as -1, which is in no class,
// so matchers can look one or two bytes past either end without checks.

// @ts-ignore: decorator
@inline
export function byteAt(p: usize, len: i32, i: i32): i32 {
  return i >= 0 && i < len ? <i32>load<u8>(p + <usize>i) : -1;
}

// @ts-ignore: decorator
@inline
export function isDigit(c: i32): bool {
  return <u32>(c - 0x30) < 10;
}

// @ts-ignore: decorator
@inline
export function isUpper(c: i32): bool {
  return <u32>(c - 0x41) < 26;
}

// @ts-ignore: decorator
@inline
export function isAlpha(c: i32): bool {
  return <u32>((c | 0x20) - 0x61) < 26;
}

// @ts-ignore: decorator
@inline
export function isAlnum(c: i32): bool {
  return isDigit(c) || isAlpha(c);
}

/** Email local-part characters other than '.': the atext people actually use, and any non-ASCII byte. */
// @ts-ignore: decorator
@inline
function isLocalChar(c: i32): bool {
  return isAlnum(c) || c == 0x5f || c == 0x2b || c == 0x2d || c == 0x25 || c >= 0x80;
}

// @ts-ignore: decorator
@inline
function isDomainChar(c: i32): bool {
  return isAlnum(c) || c == 0x2d || c >= 0x80;
}

/**
 * Whether a phone number's digits may end right before j: at a byte that is no
 * letter or digit, or at an extension glued to them ("x123", "X5", "ext5",
 * "ext.22": x or ext, an optional '.', 1 to 6 digits, then no letter or digit).
 * The finding still ends at j: the extension itself names no one.
 */
export function phoneEnds(p: usize, len: i32, j: i32): bool {
  const c = byteAt(p, len, j);
  if (!isAlnum(c)) return true;
  let k = j;
  if ((c | 0x20) == 0x78) k++;
  else if ((c | 0x20) == 0x65 && (byteAt(p, len, j + 1) | 0x20) == 0x78 && (byteAt(p, len, j + 2) | 0x20) == 0x74) k += 3;
  else return false;
  if (k - j == 3 && byteAt(p, len, k) == 0x2e) k++;
  let n = 0;
  while (n < 7 && isDigit(byteAt(p, len, k + n))) n++;
  return n >= 1 && n <= 6 && !isAlnum(byteAt(p, len, k + n));
}

/** US SSN at i: ddd-dd-dddd or ddd dd dddd, without the never-issued areas, groups and serials. */
export function ssnEnd(p: usize, len: i32, i: i32): i32 {
  if (i + 11 > len) return -1;
  const s = byteAt(p, len, i + 3);
  if (s != 0x2d && s != 0x20) return -1;
  if (byteAt(p, len, i + 6) != s) return -1;
  let area = 0;
  let group = 0;
  let serial = 0;
  for (let k = 0; k < 3; k++) {
    const c = byteAt(p, len, i + k);
    if (!isDigit(c)) return -1;
    area = area * 10 + c - 0x30;
  }
  for (let k = 4; k < 6; k++) {
    const c = byteAt(p, len, i + k);
    if (!isDigit(c)) return -1;
    group = group * 10 + c - 0x30;
  }
  for (let k = 7; k < 11; k++) {
    const c = byteAt(p, len, i + k);
    if (!isDigit(c)) return -1;
    serial = serial * 10 + c - 0x30;
  }
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return -1;
  const next = byteAt(p, len, i + 11);
  if (isAlnum(next)) return -1;
  // One piece of a longer separated number (an account or part number) is not an SSN.
  if (next == s && isDigit(byteAt(p, len, i + 12))) return -1;
  if (byteAt(p, len, i - 1) == s && isDigit(byteAt(p, len, i - 2))) return -1;
  return i + 11;
}

/**
 * Byte length of a space that groups a phone number's digits at j, 0 if none:
 * U+00A0 (no-break), U+2000-U+200A (figure, thin, ... spaces), U+202F (narrow
 * no-break: what Intl.NumberFormat and French typography put between groups).
 */
// @ts-ignore: decorator
@inline
function wideSpaceLen(p: usize, len: i32, j: i32): i32 {
  const c = byteAt(p, len, j);
  if (c == 0xc2) return byteAt(p, len, j + 1) == 0xa0 ? 2 : 0;
  if (c != 0xe2 || byteAt(p, len, j + 1) != 0x80) return 0;
  const d = byteAt(p, len, j + 2);
  return (d >= 0x80 && d <= 0x8a) || d == 0xaf ? 3 : 0;
}

/**
 * E.164 number at the '+' at i: a country code not starting with 0, 8-15 digits
 * in all, groups separated by at most one of space (wideSpaceLen's too), dash or
 * dot plus at most one parenthesis ("+1 (415) 555-2671", "+44 (0) 20 7946 0958").
 * More than 15 digits is not a phone number, and a prefix of it is not one either.
 */
export function e164End(p: usize, len: i32, i: i32): i32 {
  let j = i + 1;
  const first = byteAt(p, len, j);
  if (!isDigit(first) || first == 0x30) return -1;
  let digits = 0;
  let open = false;
  let end = j;
  while (true) {
    let c = byteAt(p, len, j);
    while (isDigit(c)) {
      if (++digits > 15) return -1;
      j++;
      c = byteAt(p, len, j);
    }
    end = j;
    const openAtEnd = open;
    let plain = false;
    let paren = false;
    let k = j;
    while (true) {
      c = byteAt(p, len, k);
      if (c == 0x20 || c == 0x2d || c == 0x2e) {
        if (plain) break;
        plain = true;
      } else if (c >= 0xc2) {
        const w = wideSpaceLen(p, len, k);
        if (w == 0 || plain) break;
        plain = true;
        k += w;
        continue;
      } else if (c == 0x28) {
        if (paren || open) break;
        paren = true;
        open = true;
      } else if (c == 0x29) {
        if (paren || !open) break;
        paren = true;
        open = false;
      } else break;
      k++;
    }
    if (k > j && isDigit(byteAt(p, len, k))) {
      j = k;
      continue;
    }
    open = openAtEnd;
    break;
  }
  if (digits < 8) return -1;
  if (open) {
    if (byteAt(p, len, end) != 0x29) return -1;
    end++;
  }
  if (!phoneEnds(p, len, end)) return -1;
  return end;
}

// @ts-ignore: decorator
@inline
function digitsAt(p: usize, len: i32, i: i32, n: i32): bool {
  for (let k = 0; k < n; k++) if (!isDigit(byteAt(p, len, i + k))) return false;
  return true;
}

/**
 * US national number at i: "(415) 555-2671", "415-555-2671", "415.555.2671",
 * optionally "1-" / "1." before the dashed and dotted forms. Area code and
 * exchange follow NANP (first digit 2-9), which keeps placeholders such as
 * 123-456-7890 and most other 3-3-4 numbers out.
 */
export function usPhoneEnd(p: usize, len: i32, i: i32): i32 {
  let j = i;
  let s = 0;
  if (byteAt(p, len, i) == 0x28) {
    if (!digitsAt(p, len, i + 1, 3) || byteAt(p, len, i + 4) != 0x29 || byteAt(p, len, i + 1) < 0x32) return -1;
    j = i + 5;
    if (byteAt(p, len, j) == 0x20) j++;
    if (!digitsAt(p, len, j, 3) || byteAt(p, len, j) < 0x32) return -1;
    j += 3;
    s = byteAt(p, len, j);
    if (s != 0x2d && s != 0x2e && s != 0x20) return -1;
    j++;
    if (!digitsAt(p, len, j, 4)) return -1;
    j += 4;
  } else {
    const before = byteAt(p, len, i - 1);
    if ((before == 0x2d || before == 0x2e) && isDigit(byteAt(p, len, i - 2))) return -1;
    if (byteAt(p, len, i) == 0x31) {
      const t = byteAt(p, len, i + 1);
      if ((t == 0x2d || t == 0x2e) && isDigit(byteAt(p, len, i + 2))) {
        s = t;
        j = i + 2;
      }
    }
    if (!digitsAt(p, len, j, 3) || byteAt(p, len, j) < 0x32) return -1;
    j += 3;
    const t = byteAt(p, len, j);
    if (t != 0x2d && t != 0x2e) return -1;
    if (s != 0 && t != s) return -1;
    s = t;
    j++;
    if (!digitsAt(p, len, j, 3) || byteAt(p, len, j) < 0x32) return -1;
    j += 3;
    if (byteAt(p, len, j) != s) return -1;
    j++;
    if (!digitsAt(p, len, j, 4)) return -1;
    j += 4;
  }
  const next = byteAt(p, len, j);
  if (!phoneEnds(p, len, j)) return -1;
  if (next == s && isDigit(byteAt(p, len, j + 1))) return -1;
  return j;
}

// @ts-ignore: decorator
@inline
function mod97Step(r: i32, c: i32): i32 {
  return isDigit(c) ? (r * 10 + c - 0x30) % 97 : (r * 100 + (c & 0xdf) - 0x37) % 97;
}

/** ISO 13616 check: the BBAN, then country code and check digits, read as a number mod 97. */
function ibanValid(p: usize, len: i32, i: i32, r: i32): bool {
  for (let k = 0; k < 4; k++) r = mod97Step(r, byteAt(p, len, i + k));
  return r == 1;
}

/** The IBAN registry (ISO 13616): country code and IBAN length, four characters an entry. */
const IBAN_COUNTRIES =
  "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27GB22" +
  "GE22GI23GL18GR27GT28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27MD24ME22MK19MN20MR27" +
  "MT31MU30NI28NL18NO15OM23PK24PL28PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28TL23TN24TR26UA29" +
  "VA22VG24XK20YE30";

/** The IBAN length of the country whose code starts at i (either case), 0 for no registered country. */
function ibanLength(p: usize, len: i32, i: i32): i32 {
  const a = byteAt(p, len, i) & 0xdf;
  const b = byteAt(p, len, i + 1) & 0xdf;
  for (let k = 0; k < IBAN_COUNTRIES.length; k += 4) {
    if (IBAN_COUNTRIES.charCodeAt(k) == a && IBAN_COUNTRIES.charCodeAt(k + 1) == b) {
      return (IBAN_COUNTRIES.charCodeAt(k + 2) - 0x30) * 10 + IBAN_COUNTRIES.charCodeAt(k + 3) - 0x30;
    }
  }
  return 0;
}

/** Byte length of an IBAN group separator at j: space, '-', U+00A0, U+2007, U+202F; 0 if none. */
function ibanSepLen(p: usize, len: i32, j: i32): i32 {
  const c = byteAt(p, len, j);
  if (c == 0x20 || c == 0x2d) return 1;
  if (c == 0xc2) return byteAt(p, len, j + 1) == 0xa0 ? 2 : 0;
  if (c == 0xe2 && byteAt(p, len, j + 1) == 0x80) {
    const d = byteAt(p, len, j + 2);
    return d == 0x87 || d == 0xaf ? 3 : 0;
  }
  return 0;
}

/**
 * IBAN at i: country letters, check digits 02-98, 11-30 letters and digits,
 * either compact or in the printed groups of four, each after one separator
 * (ibanSepLen; the last group 1-4). Printed, the longest prefix of whole groups
 * that checks wins, so an uppercase word after the number does not spoil it.
 * Upper-case and space-grouped, any country passes (a new one in the registry
 * too); a lower-case letter or another separator also needs a registered
 * country and its exact length, which keeps hex ids and slugs out.
 */
export function ibanEnd(p: usize, len: i32, i: i32): i32 {
  const a = byteAt(p, len, i);
  const b = byteAt(p, len, i + 1);
  if (!isAlpha(a) || !isAlpha(b)) return -1;
  const c2 = byteAt(p, len, i + 2);
  const c3 = byteAt(p, len, i + 3);
  if (!isDigit(c2) || !isDigit(c3)) return -1;
  const check = (c2 - 0x30) * 10 + c3 - 0x30;
  if (check < 2 || check > 98) return -1;
  let strict = !isUpper(a) || !isUpper(b);
  let j = i + 4;
  let r = 0;
  let n = 0;
  if (ibanSepLen(p, len, j) == 0) {
    let c = byteAt(p, len, j);
    while (isAlnum(c)) {
      if (n == 30) return -1;
      if (!isDigit(c) && !isUpper(c)) strict = true;
      r = mod97Step(r, c);
      n++;
      j++;
      c = byteAt(p, len, j);
    }
    if (n < 11 || !ibanValid(p, len, i, r)) return -1;
    return !strict || ibanLength(p, len, i) == n + 4 ? j : -1;
  }
  let best = -1;
  let s = ibanSepLen(p, len, j);
  while (s > 0) {
    if (s > 1 || byteAt(p, len, j) != 0x20) strict = true;
    j += s;
    let g = 0;
    let c = byteAt(p, len, j);
    while (g < 4 && isAlnum(c)) {
      if (n == 30) return best;
      if (!isDigit(c) && !isUpper(c)) strict = true;
      r = mod97Step(r, c);
      n++;
      g++;
      j++;
      c = byteAt(p, len, j);
    }
    if (g == 0 || isAlnum(c)) return best;
    if (n >= 11 && ibanValid(p, len, i, r) && (!strict || ibanLength(p, len, i) == n + 4)) best = j;
    if (g < 4) return best;
    s = ibanSepLen(p, len, j);
  }
  return best;
}

/** Start of the email whose '@' emailEnd last matched. */
export let emailStart = 0;
/** Bytes read before an '@' at most (four times RFC 5321's 64: what is longer is masked from there on). */
const LOCAL_MAX: i32 = 256;
/** Bytes read after an '@' at most (RFC 5321's 255 for a domain). */
const DOMAIN_MAX: i32 = 256;

/** "%40" (a percent-encoded '@') ends at k - 1. */
// @ts-ignore: decorator
@inline
function encodedAtBefore(p: usize, len: i32, k: i32): bool {
  return byteAt(p, len, k - 1) == 0x30 && byteAt(p, len, k - 2) == 0x34 && byteAt(p, len, k - 3) == 0x25;
}

/**
 * Where the quoted local part whose closing '"' is at close opens: at its '"',
 * or at the '\\' of a JSON-escaped one (\"john doe\"@example.com); -1 when
 * it does not within LOCAL_MAX bytes or a control byte comes first.
 */
function quotedStart(p: usize, len: i32, close: i32): i32 {
  const esc = byteAt(p, len, close - 1) == 0x5c;
  const from = close - LOCAL_MAX;
  for (let k = esc ? close - 2 : close - 1; k > from; k--) {
    const c = byteAt(p, len, k);
    if (c < 0x20) return -1;
    if (c != 0x22) continue;
    const before = byteAt(p, len, k - 1);
    if (esc) return before == 0x5c ? k - 1 : -1;
    if (before != 0x5c) return k;
  }
  return -1;
}

/**
 * Email around the '@' at a (or the "%40" there: percent-encoded, as in a path
 * or a query value read raw), whose domain starts at d: the dot-atom local
 * part before it (leading dots and anything before a ".." are left out) or a
 * quoted one ("john doe"@example.com), then a domain of at least two labels
 * whose last is 2+ letters, characters not bytes (or an xn-- label). A longer run of labels counts up
 * to its last label that is a valid top-level domain.
 */
export function emailEnd(p: usize, len: i32, a: i32, d: i32): i32 {
  let k = a - 1;
  const last = byteAt(p, len, k);
  if (last == 0x22) {
    k = quotedStart(p, len, k);
    if (k < 0) return -1;
  } else {
    if (!isLocalChar(last) || encodedAtBefore(p, len, a)) return -1;
    // RFC 5321 allows 64 bytes before the '@' and 255 after it; reading further would make
    // one '@' cost the whole run before it (a slice of redaction must stay short). An
    // encoded '@' ends the local part too, so "%40%40..." costs each attempt a few bytes.
    const from = a - LOCAL_MAX;
    while (k > from) {
      const c = byteAt(p, len, k - 1);
      if (encodedAtBefore(p, len, k)) break;
      if (isLocalChar(c)) k--;
      else if (c == 0x2e && isLocalChar(byteAt(p, len, k - 2))) k -= 2;
      else break;
    }
  }
  emailStart = k;
  let j = d;
  let labels = 0;
  let best = -1;
  while (true) {
    const ls = j;
    let letters = true;
    // Characters, not bytes: a top-level domain has two at least ("рф" is four bytes, U+0080 two).
    let chars = 0;
    let c = byteAt(p, len, j);
    while (isDomainChar(c) && j - ls <= 63) {
      // The full-width full stop (U+FF0E, compat.ts) ends a label as '.' does.
      if (c == 0xef && byteAt(p, len, j + 1) == 0xbc && byteAt(p, len, j + 2) == 0x8e) break;
      // U+0080..U+00BF (lead byte C2) holds controls and signs, no letter a TLD is made of.
      if ((!isAlpha(c) && c < 0x80) || c == 0xc2) letters = false;
      if (c < 0x80 || c >= 0xc0) chars++;
      j++;
      c = byteAt(p, len, j);
    }
    const ll = j - ls;
    if (j - a > DOMAIN_MAX) break;
    if (ll == 0 || ll > 63 || byteAt(p, len, ls) == 0x2d || byteAt(p, len, j - 1) == 0x2d) break;
    labels++;
    if (labels >= 2) {
      const puny = ll > 4 && (byteAt(p, len, ls) | 0x20) == 0x78 && (byteAt(p, len, ls + 1) | 0x20) == 0x6e &&
        byteAt(p, len, ls + 2) == 0x2d && byteAt(p, len, ls + 3) == 0x2d;
      if ((letters && chars >= 2) || puny) best = j;
    }
    const dot = c == 0x2e ? 1 : c == 0xef && byteAt(p, len, j + 1) == 0xbc && byteAt(p, len, j + 2) == 0x8e ? 3 : 0;
    if (dot == 0 || !isDomainChar(byteAt(p, len, j + dot))) break;
    j += dot;
  }
  return best;
}

