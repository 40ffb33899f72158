// The one source of every PromQL expression mirrorshade ships: the recording and
// alerting rules (prometheus/mirrorshade.rules.yml), the Grafana dashboard's panels
// (grafana/mirrorshade.json) and the rollout gates (render --target flagger|argo).
// The metric names are those Envoy's /stats/prometheus gives the filter's counters
// with the bootstrap's stats_tags (harness/envoy/stats-tags.ts); docs/operations.md
// explains each rule. test/e2e/prometheus.test.ts evaluates all of them in a real
// Prometheus scraping real Envoy.

/**
 * Labels that tell one service's proxies from another's, kept by every aggregation
 * (a label the scrape does not set is empty and groups nothing). Istio's Prometheus
 * scrape sets namespace and app; a plain Envoy scrape sets job.
 */
export const SERVICE_LABELS = ["namespace", "job", "app"];
const G = SERVICE_LABELS.join(", ");
export const WINDOW = "5m";

const by = (labels: string[], e: string) => `sum by (${[G, ...labels].join(", ")}) (${e})`;
const rate = (sel: string, w = WINDOW) => `rate(${sel}[${w}])`;

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the condition must hold before the alert fires (the shipped, realistic value). */
  for: string;
  severity: "warning" | "critical";
  summary: string;
  description: string;
}

/** Recorded series, by what they mean (also used by the dashboard and the gates). */
export const R = {
  copies: "mirrorshade:shadow_copies:rate5m",
  shadow5xx: "mirrorshade:shadow_5xx:ratio_rate5m",
  shadowFailures: "mirrorshade:shadow_failures:ratio_rate5m",
  shadowErrors: "mirrorshade:shadow_errors:ratio_rate5m",
  compared: "mirrorshade:compare_compared:rate5m",
  mismatchByRule: "mirrorshade:compare_mismatch:ratio_rate5m",
  mismatchByShadow: "mirrorshade:compare_mismatch_shadow:ratio_rate5m",
  mismatchByField: "mirrorshade:compare_mismatch_field:rate5m",
  eligible: "mirrorshade:requests_eligible:rate5m",
  share: "mirrorshade:shadow_share:ratio_rate5m",
  configuredShare: "mirrorshade:shadow_share_configured:ratio",
  skipped: "mirrorshade:shadow_skipped:rate5m",
  attempts: "mirrorshade:shadow_attempts:rate5m",
  skippedRatio: "mirrorshade:shadow_skipped:ratio_rate5m",
  deltaBuckets: "mirrorshade:compare_latency_delta_ms_bucket:rate5m",
  deltaP50: "mirrorshade:compare_latency_delta_ms:p50",
  deltaP99: "mirrorshade:compare_latency_delta_ms:p99",
} as const;

const mirrored = by(["shadow"], rate("mirrorshade_shadows_mirrored"));
const fasterCount = by([], rate("mirrorshade_compare_shadow_faster_ms_count"));

export const RECORDING_RULES: RecordingRule[] = [
  { record: R.copies, expr: mirrored },
  { record: R.shadow5xx, expr: `${by(["shadow"], rate('mirrorshade_shadows_responses{status_class="5xx"}'))} / ${R.copies}` },
  { record: R.shadowFailures, expr: `${by(["shadow"], rate("mirrorshade_shadows_failures"))} / ${R.copies}` },
  {
    record: R.shadowErrors,
    expr: `(${by(["shadow"], rate('mirrorshade_shadows_responses{status_class="5xx"}'))} + ${by(["shadow"], rate("mirrorshade_shadows_failures"))}) / ${R.copies}`,
  },
  { record: R.compared, expr: by(["shadow", "rule"], rate("mirrorshade_shadows_compare_compared")) },
  // field="" selects the totals (the series without a field label).
  { record: R.mismatchByRule, expr: `${by(["shadow", "rule"], rate('mirrorshade_shadows_compare_mismatched{field=""}'))} / ${R.compared}` },
  {
    record: R.mismatchByShadow,
    expr: `${by(["shadow"], rate('mirrorshade_shadows_compare_mismatched{field=""}'))} / ${by(["shadow"], rate("mirrorshade_shadows_compare_compared"))}`,
  },
  { record: R.mismatchByField, expr: by(["shadow", "rule", "field"], rate('mirrorshade_shadows_compare_mismatched{field!=""}')) },
  // Requests the policy's match rules let through (the share applies to these).
  { record: R.eligible, expr: `${by([], rate("mirrorshade_requests"))} - ${by([], rate('mirrorshade_select{decision=~"excluded|not_matched"}'))}` },
  { record: R.share, expr: `${R.copies} / on (${G}) group_left ${R.eligible}` },
  { record: R.configuredShare, expr: `max by (${G}, shadow) (mirrorshade_shadows_configured_share_ppm) / 1e6` },
  { record: R.skipped, expr: by(["shadow", "reason"], rate("mirrorshade_shadows_skipped")) },
  // Copies meant for a shadow: sent or skipped.
  { record: R.attempts, expr: `${R.copies} + on (${G}, shadow) ${by(["shadow"], rate("mirrorshade_shadows_skipped"))}` },
  { record: R.skippedRatio, expr: `${R.skipped} / on (${G}, shadow) group_left ${R.attempts}` },
  // Shadow minus primary latency as one signed histogram: the filter records the
  // difference split by sign (compare.shadow_slower_ms, compare.shadow_faster_ms);
  // "faster by x" becomes the bucket le="-x" (pairs at least x faster: all faster
  // pairs minus those under x), the slower buckets are shifted by all faster pairs.
  {
    record: R.deltaBuckets,
    expr:
      `label_replace(${fasterCount} - on (${G}) group_right ${by(["le"], rate('mirrorshade_compare_shadow_faster_ms_bucket{le!="+Inf"}'))}, "le", "-$1", "le", "(.*)")` +
      ` or (${by(["le"], rate("mirrorshade_compare_shadow_slower_ms_bucket"))} + on (${G}) group_left ${fasterCount})`,
  },
  { record: R.deltaP50, expr: `histogram_quantile(0.5, ${R.deltaBuckets})` },
  { record: R.deltaP99, expr: `histogram_quantile(0.99, ${R.deltaBuckets})` },
];

/** Thresholds: a ratio over WINDOW, and the least traffic that makes it meaningful. */
export const THRESHOLDS = {
  shadow5xx: 0.05,
  shadowFailures: 0.05,
  mismatch: 0.05,
  /** Comparisons per second (6 a minute) below which no mismatch ratio alerts: a handful of mismatches never pages. */
  minCompared: 0.1,
  /** Copies per second below which shadow error ratios do not alert. */
  minCopies: 0.1,
  /** The share mirrored may fall this far under the configured share. */
  shareFloor: 0.8,
  minEligible: 1,
  skipped: 0.05,
  latencyP50Ms: 100,
  latencyP99Ms: 1000,
};
const T = THRESHOLDS;

export const ALERT_RULES: AlertRule[] = [
  {
    alert: "MirrorshadeShadow5xxHigh",
    expr: `${R.shadow5xx} > ${T.shadow5xx} and on (${G}, shadow) ${R.copies} > ${T.minCopies}`,
    for: "10m",
    severity: "warning",
    summary: "Shadow {{ $labels.shadow }} answers 5xx to more than 5% of its copies",
    description: "{{ $value | humanizePercentage }} of the copies sent to shadow {{ $labels.shadow }} got a 5xx over the last 5 minutes (mirrorshade_shadows_responses).",
  },
  {
    alert: "MirrorshadeShadowFailuresHigh",
    expr: `${R.shadowFailures} > ${T.shadowFailures} and on (${G}, shadow) ${R.copies} > ${T.minCopies}`,
    for: "10m",
    severity: "warning",
    summary: "Copies to shadow {{ $labels.shadow }} fail (no answer: connect failure, reset, timeout)",
    description: "{{ $value | humanizePercentage }} of the copies sent to shadow {{ $labels.shadow }} got no answer over the last 5 minutes (mirrorshade_shadows_failures, mirrorshade_shadows_timeouts).",
  },
  {
    alert: "MirrorshadeMismatchRateHigh",
    expr: `${R.mismatchByRule} > ${T.mismatch} and on (${G}, shadow, rule) ${R.compared} > ${T.minCompared}`,
    for: "15m",
    severity: "warning",
    summary: "Shadow {{ $labels.shadow }} answers differently from the primary on rule {{ $labels.rule }}",
    description: "{{ $value | humanizePercentage }} of the compared answers differ (status, headers or body) for shadow {{ $labels.shadow }}, rule {{ $labels.rule }}. The diff records (mirrorshade.diff in Envoy's log, or the sink) say where: `mirrorshade report`.",
  },
  {
    alert: "MirrorshadeMirroredShareLow",
    expr: `${R.share} < on (${G}, shadow) (${T.shareFloor} * ${R.configuredShare}) and on (${G}) ${R.eligible} > ${T.minEligible}`,
    for: "30m",
    severity: "warning",
    summary: "Shadow {{ $labels.shadow }} gets less traffic than configured",
    description: "Shadow {{ $labels.shadow }} received {{ $value | humanizePercentage }} of the requests its match rules let through, under 80% of its configured share: copies are being skipped (see mirrorshade_shadows_skipped by reason) or rate-limited.",
  },
  {
    alert: "MirrorshadeCopiesSkipped",
    expr: `${R.skippedRatio} > ${T.skipped}`,
    for: "15m",
    severity: "warning",
    summary: "Copies to shadow {{ $labels.shadow }} skipped: {{ $labels.reason }}",
    description: "{{ $value | humanizePercentage }} of the copies meant for shadow {{ $labels.shadow }} were not sent ({{ $labels.reason }}) over the last 5 minutes.",
  },
  {
    alert: "MirrorshadeShadowSlower",
    expr: `${R.deltaP50} > ${T.latencyP50Ms} or ${R.deltaP99} > ${T.latencyP99Ms}`,
    for: "30m",
    severity: "warning",
    summary: "The shadow answers much slower than the primary",
    description: "Shadow minus primary latency over compared pairs: {{ $value }} ms at p50 or p99 (thresholds 100 ms and 1000 ms).",
  },
];

// ------------------------------------------------------------------ dashboard

export interface PanelTarget {
  expr: string;
  legend: string;
}

export interface Panel {
  title: string;
  type: "timeseries" | "stat";
  unit: string;
  targets: PanelTarget[];
  description?: string;
}

export interface Row {
  title: string;
  panels: Panel[];
}

/** Dashboard variables: Envoy's cluster names of the primary and of a shadow (Envoy's own cluster stats give both sides' latency). */
export const VARIABLES = {
  primaryCluster: { name: "primary_cluster", query: "label_values(envoy_cluster_upstream_rq_total, envoy_cluster_name)" },
  shadowCluster: { name: "shadow_cluster", query: "label_values(envoy_cluster_upstream_rq_total, envoy_cluster_name)" },
  shadow: { name: "shadow", query: "label_values(mirrorshade_shadows_mirrored, shadow)" },
};
const PC = `envoy_cluster_name="$${VARIABLES.primaryCluster.name}"`;
const SC = `envoy_cluster_name="$${VARIABLES.shadowCluster.name}"`;
const SH = `shadow=~"$${VARIABLES.shadow.name}"`;
const clusterQuantile = (q: number, sel: string) => `histogram_quantile(${q}, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket{${sel}}[${WINDOW}])))`;
// Envoy defines a response-code-class counter at its first such answer: none yet is zero.
const clusterErrors = (sel: string) =>
  `(sum(rate(envoy_cluster_upstream_rq_xx{${sel}, envoy_response_code_class="5"}[${WINDOW}])) or vector(0)) / sum(rate(envoy_cluster_upstream_rq_total{${sel}}[${WINDOW}]))`;

export const ROWS: Row[] = [
  {
    title: "Primary and shadow side by side",
    panels: [
      {
        title: "Requests",
        type: "timeseries",
        unit: "reqps",
        targets: [
          { expr: `sum(rate(envoy_cluster_upstream_rq_total{${PC}}[${WINDOW}]))`, legend: "primary ($primary_cluster)" },
          { expr: `sum by (shadow) (${R.copies}{${SH}})`, legend: "copies to {{shadow}}" },
        ],
      },
      {
        title: "Error rate",
        type: "timeseries",
        unit: "percentunit",
        targets: [
          { expr: clusterErrors(PC), legend: "primary 5xx" },
          { expr: `max by (shadow) (${R.shadow5xx}{${SH}})`, legend: "{{shadow}} 5xx" },
          { expr: `max by (shadow) (${R.shadowFailures}{${SH}})`, legend: "{{shadow}} no answer" },
        ],
      },
      {
        title: "Latency p50 / p99 (Envoy cluster upstream_rq_time)",
        type: "timeseries",
        unit: "ms",
        targets: [
          { expr: clusterQuantile(0.5, PC), legend: "primary p50" },
          { expr: clusterQuantile(0.99, PC), legend: "primary p99" },
          { expr: clusterQuantile(0.5, SC), legend: "shadow p50" },
          { expr: clusterQuantile(0.99, SC), legend: "shadow p99" },
        ],
      },
      {
        title: "Shadow minus primary latency (compared pairs)",
        type: "timeseries",
        unit: "ms",
        targets: [
          { expr: `max(${R.deltaP50})`, legend: "p50" },
          { expr: `max(${R.deltaP99})`, legend: "p99" },
        ],
      },
    ],
  },
  {
    title: "Copies",
    panels: [
      { title: "Selection decisions", type: "timeseries", unit: "reqps", targets: [{ expr: `sum by (decision) (rate(mirrorshade_select[${WINDOW}]))`, legend: "{{decision}}" }] },
      { title: "Copies skipped by reason", type: "timeseries", unit: "reqps", targets: [{ expr: `sum by (shadow, reason) (${R.skipped}{${SH}})`, legend: "{{shadow}}: {{reason}}" }] },
      {
        title: "Mirrored share against configured share",
        type: "timeseries",
        unit: "percentunit",
        targets: [
          { expr: `max by (shadow) (${R.share}{${SH}})`, legend: "{{shadow}} mirrored" },
          { expr: `max by (shadow) (${R.configuredShare}{${SH}})`, legend: "{{shadow}} configured" },
        ],
      },
    ],
  },
  {
    title: "Redaction",
    panels: [
      { title: "Rules applied by kind", type: "timeseries", unit: "ops", targets: [{ expr: `sum by (kind, action) (rate(mirrorshade_redact[${WINDOW}]))`, legend: "{{kind}} {{action}}" }] },
      { title: "Detector hits", type: "timeseries", unit: "ops", targets: [{ expr: `sum by (detector) (rate(mirrorshade_redact_detector[${WINDOW}]))`, legend: "{{detector}}" }] },
      { title: "Bodies not mirrored as they were", type: "timeseries", unit: "ops", targets: [{ expr: `sum by (reason) (rate(mirrorshade_redact_body_unscannable[${WINDOW}]))`, legend: "{{reason}}" }] },
    ],
  },
  {
    title: "Comparison",
    panels: [
      { title: "Mismatch rate now", type: "stat", unit: "percentunit", targets: [{ expr: `max by (shadow) (${R.mismatchByShadow}{${SH}})`, legend: "{{shadow}}" }] },
      { title: "Mismatch rate by route (selection rule)", type: "timeseries", unit: "percentunit", targets: [{ expr: `max by (shadow, rule) (${R.mismatchByRule}{${SH}})`, legend: "{{shadow}} {{rule}}" }] },
      { title: "Mismatches by field", type: "timeseries", unit: "ops", targets: [{ expr: `sum by (shadow, rule, field) (${R.mismatchByField}{${SH}})`, legend: "{{shadow}} {{rule}}: {{field}}" }] },
      { title: "Pairs never completed", type: "timeseries", unit: "ops", targets: [{ expr: `sum by (shadow, rule) (rate(mirrorshade_shadows_compare_unmatched{${SH}}[${WINDOW}]))`, legend: "{{shadow}} {{rule}}" }] },
    ],
  },
  {
    title: "Shadow budget",
    panels: [
      { title: "Copies in flight", type: "timeseries", unit: "short", targets: [{ expr: `sum by (shadow) (mirrorshade_shadows_inflight{${SH}})`, legend: "{{shadow}}" }] },
      {
        title: "Budgets refusing copies",
        type: "timeseries",
        unit: "reqps",
        targets: [
          { expr: `sum by (decision) (rate(mirrorshade_select{decision=~"rate_limited|inflight_full"}[${WINDOW}]))`, legend: "select {{decision}}" },
          { expr: `sum by (reason) (rate(mirrorshade_skipped{reason=~"memory_budget|redaction_budget|inflight_full"}[${WINDOW}]))`, legend: "skipped {{reason}}" },
        ],
      },
      {
        title: "Bodies held and waiting",
        type: "timeseries",
        unit: "bytes",
        targets: [
          { expr: `sum(mirrorshade_buffered_bytes)`, legend: "buffered bytes" },
          { expr: `sum(mirrorshade_redaction_queued)`, legend: "copies waiting for redaction" },
        ],
      },
    ],
  },
];

/** Every panel query, with the dashboard variables given values (what the e2e test evaluates). */
export function panelQueries(values: { primaryCluster: string; shadowCluster: string; shadow: string }): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  for (const row of ROWS)
    for (const p of row.panels)
      for (const t of p.targets)
        out.push({
          panel: p.title,
          expr: t.expr
            .replaceAll(`$${VARIABLES.primaryCluster.name}`, values.primaryCluster)
            .replaceAll(`$${VARIABLES.shadowCluster.name}`, values.shadowCluster)
            .replaceAll(`$${VARIABLES.shadow.name}`, values.shadow),
        });
  return out;
}

// ------------------------------------------------------------------ rollout gates

/** What fails a canary: the shadow's mismatch rate and its error rate (5xx and no answer) over the analysis interval. */
export const GATES = [
  {
    name: "mirrorshade-mismatch-rate",
    description: "share of the shadow's compared answers that differ from the primary's",
    max: 0.05,
    query: (v: { namespace: string; shadow: string; interval: string }) =>
      `sum(rate(mirrorshade_shadows_compare_mismatched{field="", namespace="${v.namespace}", shadow="${v.shadow}"}[${v.interval}])) / ` +
      `sum(rate(mirrorshade_shadows_compare_compared{namespace="${v.namespace}", shadow="${v.shadow}"}[${v.interval}]))`,
  },
  {
    name: "mirrorshade-shadow-error-rate",
    description: "share of the copies the shadow answered 5xx or not at all",
    max: 0.02,
    query: (v: { namespace: string; shadow: string; interval: string }) =>
      `(sum(rate(mirrorshade_shadows_responses{status_class="5xx", namespace="${v.namespace}", shadow="${v.shadow}"}[${v.interval}])) + ` +
      `sum(rate(mirrorshade_shadows_failures{namespace="${v.namespace}", shadow="${v.shadow}"}[${v.interval}]))) / ` +
      `sum(rate(mirrorshade_shadows_mirrored{namespace="${v.namespace}", shadow="${v.shadow}"}[${v.interval}]))`,
  },
];
