// The guard section (egress-guard role): side-effect destinations and the stub
// answer, prepared as bytes.
import { JSON } from "json-as";
import { Fields, isHeaderName, hasControlChars, lowerAscii } from "./fields";
import { GuardConfig, StubHeader } from "./types";
import { parseRules } from "./select";
import * as D from "./defaults";

const GUARD_MARK = String.UTF8.encode("x-mirrorshade-guard");
const GUARD_BLOCKED = String.UTF8.encode("blocked");

export function parseGuard(obj: JSON.Obj, g: GuardConfig): string {
  const f = new Fields(obj, "guard");
  if (!f.has("destinations")) return "guard.destinations: is required (the side-effect destinations shadow traffic must not reach)";
  let e = parseRules(f, "destinations", g.destinations);
  if (e.length > 0) return e;
  const response = f.obj("response");
  if (f.error.length > 0) return f.error;
  if (response != null) {
    const r = new Fields(response, "guard.response");
    g.status = r.uint("status", D.GUARD_STATUS, D.GUARD_STATUS_MIN, D.GUARD_STATUS_MAX);
    g.body = String.UTF8.encode(r.str("body", ""));
    const headers = r.obj("headers");
    if (r.error.length > 0) return r.error;
    if (headers != null) {
      const names = headers.keys();
      for (let i = 0; i < names.length; i++) {
        const name = lowerAscii(names[i]);
        const v = headers.get(names[i])!;
        if (!isHeaderName(name)) return "guard.response.headers: \"" + names[i] + "\" is not an HTTP header name";
        if (v.type != JSON.Types.String) return "guard.response.headers." + names[i] + ": must be a string";
        if (hasControlChars(v.get<string>())) return "guard.response.headers." + names[i] + ": must not contain control characters";
        g.headers.push(new StubHeader(String.UTF8.encode(name), String.UTF8.encode(v.get<string>())));
      }
    }
    r.finish();
    if (r.error.length > 0) return r.error;
  }
  f.finish();
  if (f.error.length > 0) return f.error;
  // Every stub says it is one.
  g.headers.push(new StubHeader(GUARD_MARK, GUARD_BLOCKED));
  return "";
}
