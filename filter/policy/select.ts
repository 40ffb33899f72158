// The select section (the policy's, and each shadow's) and the rules that the
// select and guard sections share: conditions on header, path, methods, query
// and host, each with one matcher, compiled into byte matchers.
import { JSON } from "json-as";
import { Fields, isHeaderName, lowerAscii } from "./fields";
import { SelectConfig, Rule, Condition, RateLimit, COND_HEADER, COND_PATH, COND_METHOD, COND_QUERY, COND_HOST } from "./types";
import { StringMatcher, MATCH_EXACT, MATCH_IN, MATCH_PREFIX, MATCH_SUFFIX, MATCH_CONTAINS, MATCH_PRESENT, MATCH_ABSENT, MATCH_GLOB } from "../select/matcher";
import * as D from "./defaults";

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
      for (let j = 0; j < list!.length; j++) m.values.push(String.UTF8.encode(lower ? lowerAscii(list![j]) : list![j]));
    } else {
      const v = f.str(key, "", true);
      if (f.error.length > 0) return f.error;
      m.values.push(String.UTF8.encode(lower ? lowerAscii(v) : v));
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
  if (kind == COND_PATH) {
    // Paths compare as written unless the rule says otherwise (the router of the primary may not).
    c.ignoreCase = sub.bool("ignore_case", false);
    if (sub.error.length > 0) return sub.error;
  }
  const e = parseMatcher(sub, where + "." + key, matchers, c.matcher, lower || c.ignoreCase);
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
    if (!isHeaderName(lowerAscii(name))) return f.name("header") + ": \"" + name + "\" is not an HTTP header name";
    c.name = String.UTF8.encode(lowerAscii(name));
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
    for (let i = 0; i < methods.length; i++) {
      // Methods are HTTP tokens; any other string could never match and hides a typo.
      if (!isHeaderName(lowerAscii(methods[i]))) return f.name("methods[" + i.toString() + "]") + ": \"" + methods[i] + "\" is not an HTTP method (a token such as GET or POST)";
      c.matcher.values.push(String.UTF8.encode(methods[i].toUpperCase()));
    }
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

export function parseRules(f: Fields, key: string, out: Rule[]): string {
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
    rule.labelText = rule.name.length > 0 ? rule.name : i.toString();
    rule.label = String.UTF8.encode(rule.labelText);
    out.push(rule);
  }
  return "";
}

/** A select section (the policy's, or a shadow's), read into s; where names it in errors. */
export function parseSelect(obj: JSON.Obj, where: string, s: SelectConfig): string {
  const f = new Fields(obj, where);
  s.enabled = true;
  s.percent = f.num("percent", D.SELECT_PERCENT, D.SELECT_PERCENT_MIN, D.SELECT_PERCENT_MAX);
  if (f.error.length > 0) return f.error;
  const hashHeader = f.str("hash_header", "");
  if (f.error.length > 0) return f.error;
  if (hashHeader.length > 0) {
    if (!isHeaderName(lowerAscii(hashHeader))) return f.name("hash_header") + ": \"" + hashHeader + "\" is not an HTTP header name";
    if (!f.has("percent")) return f.name("hash_header") + ": only meaningful with " + f.name("percent");
    s.hashHeader = String.UTF8.encode(lowerAscii(hashHeader));
  }
  let e = parseRules(f, "match", s.match);
  if (e.length > 0) return e;
  e = parseRules(f, "exclude", s.exclude);
  if (e.length > 0) return e;
  const rl = f.obj("rate_limit");
  if (f.error.length > 0) return f.error;
  if (rl != null) {
    const rf = new Fields(rl, f.name("rate_limit"));
    const r = new RateLimit();
    if (!rf.has("per_second")) return rf.name("per_second") + ": is required";
    r.perSecond = rf.num("per_second", 0, D.SELECT_RATE_PER_SECOND_MIN, D.SELECT_RATE_PER_SECOND_MAX);
    r.burst = rf.num("burst", Math.max(1, r.perSecond), D.SELECT_RATE_BURST_MIN, D.SELECT_RATE_BURST_MAX);
    rf.finish();
    if (rf.error.length > 0) return rf.error;
    s.rateLimit = r;
  }
  s.maxInflight = f.uint("max_inflight", 0, D.SELECT_MAX_INFLIGHT_MIN, D.SELECT_MAX_INFLIGHT_MAX);
  f.finish();
  return f.error;
}
