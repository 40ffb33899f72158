// JSON Web Tokens in free text (redact/detectors.ts calls jwtAt at an 'e' that
// may start a JOSE header's base64url): the dotted base64url run from there
// (jwtRun), whether it has the shape of a JWS or a JWE (jwtEnd), and whether it
// counts (jwtAccept): a header that decodes to a JOSE header, a JSON object
// naming "alg" (RFC 7515), or, for a token set apart from what precedes it, the
// classic "eyJ" start with a header long enough to be one. The run's shape is
// kept in module state between the three steps, as the other matchers keep
// theirs (formats.ts emailStart).
import { byteAt, isAlnum } from "./formats";

// @ts-ignore: decorator
@inline
function isBase64Url(c: i32): bool {
  return isAlnum(c) || c == 0x2d || c == 0x5f;
}

/** Segment count of the run jwtRun last read. */
let jwtSegments = 0;
/** Bit k set: segment k (0-based, first 32 only) is empty, resp. one character long. */
let jwtEmpty: u32 = 0;
let jwtOne: u32 = 0;
/** Where the run's first, second and third segments end (those it has). */
let jwtFirstEnd = 0;
let jwtSecondEnd = 0;
let jwtThird = 0;
/** Where the run jwtRun last read starts. */
let jwtStart = 0;

/** Where the run jwtAt last read ends: no later attempt starts inside it. */
export let jwtRunEnd = 0;

/**
 * The JWT whose header would start at i: where it ends, or -1 when there is
 * none (jwtRunEnd says where the run read ends). `glued`: letters, digits, '-',
 * '_' or '.' come right before it (jwtAccept).
 */
export function jwtAt(p: usize, len: i32, i: i32, glued: bool): i32 {
  const run = jwtRun(p, len, i);
  jwtRunEnd = run;
  const end = jwtEnd(p, len, run);
  return end > 0 && jwtAccept(glued) ? end : -1;
}

/** Where the dotted base64url run starting at i ends. */
function jwtRun(p: usize, len: i32, i: i32): i32 {
  let j = i;
  jwtStart = i;
  jwtPtr = p;
  jwtLen = len;
  jwtSegments = 0;
  jwtEmpty = 0;
  jwtOne = 0;
  while (true) {
    const s = j;
    while (isBase64Url(byteAt(p, len, j))) j++;
    if (jwtSegments < 32) {
      if (j == s) jwtEmpty |= 1 << jwtSegments;
      else if (j - s == 1) jwtOne |= 1 << jwtSegments;
    }
    jwtSegments++;
    if (jwtSegments == 1) jwtFirstEnd = j;
    if (jwtSegments == 2) jwtSecondEnd = j;
    if (jwtSegments == 3) jwtThird = j;
    if (byteAt(p, len, j) != 0x2e) return j;
    j++;
  }
  return j;
}

/**
 * JWT in the run jwtRun just read ("eyJ" is base64url of '{"'): three segments
 * of 2+ characters, the signature empty for alg "none"; also a five-part JWE
 * (its encrypted key empty for direct encryption). A sentence-ending dot after
 * a complete token is not part of it, nor are dotted labels after its first
 * three segments when those are a JWS and the run is no JWE.
 */
function jwtEnd(p: usize, len: i32, runEnd: i32): i32 {
  let end = runEnd;
  let segs = jwtSegments;
  let empty = jwtEmpty;
  if ((segs == 4 || segs == 6) && byteAt(p, len, end - 1) == 0x2e) {
    end--;
    segs--;
    empty &= ~(<u32>1 << segs);
  }
  const bad = empty | jwtOne;
  const jws = (bad & 0b011) == 0 && (jwtOne & 0b100) == 0;
  jwtParts = 3;
  jwtLabelsAfter = false;
  if (segs == 3) return jws ? end : -1;
  if (segs == 5 && (bad & 0b11101) == 0 && (jwtOne & 0b00010) == 0) {
    jwtParts = 5;
    return end;
  }
  // More dotted labels after a whole JWS (a host "<jwt>.t.example"): the JWS is the token, when
  // its header is one (jwtAccept: a host "ewok.co.uk.example" starts like a pretty-printed header too).
  jwtLabelsAfter = true;
  return segs > 3 && jws ? jwtThird : -1;
}

/** What jwtEnd matched last: a JWS (3 parts) or a JWE (5); a JWS with more dotted labels after it. */
let jwtParts = 3;
let jwtLabelsAfter = false;

/** JOSE header characters read at most: real ones are a few dozen, with an embedded key a few KB. */
const JOSE_MAX: i32 = 8192;

/** The base64url digit's value, -1 for any other byte. */
// @ts-ignore: decorator
@inline
function b64Value(c: i32): i32 {
  if (<u32>(c - 0x41) < 26) return c - 0x41;
  if (<u32>(c - 0x61) < 26) return c - 0x61 + 26;
  if (<u32>(c - 0x30) < 10) return c - 0x30 + 52;
  if (c == 0x2d) return 62;
  if (c == 0x5f) return 63;
  return -1;
}

/**
 * Whether the first segment of the run jwtRun last read is base64url of a JOSE
 * header: a JSON object (after optional whitespace) naming "alg", as RFC 7515
 * requires of every JWS and JWE header. Where a JWT is not set apart from what
 * is before it (glued to letters, digits, '-', '_' or '.') or has more dotted
 * labels after it, its first characters alone would take words and host names
 * for tokens ("ewpyc.co.uk"); the header's content does not.
 */
function joseHeaderRun(): bool {
  return joseHeader(jwtPtr, jwtLen, jwtStart, jwtFirstEnd);
}

/** joseHeaderRun's input: the range jwtRun last read. */
let jwtPtr: usize = 0;
let jwtLen = 0;

function joseHeader(p: usize, len: i32, s: i32, e: i32): bool {
  if (e - s > JOSE_MAX) e = s + JOSE_MAX;
  let bits: u32 = 0;
  let nbits = 0;
  let opened = false;
  // The last eight decoded bytes, lower-cased, to find '"alg"' (or its escaped '\u0061lg"').
  let window: u64 = 0;
  for (let j = s; j < e; j++) {
    const v = b64Value(<i32>load<u8>(p + <usize>j));
    if (v < 0) return false;
    bits = (bits << 6) | <u32>v;
    nbits += 6;
    if (nbits < 8) continue;
    nbits -= 8;
    const b = <u64>((bits >> <u32>nbits) & 0xff);
    if (!opened) {
      if (b == 0x7b) opened = true;
      else if (b != 0x20 && b != 0x0a && b != 0x0d && b != 0x09) return false;
      continue;
    }
    // Lower-cased: "ALG" is no JOSE header by RFC 7515, but a bearer token all the same.
    window = (window << 8) | (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
    if ((window & 0xffffffffff) == 0x22616c6722) return true; // "alg"
    if ((window & 0xffffffffffffff) == 0x303036316c6722) return true; // 0061lg" (\u0061lg": an escaped 'a')
  }
  return false;
}

/**
 * Whether the JWT of the run jwtRun and jwtEnd read counts. One whose header
 * segment decodes to a JOSE header always does. Without one, only a classic
 * token set apart from what precedes it and with no labels after it: "eyJ" ('{"') and a header segment of
 * 15 characters or more (the shortest JOSE header, {"alg":"x"}, has 15), so
 * short dotted words and host names ("ewok.co.uk", "eyJ.eyJ.eyJ") are none.
 * A three-part token's payload is JSON ("ey", "ew") or 16 characters at least:
 * a lone header before a host name ("<header>.example.com") is none either.
 */
function jwtAccept(glued: bool): bool {
  if (jwtParts == 3) {
    const ps = jwtFirstEnd + 1;
    const payload = jwtSecondEnd - ps;
    const b = byteAt(jwtPtr, jwtLen, ps + 1);
    if (payload < 16 && !(byteAt(jwtPtr, jwtLen, ps) == 0x65 && (b == 0x79 || b == 0x77))) {
      // A short payload that is no JSON object's start ('{}' is "e30", "hi" "aGk") still makes a token
      // when the header is a JOSE header and the signature is empty (alg none) or as long as a MAC's,
      // which a host name's last label is not ("<header>.example.com" stays).
      const sig = jwtThird - jwtSecondEnd - 1;
      return !jwtLabelsAfter && (sig == 0 || sig >= 16) && joseHeaderRun();
    }
  }
  if (joseHeaderRun()) return true;
  if (glued || jwtLabelsAfter) return false;
  const s = jwtStart;
  return byteAt(jwtPtr, jwtLen, s + 1) == 0x79 && byteAt(jwtPtr, jwtLen, s + 2) == 0x4a && jwtFirstEnd - s >= 15;
}
