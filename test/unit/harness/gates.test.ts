// Rollout gates (render --target flagger|argo) against the projects' own CRD
// schemas, vendored with their source in schema/crds/ (scripts/vendor-crds.mjs),
// read strictly: a field the CRD does not define is an error, as with
// `kubectl apply --validate=strict`.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { Ajv } from "ajv";
import { projectRoot } from "../../../harness/paths.js";
import { renderFlagger, renderArgo, FLAGGER_VARS, ARGO_VARS, fillQuery, GATE_DEFAULTS } from "../../../harness/render-gates.js";
import { GATES } from "../../../harness/prometheus/queries.js";
import { RenderError } from "../../../harness/render.js";

type Schema = Record<string, unknown>;

/** Structural schema, strictly: objects with properties admit no others unless the CRD preserves unknown fields. */
function strict(s: Schema): Schema {
  const out: Schema = { ...s };
  delete out.$comment;
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties as Record<string, Schema>).map(([k, v]) => [k, strict(v)]));
    if (out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties = false;
  }
  if (out.items) out.items = strict(out.items as Schema);
  if (typeof out.additionalProperties === "object") out.additionalProperties = strict(out.additionalProperties as Schema);
  return out;
}

function validator(file: string) {
  const schema = JSON.parse(readFileSync(join(projectRoot, "schema/crds", file), "utf8"));
  expect(schema.$comment).toMatch(/from Go module github\.com\/[a-z-]+\/[a-z-]+@v[0-9.]+ file [a-z/-]+\.yaml \(sha256 [0-9a-f]{64}\)/);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(strict(schema));
}

const POLICY = { role: "mirror", shadows: [{ name: "v2", cluster: "payments-v2" }], compare: {} };
const docs = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS());

describe("rollout gates", () => {
  it("Flagger: one MetricTemplate per gate, valid against metrictemplates.flagger.app v1beta1", () => {
    const validate = validator("flagger-metrictemplate.json");
    const out = docs(renderFlagger(POLICY, { namespace: "shop", prometheusUrl: GATE_DEFAULTS.prometheusUrl }));
    expect(out.map((d) => d.metadata.name)).toEqual(GATES.map((g) => g.name));
    for (const d of out) {
      expect(validate(d), JSON.stringify(validate.errors)).toBe(true);
      expect(d.metadata.namespace).toBe("shop");
      expect(d.spec.query).toContain(FLAGGER_VARS.shadow);
      expect(d.spec.query).toContain(FLAGGER_VARS.interval);
    }
    // The schema check can fail: a misspelt field and a provider Flagger lacks are refused.
    expect(validate({ ...out[0], spec: { ...out[0].spec, querry: "x" } })).toBe(false);
    expect(validate({ ...out[0], spec: { ...out[0].spec, provider: { type: "graphana" } } })).toBe(false);
  });

  it("Argo Rollouts: one AnalysisTemplate, valid against analysistemplates.argoproj.io v1alpha1, failing over each threshold", () => {
    const validate = validator("argo-rollouts-analysistemplate.json");
    const [d] = docs(renderArgo(POLICY, { namespace: "shop", prometheusUrl: "http://prom:9090" }));
    expect(validate(d), JSON.stringify(validate.errors)).toBe(true);
    expect(d.spec.args).toContainEqual({ name: "shadow", value: "v2" });
    for (const [i, g] of GATES.entries()) {
      const m = d.spec.metrics[i];
      expect(m.failureCondition).toBe(`result[0] > ${g.max}`);
      expect(m.provider.prometheus.address).toBe("http://prom:9090");
      expect(m.provider.prometheus.query).toBe(g.query(ARGO_VARS));
    }
    expect(validate({ ...d, spec: { ...d.spec, metrics: [{ ...d.spec.metrics[0], failureLimt: 1 }] } })).toBe(false);
    expect(validate({ ...d, spec: { ...d.spec, metrics: [{ name: "x" }] } })).toBe(false);
  });

  it("the one-shadow form gates the shadow named 'shadow'; placeholders fill into plain PromQL", () => {
    const [d] = docs(renderArgo({ role: "mirror", shadow: { cluster: "s" }, compare: {} }));
    expect(d.spec.args[0]).toEqual({ name: "shadow", value: "shadow" });
    const q = fillQuery(d.spec.metrics[0].provider.prometheus.query, ARGO_VARS, { namespace: "", shadow: "shadow", interval: "1m" });
    expect(q).not.toContain("{{");
    expect(q).toBe(GATES[0].query({ namespace: "", shadow: "shadow", interval: "1m" }));
  });

  it("a policy without comparison has nothing to gate on", () => {
    expect(() => renderFlagger({ role: "mirror", shadow: { cluster: "s" } })).toThrow(RenderError);
    expect(() => renderArgo({ role: "shadow" })).toThrow(/compare/);
  });
});
