// Reading the policy's JSON: one object's fields at a time, each read marked,
// so a field left unread is reported as unknown (a policy the filter does not
// understand, say a redaction rule from a newer version, must not be silently
// ignored). Errors name the field by its full path. Also the name checks every
// section shares.
import { JSON } from "json-as";

/** Reads one JSON object's fields, remembering which were consumed, so leftovers can be reported as unknown. */
export class Fields {
  private seen: string[] = [];
  error: string = "";

  constructor(private source: JSON.Obj, private path: string) {}

  name(key: string): string {
    return this.path.length > 0 ? this.path + "." + key : key;
  }

  private fail(key: string, problem: string): void {
    if (this.error.length == 0) this.error = this.name(key) + ": " + problem;
  }

  private take(key: string): JSON.Value | null {
    this.seen.push(key);
    return this.source.get(key);
  }

  /** The raw value of a field (marked as read), or null when absent. */
  value(key: string): JSON.Value | null {
    return this.take(key);
  }

  has(key: string): bool {
    return this.source.has(key);
  }

  str(key: string, fallback: string, required: bool = false): string {
    const v = this.take(key);
    if (v == null) {
      if (required) this.fail(key, "is required");
      return fallback;
    }
    if (v.type != JSON.Types.String) {
      this.fail(key, "must be a string");
      return fallback;
    }
    const s = v.get<string>();
    if (s.length == 0) this.fail(key, "must not be empty");
    return s;
  }

  bool(key: string, fallback: bool): bool {
    const v = this.take(key);
    if (v == null) return fallback;
    if (v.type != JSON.Types.Bool) {
      this.fail(key, "must be true or false");
      return fallback;
    }
    return v.get<bool>();
  }

  /** Whole number in [min, max]. */
  uint(key: string, fallback: u32, min: f64, max: f64): u32 {
    return <u32>this.number(key, <f64>fallback, min, max, true);
  }

  /** Any number in [min, max]. */
  num(key: string, fallback: f64, min: f64, max: f64): f64 {
    return this.number(key, fallback, min, max, false);
  }

  private number(key: string, fallback: f64, min: f64, max: f64, whole: bool): f64 {
    const v = this.take(key);
    if (v == null) return fallback;
    const n = numberOf(v);
    if (isNaN(n)) {
      this.fail(key, "must be a number");
      return fallback;
    }
    if ((whole && n != Math.floor(n)) || n < min || n > max) {
      this.fail(key, "must be a " + (whole ? "whole number" : "number") + " from " + fmt(min) + " to " + fmt(max) + ", got " + fmt(n));
      return fallback;
    }
    return n;
  }

  /** A non-empty array of non-empty strings, or null when absent. */
  strList(key: string): string[] | null {
    const v = this.take(key);
    if (v == null) return null;
    if (v.type != JSON.Types.Array) {
      this.fail(key, "must be an array of strings");
      return null;
    }
    const items = v.get<JSON.Arr>();
    if (items.length == 0) {
      this.fail(key, "must not be an empty list (leave the field out instead)");
      return null;
    }
    const out: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items.at(i);
      if (item.type != JSON.Types.String || item.get<string>().length == 0) {
        this.fail(key + "[" + i.toString() + "]", "must be a non-empty string");
        return null;
      }
      out.push(item.get<string>());
    }
    return out;
  }

  obj(key: string): JSON.Obj | null {
    const v = this.take(key);
    if (v == null) return null;
    if (v.type != JSON.Types.Object) {
      this.fail(key, "must be an object");
      return null;
    }
    return v.get<JSON.Obj>();
  }

  /** Reports the first field that was never read. */
  finish(): void {
    if (this.error.length > 0) return;
    const keys = this.source.keys();
    for (let i = 0; i < keys.length; i++) {
      if (!this.seen.includes(keys[i])) {
        this.error = this.name(keys[i]) + ": unknown field";
        return;
      }
    }
  }
}

function fmt(n: f64): string {
  return n == Math.floor(n) && Math.abs(n) < 9007199254740992 ? (<i64>n).toString() : n.toString();
}

export function numberOf(v: JSON.Value): f64 {
  const t = v.type;
  if (t == JSON.Types.F64) return v.get<f64>();
  if (t == JSON.Types.F32) return <f64>v.get<f32>();
  if (t == JSON.Types.I64) return <f64>v.get<i64>();
  if (t == JSON.Types.I32) return <f64>v.get<i32>();
  if (t == JSON.Types.U64) return <f64>v.get<u64>();
  if (t == JSON.Types.U32) return <f64>v.get<u32>();
  return NaN;
}

/** RFC 7230 token characters, lower case only: header names are matched as Envoy stores them. */
export function isHeaderName(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x2d || c == 0x5f || c == 0x2e || c == 0x21 || c == 0x23 || c == 0x24 ||
      c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a || c == 0x2b || c == 0x5e ||
      c == 0x60 || c == 0x7c || c == 0x7e;
    if (!ok) return false;
  }
  return true;
}

export function hasControlChars(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}


/** Shadow names: lower-case letters, digits, '_' and '-', starting with a letter or digit (safe in stats names and Prometheus labels). */
export function isShadowName(s: string, max: i32): bool {
  if (s.length == 0 || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && (i == 0 || (c != 0x5f && c != 0x2d))) return false;
  }
  return true;
}


/**
 * ASCII lower case: only A-Z change. Full Unicode lower-casing would turn the
 * Kelvin sign (U+212A) into "k" and let a non-ASCII name pass as a header name.
 */
export function lowerAscii(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return out;
}
