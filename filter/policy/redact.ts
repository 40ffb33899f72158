// The redact section: header, query and JSON rules, detectors, the hash key
// (from the VM environment or inline), and what happens to bodies that cannot
// be scanned.
import { JSON } from "json-as";
import { Fields, isHeaderName, lowerAscii } from "./fields";
import { RedactConfig, NameRules, Environment, KeepConfig, UNSCANNABLE_DROP_BODY, UNSCANNABLE_SKIP } from "./types";
import { compileJsonPath, JsonRule } from "../json/path";
import { detectorBit } from "../redact/detectors";
import { ACTION_MASK, ACTION_HASH, ACTION_DROP } from "../redact/edits";
import { foldString } from "../util/fold";
import { parseRedactPath } from "./redact-path";
import { parseRedactGrpc } from "./redact-grpc";
import * as D from "./defaults";

/** One item of a query-name or JSON-path list: a string, or {"name" | "path": ..., "match_case": bool}. */
class Item {
  constructor(public text: string, public matchCase: bool) {}
}

/**
 * A non-empty list of non-empty strings or objects {<key>: string, "match_case": bool}
 * (match_case: compare names byte for byte instead of folded); null when absent (or on error, in f.error).
 */
function itemList(f: Fields, field: string, key: string): Item[] | null {
  const v = f.value(field);
  if (v == null) return null;
  const shape = "must be a non-empty string or {\"" + key + "\": \"...\", \"match_case\": true}";
  if (v.type != JSON.Types.Array) {
    if (f.error.length == 0) f.error = f.name(field) + ": must be an array";
    return null;
  }
  const items = v.get<JSON.Arr>();
  if (items.length == 0) {
    if (f.error.length == 0) f.error = f.name(field) + ": must not be an empty list (leave the field out instead)";
    return null;
  }
  const out: Item[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items.at(i);
    const at = f.name(field + "[" + i.toString() + "]");
    if (item.type == JSON.Types.String && item.get<string>().length > 0) {
      out.push(new Item(item.get<string>(), false));
      continue;
    }
    if (item.type != JSON.Types.Object) {
      if (f.error.length == 0) f.error = at + ": " + shape;
      return null;
    }
    const o = new Fields(item.get<JSON.Obj>(), at);
    const text = o.str(key, "", true);
    const matchCase = o.bool("match_case", false);
    o.finish();
    if (o.error.length > 0) {
      if (f.error.length == 0) f.error = o.error;
      return null;
    }
    out.push(new Item(text, matchCase));
  }
  return out;
}

function parseNameRules(f: Fields, rules: NameRules, headerNames: bool): string {
  const kinds = ["drop", "mask", "hash"];
  for (let k = 0; k < kinds.length; k++) {
    let list: string[] | null = null;
    if (headerNames) list = f.strList(kinds[k]);
    else {
      const items = itemList(f, kinds[k], "name");
      if (items != null) {
        list = [];
        for (let i = 0; i < items.length; i++) {
          list.push(items[i].text);
          if (items[i].matchCase && !rules.matchCase.includes(items[i].text)) rules.matchCase.push(items[i].text);
        }
      }
    }
    if (f.error.length > 0) return f.error;
    if (list == null) continue;
    const target = k == 0 ? rules.drop : k == 1 ? rules.mask : rules.hash;
    for (let i = 0; i < list.length; i++) {
      // Header names are compared lower-case; query names as given (NameSet folds them unless match_case).
      const name = headerNames ? lowerAscii(list[i]) : list[i];
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
  // One name twice is a mistake, with two actions ambiguous: say which instead of picking one
  // (query names compared folded, so "Token" and "TOKEN" are one name).
  const all: string[] = [];
  const where: string[] = [];
  for (let k = 0; k < 3; k++) {
    const list = k == 0 ? rules.drop : k == 1 ? rules.mask : rules.hash;
    for (let i = 0; i < list.length; i++) {
      const at = all.indexOf(headerNames ? list[i] : foldString(list[i]));
      if (at >= 0) {
        const field = f.name(kinds[k] + "[" + i.toString() + "]");
        return where[at] == kinds[k]
          ? field + ": \"" + list[i] + "\" appears twice in " + kinds[k]
          : field + ": \"" + list[i] + "\" is also under " + where[at] + " (one action per name)";
      }
      all.push(headerNames ? list[i] : foldString(list[i]));
      where.push(kinds[k]);
    }
  }
  return "";
}

/** redact.keep: the names and paths that pass in the allow-list mode. */
function parseKeep(f: Fields, k: KeepConfig): string {
  const headers = f.strList("headers");
  if (f.error.length > 0) return f.error;
  if (headers != null) {
    for (let i = 0; i < headers.length; i++) {
      const name = lowerAscii(headers[i]);
      if (!isHeaderName(name)) return f.name("headers[" + i.toString() + "]") + ": \"" + headers[i] + "\" is not an HTTP header name";
      if (k.headers.indexOf(name) >= 0) return f.name("headers[" + i.toString() + "]") + ": \"" + headers[i] + "\" appears twice";
      k.headers.push(name);
    }
  }
  const query = itemList(f, "query", "name");
  if (f.error.length > 0) return f.error;
  if (query != null) {
    for (let i = 0; i < query.length; i++) {
      const name = query[i].text;
      if (name.length == 0) return f.name("query[" + i.toString() + "]") + ": a parameter name cannot be empty";
      if (k.query.indexOf(name) >= 0) return f.name("query[" + i.toString() + "]") + ": \"" + name + "\" appears twice";
      k.query.push(name);
      if (query[i].matchCase) k.queryMatchCase.push(name);
    }
  }
  const json = itemList(f, "json", "path");
  if (f.error.length > 0) return f.error;
  if (json != null) {
    for (let i = 0; i < json.length; i++) {
      const source = json[i].text;
      const parsed = compileJsonPath(source);
      if (parsed.path == null) return f.name("json[" + i.toString() + "]") + ": \"" + source + "\": " + parsed.error;
      for (let j = 0; j < k.json.length; j++) {
        if (k.json[j].source == source) return f.name("json[" + i.toString() + "]") + ": \"" + source + "\" appears twice";
      }
      parsed.path!.matchCase = json[i].matchCase;
      k.json.push(parsed.path!);
    }
  }
  f.finish();
  return f.error;
}

export function parseRedact(obj: JSON.Obj, env: Environment, r: RedactConfig): string {
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
      const items = itemList(jf, kinds[k], "path");
      if (jf.error.length > 0) return jf.error;
      if (items == null) continue;
      for (let i = 0; i < items.length; i++) {
        const source = items[i].text;
        const field = "redact.json." + kinds[k] + "[" + i.toString() + "]";
        const parsed = compileJsonPath(source);
        if (parsed.path == null) return field + ": \"" + source + "\": " + parsed.error;
        for (let j = 0; j < r.json.length; j++) {
          const other = r.json[j];
          if (other.path.source != source) continue;
          if (other.action == actions[k]) return field + ": \"" + source + "\" appears twice in " + kinds[k];
          return field + ": \"" + source + "\" is also under " + kinds[actions.indexOf(other.action)] + " (one action per path)";
        }
        parsed.path!.matchCase = items[i].matchCase;
        r.json.push(new JsonRule(parsed.path!, actions[k]));
      }
    }
    jf.finish();
    if (jf.error.length > 0) return jf.error;
  }
  const keep = f.obj("keep");
  if (f.error.length > 0) return f.error;
  if (keep != null) {
    const k = new KeepConfig();
    const e = parseKeep(new Fields(keep, "redact.keep"), k);
    if (e.length > 0) return e;
    r.keep = k;
  }
  const pathError = parseRedactPath(f, r);
  if (pathError.length > 0) return pathError;
  // After json and keep: with a descriptor set, their paths are checked against it.
  const grpcError = parseRedactGrpc(f, env, r);
  if (grpcError.length > 0) return grpcError;
  const detectors = f.strList("detectors");
  if (f.error.length > 0) return f.error;
  if (detectors != null) {
    for (let i = 0; i < detectors.length; i++) {
      const bit = detectorBit(detectors[i]);
      if (bit == 0) return "redact.detectors[" + i.toString() + "]: unknown detector \"" + detectors[i] + "\" (known: card, email, ssn, jwt, iban, phone)";
      if (r.detectors & bit) return "redact.detectors[" + i.toString() + "]: \"" + detectors[i] + "\" appears twice";
      r.detectors |= bit;
    }
  }
  const detectorAction = f.str("detector_action", D.REDACT_DETECTOR_ACTION);
  if (detectorAction == "hash") r.detectorHash = true;
  else if (detectorAction != "mask" && f.error.length == 0) return "redact.detector_action: must be \"mask\" or \"hash\", got \"" + detectorAction + "\"";

  const keyRef = f.str("hash_key", "");
  if (f.error.length > 0) return f.error;
  let needsKey = r.detectorHash || r.headers.hash.length > 0 || r.query.hash.length > 0;
  for (let i = 0; i < r.json.length; i++) if (r.json[i].action == ACTION_HASH) needsKey = true;
  for (let i = 0; i < r.path.length; i++) if (r.path[i].action == ACTION_HASH) needsKey = true;
  if (keyRef.length > 0) {
    let key = "";
    if (keyRef.startsWith("env:")) {
      const name = keyRef.substring(4);
      const value = env.get(name);
      // Never echo the key itself, only where it was looked for.
      if (value == null) return Environment.missing("redact.hash_key", name);
      key = value;
    } else if (keyRef.startsWith("inline:")) {
      key = keyRef.substring(7);
    } else {
      return "redact.hash_key: must be \"env:<VARIABLE>\" or \"inline:<key>\"";
    }
    const bytes = String.UTF8.encode(key);
    if (bytes.byteLength < D.REDACT_HASH_KEY_MIN_BYTES) return "redact.hash_key: the key must be at least " + D.REDACT_HASH_KEY_MIN_BYTES.toString() + " bytes long";
    r.hashKey = bytes;
  } else if (needsKey) {
    return "redact.hash_key: is required when a hash rule or detector_action \"hash\" is configured";
  }

  const body = f.obj("body");
  if (f.error.length > 0) return f.error;
  if (body != null) {
    const bf = new Fields(body, "redact.body");
    const on = bf.str("on_unscannable", D.REDACT_ON_UNSCANNABLE);
    if (on == "drop_body") r.onUnscannable = UNSCANNABLE_DROP_BODY;
    else if (on == "skip") r.onUnscannable = UNSCANNABLE_SKIP;
    else if (bf.error.length == 0) return "redact.body.on_unscannable: must be \"drop_body\" or \"skip\", got \"" + on + "\"";
    const pass = bf.strList("pass_through");
    if (pass != null) {
      for (let i = 0; i < pass.length; i++) {
        const t = lowerAscii(pass[i]);
        const slash = t.indexOf("/");
        const type = slash > 0 ? t.substring(0, slash) : "";
        const sub = slash > 0 ? t.substring(slash + 1) : "";
        if (!isHeaderName(type) || !(sub == "*" || isHeaderName(sub))) return "redact.body.pass_through[" + i.toString() + "]: \"" + pass[i] + "\" is not a media type such as application/octet-stream or image/*";
        r.passThrough.push(t);
      }
    }
    bf.finish();
    if (bf.error.length > 0) return bf.error;
  }
  f.finish();
  return f.error;
}

