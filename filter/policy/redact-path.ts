// redact.path (segment templates, compiled once: redact/path-template.ts) and
// redact.url_headers (the headers whose values are URLs).
import { JSON } from "json-as";
import { Fields, isHeaderName, lowerAscii } from "./fields";
import { RedactConfig } from "./types";
import { PathTemplate, compilePathTemplate } from "../redact/path-template";
import { ACTION_MASK, ACTION_HASH } from "../redact/edits";
import * as D from "./defaults";

/** redact.path: {"mask": [templates], "hash": [templates]}. */
function parsePath(f: Fields, r: RedactConfig): string {
  const kinds = ["mask", "hash"];
  const actions: u8[] = [ACTION_MASK, ACTION_HASH];
  for (let k = 0; k < 2; k++) {
    const list = f.strList(kinds[k]);
    if (f.error.length > 0) return f.error;
    if (list == null) continue;
    for (let i = 0; i < list.length; i++) {
      const field = f.name(kinds[k] + "[" + i.toString() + "]");
      const t = new PathTemplate();
      const e = compilePathTemplate(list[i], actions[k], t);
      if (e.length > 0) return field + ": \"" + list[i] + "\": " + e;
      for (let j = 0; j < r.path.length; j++) {
        const other = r.path[j];
        if (other.source != list[i]) continue;
        return other.action == actions[k] ? field + ": \"" + list[i] + "\" appears twice in " + kinds[k] : field + ": \"" + list[i] + "\" is also under mask (one action per template)";
      }
      if (r.path.length >= D.REDACT_PATH_MAX_TEMPLATES) return field + ": at most " + D.REDACT_PATH_MAX_TEMPLATES.toString() + " templates";
      r.path.push(t);
    }
  }
  f.finish();
  return f.error;
}

/** redact.url_headers: a list of header names replacing the default one; [] for none. */
function parseUrlHeaders(v: JSON.Value, r: RedactConfig): string {
  if (v.type != JSON.Types.Array) return "redact.url_headers: must be an array of header names";
  const items = v.get<JSON.Arr>();
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items.at(i);
    const field = "redact.url_headers[" + i.toString() + "]";
    if (item.type != JSON.Types.String) return field + ": must be a header name";
    const name = lowerAscii(item.get<string>());
    if (!isHeaderName(name)) return field + ": \"" + item.get<string>() + "\" is not an HTTP header name";
    if (out.indexOf(name) >= 0) return field + ": \"" + item.get<string>() + "\" appears twice";
    out.push(name);
  }
  r.urlHeaders = out;
  return "";
}

/** Reads redact.path and redact.url_headers from the redact section's fields. */
export function parseRedactPath(f: Fields, r: RedactConfig): string {
  const path = f.obj("path");
  if (f.error.length > 0) return f.error;
  if (path != null) {
    const e = parsePath(new Fields(path, "redact.path"), r);
    if (e.length > 0) return e;
  }
  const urls = f.value("url_headers");
  if (urls != null) {
    const e = parseUrlHeaders(urls, r);
    if (e.length > 0) return e;
  }
  return "";
}
