// Envoy stats_tags that turn the filter's dotted counter names into Prometheus
// labels. Envoy stores proxy-wasm metrics as `wasmcustom.<name>`; every tag
// regex below runs on that full name, its first capture group is removed from
// the name and its second is the label's value (Envoy's TagSpecifier). So
// `wasmcustom.mirrorshade.shadows.v2.skipped.inflight_full` is exported by
// /stats/prometheus as `mirrorshade_shadows_skipped{shadow="v2",reason="inflight_full"}`.
// The value sets are closed lists where the filter has one (decisions, reasons,
// detectors, gRPC codes), so no regex ever takes part of a name it was not meant for.
// docs/operations.md lists the resulting metrics.

const P = "^wasmcustom\\.mirrorshade\\.";
/** A shadow's name as the policy allows it (filter/policy/fields.ts isShadowName). */
const SHADOW = "[a-z0-9][a-z0-9_-]*";
const PER_SHADOW = `(?:shadows\\.${SHADOW}\\.)?`;

export const DECISIONS = ["selected", "not_matched", "excluded", "sampled_out", "rate_limited", "inflight_full"];
export const SKIP_REASONS = [
  "body_too_large", "inflight_full", "request_incomplete", "stream_too_long", "memory_budget",
  "redaction_budget", "dispatch_failed", "unscannable_body",
];
export const UNSCANNABLE_REASONS = [
  "compressed", "unsupported_type", "invalid_json", "binary", "too_large", "too_many_findings",
  "invalid_grpc_frame", "invalid_protobuf", "unknown_grpc_method",
];
export const DETECTORS = ["card", "email", "ssn", "jwt", "iban", "phone"];
export const GRPC_CODES = [
  "ok", "cancelled", "unknown", "invalid_argument", "deadline_exceeded", "not_found", "already_exists",
  "permission_denied", "resource_exhausted", "failed_precondition", "aborted", "out_of_range",
  "unimplemented", "internal", "unavailable", "data_loss", "unauthenticated",
];
export const MISMATCH_FIELDS = ["status", "header", "body", "grpc_status"];
export const REDACT_KINDS = ["headers", "query", "json", "path", "keep"];
export const REDACT_ACTIONS = ["dropped", "masked", "hashed", "keep_masked", "headers_dropped", "query_masked"];

const alt = (xs: string[]) => `(?:${xs.join("|")})`;

export interface StatsTag {
  tag_name: string;
  regex: string;
}

/** The Prometheus labels of the filter's metrics, in the order Envoy applies them. */
export const MIRRORSHADE_STATS_TAGS: StatsTag[] = [
  // shadows.<name>.*: the shadow's own counters.
  { tag_name: "shadow", regex: `${P}shadows\\.((${SHADOW})\\.)` },
  // shadows.<name>.compare.<rule>.*: comparisons by the selection rule that sent the copy.
  { tag_name: "rule", regex: `${P}shadows\\.${SHADOW}\\.compare\\.(([A-Za-z0-9_-]+)\\.)` },
  // select.<decision>, shadows.<name>.select.<decision>
  { tag_name: "decision", regex: `${P}${PER_SHADOW}select(\\.(${alt(DECISIONS)}))$` },
  // skipped.<reason>, shadows.<name>.skipped.<reason>, redact.body_unscannable.<reason>
  {
    tag_name: "reason",
    regex: `${P}(?:${PER_SHADOW}skipped|redact\\.body_unscannable)(\\.(${alt([...SKIP_REASONS, ...UNSCANNABLE_REASONS])}))$`,
  },
  // shadow.responses.<class>, shadows.<name>.responses.<class>
  { tag_name: "status_class", regex: `${P}(?:shadow\\.|shadows\\.${SHADOW}\\.)responses(\\.([1-5]xx))$` },
  // shadow.grpc.<code>, shadows.<name>.grpc.<code>
  { tag_name: "grpc_code", regex: `${P}(?:shadow\\.|shadows\\.${SHADOW}\\.)grpc(\\.(${alt(GRPC_CODES)}))$` },
  // redact.detector.<name>
  { tag_name: "detector", regex: `${P}redact\\.detector(\\.(${alt(DETECTORS)}))$` },
  // redact.<kind>.<action>
  { tag_name: "kind", regex: `${P}redact(\\.(${alt(REDACT_KINDS)}))\\.${alt(REDACT_ACTIONS)}$` },
  { tag_name: "action", regex: `${P}redact\\.${alt(REDACT_KINDS)}(\\.(${alt(REDACT_ACTIONS)}))$` },
  // compare.mismatched.<field>, shadows.<name>.compare.<rule>.mismatched.<field>
  { tag_name: "field", regex: `${P}(?:shadows\\.${SHADOW}\\.compare\\.[A-Za-z0-9_-]+\\.|compare\\.)mismatched(\\.(${alt(MISMATCH_FIELDS)}))$` },
  // guard.blocked.<rule>: the guard rule's name or position (any characters: it is last).
  { tag_name: "guard_rule", regex: `${P}guard\\.blocked(\\.(.+))$` },
];

/** The bootstrap's stats_config with mirrorshade's tags (Envoy's default tags stay on). */
export function statsConfig(): object {
  return { stats_tags: MIRRORSHADE_STATS_TAGS, use_all_default_tags: true };
}

/** Name of the ConfigMap `render --target istio` writes for sidecar.istio.io/bootstrapOverride. */
export const ISTIO_STATS_TAGS_CONFIGMAP = "mirrorshade-stats-tags";

/**
 * Istio: the tags as a custom bootstrap (ConfigMap key custom_bootstrap.json), merged into
 * the sidecar's own bootstrap when the pod carries the annotation
 * `sidecar.istio.io/bootstrapOverride: mirrorshade-stats-tags`; repeated fields are
 * appended, so Istio's own stats_tags stay (and its use_all_default_tags: false is left alone).
 */
export function istioStatsTagsConfigMap(namespace: string): object {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: ISTIO_STATS_TAGS_CONFIGMAP, namespace },
    data: { "custom_bootstrap.json": JSON.stringify({ stats_config: { stats_tags: MIRRORSHADE_STATS_TAGS } }, null, 2) + "\n" },
  };
}
