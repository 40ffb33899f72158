// JSONPath, the subset policies use ($.a.b, $..key, $.items[*].note, $['x']):
// parsed once at configure time into segments that the scanner and the
// comparison match member by member.
import { hexDigit } from "./lexer";
import { foldBytes } from "../util/fold";
export const MAX_DEPTH: i32 = 256;
// Matching keeps one bit per segment (plus "matched") in a u64.
export const MAX_SEGMENTS: i32 = 63;

export const SEGMENT_NAME: u8 = 0;
export const SEGMENT_INDEX: u8 = 1;
export const SEGMENT_ANY: u8 = 2;

export class JsonPathSegment {
  constructor(
    public kind: u8,
    /** Reached through any number of levels (`..`), not only as a direct child. */
    public descendant: bool,
    /** SEGMENT_NAME: the member name as UTF-8. */
    public name: ArrayBuffer,
    /** SEGMENT_INDEX: the array position. */
    public index: i32,
  ) {
    this.folded = kind == SEGMENT_NAME ? foldBytes(changetype<usize>(name), name.byteLength) : name;
  }

  /** SEGMENT_NAME: the member name case-folded (util/fold.ts), what members are compared with unless the path says match_case. */
  folded: ArrayBuffer;
}

export class JsonPath {
  /**
   * Member names compare byte for byte ("match_case": true in the policy);
   * by default case-insensitively with Unicode folding, as Go encoding/json,
   * ASP.NET and Jackson (case-insensitive) bind PASSWORD or paſſword to `password`.
   */
  matchCase: bool = false;

  constructor(public source: string, public segments: JsonPathSegment[]) {}
}

export class JsonPathParse {
  constructor(public path: JsonPath | null, public error: string) {}
}

export class JsonRule {
  constructor(public path: JsonPath, public action: u8) {}
}

// ---------------------------------------------------------------- path syntax

export function describeChar(c: i32): string {
  if (c == 0x27) return "\"'\"";
  if (c >= 0x20 && c != 0x7f && (c < 0xd800 || c >= 0xe000)) return "'" + String.fromCharCode(c) + "'";
  let hex = c.toString(16).toUpperCase();
  while (hex.length < 4) hex = "0" + hex;
  return "U+" + hex;
}

// Dotted names are the identifiers people write in config; anything else
// (spaces, dots, brackets, quotes) needs the bracket form.
function isNameChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) ||
    c == 0x5f || c == 0x2d || c == 0x24 || c >= 0x80;
}


class PathParser {
  i: i32 = 0;
  error: string = "";
  segments: JsonPathSegment[] = [];

  constructor(private s: string) {}

  private fail(message: string, at: i32): bool {
    if (this.error.length == 0) this.error = message + " at " + at.toString();
    return false;
  }

  private unexpected(at: i32): bool {
    if (at >= this.s.length) return this.fail("unexpected end of path", at);
    return this.fail("unexpected character " + describeChar(this.s.charCodeAt(at)), at);
  }

  private skipBlanks(): void {
    while (this.i < this.s.length && this.s.charCodeAt(this.i) == 0x20) this.i++;
  }

  parse(): bool {
    const s = this.s;
    const n = s.length;
    if (n == 0) return this.fail("empty path", 0);
    if (s.charCodeAt(0) != 0x24) return this.fail("path must start with '$', found " + describeChar(s.charCodeAt(0)), 0);
    this.i = 1;
    while (this.i < n) {
      const c = s.charCodeAt(this.i);
      if (c == 0x2e) {
        this.i++;
        let descendant = false;
        if (this.i < n && s.charCodeAt(this.i) == 0x2e) {
          descendant = true;
          this.i++;
        }
        if (this.i >= n) return this.fail(descendant ? "expected a name after '..'" : "expected a name after '.'", this.i);
        const d = s.charCodeAt(this.i);
        if (d == 0x2a) {
          this.i++;
          this.segments.push(new JsonPathSegment(SEGMENT_ANY, descendant, new ArrayBuffer(0), 0));
        } else if (d == 0x5b && descendant) {
          if (!this.bracket(true)) return false;
        } else if (isNameChar(d)) {
          const start = this.i;
          while (this.i < n && isNameChar(s.charCodeAt(this.i))) this.i++;
          this.segments.push(new JsonPathSegment(SEGMENT_NAME, descendant, String.UTF8.encode(s.substring(start, this.i)), 0));
        } else return this.unexpected(this.i);
      } else if (c == 0x5b) {
        if (!this.bracket(false)) return false;
      } else return this.unexpected(this.i);
    }
    if (this.segments.length == 0) return this.fail("'$' alone selects the whole document; name a member or element below it", 1);
    if (this.segments.length > MAX_SEGMENTS) return this.fail("more than " + MAX_SEGMENTS.toString() + " segments", n);
    return true;
  }

  /** At '[': a quoted name, an index or '*', then ']'. */
  private bracket(descendant: bool): bool {
    const s = this.s;
    const n = s.length;
    this.i++;
    this.skipBlanks();
    if (this.i >= n) return this.unexpected(this.i);
    const c = s.charCodeAt(this.i);
    if (c == 0x27 || c == 0x22) {
      const name = this.quoted(c);
      if (name == null) return false;
      this.segments.push(new JsonPathSegment(SEGMENT_NAME, descendant, String.UTF8.encode(name), 0));
    } else if (c >= 0x30 && c <= 0x39) {
      const start = this.i;
      let v: i64 = 0;
      while (this.i < n) {
        const d = s.charCodeAt(this.i);
        if (d < 0x30 || d > 0x39) break;
        v = v * 10 + <i64>(d - 0x30);
        if (v > <i64>i32.MAX_VALUE) return this.fail("index too large", start);
        this.i++;
      }
      this.segments.push(new JsonPathSegment(SEGMENT_INDEX, descendant, new ArrayBuffer(0), <i32>v));
    } else if (c == 0x2a) {
      this.i++;
      this.segments.push(new JsonPathSegment(SEGMENT_ANY, descendant, new ArrayBuffer(0), 0));
    } else if (c == 0x2d) {
      return this.fail("negative indexes are not supported", this.i);
    } else return this.unexpected(this.i);
    this.skipBlanks();
    if (this.i >= n) return this.fail("expected ']'", this.i);
    if (s.charCodeAt(this.i) != 0x5d) return this.unexpected(this.i);
    this.i++;
    return true;
  }

  /** A quoted name with JSON-style escapes (and \' for single quotes); the cursor ends past the closing quote. */
  private quoted(q: i32): string | null {
    const s = this.s;
    const n = s.length;
    const open = this.i;
    this.i++;
    let out = "";
    let from = this.i;
    while (true) {
      if (this.i >= n) {
        this.fail("unterminated name", open);
        return null;
      }
      const c = s.charCodeAt(this.i);
      if (c == q) break;
      if (c != 0x5c) {
        this.i++;
        continue;
      }
      out += s.substring(from, this.i);
      if (this.i + 1 >= n) {
        this.fail("unterminated name", open);
        return null;
      }
      const e = s.charCodeAt(this.i + 1);
      let ch = -1;
      if (e == 0x27 || e == 0x22 || e == 0x5c || e == 0x2f) ch = e;
      else if (e == 0x62) ch = 0x08;
      else if (e == 0x66) ch = 0x0c;
      else if (e == 0x6e) ch = 0x0a;
      else if (e == 0x72) ch = 0x0d;
      else if (e == 0x74) ch = 0x09;
      if (ch >= 0) {
        out += String.fromCharCode(ch);
        this.i += 2;
      } else if (e == 0x75) {
        let v = 0;
        for (let k = 2; k < 6; k++) {
          const h = this.i + k < n ? hexDigit(s.charCodeAt(this.i + k)) : -1;
          if (h < 0) {
            this.fail("invalid \\u escape", this.i);
            return null;
          }
          v = (v << 4) | h;
        }
        out += String.fromCharCode(v);
        this.i += 6;
      } else {
        this.fail("invalid escape", this.i);
        return null;
      }
      from = this.i;
    }
    out += s.substring(from, this.i);
    this.i++;
    return out;
  }
}

/**
 * Compiles a JSONPath subset: `$` then any of `.name`, `['name']` / `["name"]`,
 * `[N]`, `[*]` / `.*`, and the descendant forms `..name`, `..*`, `..[…]`.
 * Positions in errors count UTF-16 units of the path as written.
 */
export function compileJsonPath(s: string): JsonPathParse {
  const p = new PathParser(s);
  if (!p.parse()) return new JsonPathParse(null, p.error);
  return new JsonPathParse(new JsonPath(s, p.segments), "");
}

