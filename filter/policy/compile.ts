// Plugin configuration -> compiled policy (policy/types.ts), once per
// configuration. A pure function of the configuration text and the VM
// environment: no host calls, so the CLI validator (through the host emulator)
// and Envoy reach the same verdict. The first error names the field.
import { JSON } from "json-as";
import { validateJSON } from "json-as/assembly/util/validateJson";
import { Fields } from "./fields";
import * as D from "./defaults";
import { checkKeys } from "./keys";
import { Policy, Environment, ROLE_MIRROR, ROLE_UPSTREAM, ROLE_SHADOW, ROLE_EGRESS_GUARD } from "./types";
import { parseSelect } from "./select";
import { parseRedact } from "./redact";
import { parseTag } from "./tag";
import { parseGuard } from "./guard";
import { parseInPlace } from "./inplace";
import { parseCompare } from "./compare";
import { parseCapture } from "./capture";
import { parseShadow, parseShadows } from "./shadows";

export class CompileResult {
  policy: Policy | null = null;
  error: string = "";
}

function fail(message: string): CompileResult {
  const r = new CompileResult();
  r.error = message;
  return r;
}

/** Sections that only some roles use: present under another role they would be silently ignored, so they are errors. */
function refuse(top: Fields, keys: string[], role: string): string {
  for (let i = 0; i < keys.length; i++) if (top.has(keys[i])) return keys[i] + ": not used by role \"" + role + "\"";
  return "";
}

function tagSection(top: Fields, policy: Policy): string {
  const obj = top.obj("tag");
  if (top.error.length > 0) return top.error;
  return obj == null ? "" : parseTag(obj, policy.tag);
}

function selectSection(top: Fields, policy: Policy): string {
  const obj = top.obj("select");
  if (top.error.length > 0) return top.error;
  return obj == null ? "" : parseSelect(obj, "select", policy.select);
}

function redactSection(top: Fields, env: Environment, policy: Policy): string {
  const obj = top.obj("redact");
  if (top.error.length > 0) return top.error;
  return obj == null ? "" : parseRedact(obj, env, policy.redact);
}

function guardRole(top: Fields, env: Environment, policy: Policy): string {
  const e = refuse(top, ["shadow", "shadows", "select", "redact", "inbound", "upstream", "compare", "capture", "limits"], "egress-guard");
  if (e.length > 0) return e;
  const guard = top.obj("guard");
  if (top.error.length > 0) return top.error;
  if (guard == null) return "guard: is required for role \"egress-guard\"";
  const ge = parseGuard(guard, policy.guard);
  if (ge.length > 0) return ge;
  return tagSection(top, policy);
}

function inPlaceRole(top: Fields, env: Environment, policy: Policy, role: string): string {
  const shadowRole = policy.role == ROLE_SHADOW;
  const e = refuse(top, ["shadow", "shadows", "guard", "compare", "capture", "limits", shadowRole ? "upstream" : "inbound"], role);
  if (e.length > 0) return e;
  const key = shadowRole ? "inbound" : "upstream";
  const section = top.obj(key);
  if (top.error.length > 0) return top.error;
  if (section != null) {
    const se = parseInPlace(section, key, shadowRole, policy.inPlace);
    if (se.length > 0) return se;
  }
  const te = tagSection(top, policy);
  if (te.length > 0) return te;
  const se = selectSection(top, policy);
  if (se.length > 0) return se;
  // Envoy sends these copies itself; its shadow cluster's circuit breakers bound them.
  if (policy.select.maxInflight > 0) return "select.max_inflight: not used by role \"" + role + "\" (bound copies in flight with the shadow cluster's circuit breakers)";
  return redactSection(top, env, policy);
}

function mirrorRole(top: Fields, env: Environment, policy: Policy): string {
  const e = refuse(top, ["guard", "inbound", "upstream"], "mirror");
  if (e.length > 0) return e;
  const list = top.value("shadows");
  if (list != null && top.has("shadow")) return "shadows: give either shadow or shadows, not both";
  if (list != null) {
    const le = parseShadows(list, policy.shadows);
    if (le.length > 0) return le;
  } else {
    const shadow = top.obj("shadow");
    if (top.error.length > 0) return top.error;
    if (shadow == null) return "shadow: is required (at least {\"cluster\": \"<cluster name>\"})";
    const se = parseShadow(shadow, policy.shadows);
    if (se.length > 0) return se;
  }
  const te = tagSection(top, policy);
  if (te.length > 0) return te;
  const se = selectSection(top, policy);
  if (se.length > 0) return se;
  const re = redactSection(top, env, policy);
  if (re.length > 0) return re;
  const compare = top.obj("compare");
  if (top.error.length > 0) return top.error;
  if (compare != null) {
    const pe = parseCompare(compare, policy.compare, policy.capture);
    if (pe.length > 0) return pe;
  }
  const capture = top.obj("capture");
  if (top.error.length > 0) return top.error;
  if (capture != null) {
    if (policy.capture.enabled) return "capture: give it once, as capture or as compare.capture";
    const ce = parseCapture(capture, "capture", compare != null, policy.capture);
    if (ce.length > 0) return ce;
  }
  const limits = top.obj("limits");
  if (top.error.length > 0) return top.error;
  if (limits != null) {
    const lf = new Fields(limits, "limits");
    policy.maxBufferedBytes = lf.uint("max_buffered_bytes", D.LIMITS_MAX_BUFFERED_BYTES, D.LIMITS_MAX_BUFFERED_BYTES_MIN, D.LIMITS_MAX_BUFFERED_BYTES_MAX);
    policy.redactionBytesPerSecond = lf.uint("redaction_bytes_per_second", D.LIMITS_REDACTION_BYTES_PER_SECOND, D.LIMITS_REDACTION_BYTES_PER_SECOND_MIN, D.LIMITS_REDACTION_BYTES_PER_SECOND_MAX);
    policy.redactionInlineBytes = lf.uint("redaction_inline_bytes", D.LIMITS_REDACTION_INLINE_BYTES, D.LIMITS_REDACTION_INLINE_BYTES_MIN, D.LIMITS_REDACTION_INLINE_BYTES_MAX);
    policy.redactionSliceUs = lf.uint("redaction_slice_us", D.LIMITS_REDACTION_SLICE_US, D.LIMITS_REDACTION_SLICE_US_MIN, D.LIMITS_REDACTION_SLICE_US_MAX);
    lf.finish();
    if (lf.error.length > 0) return lf.error;
  }
  if (policy.redact.enabled) {
    // The bucket holds one second's worth: a larger body could never be redacted.
    for (let i = 0; i < policy.shadows.length; i++) {
      const s = policy.shadows[i];
      if (s.maxBodyBytes > policy.redactionBytesPerSecond) {
        return "limits.redaction_bytes_per_second: " + policy.redactionBytesPerSecond.toString() + " is less than " + (policy.shadows.length > 1 ? "shadows[" + i.toString() + "]" : "shadow") + ".max_body_bytes (" + s.maxBodyBytes.toString() + "): such bodies could never be redacted; raise it or lower max_body_bytes";
      }
    }
  }
  // Budgets are keyed by the shadow clusters: plugins mirroring to the same shadows share them.
  const clusters: string[] = [];
  for (let i = 0; i < policy.shadows.length; i++) clusters.push(policy.shadows[i].clusterName);
  policy.budgetKey = clusters.join(",");
  return "";
}

export function compilePolicy(text: string, env: Environment = new Environment()): CompileResult {
  if (text.length == 0) return fail("configuration is empty: expected a JSON object such as {\"role\":\"mirror\",\"shadow\":{\"cluster\":\"shadow\"}}");
  if (!validateJSON(text)) return fail("configuration is not valid JSON");
  const keys = checkKeys(text);
  if (keys.duplicate.length > 0) return fail(keys.duplicate + ": appears twice (a JSON parser keeps only one of them)");
  const root = JSON.parse<JSON.Value>(keys.text);
  if (root.type != JSON.Types.Object) return fail("configuration must be a JSON object");
  const top = new Fields(root.get<JSON.Obj>(), "");
  const policy = new Policy();
  const role = top.str("role", "", true);
  if (top.error.length > 0) return fail(top.error);
  let e: string;
  if (role == "mirror") {
    policy.role = ROLE_MIRROR;
    e = mirrorRole(top, env, policy);
  } else if (role == "upstream" || role == "shadow") {
    policy.role = role == "shadow" ? ROLE_SHADOW : ROLE_UPSTREAM;
    e = inPlaceRole(top, env, policy, role);
  } else if (role == "egress-guard") {
    policy.role = ROLE_EGRESS_GUARD;
    e = guardRole(top, env, policy);
  } else {
    return fail("role: must be one of \"mirror\", \"upstream\", \"shadow\", \"egress-guard\", got \"" + role + "\"");
  }
  if (e.length > 0) return fail(e);
  // Last check of every role: no field left unread.
  top.finish();
  if (top.error.length > 0) return fail(top.error);
  const ok = new CompileResult();
  ok.policy = policy;
  return ok;
}
