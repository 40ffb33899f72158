// The JSON Schema (schema/policy.schema.json, for editors and for hand-written
// Istio pluginConfig) agrees with the filter, which stays the source of truth:
// every documented and shipped policy and every valid case is accepted by both,
// every invalid case is refused by both, except the few the schema cannot express
// (FILTER_ONLY) and the two quirks where it is stricter (SCHEMA_STRICTER), each
// listed with the reason. Names, values and JSON paths are also swept character
// by character through both.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync, spawnSync } from "node:child_process";
import { Ajv2020 } from "ajv/dist/2020.js";
import { parse, parseAllDocuments } from "yaml";
import { projectRoot } from "../../../harness/paths.js";
import { loadFilter } from "../../support/filter.js";
import { invalidPolicies, invalidGuardPolicies, moreInvalidPolicies, validPolicies, POLICY_ENV } from "../../support/policy-cases.js";

const schemaFile = join(projectRoot, "schema", "policy.schema.json");
const schemaText = readFileSync(schemaFile, "utf8");
const schema = JSON.parse(schemaText);
// Strict mode in full: unknown keywords, type/keyword mismatches and required
// properties that are not declared are all compile errors.
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validate = ajv.compile(schema);

type Policy = object | string;
const textOf = (p: Policy) => (typeof p === "string" ? p : JSON.stringify(p));

function schemaVerdict(p: Policy): { ok: boolean; errors: string } {
  let v: unknown;
  try {
    v = JSON.parse(textOf(p));
  } catch {
    return { ok: false, errors: "not JSON" };
  }
  const ok = validate(v) === true;
  return { ok, errors: ok ? "" : ajv.errorsText(validate.errors) };
}
const schemaAccepts = (p: Policy) => schemaVerdict(p).ok;

async function filterVerdict(p: Policy): Promise<{ ok: boolean; message: string }> {
  const { host, ok } = await loadFilter(textOf(p), { env: POLICY_ENV });
  return { ok, message: host.logs.filter((l) => l.level === 5).map((l) => l.message).join("\n") };
}
const filterAccepts = async (p: Policy) => (await filterVerdict(p)).ok;

const base = { role: "mirror", shadow: { cluster: "shadow" } };

// ------------------------------------------------------ the schema itself

/** Walks the schema's own tree (properties, items, $defs), not the applicators that only forbid or pick. */
function* schemaNodes(node: unknown, at: string): Generator<[string, Record<string, unknown>]> {
  if (!node || typeof node !== "object") return;
  const n = node as Record<string, unknown>;
  yield [at, n];
  for (const [k, v] of Object.entries((n.properties as object) ?? {})) yield* schemaNodes(v, `${at}.${k}`);
  for (const [k, v] of Object.entries((n.$defs as object) ?? {})) yield* schemaNodes(v, `#${k}`);
  if (n.items) yield* schemaNodes(n.items, `${at}[]`);
  if (n.additionalProperties && typeof n.additionalProperties === "object") yield* schemaNodes(n.additionalProperties, `${at}.*`);
}

describe("the schema file", () => {
  it("is the current output of scripts/gen-schema.mjs", () => {
    const out = execFileSync("node", [join(projectRoot, "scripts", "gen-schema.mjs"), "--print"], { cwd: projectRoot, encoding: "utf8" });
    expect(schemaText).toBe(out);
  });

  it("takes every default and bound from filter/policy/defaults.ts, and stops when one it needs is missing", () => {
    const defaults = readFileSync(join(projectRoot, "filter", "policy", "defaults.ts"), "utf8");
    const generate = (text: string) => {
      const file = join(mkdtempSync(join(tmpdir(), "mirrorshade-defaults-")), "defaults.ts");
      writeFileSync(file, text);
      return spawnSync("node", [join(projectRoot, "scripts", "gen-schema.mjs"), "--print", "--defaults", file], { cwd: projectRoot, encoding: "utf8" });
    };
    // A changed value changes the schema: the generator has no literal of its own.
    const changed = generate(defaults.replace("export const SHADOW_TIMEOUT_MS_MAX: u32 = 600000;", "export const SHADOW_TIMEOUT_MS_MAX: u32 = 2 * 300001;"));
    expect(changed.status).toBe(0);
    expect(JSON.parse(changed.stdout).$defs.shadow.properties.timeout_ms.maximum).toBe(600002);
    expect(JSON.parse(changed.stdout).$defs.named_shadow.properties.timeout_ms.maximum).toBe(600002);
    for (const [name, line] of [
      ["SHADOW_MAX_INFLIGHT_MIN", "export const SHADOW_MAX_INFLIGHT_MIN: u32 = 1;"],
      ["COMPARE_SINK_PATH", 'export const COMPARE_SINK_PATH: string = "/diffs";'],
      ["SHADOW_NAME_MAX_LENGTH", "export const SHADOW_NAME_MAX_LENGTH: i32 = 64;"],
    ]) {
      expect(defaults).toContain(line);
      const r = generate(defaults.replace(line, ""));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`${name} is missing`);
    }
    const unreadable = generate(defaults.replace("export const GUARD_STATUS: u32 = 200;", "export const GUARD_STATUS: u32 = 200 + 0;"));
    expect(unreadable.status).not.toBe(0);
    expect(unreadable.stderr).toContain("GUARD_STATUS: expected a number or a product of numbers");
  });

  it("describes every property and every list item", () => {
    const undescribed = [...schemaNodes(schema, "")]
      .filter(([, n]) => typeof n.description !== "string" || n.description.length === 0)
      .map(([at]) => at);
    expect(undescribed).toEqual([]);
  });

  it("is printed with its path by `mirrorshade schema`", () => {
    const r = spawnSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), "schema"], { cwd: projectRoot, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr.trim()).toBe(schemaFile);
    expect(r.stdout).toBe(schemaText);
  });
});

// ------------------------------------------- documented and shipped policies

/** Every policy the project ships or documents, by where it was found. */
function documentedPolicies(): [string, string][] {
  const out: [string, string][] = [];
  const stringValues = (node: unknown, name: string) => {
    if (Array.isArray(node)) node.forEach((n) => stringValues(n, name));
    else if (node && typeof node === "object") {
      const o = node as Record<string, unknown>;
      if (o["@type"] === "type.googleapis.com/google.protobuf.StringValue" && typeof o.value === "string" && o.value.includes('"role"')) out.push([name, o.value]);
      Object.values(o).forEach((v) => stringValues(v, name));
    }
  };
  for (const f of readdirSync(join(projectRoot, "examples")).filter((f) => f.endsWith(".json") && f !== "requests.json")) {
    out.push([`examples/${f}`, readFileSync(join(projectRoot, "examples", f), "utf8")]);
  }
  for (const f of readdirSync(join(projectRoot, "istio"))) {
    parseAllDocuments(readFileSync(join(projectRoot, "istio", f), "utf8")).forEach((d, i) => {
      const m = d.toJS();
      if (m?.kind === "WasmPlugin") out.push([`istio/${f} document ${i} pluginConfig`, JSON.stringify(m.spec.pluginConfig)]);
    });
  }
  for (const f of readdirSync(join(projectRoot, "envoy"))) stringValues(parse(readFileSync(join(projectRoot, "envoy", f), "utf8")), `envoy/${f}`);
  // README: complete policies, fragments ({"select": ...}, {"redact": ...},
  // {"compare": ...}) placed in a minimal mirror policy, and the policies inside
  // the Envoy YAML snippets.
  const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
  [...readme.matchAll(/```json\n([\s\S]*?)```/g)].forEach((m, i) => {
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(m[1]);
    } catch {
      return; // a diff record or output sample, not a policy
    }
    if ("role" in v) out.push([`README.md json block ${i}`, m[1]]);
    else if (["select", "redact", "compare", "capture"].some((k) => k in v)) out.push([`README.md json block ${i} (fragment)`, JSON.stringify({ ...base, ...v })]);
  });
  [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].forEach((m, i) => stringValues(parse(m[1]), `README.md yaml block ${i}`));
  return out;
}

const documented = documentedPolicies();

describe("documented and shipped policies are valid for both", () => {
  it("finds the examples, the Envoy and Istio files and the README's blocks", () => {
    const from = (prefix: string) => documented.filter(([n]) => n.startsWith(prefix)).length;
    expect(from("examples/")).toBeGreaterThanOrEqual(8);
    expect(from("istio/")).toBeGreaterThanOrEqual(3);
    expect(from("envoy/")).toBeGreaterThanOrEqual(4);
    expect(from("README.md json")).toBeGreaterThanOrEqual(6);
    expect(from("README.md yaml")).toBeGreaterThanOrEqual(1);
  });

  it.each(documented)("%s", async (_name, text) => {
    expect(schemaVerdict(text).errors).toBe("");
    expect((await filterVerdict(text)).message).toBe("");
  });
});

// ------------------------------------------------------------ invalid cases

/** Invalid cases the JSON Schema cannot express; the filter alone refuses them. */
const FILTER_ONLY = new Map<string, string>([
  ["name under two actions", "drop, mask and hash are separate lists; JSON Schema cannot compare items across arrays"],
  ["one header in two cases", "uniqueItems compares exactly; names are compared case-insensitively"],
  ["one query name in two cases under two actions", "drop, mask and hash are separate lists; JSON Schema cannot compare items across arrays"],
  ["one query name folded twice", "uniqueItems compares exactly; query names are compared with Unicode case folding"],
  ["path template under mask and hash", "mask and hash are separate lists; JSON Schema cannot compare items across arrays"],
  ["one JSON path under two actions", "drop, mask and hash are separate lists; JSON Schema cannot compare items across arrays"],
  ["key env missing", "the VM environment (vm_config.environment_variables, vmConfig.env) is known only where the filter runs"],
  ["env key too short", "the key's length is known only where the filter reads the VM environment"],
  ["shadow name used twice", "uniqueItems compares whole items; JSON Schema cannot compare one member across the items of a list"],
  ["shadow cluster used twice", "uniqueItems compares whole items; JSON Schema cannot compare one member across the items of a list"],
  ["descriptor set of a length base64 never has", "the pattern takes base64 characters with whitespace anywhere; counting them modulo 4 around the whitespace is the decoder's"],
  ["descriptor set with padding that does not fit", "the pattern takes base64 characters with whitespace anywhere; counting them modulo 4 around the whitespace is the decoder's"],
  ["descriptor set that is not a set", "what the base64 holds is read by the filter (proto/descriptor.ts)"],
  ["descriptor set with a type it lacks", "what the base64 holds is read by the filter (proto/descriptor.ts)"],
  ["descriptor set without a service", "what the base64 holds is read by the filter (proto/descriptor.ts)"],
  ["descriptor set over 4 MiB", "the decoded size depends on the whitespace and padding within the text"],
  ["descriptor set from a variable not set", "the VM environment is known only where the filter runs"],
  ["descriptor set from a variable that holds no set", "the VM environment is known only where the filter runs"],
  ["a rule path on no field of a request type", "the fields are in the descriptor set, which only the filter reads"],
  ["a rule path on a field of a response type only", "the fields are in the descriptor set, which only the filter reads"],
  ["a rule path on a field of a message within a request type", "the fields are in the descriptor set, which only the filter reads"],
  ["a descendant rule path on no field", "the fields are in the descriptor set, which only the filter reads"],
  ["a match_case rule path in another case", "the fields are in the descriptor set, which only the filter reads"],
  ["a keep path on no field", "the fields are in the descriptor set, which only the filter reads"],
  ["a redaction budget below a body limit", "JSON Schema cannot compare one number with another (limits.redaction_bytes_per_second with every max_body_bytes)"],
]);

const invalid: [string, Policy, string][] = [...invalidPolicies, ...invalidGuardPolicies, ...moreInvalidPolicies];

describe("invalid policies are refused by both", () => {
  it("names each case once, and every filter-only case exists", () => {
    const names = invalid.map(([n]) => n);
    expect(new Set(names).size).toBe(names.length);
    for (const n of FILTER_ONLY.keys()) expect(names).toContain(n);
  });

  it.each(invalid)("%s", async (name, policy, message) => {
    // A filter-only case must really pass the schema, so the list stays honest.
    // (Checked first: a failure below this line is the filter's.)
    expect(schemaAccepts(policy)).toBe(FILTER_ONLY.has(name));
    const filter = await filterVerdict(policy);
    expect(filter.ok).toBe(false);
    expect(filter.message).toContain(message); // refused for the reason the case is about
  });
});

// -------------------------------------------------------------- valid cases

/** Policies the filter accepts and the schema refuses, on purpose. */
const SCHEMA_STRICTER: [string, Policy, string][] = [
  [
    "inline key of 6 characters and 18 bytes",
    { ...base, redact: { hash_key: "inline:\u6f22\u5b57\u6f22\u5b57\u6f22\u5b57" } },
    "the filter counts the key's UTF-8 bytes, a pattern can only count characters (16)",
  ],
];

describe("valid policies are accepted by both", () => {
  it.each(validPolicies)("%s", async (_name, policy) => {
    expect(schemaVerdict(policy).errors).toBe("");
    expect((await filterVerdict(policy)).message).toBe("");
  });

  it.each(SCHEMA_STRICTER)("except, refused by the schema only: %s", async (_name, policy) => {
    expect(await filterAccepts(policy)).toBe(true);
    expect(schemaAccepts(policy)).toBe(false);
  });

  it("use every field of the schema at least once", () => {
    const defs = schema.$defs as Record<string, Record<string, unknown>>;
    const resolve = (n: Record<string, unknown>, at: string): [Record<string, unknown>, string] => {
      const ref = n.$ref as string | undefined;
      return ref ? [defs[ref.replace("#/$defs/", "")], `#${ref.replace("#/$defs/", "")}`] : [n, at];
    };
    const declared = new Set<string>();
    const declare = (node: Record<string, unknown>, at: string) => {
      const [n, where] = resolve(node, at);
      for (const [k, v] of Object.entries((n.properties as Record<string, unknown>) ?? {})) {
        if (typeof v !== "object") continue;
        declared.add(`${where}.${k}`);
        declare(v as Record<string, unknown>, `${where}.${k}`);
      }
      if (n.items) declare(n.items as Record<string, unknown>, `${where}[]`);
    };
    const used = new Set<string>();
    const use = (node: Record<string, unknown>, data: unknown, at: string) => {
      const [n, where] = resolve(node, at);
      if (Array.isArray(data)) {
        if (n.items) data.forEach((d) => use(n.items as Record<string, unknown>, d, `${where}[]`));
      } else if (data && typeof data === "object") {
        for (const [k, v] of Object.entries(data)) {
          const p = (n.properties as Record<string, unknown> | undefined)?.[k];
          if (!p || typeof p !== "object") continue;
          used.add(`${where}.${k}`);
          use(p as Record<string, unknown>, v, `${where}.${k}`);
        }
      }
    };
    declare(schema, "");
    for (const [, p] of [...validPolicies, ...documented]) use(schema, JSON.parse(textOf(p)), "");
    expect([...declared].filter((k) => !used.has(k))).toEqual([]);
  });
});

// ---------------------------------------------------------------- JSONPath

// The paths of test/unit/json/json-redact.test.ts, and more at the grammar's edges.
const JSON_PATHS = [
  "$.a", "$.a.b", "$.a[0]", "$.a[*]", "$.a.*", "$..key", "$..*", "$['a.b']", '$["a b"]', "$..['x.y']",
  "$..[1]", "$.a..b", "$[*].id", "$[ 'a' ]", "$['it\\'s']", "$['\\u0041']", "$.ünï", "$.x-api-key", "$.$ref", "$[0][1]",
  "", "a.b", "$", "$.a.]", "$.", "$..", "$.a b", "$a", "$.a[", "$.a[0", "$.a[0x]", "$[-1]", "$[99999999999]", "$['x",
  "$['x\\q']", "$['\\u00G0']", "$.['a']", "$[a]", "$.a[*", "$.*x", "$" + ".a".repeat(64), "$" + ".a".repeat(63),
  "$[2147483647]", "$[2147483648]", "$[000000000000002147483647]", "$[0000000000000000000000000]", "$[3000000000]",
  "$[  *  ]", "$..[*]", "$..[ 'a' ]", '$["a\\"b"]', "$['a\"b']", '$["a\'b"]', "$['\\/\\b\\f\\n\\r\\t\\\\']", "$['\\u00e9\\u00E9']",
  "$['']", "$[\"\"]", "$['a'].b[1]..c[*]", "$.a.b.c.d", "$..a..b", "$...a", "$.a.", "$[1.5]", "$[+1]", "$[ 1 ]", "$[\t1]",
  "$['a\nb']", "$.a\n", " $.a", "$ .a", "$.😀", "$..😀", "$.a-b_c$9", "$.\u212a", "$['\\u12']", "$['\\x41']", "$['a'", "$[*]]",
  ...[...Array(128).keys()].flatMap((c) => [String.fromCharCode(c)].flatMap((ch) => [`$.a${ch}`, `$.${ch}`, `$['${ch}']`, `$[${ch}]`, `$..${ch}`])),
];

describe("the JSONPath pattern agrees with the filter's compileJsonPath", () => {
  it("on every path of the table", async () => {
    const disagree: string[] = [];
    expect(JSON_PATHS.filter((p) => schemaAccepts({ ...base, redact: { json: { mask: [p] } } })).length).toBeGreaterThan(100);
    for (const path of JSON_PATHS) {
      const policy = { ...base, redact: { json: { mask: [path] } } };
      const f = await filterAccepts(policy);
      if (f !== schemaAccepts(policy)) disagree.push(`${JSON.stringify(path)}: filter ${f ? "accepts" : "refuses"}`);
    }
    expect(disagree).toEqual([]);
  });
});

// --------------------------------------- names and values, character by character

const CHARS = [...[...Array(128).keys()].map((c) => String.fromCharCode(c)), "\u00e9", "\u6f22", "\u{1f600}", "\u0130"];
const guardStub = (response: object) => ({ role: "egress-guard", guard: { destinations: [{ methods: ["POST"] }], response } });

const SWEEPS: [string, (ch: string) => object][] = [
  ["redact.headers name", (ch) => ({ ...base, redact: { headers: { drop: [`x${ch}y`] } } })],
  ["select rule header", (ch) => ({ ...base, select: { match: [{ header: `x${ch}y`, present: true }] } })],
  ["select.hash_header", (ch) => ({ ...base, select: { percent: 5, hash_header: `x${ch}y` } })],
  ["tag.baggage_key", (ch) => ({ ...base, tag: { baggage_key: `x${ch}y` } })],
  ["compare.headers", (ch) => ({ ...base, compare: { headers: [`x${ch}y`] } })],
  ["guard.response.headers name", (ch) => guardStub({ headers: { [`x${ch}y`]: "v" } })],
  ["tag.header", (ch) => ({ ...base, tag: { header: `x${ch}y` } })],
  ["shadow.body_dropped_header", (ch) => ({ role: "mirror", shadow: { cluster: "s", body_dropped_header: `x${ch}y` } })],
  ["tag.value", (ch) => ({ ...base, tag: { value: `a${ch}b` } })],
  ["shadow.cluster", (ch) => ({ role: "mirror", shadow: { cluster: `a${ch}b` } })],
  ["shadow.authority", (ch) => ({ role: "mirror", shadow: { cluster: "s", authority: `a${ch}b` } })],
  ["guard.response.headers value", (ch) => guardStub({ headers: { x: `a${ch}b` } })],
  ["redact.body.pass_through", (ch) => ({ ...base, redact: { body: { pass_through: [`a${ch}/b`, `${ch}/b`, `a/${ch}`] } } })],
  ["compare.sink.path", (ch) => ({ ...base, compare: { sink: { cluster: "d", path: `${ch}d` } } })],
  // needs several-shadow filter
  ["shadows[].name", (ch) => ({ role: "mirror", shadows: [{ name: `a${ch}b`, cluster: "s" }] })],
  ["shadows[].name, first character", (ch) => ({ role: "mirror", shadows: [{ name: `${ch}b`, cluster: "s" }] })],
];

describe("names and values agree character by character", () => {
  it.each(SWEEPS)("%s", async (_field, make) => {
    const disagree: string[] = [];
    let accepted = 0;
    for (const ch of CHARS) {
      const policy = make(ch);
      const f = await filterAccepts(policy);
      if (f) accepted++;
      if (f !== schemaAccepts(policy)) disagree.push(`U+${ch.codePointAt(0)!.toString(16).padStart(4, "0")}: filter ${f ? "accepts" : "refuses"}`);
    }
    expect(disagree).toEqual([]);
    // Not vacuous: the field takes some characters and refuses others.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(CHARS.length);
  });
});
