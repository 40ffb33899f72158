// Evaluation of compiled rules (policy/types.ts: Rule, Condition) against a request.
import { RequestView } from "./view";
import { Condition, Rule, COND_HEADER, COND_PATH, COND_METHOD, COND_HOST } from "../policy/types";
import { MATCH_ABSENT, MATCH_EXACT } from "./matcher";

function conditionHolds(c: Condition, req: RequestView): bool {
  const m = c.matcher;
  if (c.kind == COND_HEADER) {
    const found = req.header(c.name);
    if (m.kind == MATCH_ABSENT) return !found;
    return found && m.matches(req.foundPtr, req.foundLen);
  }
  if (c.kind == COND_PATH) {
    req.normalPath(c.ignoreCase);
    if (m.matches(req.normalPtr, req.normalPathLen)) return true;
    // An exact path also holds with one trailing '/' (/api/secret/ is /api/secret to most routers).
    const n = req.normalPathLen;
    return m.kind == MATCH_EXACT && n > 1 && load<u8>(req.normalPtr + n - 1) == 0x2f && m.matches(req.normalPtr, n - 1);
  }
  if (c.kind == COND_METHOD) return m.matches(req.methodPtr, req.methodLen);
  if (c.kind == COND_HOST) {
    if (!req.hasHost) return m.kind == MATCH_ABSENT;
    if (m.kind == MATCH_ABSENT) return false;
    // The port is not part of the host name a rule speaks of.
    let hl = req.hostLen;
    let i = <isize>hl - 1;
    while (i >= 0 && load<u8>(req.hostPtr + <usize>i) >= 0x30 && load<u8>(req.hostPtr + <usize>i) <= 0x39) i--;
    if (i >= 0 && i < <isize>hl - 1 && load<u8>(req.hostPtr + <usize>i) == 0x3a) hl = <usize>i;
    return m.matches(req.hostPtr, hl);
  }
  // COND_QUERY
  const v = req.query(c.name);
  if (m.kind == MATCH_ABSENT) return v == null;
  return v != null && m.matches(changetype<usize>(v), <usize>v.byteLength);
}

/** Index of the first rule whose conditions all hold, or -1. */
export function firstMatch(rules: Rule[], req: RequestView): i32 {
  for (let r = 0; r < rules.length; r++) {
    const rule = unchecked(rules[r]);
    let all = true;
    for (let i = 0; i < rule.conditions.length; i++) {
      if (!conditionHolds(unchecked(rule.conditions[i]), req)) {
        all = false;
        break;
      }
    }
    if (all) return r;
  }
  return -1;
}

