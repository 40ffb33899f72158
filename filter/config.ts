// Plugin configuration -> compiled policy. A pure function of the configuration
// text: no host calls, so the CLI validator (through the host emulator) and Envoy
// reach the same verdict. Unknown fields are errors: a policy the filter does not
// understand (say, a redaction rule from a newer version) must not be silently
// ignored, or data the user meant to scrub would reach the shadow.
import { JSON } from "json-as";
import { validateJSON } from "json-as/assembly/util/validateJson";
import { compileJsonPath, JsonRule } from "./redact/json";
import { CompareConfig } from "./compare";
import { detectorBit } from "./redact/detectors";
import { ACTION_MASK, ACTION_HASH, ACTION_DROP } from "./redact/edits";
import {
  SelectConfig, Rule, Condition, StringMatcher, RateLimit,
  MATCH_EXACT, MATCH_IN, MATCH_PREFIX, MATCH_SUFFIX, MATCH_CONTAINS, MATCH_PRESENT, MATCH_ABSENT, MATCH_GLOB,
  COND_HEADER, COND_PATH, COND_METHOD, COND_QUERY, COND_HOST,
} from "./select";

export const ROLE_MIRROR: i32 = 0;
export const ROLE_UPSTREAM: i32 = 1;
export const ROLE_SHADOW: i32 = 2;
export const ROLE_EGRESS_GUARD: i32 = 3;

/**
 * The in-place roles (upstream, shadow) rewrite a copy that Envoy already sends
 * (native mirroring) instead of sending one themselves.
 */
export class InPlaceConfig {
  /** shadow role: how a mirrored copy is recognized (the "-shadow" Host suffix, the tag header or baggage). */
  recognizeHostSuffix: bool = true;
  recognizeTag: bool = true;
  /** Strip the "-shadow" suffix Envoy added to the Host, so the shadow app sees the original. */
  restoreHost: bool = false;
  /** Status of the local answer to a copy that selection does not pass (it never reaches the shadow app). */
  notSelectedStatus: u32 = 204;
  /** Largest body held for redaction; a larger body is dropped from the copy. */
  maxBodyBytes: u32 = 1048576;
}

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
  /**
   * W3C baggage entry that marks shadow traffic too: OpenTelemetry-instrumented
   * apps forward baggage on their own outbound calls, so the mark survives a hop
   * through the shadow app even when the header does not.
   */
  baggageKey: string = "mirrorshade.shadow";
  /** Mirror role: add the baggage entry to each copy. */
  addBaggage: bool = false;
}

/** Egress guard: tagged requests to these destinations are answered locally with the stub. */
export class GuardConfig {
  destinations: Rule[] = [];
  status: u32 = 200;
  body: string = "";
  headerNames: string[] = [];
  headerValues: string[] = [];
}

/** Names (headers or query parameters) per action; lower-cased, matched case-insensitively. */
export class NameRules {
  drop: string[] = [];
  mask: string[] = [];
  hash: string[] = [];

  isEmpty(): bool {
    return this.drop.length == 0 && this.mask.length == 0 && this.hash.length == 0;
  }
}

export const UNSCANNABLE_DROP_BODY: i32 = 0;
export const UNSCANNABLE_SKIP: i32 = 1;

export class RedactConfig {
  /** False when the policy has no "redact" section: the copy is sent as the primary's. */
  enabled: bool = false;
  headers: NameRules = new NameRules();
  query: NameRules = new NameRules();
  json: JsonRule[] = [];
  detectors: i32 = 0;
  detectorHash: bool = false;
  hashKey: ArrayBuffer = new ArrayBuffer(0);
  onUnscannable: i32 = UNSCANNABLE_DROP_BODY;
  /** Content types mirrored without scanning, by explicit choice ("type/subtype" or "type/*"). */
  passThrough: string[] = [];
}

export class Policy {
  role: i32 = ROLE_MIRROR;
  shadow: ShadowConfig = new ShadowConfig();
  tag: TagConfig = new TagConfig();
  redact: RedactConfig = new RedactConfig();
  select: SelectConfig = new SelectConfig();
  guard: GuardConfig = new GuardConfig();
  inPlace: InPlaceConfig = new InPlaceConfig();
  compare: CompareConfig = new CompareConfig();
}

/** Variables of the plugin's VM environment (vm_config.environment_variables), for "env:NAME" references. */
export class Environment {
  names: string[] = [];
  values: string[] = [];

  get(name: string): string | null {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] == name) return this.values[i];
    return null;
  }
}

export class ParseResult {
  policy: Policy | null = null;
  error: string = "";
}


/** Reads one JSON object's fields, remembering which were consumed, so leftovers can be reported as unknown. */
class Fields {
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

function lowerAscii(s: string): string {
  return s.toLowerCase();
}

function parseNameRules(f: Fields, rules: NameRules, headerNames: bool): string {
  const kinds = ["drop", "mask", "hash"];
  for (let k = 0; k < kinds.length; k++) {
    const list = f.strList(kinds[k]);
    if (f.error.length > 0) return f.error;
    if (list == null) continue;
    const target = k == 0 ? rules.drop : k == 1 ? rules.mask : rules.hash;
    for (let i = 0; i < list.length; i++) {
      const name = lowerAscii(list[i]);
      if (headerNames && (!isHeaderName(name) && !(name.length > 1 && name.charCodeAt(0) == 0x3a))) {
        return f.name(kinds[k] + "[" + i.toString() + "]") + ": \"" + list[i] + "\" is not an HTTP header name";
      }
      if (headerNames && name.charCodeAt(0) == 0x3a) {
        return f.name(kinds[k] + "[" + i.toString() + "]") + ": pseudo-headers such as \"" + list[i] + "\" cannot be redacted";
      }
      target.push(name);
    }
  }
  f.finish();
  if (f.error.length > 0) return f.error;
  // One name with two actions is ambiguous: say which instead of picking one.
  const all: string[] = [];
  for (let k = 0; k < 3; k++) {
    const list = k == 0 ? rules.drop : k == 1 ? rules.mask : rules.hash;
    for (let i = 0; i < list.length; i++) {
      if (all.includes(list[i])) return f.name(kinds[k]) + ": \"" + list[i] + "\" appears under more than one action";
      all.push(list[i]);
    }
  }
  return "";
}

function parseRedact(obj: JSON.Obj, env: Environment, r: RedactConfig): string {
  const f = new Fields(obj, "redact");
  r.enabled = true;
  const headers = f.obj("headers");
  if (f.error.length > 0) return f.error;
  if (headers != null) {
    const e = parseNameRules(new Fields(headers, "redact.headers"), r.headers, true);
    if (e.length > 0) return e;
  }
  const query = f.obj("query");
  if (f.error.length > 0) return f.error;
  if (query != null) {
    const e = parseNameRules(new Fields(query, "redact.query"), r.query, false);
    if (e.length > 0) return e;
  }
  const json = f.obj("json");
  if (f.error.length > 0) return f.error;
  if (json != null) {
    const jf = new Fields(json, "redact.json");
    const kinds = ["drop", "mask", "hash"];
    const actions: u8[] = [ACTION_DROP, ACTION_MASK, ACTION_HASH];
    for (let k = 0; k < kinds.length; k++) {
      const list = jf.strList(kinds[k]);
      if (jf.error.length > 0) return jf.error;
      if (list == null) continue;
      for (let i = 0; i < list.length; i++) {
        const parsed = compileJsonPath(list[i]);
        if (parsed.path == null) return "redact.json." + kinds[k] + "[" + i.toString() + "]: \"" + list[i] + "\": " + parsed.error;
        r.json.push(new JsonRule(parsed.path!, actions[k]));
      }
    }
    jf.finish();
    if (jf.error.length > 0) return jf.error;
  }
  const detectors = f.strList("detectors");
  if (f.error.length > 0) return f.error;
  if (detectors != null) {
    for (let i = 0; i < detectors.length; i++) {
      const bit = detectorBit(detectors[i]);
      if (bit == 0) return "redact.detectors[" + i.toString() + "]: unknown detector \"" + detectors[i] + "\" (known: card, email, ssn, jwt, iban, phone)";
      r.detectors |= bit;
    }
  }
  const detectorAction = f.str("detector_action", "mask");
  if (detectorAction == "hash") r.detectorHash = true;
  else if (detectorAction != "mask" && f.error.length == 0) return "redact.detector_action: must be \"mask\" or \"hash\", got \"" + detectorAction + "\"";

  const keyRef = f.str("hash_key", "");
  if (f.error.length > 0) return f.error;
  let needsKey = r.detectorHash || r.headers.hash.length > 0 || r.query.hash.length > 0;
  for (let i = 0; i < r.json.length; i++) if (r.json[i].action == ACTION_HASH) needsKey = true;
  if (keyRef.length > 0) {
    let key = "";
    if (keyRef.startsWith("env:")) {
      const name = keyRef.substring(4);
      const value = env.get(name);
      // Never echo the key itself, only where it was looked for.
      if (value == null) return "redact.hash_key: environment variable " + name + " is not set in the plugin's VM environment (vm_config.environment_variables)";
      key = value;
    } else if (keyRef.startsWith("inline:")) {
      key = keyRef.substring(7);
    } else {
      return "redact.hash_key: must be \"env:<VARIABLE>\" or \"inline:<key>\"";
    }
    const bytes = String.UTF8.encode(key);
    if (bytes.byteLength < 16) return "redact.hash_key: the key must be at least 16 bytes long";
    r.hashKey = bytes;
  } else if (needsKey) {
    return "redact.hash_key: is required when a hash rule or detector_action \"hash\" is configured";
  }

  const body = f.obj("body");
  if (f.error.length > 0) return f.error;
  if (body != null) {
    const bf = new Fields(body, "redact.body");
    const on = bf.str("on_unscannable", "drop_body");
    if (on == "drop_body") r.onUnscannable = UNSCANNABLE_DROP_BODY;
    else if (on == "skip") r.onUnscannable = UNSCANNABLE_SKIP;
    else if (bf.error.length == 0) return "redact.body.on_unscannable: must be \"drop_body\" or \"skip\", got \"" + on + "\"";
    const pass = bf.strList("pass_through");
    if (pass != null) {
      for (let i = 0; i < pass.length; i++) {
        const t = lowerAscii(pass[i]);
        const slash = t.indexOf("/");
        if (slash <= 0 || slash == t.length - 1) return "redact.body.pass_through[" + i.toString() + "]: \"" + pass[i] + "\" is not a media type such as application/octet-stream or image/*";
        r.passThrough.push(t);
      }
    }
    bf.finish();
    if (bf.error.length > 0) return bf.error;
  }
  f.finish();
  return f.error;
}

const MATCHER_KEYS = ["exact", "in", "prefix", "suffix", "contains", "present", "absent", "glob"];
const MATCHER_KINDS: u8[] = [MATCH_EXACT, MATCH_IN, MATCH_PREFIX, MATCH_SUFFIX, MATCH_CONTAINS, MATCH_PRESENT, MATCH_ABSENT, MATCH_GLOB];

/**
 * Reads exactly one matcher key (exact, in, prefix, ...) from f into m.
 * `allowed` lists which keys this kind of condition takes.
 */
function parseMatcher(f: Fields, where: string, allowed: string[], m: StringMatcher, lower: bool): string {
  let found = "";
  for (let i = 0; i < MATCHER_KEYS.length; i++) {
    const key = MATCHER_KEYS[i];
    if (!f.has(key)) continue;
    if (!allowed.includes(key)) return f.name(key) + ": not allowed here (use one of " + allowed.join(", ") + ")";
    if (found.length > 0) return where + ": give one of " + allowed.join(", ") + ", not both \"" + found + "\" and \"" + key + "\"";
    found = key;
    m.kind = MATCHER_KINDS[i];
    if (key == "present" || key == "absent") {
      const b = f.bool(key, false);
      if (f.error.length > 0) return f.error;
      if (!b) return f.name(key) + ": must be true (use the other of present/absent instead of false)";
    } else if (key == "in") {
      const list = f.strList(key);
      if (f.error.length > 0) return f.error;
      for (let j = 0; j < list!.length; j++) m.values.push(String.UTF8.encode(lower ? list![j].toLowerCase() : list![j]));
    } else {
      const v = f.str(key, "", true);
      if (f.error.length > 0) return f.error;
      m.values.push(String.UTF8.encode(lower ? v.toLowerCase() : v));
    }
  }
  if (found.length == 0) return where + ": needs one of " + allowed.join(", ");
  m.ignoreCase = lower;
  return "";
}

const VALUE_MATCHERS = ["exact", "in", "prefix", "suffix", "contains", "present", "absent"];
const PATH_MATCHERS = ["exact", "prefix", "glob"];
const HOST_MATCHERS = ["exact", "in", "prefix", "suffix", "contains"];

/** A condition written as an object ("path", "query", "host"): one matcher, plus the parameter name for "query". */
function objectCondition(f: Fields, where: string, key: string, kind: u8, matchers: string[], lower: bool, out: Rule): string {
  const obj = f.obj(key);
  if (f.error.length > 0) return f.error;
  if (obj == null) return "";
  const c = new Condition();
  c.kind = kind;
  const sub = new Fields(obj, where + "." + key);
  if (kind == COND_QUERY) {
    c.name = String.UTF8.encode(sub.str("name", "", true));
    if (sub.error.length > 0) return sub.error;
  }
  const e = parseMatcher(sub, where + "." + key, matchers, c.matcher, lower);
  if (e.length > 0) return e;
  sub.finish();
  if (sub.error.length > 0) return sub.error;
  out.conditions.push(c);
  return "";
}

function parseRule(v: JSON.Value, where: string, out: Rule): string {
  if (v.type != JSON.Types.Object) return where + ": must be an object";
  const f = new Fields(v.get<JSON.Obj>(), where);
  out.name = f.str("name", "");
  if (f.error.length > 0) return f.error;
  if (f.has("header")) {
    const c = new Condition();
    c.kind = COND_HEADER;
    const name = f.str("header", "", true);
    if (f.error.length > 0) return f.error;
    if (!isHeaderName(name.toLowerCase())) return f.name("header") + ": \"" + name + "\" is not an HTTP header name";
    c.name = String.UTF8.encode(name.toLowerCase());
    const e = parseMatcher(f, where, VALUE_MATCHERS, c.matcher, false);
    if (e.length > 0) return e;
    out.conditions.push(c);
  } else {
    for (let i = 0; i < MATCHER_KEYS.length; i++) {
      if (f.has(MATCHER_KEYS[i])) return f.name(MATCHER_KEYS[i]) + ": belongs to a header condition; add \"header\": \"<name>\"";
    }
  }
  let e = objectCondition(f, where, "path", COND_PATH, PATH_MATCHERS, false, out);
  if (e.length > 0) return e;
  const methods = f.strList("methods");
  if (f.error.length > 0) return f.error;
  if (methods != null) {
    const c = new Condition();
    c.kind = COND_METHOD;
    c.matcher.kind = MATCH_IN;
    for (let i = 0; i < methods.length; i++) c.matcher.values.push(String.UTF8.encode(methods[i].toUpperCase()));
    out.conditions.push(c);
  }
  e = objectCondition(f, where, "query", COND_QUERY, VALUE_MATCHERS, false, out);
  if (e.length > 0) return e;
  e = objectCondition(f, where, "host", COND_HOST, HOST_MATCHERS, true, out);
  if (e.length > 0) return e;
  f.finish();
  if (f.error.length > 0) return f.error;
  if (out.conditions.length == 0) return where + ": a rule needs at least one condition (header, path, methods, query or host)";
  return "";
}

function parseRules(f: Fields, key: string, out: Rule[]): string {
  const v = f.value(key);
  if (v == null) return f.error;
  if (v.type != JSON.Types.Array) return f.name(key) + ": must be an array of rules";
  const items = v.get<JSON.Arr>();
  if (items.length == 0) return f.name(key) + ": must not be an empty list (leave the field out instead)";
  for (let i = 0; i < items.length; i++) {
    const rule = new Rule();
    const e = parseRule(items.at(i), f.name(key) + "[" + i.toString() + "]", rule);
    if (e.length > 0) return e;
    // The copy names the rule that selected it: its name, or its position.
    rule.label = String.UTF8.encode(rule.name.length > 0 ? rule.name : i.toString());
    out.push(rule);
  }
  return "";
}

function parseSelect(obj: JSON.Obj, s: SelectConfig): string {
  const f = new Fields(obj, "select");
  s.enabled = true;
  s.percent = f.num("percent", 100, 0, 100);
  if (f.error.length > 0) return f.error;
  const hashHeader = f.str("hash_header", "");
  if (f.error.length > 0) return f.error;
  if (hashHeader.length > 0) {
    if (!isHeaderName(hashHeader.toLowerCase())) return "select.hash_header: \"" + hashHeader + "\" is not an HTTP header name";
    if (!f.has("percent")) return "select.hash_header: only meaningful with select.percent";
    s.hashHeader = String.UTF8.encode(hashHeader.toLowerCase());
  }
  let e = parseRules(f, "match", s.match);
  if (e.length > 0) return e;
  e = parseRules(f, "exclude", s.exclude);
  if (e.length > 0) return e;
  const rl = f.obj("rate_limit");
  if (f.error.length > 0) return f.error;
  if (rl != null) {
    const rf = new Fields(rl, "select.rate_limit");
    const r = new RateLimit();
    if (!rf.has("per_second")) return "select.rate_limit.per_second: is required";
    r.perSecond = rf.num("per_second", 0, 0.001, 1e9);
    r.burst = rf.num("burst", Math.max(1, r.perSecond), 1, 1e9);
    rf.finish();
    if (rf.error.length > 0) return rf.error;
    s.rateLimit = r;
  }
  s.maxInflight = f.uint("max_inflight", 0, 1, 1000000);
  f.finish();
  return f.error;
}

function parseGuard(obj: JSON.Obj, g: GuardConfig): string {
  const f = new Fields(obj, "guard");
  if (!f.has("destinations")) return "guard.destinations: is required (the side-effect destinations shadow traffic must not reach)";
  let e = parseRules(f, "destinations", g.destinations);
  if (e.length > 0) return e;
  const response = f.obj("response");
  if (f.error.length > 0) return f.error;
  if (response != null) {
    const r = new Fields(response, "guard.response");
    g.status = r.uint("status", 200, 200, 599);
    g.body = r.str("body", "");
    const headers = r.obj("headers");
    if (r.error.length > 0) return r.error;
    if (headers != null) {
      const names = headers.keys();
      for (let i = 0; i < names.length; i++) {
        const name = names[i].toLowerCase();
        const v = headers.get(names[i])!;
        if (!isHeaderName(name)) return "guard.response.headers: \"" + names[i] + "\" is not an HTTP header name";
        if (v.type != JSON.Types.String) return "guard.response.headers." + names[i] + ": must be a string";
        if (hasControlChars(v.get<string>())) return "guard.response.headers." + names[i] + ": must not contain control characters";
        g.headerNames.push(name);
        g.headerValues.push(v.get<string>());
      }
    }
    r.finish();
    if (r.error.length > 0) return r.error;
  }
  f.finish();
  return f.error;
}

function isBaggageKey(s: string): bool {
  // RFC 7230 token, as W3C baggage keys are; upper case allowed here.
  return s.length > 0 && isHeaderName(s.toLowerCase());
}

function parseTag(top: Fields, t: TagConfig): string {
  const tagObj = top.obj("tag");
  if (top.error.length > 0) return top.error;
  if (tagObj == null) return "";
  const tag = new Fields(tagObj, "tag");
  t.header = tag.str("header", t.header);
  t.value = tag.str("value", t.value);
  t.stripFromPrimary = tag.bool("strip_from_primary", t.stripFromPrimary);
  t.baggageKey = tag.str("baggage_key", t.baggageKey);
  t.addBaggage = tag.bool("baggage", t.addBaggage);
  tag.finish();
  if (tag.error.length > 0) return tag.error;
  if (!isHeaderName(t.header) || t.header.charCodeAt(0) == 0x3a) return "tag.header: must be a lower-case HTTP header name, got \"" + t.header + "\"";
  if (hasControlChars(t.value)) return "tag.value: must not contain control characters";
  if (!isBaggageKey(t.baggageKey)) return "tag.baggage_key: \"" + t.baggageKey + "\" is not a valid baggage key";
  for (let i = 0; i < t.value.length; i++) {
    const c = t.value.charCodeAt(i);
    if (c == 0x2c || c == 0x3b || c == 0x3d || c == 0x20 || c == 0x22 || c == 0x5c || c > 0x7e) {
      return "tag.value: \"" + t.value + "\" cannot travel in baggage (no spaces, commas, semicolons, equals signs, quotes or non-ASCII)";
    }
  }
  return "";
}

function parseInPlace(obj: JSON.Obj, where: string, recognize: bool, c: InPlaceConfig): string {
  const f = new Fields(obj, where);
  if (recognize) {
    const list = f.strList("recognize");
    if (f.error.length > 0) return f.error;
    if (list != null) {
      c.recognizeHostSuffix = false;
      c.recognizeTag = false;
      for (let i = 0; i < list.length; i++) {
        if (list[i] == "host_suffix") c.recognizeHostSuffix = true;
        else if (list[i] == "tag") c.recognizeTag = true;
        else return where + ".recognize[" + i.toString() + "]: must be \"host_suffix\" or \"tag\", got \"" + list[i] + "\"";
      }
    }
  }
  c.restoreHost = f.bool("restore_host", c.restoreHost);
  c.notSelectedStatus = f.uint("not_selected_status", c.notSelectedStatus, 200, 599);
  c.maxBodyBytes = f.uint("max_body_bytes", c.maxBodyBytes, 0, 64 * 1048576);
  f.finish();
  return f.error;
}

function parseCompare(obj: JSON.Obj, c: CompareConfig): string {
  const f = new Fields(obj, "compare");
  c.enabled = true;
  const headers = f.strList("headers");
  if (f.error.length > 0) return f.error;
  if (headers != null) {
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i].toLowerCase();
      if (!isHeaderName(h) && h != ":status") return "compare.headers[" + i.toString() + "]: \"" + headers[i] + "\" is not an HTTP header name";
      c.headers.push(h);
    }
  }
  const paths = f.strList("ignore_paths");
  if (f.error.length > 0) return f.error;
  if (paths != null) {
    for (let i = 0; i < paths.length; i++) {
      const parsed = compileJsonPath(paths[i]);
      if (parsed.path == null) return "compare.ignore_paths[" + i.toString() + "]: \"" + paths[i] + "\": " + parsed.error;
      c.ignorePaths.push(parsed.path!);
    }
  }
  c.tolerance = f.num("numeric_tolerance", 0, 0, 1e300);
  c.maxBodyBytes = f.uint("max_body_bytes", c.maxBodyBytes, 0, 16 * 1048576);
  c.pairTimeoutMs = f.uint("pair_timeout_ms", c.pairTimeoutMs, 100, 600000);
  const level = f.str("log_level", "info");
  if (level == "debug") c.logLevel = 1;
  else if (level == "info") c.logLevel = 2;
  else if (level == "warn") c.logLevel = 3;
  else if (level == "error") c.logLevel = 4;
  else if (f.error.length == 0) return "compare.log_level: must be one of \"debug\", \"info\", \"warn\", \"error\", got \"" + level + "\"";
  const noise = f.obj("noise");
  if (f.error.length > 0) return f.error;
  if (noise != null) {
    const nf = new Fields(noise, "compare.noise");
    c.noiseCluster = nf.str("cluster", "", true);
    c.noisePercent = nf.num("percent", 10, 0.001, 100);
    nf.finish();
    if (nf.error.length > 0) return nf.error;
  }
  const sink = f.obj("sink");
  if (f.error.length > 0) return f.error;
  if (sink != null) {
    const sf = new Fields(sink, "compare.sink");
    c.sinkCluster = sf.str("cluster", "", true);
    c.sinkPath = sf.str("path", c.sinkPath);
    sf.finish();
    if (sf.error.length > 0) return sf.error;
    if (!c.sinkPath.startsWith("/")) return "compare.sink.path: must start with \"/\"";
  }
  f.finish();
  return f.error;
}

/** Sections that only some roles use: present under another role they would be silently ignored, so they are errors. */
function refuseSection(top: Fields, key: string, role: string): string {
  return top.has(key) ? key + ": not used by role \"" + role + "\"" : "";
}

/** The optional "select" section, shared by every role that selects. */
function selectSection(top: Fields, policy: Policy): string {
  const obj = top.obj("select");
  if (top.error.length > 0) return top.error;
  return obj == null ? "" : parseSelect(obj, policy.select);
}

/** The optional "redact" section, shared by every role that redacts. */
function redactSection(top: Fields, env: Environment, policy: Policy): string {
  const obj = top.obj("redact");
  if (top.error.length > 0) return top.error;
  return obj == null ? "" : parseRedact(obj, env, policy.redact);
}

/** Last check of every role: no field left unread. */
function succeed(top: Fields, policy: Policy): ParseResult {
  top.finish();
  if (top.error.length > 0) return fail(top.error);
  const ok = new ParseResult();
  ok.policy = policy;
  return ok;
}

export function parsePolicy(text: string, env: Environment = new Environment()): ParseResult {
  if (text.length == 0) return fail("configuration is empty: expected a JSON object such as {\"role\":\"mirror\",\"shadow\":{\"cluster\":\"shadow\"}}");
  if (!validateJSON(text)) return fail("configuration is not valid JSON");
  const root = JSON.parse<JSON.Value>(text);
  if (root.type != JSON.Types.Object) return fail("configuration must be a JSON object");
  const top = new Fields(root.get<JSON.Obj>(), "");
  const policy = new Policy();

  const role = top.str("role", "", true);
  if (top.error.length > 0) return fail(top.error);
  if (role == "egress-guard") {
    policy.role = ROLE_EGRESS_GUARD;
    for (let i = 0; i < 6; i++) {
      const e = refuseSection(top, ["shadow", "select", "redact", "inbound", "upstream", "compare"][i], role);
      if (e.length > 0) return fail(e);
    }
    const guardObj = top.obj("guard");
    if (top.error.length > 0) return fail(top.error);
    if (guardObj == null) return fail("guard: is required for role \"egress-guard\"");
    const e = parseGuard(guardObj, policy.guard);
    if (e.length > 0) return fail(e);
    const te = parseTag(top, policy.tag);
    if (te.length > 0) return fail(te);
    return succeed(top, policy);
  }
  if (role == "shadow" || role == "upstream") {
    policy.role = role == "shadow" ? ROLE_SHADOW : ROLE_UPSTREAM;
    for (let i = 0; i < 3; i++) {
      const e = refuseSection(top, ["shadow", "guard", "compare"][i], role);
      if (e.length > 0) return fail(e);
    }
    const other = role == "shadow" ? "upstream" : "inbound";
    const oe = refuseSection(top, other, role);
    if (oe.length > 0) return fail(oe);
    const section = top.obj(role == "shadow" ? "inbound" : "upstream");
    if (top.error.length > 0) return fail(top.error);
    if (section != null) {
      const e = parseInPlace(section, role == "shadow" ? "inbound" : "upstream", role == "shadow", policy.inPlace);
      if (e.length > 0) return fail(e);
    }
    const te = parseTag(top, policy.tag);
    if (te.length > 0) return fail(te);
    const se = selectSection(top, policy);
    if (se.length > 0) return fail(se);
    // Envoy sends these copies itself; its shadow cluster's circuit breakers bound them.
    if (policy.select.maxInflight > 0) return fail("select.max_inflight: not used by role \"" + role + "\" (bound copies in flight with the shadow cluster's circuit breakers)");
    const re = redactSection(top, env, policy);
    if (re.length > 0) return fail(re);
    return succeed(top, policy);
  }
  if (role != "mirror") return fail("role: must be one of \"mirror\", \"upstream\", \"shadow\", \"egress-guard\", got \"" + role + "\"");
  for (let i = 0; i < 3; i++) {
    const e = refuseSection(top, ["guard", "inbound", "upstream"][i], role);
    if (e.length > 0) return fail(e);
  }

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

  const te = parseTag(top, policy.tag);
  if (te.length > 0) return fail(te);

  const se = selectSection(top, policy);
  if (se.length > 0) return fail(se);
  const re = redactSection(top, env, policy);
  if (re.length > 0) return fail(re);

  const compareObj = top.obj("compare");
  if (top.error.length > 0) return fail(top.error);
  if (compareObj != null) {
    const e = parseCompare(compareObj, policy.compare);
    if (e.length > 0) return fail(e);
  }

  return succeed(top, policy);
}
