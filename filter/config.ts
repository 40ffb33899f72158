// Plugin configuration -> compiled policy. A pure function of the configuration
// text: no host calls, so the CLI validator (through the host emulator) and Envoy
// reach the same verdict. Unknown fields are errors: a policy the filter does not
// understand (say, a redaction rule from a newer version) must not be silently
// ignored, or data the user meant to scrub would reach the shadow.
import { JSON } from "json-as";
import { validateJSON } from "json-as/assembly/util/validateJson";

export const ROLE_MIRROR: i32 = 0;

export const ON_TOO_LARGE_SKIP: i32 = 0;
export const ON_TOO_LARGE_HEADERS_ONLY: i32 = 1;

export class ShadowConfig {
  cluster: string = "";
  /** Empty: the primary's authority with "-shadow" appended, as Envoy's native mirroring does. */
  authority: string = "";
  timeoutMs: u32 = 2000;
  maxBodyBytes: u32 = 1048576;
  maxInflight: u32 = 256;
  onBodyTooLarge: i32 = ON_TOO_LARGE_SKIP;
  /** Header set on copies sent without their body, so the shadow knows why it is empty. */
  bodyDroppedHeader: string = "x-mirrorshade-body-dropped";
}

export class TagConfig {
  header: string = "x-shadow-request";
  value: string = "true";
  stripFromPrimary: bool = true;
}

export class Policy {
  role: i32 = ROLE_MIRROR;
  shadow: ShadowConfig = new ShadowConfig();
  tag: TagConfig = new TagConfig();
}

export class ParseResult {
  policy: Policy | null = null;
  error: string = "";
}

const MAX_U32: f64 = 4294967295;

/** Reads one JSON object's fields, remembering which were consumed, so leftovers can be reported as unknown. */
class Fields {
  private seen: string[] = [];
  error: string = "";

  constructor(private source: JSON.Obj, private path: string) {}

  private name(key: string): string {
    return this.path.length > 0 ? this.path + "." + key : key;
  }

  private fail(key: string, problem: string): void {
    if (this.error.length == 0) this.error = this.name(key) + ": " + problem;
  }

  private take(key: string): JSON.Value | null {
    this.seen.push(key);
    return this.source.get(key);
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
    const v = this.take(key);
    if (v == null) return fallback;
    const n = numberOf(v);
    if (isNaN(n)) {
      this.fail(key, "must be a number");
      return fallback;
    }
    if (n != Math.floor(n) || n < min || n > max) {
      this.fail(key, "must be a whole number from " + fmt(min) + " to " + fmt(max) + ", got " + fmt(n));
      return fallback;
    }
    return <u32>n;
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

function numberOf(v: JSON.Value): f64 {
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
function isHeaderName(s: string): bool {
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

function hasControlChars(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

function fail(message: string): ParseResult {
  const r = new ParseResult();
  r.error = message;
  return r;
}

export function parsePolicy(text: string): ParseResult {
  if (text.length == 0) return fail("configuration is empty: expected a JSON object such as {\"role\":\"mirror\",\"shadow\":{\"cluster\":\"shadow\"}}");
  if (!validateJSON(text)) return fail("configuration is not valid JSON");
  const root = JSON.parse<JSON.Value>(text);
  if (root.type != JSON.Types.Object) return fail("configuration must be a JSON object");
  const top = new Fields(root.get<JSON.Obj>(), "");
  const policy = new Policy();

  const role = top.str("role", "", true);
  if (top.error.length == 0 && role != "mirror") return fail("role: must be \"mirror\", got \"" + role + "\"");

  const shadowObj = top.obj("shadow");
  if (top.error.length > 0) return fail(top.error);
  if (shadowObj == null) return fail("shadow: is required (at least {\"cluster\": \"<cluster name>\"})");
  const shadow = new Fields(shadowObj, "shadow");
  const s = policy.shadow;
  s.cluster = shadow.str("cluster", "", true);
  s.authority = shadow.str("authority", "");
  // A call without timeout can wait forever and pin its memory; Envoy treats 0 as none.
  s.timeoutMs = shadow.uint("timeout_ms", s.timeoutMs, 1, 600000);
  s.maxBodyBytes = shadow.uint("max_body_bytes", s.maxBodyBytes, 0, 64 * 1048576);
  s.maxInflight = shadow.uint("max_inflight", s.maxInflight, 1, 1000000);
  const tooLarge = shadow.str("on_body_too_large", "skip");
  if (tooLarge == "skip") s.onBodyTooLarge = ON_TOO_LARGE_SKIP;
  else if (tooLarge == "headers_only") s.onBodyTooLarge = ON_TOO_LARGE_HEADERS_ONLY;
  else if (shadow.error.length == 0) shadow.error = "shadow.on_body_too_large: must be \"skip\" or \"headers_only\", got \"" + tooLarge + "\"";
  s.bodyDroppedHeader = shadow.str("body_dropped_header", s.bodyDroppedHeader);
  shadow.finish();
  if (shadow.error.length > 0) return fail(shadow.error);
  if (hasControlChars(s.cluster)) return fail("shadow.cluster: must not contain control characters");
  if (hasControlChars(s.authority)) return fail("shadow.authority: must not contain control characters");
  if (!isHeaderName(s.bodyDroppedHeader)) return fail("shadow.body_dropped_header: must be a lower-case HTTP header name");

  const tagObj = top.obj("tag");
  if (tagObj != null) {
    const tag = new Fields(tagObj, "tag");
    const t = policy.tag;
    t.header = tag.str("header", t.header);
    t.value = tag.str("value", t.value);
    t.stripFromPrimary = tag.bool("strip_from_primary", t.stripFromPrimary);
    tag.finish();
    if (tag.error.length > 0) return fail(tag.error);
    if (!isHeaderName(t.header) || t.header.charCodeAt(0) == 0x3a) return fail("tag.header: must be a lower-case HTTP header name, got \"" + t.header + "\"");
    if (hasControlChars(t.value)) return fail("tag.value: must not contain control characters");
  }

  top.finish();
  if (top.error.length > 0) return fail(top.error);
  const ok = new ParseResult();
  ok.policy = policy;
  return ok;
}
