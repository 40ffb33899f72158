// The JSON Schema (schema/policy.schema.json, for editors and for hand-written
// Istio pluginConfig) agrees with the filter: every documented example and every
// shipped policy is valid for both, every invalid case is refused by both, except
// the few the schema cannot express, which are listed with the reason.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse, parseAllDocuments } from "yaml";
import { projectRoot } from "../../harness/envoy-binary.js";
import { loadFilter } from "../support/filter.js";
import { invalidPolicies, FILTER_ONLY } from "../support/policy-cases.js";

const KEY_ENV = { MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" };
const schemaFile = join(projectRoot, "schema", "policy.schema.json");
const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
const ajv = new Ajv2020({ strict: true, allErrors: true, strictRequired: false });
const validate = ajv.compile(schema);

const schemaAccepts = (text: string) => {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  return validate(v) === true;
};
const filterAccepts = async (text: string) => (await loadFilter(text, { env: KEY_ENV })).ok;

/** Every policy the project ships or documents. */
function documentedPolicies(): [string, string][] {
  const out: [string, string][] = [];
  for (const f of readdirSync(join(projectRoot, "examples")).filter((f) => f.endsWith(".json") && f !== "requests.json")) {
    out.push([`examples/${f}`, readFileSync(join(projectRoot, "examples", f), "utf8")]);
  }
  for (const f of readdirSync(join(projectRoot, "istio"))) {
    parseAllDocuments(readFileSync(join(projectRoot, "istio", f), "utf8")).forEach((d, i) => {
      const m = d.toJS();
      if (m?.kind === "WasmPlugin") out.push([`istio/${f}#${i}`, JSON.stringify(m.spec.pluginConfig)]);
    });
  }
  const collect = (node: unknown, name: string) => {
    if (Array.isArray(node)) node.forEach((n) => collect(n, name));
    else if (node && typeof node === "object") {
      const o = node as Record<string, unknown>;
      if (o["@type"] === "type.googleapis.com/google.protobuf.StringValue" && typeof o.value === "string" && o.value.includes('"role"')) out.push([name, o.value]);
      Object.values(o).forEach((v) => collect(v, name));
    }
  };
  for (const f of readdirSync(join(projectRoot, "envoy"))) collect(parse(readFileSync(join(projectRoot, "envoy", f), "utf8")), `envoy/${f}`);
  // README: complete policies, and fragments (select, redact, compare) placed in a mirror policy.
  const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
  [...readme.matchAll(/```json\n([\s\S]*?)```/g)].forEach((m, i) => {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(m[1]);
    } catch {
      return; // a record or output sample, not a policy
    }
    if ("role" in v) out.push([`README.md json block ${i}`, m[1]]);
    else if ("select" in v || "redact" in v || "compare" in v) out.push([`README.md json block ${i}`, JSON.stringify({ role: "mirror", shadow: { cluster: "shadow" }, ...v })]);
  });
  return out;
}

describe("the schema file", () => {
  it("is the current output of scripts/gen-schema.mjs", () => {
    const before = readFileSync(schemaFile, "utf8");
    execFileSync("node", [join(projectRoot, "scripts", "gen-schema.mjs")], { cwd: projectRoot, stdio: "pipe" });
    expect(readFileSync(schemaFile, "utf8")).toBe(before);
  });
});

describe("documented and shipped policies are valid for both", () => {
  const policies = documentedPolicies();
  it("finds the examples, Envoy and Istio files and README blocks", () => {
    expect(policies.length).toBeGreaterThanOrEqual(15);
  });
  it.each(policies)("%s", async (_name, text) => {
    expect(schemaAccepts(text), JSON.stringify(validate.errors)).toBe(true);
    expect(await filterAccepts(text)).toBe(true);
  });
});

const moreInvalid: [string, object][] = [
  ["egress guard without guard", { role: "egress-guard" }],
  ["egress guard with shadow", { role: "egress-guard", shadow: { cluster: "s" }, guard: { destinations: [{ host: { exact: "a" } }] } }],
  ["guard status out of range", { role: "egress-guard", guard: { destinations: [{ host: { exact: "a" } }], response: { status: 99 } } }],
  ["shadow role with compare", { role: "shadow", compare: {} }],
  ["upstream role with inbound", { role: "upstream", inbound: {} }],
  ["shadow recognize unknown", { role: "shadow", inbound: { recognize: ["cookie"] } }],
  ["upstream with select.max_inflight", { role: "upstream", select: { max_inflight: 5 } }],
  ["compare log level", { role: "mirror", shadow: { cluster: "s" }, compare: { log_level: "loud" } }],
  ["compare sink without cluster", { role: "mirror", shadow: { cluster: "s" }, compare: { sink: {} } }],
  ["compare noise percent 0", { role: "mirror", shadow: { cluster: "s" }, compare: { noise: { cluster: "p2", percent: 0 } } }],
  ["tag value with a comma", { role: "mirror", shadow: { cluster: "s" }, tag: { value: "a,b" } }],
];

describe("invalid policies are refused by both", () => {
  it.each([...invalidPolicies.map(([n, p]) => [n, p] as [string, object | string]), ...moreInvalid])("%s", async (name, policy) => {
    const text = typeof policy === "string" ? policy : JSON.stringify(policy);
    expect(await filterAccepts(text)).toBe(false);
    if (FILTER_ONLY.has(name)) {
      // Listed: the schema cannot say it; make sure the list stays honest.
      expect(schemaAccepts(text)).toBe(true);
    } else {
      expect(schemaAccepts(text)).toBe(false);
    }
  });
});

describe("valid policies using every optional field", () => {
  const full = [
    { role: "mirror", shadow: { cluster: "s", authority: "a", timeout_ms: 5, max_body_bytes: 0, max_inflight: 3, on_body_too_large: "headers_only", body_dropped_header: "x-dropped" }, tag: { header: "x-t", value: "v", strip_from_primary: false, baggage: true, baggage_key: "k.v" }, select: { percent: 0.5, hash_header: "x-u", match: [{ name: "n", header: "x-a", suffix: "z" }, { query: { name: "q", absent: true } }, { host: { in: ["a", "b"] } }, { path: { glob: "/a/**" }, methods: ["GET"] }], exclude: [{ header: "x-b", contains: "c" }], rate_limit: { per_second: 1.5 }, max_inflight: 2 }, redact: { headers: { drop: ["a"], mask: ["b"], hash: ["c"] }, query: { drop: ["d"], mask: ["e"], hash: ["f"] }, json: { drop: ["$.a"], mask: ["$..b"], hash: ["$.c[*]"] }, detectors: ["card"], detector_action: "hash", hash_key: "inline:0123456789abcdef", body: { on_unscannable: "skip", pass_through: ["image/*"] } }, compare: { headers: ["content-type"], ignore_paths: ["$.t"], numeric_tolerance: 0.1, max_body_bytes: 10, pair_timeout_ms: 100, log_level: "warn", noise: { cluster: "p2", percent: 5 }, sink: { cluster: "sink", path: "/d" } } },
    { role: "upstream", upstream: { restore_host: true, not_selected_status: 202, max_body_bytes: 100 }, select: { percent: 10 } },
    { role: "shadow", inbound: { recognize: ["tag"], restore_host: false } },
    { role: "egress-guard", tag: { header: "x-s" }, guard: { destinations: [{ name: "p", host: { suffix: "x" }, path: { prefix: "/v1" }, methods: ["POST"] }], response: { status: 202, body: "{}", headers: { "content-type": "application/json" } } } },
  ];
  it.each(full.map((p, i) => [i, p] as [number, object]))("policy %i", async (_i, policy) => {
    const text = JSON.stringify(policy);
    expect(schemaAccepts(text), JSON.stringify(validate.errors)).toBe(true);
    expect(await filterAccepts(text)).toBe(true);
  });
});
