// redact.path templates, compiled once: "/users/{email}/cards/{card}" names
// path segments by position; the captured ones ({name}) are masked or hashed in
// the copy. A template is a sequence of segments, each a literal (compared
// percent-decoded and case-insensitively, matrix parameters aside), '*' (any one
// segment, kept), '{name}' (any one segment, redacted) or, last only, '**' (any
// number of further segments, kept). Empty segments ("//", a trailing '/') are
// skipped on both sides, as applications that merge slashes see the path, and
// dot segments ("." and "..", escaped or not, ";params" aside) are resolved
// (redact/path.ts), as the application resolves them.
import { escapeAt } from "../util/form";

export const SEG_LITERAL: u8 = 0;
export const SEG_ANY: u8 = 1;
export const SEG_CAPTURE: u8 = 2;

export class PathTemplate {
  source: string = "";
  /** ACTION_MASK or ACTION_HASH (redact/edits.ts). */
  action: u8 = 0;
  kinds: u8[] = [];
  /** Decoded, lower-cased literal bytes per segment (empty for the others). */
  literals: ArrayBuffer[] = [];
  /** Ends with '**': matches paths with more segments too. */
  rest: bool = false;
}

function lower(c: u32): u32 {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Compiles one template; returns the error (empty when it compiled into t). */
export function compilePathTemplate(src: string, action: u8, t: PathTemplate): string {
  t.source = src;
  t.action = action;
  if (src.length == 0 || src.charCodeAt(0) != 0x2f) return "a template starts with '/'";
  const parts = src.substring(1).split("/");
  let captures = 0;
  for (let i = 0; i < parts.length; i++) {
    const s = parts[i];
    if (s.length == 0) {
      if (i == parts.length - 1 && i > 0) continue; // a trailing '/' means nothing
      return "segment " + (i + 1).toString() + " is empty";
    }
    if (s == "**") {
      if (i != parts.length - 1) return "'**' can only be the last segment";
      t.rest = true;
      continue;
    }
    if (s == "*") {
      t.kinds.push(SEG_ANY);
      t.literals.push(new ArrayBuffer(0));
      continue;
    }
    if (s.charCodeAt(0) == 0x7b) {
      if (s.charCodeAt(s.length - 1) != 0x7d) return "segment \"" + s + "\": a capture is a whole segment, {name}";
      const name = s.substring(1, s.length - 1);
      for (let k = 0; k < name.length; k++) {
        const c = name.charCodeAt(k);
        const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d || c == 0x2a;
        if (!ok) return "segment \"" + s + "\": a capture's name is letters, digits, '_', '-' or '*'";
      }
      t.kinds.push(SEG_CAPTURE);
      t.literals.push(new ArrayBuffer(0));
      captures++;
      continue;
    }
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c == 0x7b || c == 0x7d || c == 0x2a || c == 0x3f || c == 0x23 || c == 0x3b || c <= 0x20 || c == 0x7f) {
        return "segment \"" + s + "\": a literal segment has no '{', '}', '*', '?', '#', ';', spaces or control characters (captures and '*' are whole segments)";
      }
    }
    const raw = String.UTF8.encode(s);
    const p = changetype<usize>(raw);
    const n = <usize>raw.byteLength;
    const out = new ArrayBuffer(<i32>n);
    const o = changetype<usize>(out);
    let m: usize = 0;
    for (let k: usize = 0; k < n; k++) {
      const e = escapeAt(p, k, n);
      let c: u32 = load<u8>(p + k);
      if (e >= 0) {
        c = <u32>e;
        k += 2;
      }
      store<u8>(o + m, <u8>lower(c));
      m++;
    }
    t.kinds.push(SEG_LITERAL);
    t.literals.push(out.slice(0, <i32>m));
  }
  if (captures == 0) return "a template needs at least one {capture} (the segments it redacts)";
  return "";
}

/**
 * Whether the raw segment [p, p+len) (matrix parameters after ';' left out)
 * equals the decoded, lower-case literal, decoding and folding ASCII case as it reads.
 */
export function segmentIs(p: usize, len: usize, literal: ArrayBuffer): bool {
  const l = changetype<usize>(literal);
  const n = <usize>literal.byteLength;
  let j: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    let c: u32 = load<u8>(p + i);
    if (c == 0x3b) break;
    const e = c == 0x25 ? escapeAt(p, i, len) : -1;
    if (e >= 0) {
      c = <u32>e;
      i += 2;
    }
    // A format suffix after the whole literal ("profile.json"): Rails routes it as "profile" (.:format).
    if (j == n && c == 0x2e) return formatSuffix(p, i + 1, len);
    if (j >= n || lower(c) != <u32>load<u8>(l + j)) return false;
    j++;
  }
  return j == n;
}

/** Whether [i, len) up to a ';' is one or more ASCII letters and digits (a format extension). */
function formatSuffix(p: usize, i: usize, len: usize): bool {
  let k = i;
  while (k < len && load<u8>(p + k) != 0x3b) {
    const c = load<u8>(p + k) | 0x20;
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39))) return false;
    k++;
  }
  return k > i;
}
