// Where copies go (mirror role): "shadow" (one destination, named "shadow") or
// "shadows" (a list, each with a name and optionally its own select section).
import { JSON } from "json-as";
import { Fields, hasControlChars, isHeaderName, isShadowName } from "./fields";
import { ShadowConfig, ON_TOO_LARGE_SKIP, ON_TOO_LARGE_HEADERS_ONLY } from "./types";
import { parseSelect } from "./select";
import * as D from "./defaults";

/** The fields every shadow has, read from f into s. */
function parseDestination(f: Fields, s: ShadowConfig): string {
  const cluster = f.str("cluster", "", true);
  const authority = f.str("authority", "");
  // A call without timeout can wait forever and pin its memory; Envoy treats 0 as none.
  s.timeoutMs = f.uint("timeout_ms", D.SHADOW_TIMEOUT_MS, D.SHADOW_TIMEOUT_MS_MIN, D.SHADOW_TIMEOUT_MS_MAX);
  s.maxBodyBytes = f.uint("max_body_bytes", D.SHADOW_MAX_BODY_BYTES, D.SHADOW_MAX_BODY_BYTES_MIN, D.SHADOW_MAX_BODY_BYTES_MAX);
  s.maxInflight = f.uint("max_inflight", D.SHADOW_MAX_INFLIGHT, D.SHADOW_MAX_INFLIGHT_MIN, D.SHADOW_MAX_INFLIGHT_MAX);
  const tooLarge = f.str("on_body_too_large", D.SHADOW_ON_BODY_TOO_LARGE);
  if (tooLarge == "skip") s.onBodyTooLarge = ON_TOO_LARGE_SKIP;
  else if (tooLarge == "headers_only") s.onBodyTooLarge = ON_TOO_LARGE_HEADERS_ONLY;
  else if (f.error.length == 0) return f.name("on_body_too_large") + ": must be \"skip\" or \"headers_only\", got \"" + tooLarge + "\"";
  const dropped = f.str("body_dropped_header", D.SHADOW_BODY_DROPPED_HEADER);
  if (f.error.length > 0) return f.error;
  const select = f.obj("select");
  if (f.error.length > 0) return f.error;
  if (select != null) {
    const e = parseSelect(select, f.name("select"), s.select);
    if (e.length > 0) return e;
  }
  f.finish();
  if (f.error.length > 0) return f.error;
  if (hasControlChars(cluster)) return f.name("cluster") + ": must not contain control characters";
  if (hasControlChars(authority)) return f.name("authority") + ": must not contain control characters";
  if (!isHeaderName(dropped)) return f.name("body_dropped_header") + ": must be a lower-case HTTP header name";
  s.clusterName = cluster;
  s.cluster = String.UTF8.encode(cluster);
  s.authority = String.UTF8.encode(authority);
  s.bodyDroppedHeader = String.UTF8.encode(dropped);
  return "";
}

/** "shadow": one destination named "shadow"; it takes no name and no select of its own. */
export function parseShadow(obj: JSON.Obj, out: ShadowConfig[]): string {
  const f = new Fields(obj, "shadow");
  if (f.has("name")) return "shadow.name: unknown field (name shadows in a \"shadows\" list)";
  if (f.has("select")) return "shadow.select: unknown field (use the policy's select, or a \"shadows\" list)";
  const s = new ShadowConfig();
  const e = parseDestination(f, s);
  if (e.length > 0) return e;
  out.push(s);
  return "";
}

/** "shadows": a non-empty list of named destinations, names and clusters unique. */
export function parseShadows(v: JSON.Value, out: ShadowConfig[]): string {
  if (v.type != JSON.Types.Array) return "shadows: must be an array of shadows";
  const items = v.get<JSON.Arr>();
  if (items.length == 0) return "shadows: must not be an empty list (leave the field out instead)";
  for (let i = 0; i < items.length; i++) {
    const where = "shadows[" + i.toString() + "]";
    const item = items.at(i);
    if (item.type != JSON.Types.Object) return where + ": must be an object";
    const f = new Fields(item.get<JSON.Obj>(), where);
    const s = new ShadowConfig();
    s.name = f.str("name", "", true);
    if (f.error.length > 0) return f.error;
    if (!isShadowName(s.name, D.SHADOW_NAME_MAX_LENGTH)) {
      return where + ".name: must be a lower-case token (a-z, 0-9, _ and -, starting with a letter or digit, at most " +
        D.SHADOW_NAME_MAX_LENGTH.toString() + " characters), got \"" + s.name + "\"";
    }
    const e = parseDestination(f, s);
    if (e.length > 0) return e;
    for (let j = 0; j < out.length; j++) {
      if (out[j].name == s.name) return where + ".name: \"" + s.name + "\" is used twice";
      if (out[j].clusterName == s.clusterName) return where + ".cluster: \"" + s.clusterName + "\" is used by shadows[" + j.toString() + "] too";
    }
    out.push(s);
  }
  return "";
}
