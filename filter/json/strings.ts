// JSON strings for the scanner (json/scanner.ts): validated (RFC 8259, UTF-8)
// in slices, since one string can be most of a body, and decoded (escapes
// resolved) into a scratch buffer when a rule or detector needs the text.
import { at, utf8Seq, hex4, putUtf8, hexDigit, STRING_CLASS, CLS_QUOTE, CLS_BACKSLASH, CLS_CONTROL } from "./lexer";
import { WORK } from "../redact/work";

/** read(): the slice ran out before the closing quote. */
export const SUSPENDED: i32 = -2;

export class JsonStrings {
  /** The last string read had escapes. */
  escaped: bool = false;
  /** Why the last read failed, and where. */
  error: string = "";
  errorAt: i32 = 0;
  /** Decoded text (decode()). */
  scratch: ArrayBuffer = new ArrayBuffer(256);
  // The string being read (its quote), or -1; its cursor, escape flag, and end once closed (-1 before).
  private at: i32 = -1;
  private pos: i32 = 0;
  private esc: bool = false;
  private end: i32 = -1;

  /** The next read starts over (a new body, or the string was used). */
  forget(): void {
    this.at = -1;
  }

  private fail(message: string, pos: i32): i32 {
    this.error = message;
    this.errorAt = pos;
    return -1;
  }

  private ensureScratch(n: i32): usize {
    if (this.scratch.byteLength < n) this.scratch = new ArrayBuffer(n < 256 ? 256 : n);
    return changetype<usize>(this.scratch);
  }

  /**
   * Validates the string starting at the quote at s; returns the offset past its
   * closing quote, -1 when invalid, or SUSPENDED when the slice ran out first
   * (the next call with the same s goes on where this one stopped).
   */
  read(p: usize, len: i32, s: i32): i32 {
    let i = s + 1;
    let escaped = false;
    if (this.at == s) {
      if (this.end >= 0) {
        this.escaped = this.esc;
        return this.end;
      }
      i = this.pos;
      escaped = this.esc;
    } else {
      this.at = s;
      this.end = -1;
    }
    const stop = WORK.stop(i, len);
    const from = i;
    while (true) {
      if (i >= stop) {
        if (i >= len) return this.fail("unterminated string starting", s);
        WORK.spend(i - from);
        this.pos = i;
        this.esc = escaped;
        return SUSPENDED;
      }
      const c = at(p, i);
      const k = load<u8>(STRING_CLASS + <usize>c);
      if (k == 0) {
        i++;
        continue;
      }
      if (k == CLS_QUOTE) break;
      if (k == CLS_BACKSLASH) {
        escaped = true;
        if (i + 1 >= len) return this.fail("unterminated string starting", s);
        const e = at(p, i + 1);
        if (e == 0x75) {
          if (i + 5 >= len) return this.fail("unterminated string starting", s);
          for (let j = i + 2; j < i + 6; j++) if (hexDigit(at(p, j)) < 0) return this.fail("invalid \\u escape", i);
          i += 6;
        } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
          i += 2;
        } else return this.fail("invalid escape", i);
        continue;
      }
      if (k == CLS_CONTROL) return this.fail("unescaped control character in string", i);
      const n = utf8Seq(p, len, i);
      if (n == 0) return this.fail("invalid UTF-8", i);
      i += n;
    }
    // The structural loop counts the string's bytes when it moves past them.
    this.escaped = escaped;
    this.esc = escaped;
    this.end = i + 1;
    return i + 1;
  }

  /** Decodes the validated string content [cs, ce) into scratch; returns its length. Lone surrogates become U+FFFD. */
  decode(p: usize, cs: i32, ce: i32): i32 {
    const o = this.ensureScratch(ce - cs);
    let n = 0;
    let i = cs;
    while (i < ce) {
      const c = at(p, i);
      if (c != 0x5c) {
        store<u8>(o + <usize>n, <u8>c);
        n++;
        i++;
        continue;
      }
      const e = at(p, i + 1);
      if (e == 0x75) {
        let cp = hex4(p + <usize>(i + 2));
        i += 6;
        if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= ce && at(p, i) == 0x5c && at(p, i + 1) == 0x75) {
          const lo = hex4(p + <usize>(i + 2));
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
          }
        }
        if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
        n += putUtf8(o + <usize>n, cp);
        continue;
      }
      let d = e; // '"', '\\', '/'
      if (e == 0x62) d = 0x08;
      else if (e == 0x66) d = 0x0c;
      else if (e == 0x6e) d = 0x0a;
      else if (e == 0x72) d = 0x0d;
      else if (e == 0x74) d = 0x09;
      store<u8>(o + <usize>n, <u8>d);
      n++;
      i += 2;
    }
    return n;
  }
}
