// `mirrorshade render --target flagger|argo`: rollout gates that fail a canary when
// the mirror's mismatch rate or the shadow's error rate crosses its threshold, as
// Flagger MetricTemplates or an Argo Rollouts AnalysisTemplate. The queries and
// thresholds are GATES in harness/prometheus/queries.ts (shared with the rules and
// the dashboard); test/unit/harness/gates.test.ts validates the output against the
// vendored CRD schemas (schema/crds/), test/e2e/prometheus.test.ts runs each query
// in a real Prometheus.
import { stringify } from "yaml";
import { GATES } from "./prometheus/queries.js";
import { shadowsOf, roleOf, RenderError } from "./render.js";

export interface GateOptions {
  namespace: string;
  /** Where Flagger / Argo reach Prometheus. */
  prometheusUrl: string;
}

export const GATE_DEFAULTS: GateOptions = { namespace: "default", prometheusUrl: "http://prometheus.istio-system:9090" };

/** Placeholders each tool fills in its query templates. */
export const FLAGGER_VARS = { namespace: "{{ namespace }}", shadow: "{{ variables.shadow }}", interval: "{{ interval }}" };
export const ARGO_VARS = { namespace: "{{args.namespace}}", shadow: "{{args.shadow}}", interval: "{{args.window}}" };

/** The shadow the gates watch by default: the policy's first shadow ("shadow" in the one-shadow form). */
function shadowName(policy: object): string {
  if (roleOf(policy) !== "mirror" || !(policy as { compare?: object }).compare)
    throw new RenderError('rollout gates read the comparison of the mirror role: the policy needs "role": "mirror" and a "compare" section');
  return shadowsOf(policy)?.[0]?.name ?? "shadow";
}

export function renderFlagger(policy: object, o: GateOptions = GATE_DEFAULTS): string {
  const shadow = shadowName(policy);
  const header = [
    "# Flagger MetricTemplates for mirrorshade (rendered by `mirrorshade render --target flagger`).",
    "# Reference them from the Canary's analysis, naming the shadow that runs the canary's version:",
    "#   analysis:",
    "#     metrics:",
    ...GATES.flatMap((g) => [
      `#     - name: ${g.name}`,
      `#       templateRef: {name: ${g.name}, namespace: ${o.namespace}}`,
      `#       templateVariables: {shadow: ${shadow}}`,
      `#       thresholdRange: {max: ${g.max}}   # ${g.description}`,
      "#       interval: 5m",
    ]),
    "",
  ].join("\n");
  const docs = GATES.map((g) => ({
    apiVersion: "flagger.app/v1beta1",
    kind: "MetricTemplate",
    metadata: { name: g.name, namespace: o.namespace },
    spec: { provider: { type: "prometheus", address: o.prometheusUrl }, query: g.query(FLAGGER_VARS) },
  }));
  return header + docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}

export function renderArgo(policy: object, o: GateOptions = GATE_DEFAULTS): string {
  const shadow = shadowName(policy);
  const header = [
    "# Argo Rollouts AnalysisTemplate for mirrorshade (rendered by `mirrorshade render --target argo`).",
    "# Use it from the Rollout's canary steps or as background analysis:",
    "#   analysis: {templates: [{templateName: mirrorshade-gates}], args: [{name: shadow, value: <shadow>}]}",
    "# A measurement over the threshold fails it; no comparisons yet (NaN) is inconclusive and pauses the rollout.",
    "",
  ].join("\n");
  const doc = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AnalysisTemplate",
    metadata: { name: "mirrorshade-gates", namespace: o.namespace },
    spec: {
      args: [
        { name: "shadow", value: shadow },
        { name: "namespace", value: o.namespace },
        { name: "window", value: "5m" },
      ],
      metrics: GATES.map((g) => ({
        name: g.name,
        interval: "1m",
        failureLimit: 1,
        successCondition: `result[0] <= ${g.max}`,
        failureCondition: `result[0] > ${g.max}`,
        provider: { prometheus: { address: o.prometheusUrl, query: g.query(ARGO_VARS) } },
      })),
    },
  };
  return header + stringify(doc, { lineWidth: 0 });
}

/** A rendered query with a tool's placeholders given values (what the e2e test runs). */
export function fillQuery(query: string, vars: Record<string, string>, values: { namespace: string; shadow: string; interval: string }): string {
  let q = query;
  for (const k of ["namespace", "shadow", "interval"] as const) q = q.replaceAll(vars[k], values[k]);
  return q;
}
