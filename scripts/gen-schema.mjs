// Writes schema/policy.schema.json. The schema is built here as data, next to the
// rules of filter/config.ts it mirrors; test/unit/schema.test.ts feeds every example
// and every invalid case to both the schema and the filter, so they cannot drift.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const HEADER = "^[a-zA-Z0-9!#$%&'*+.^_`|~-]+$";
const str = (description, extra = {}) => ({ type: "string", minLength: 1, description, ...extra });
const list = (items, description) => ({ type: "array", minItems: 1, items, description });
const int = (min, max, description, def) => ({ type: "integer", minimum: min, maximum: max, description, ...(def !== undefined ? { default: def } : {}) });
const JSONPATH = { type: "string", pattern: "^\\$(\\.\\.?|\\[)", description: "JSONPath subset: $.a.b, $['a.b'], $.a[0], $.a[*], $..key, $..*" };

const matcherKeys = {
  exact: str("equals"),
  in: list(str("one of"), "equals one of these"),
  prefix: str("starts with"),
  suffix: str("ends with"),
  contains: str("contains"),
  present: { const: true, description: "the header or parameter is present" },
  absent: { const: true, description: "the header or parameter is absent" },
  glob: str("path glob: * within a segment, ** across segments, ? one character"),
};
/** Exactly one of the given matcher keys. */
const exactlyOne = (keys) => ({ oneOf: keys.map((k) => ({ required: [k] })) });
const pick = (keys) => Object.fromEntries(keys.map((k) => [k, matcherKeys[k]]));
const VALUE = ["exact", "in", "prefix", "suffix", "contains", "present", "absent"];

const rule = {
  type: "object",
  description: "All conditions of a rule must hold; a rule needs at least one.",
  additionalProperties: false,
  properties: {
    name: str("named in the copy's x-shadow-rule header (else the rule's index)"),
    header: str("header name (case-insensitive), with one matcher key", { pattern: HEADER }),
    ...pick(VALUE),
    path: { type: "object", additionalProperties: false, properties: pick(["exact", "prefix", "glob"]), ...exactlyOne(["exact", "prefix", "glob"]), description: "the path without the query" },
    methods: list(str("HTTP method"), "any of these methods"),
    query: { type: "object", additionalProperties: false, required: ["name"], properties: { name: str("parameter name (percent-decoded)"), ...pick(VALUE) }, ...exactlyOne(VALUE) },
    host: { type: "object", additionalProperties: false, properties: pick(["exact", "in", "prefix", "suffix", "contains"]), ...exactlyOne(["exact", "in", "prefix", "suffix", "contains"]), description: ":authority without the port, case-insensitive" },
  },
  anyOf: [{ required: ["header"] }, { required: ["path"] }, { required: ["methods"] }, { required: ["query"] }, { required: ["host"] }],
  // A matcher key at the rule's top level belongs to a header condition: then exactly one of them.
  if: { required: ["header"] },
  then: exactlyOne(VALUE),
  else: { not: { anyOf: VALUE.map((k) => ({ required: [k] })) } },
};

const RULE = { $ref: "#/$defs/rule" };

const names = (header) => ({
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(["drop", "mask", "hash"].map((k) => [k, list(str(header ? "header name, case-insensitive" : "parameter name", header ? { pattern: HEADER } : {}), k)])),
});

const tag = {
  type: "object",
  additionalProperties: false,
  properties: {
    header: str("header every copy carries", { pattern: "^[a-z0-9!#$%&'*+.^_`|~-]+$", default: "x-shadow-request" }),
    value: str("its value; also the baggage member's value", { pattern: "^[\\x21\\x23-\\x2b\\x2d-\\x3a\\x3c\\x3e-\\x5b\\x5d-\\x7e]+$", default: "true" }),
    strip_from_primary: { type: "boolean", default: true, description: "remove a forged tag (header, baggage member) from production requests" },
    baggage: { type: "boolean", default: false, description: "add the baggage member to each copy" },
    baggage_key: str("W3C baggage key of the shadow mark", { pattern: HEADER, default: "mirrorshade.shadow" }),
  },
};

const select = {
  type: "object",
  additionalProperties: false,
  properties: {
    percent: { type: "number", minimum: 0, maximum: 100, default: 100, description: "share of requests; consistent per hash_header value" },
    hash_header: str("header whose value decides the share consistently (sha256, first 4 bytes, big-endian)", { pattern: HEADER }),
    match: list(RULE, "selected when any rule matches (absent: every request)"),
    exclude: list(RULE, "never selected when any rule matches; wins over match"),
    rate_limit: {
      type: "object",
      additionalProperties: false,
      required: ["per_second"],
      properties: { per_second: { type: "number", minimum: 0.001, maximum: 1e9 }, burst: { type: "number", minimum: 1, maximum: 1e9 } },
      description: "token bucket shared by all of Envoy's workers",
    },
    max_inflight: int(1, 1000000, "selected copies in flight, across workers"),
  },
  dependentRequired: { hash_header: ["percent"] },
};

const redact = {
  type: "object",
  additionalProperties: false,
  properties: {
    headers: names(true),
    query: names(false),
    json: { type: "object", additionalProperties: false, properties: Object.fromEntries(["drop", "mask", "hash"].map((k) => [k, list(JSONPATH, k)])) },
    detectors: list({ enum: ["card", "email", "ssn", "jwt", "iban", "phone"] }, "built-in scanners"),
    detector_action: { enum: ["mask", "hash"], default: "mask" },
    hash_key: { type: "string", pattern: "^(env:[A-Za-z_][A-Za-z0-9_]*|inline:.{16,})$", description: "env:VARIABLE of the VM environment, or inline:<at least 16 bytes>" },
    body: {
      type: "object",
      additionalProperties: false,
      properties: {
        on_unscannable: { enum: ["drop_body", "skip"], default: "drop_body" },
        pass_through: list({ type: "string", pattern: "^[^/]+/[^/]+$" }, "media types mirrored unscanned, e.g. image/*"),
      },
    },
  },
  $comment: "Filter-only rules: hash_key is required once a hash rule or detector_action hash exists; a name may appear under one action only; the JSONPath grammar in full; env variables must exist.",
};

const compare = {
  type: "object",
  additionalProperties: false,
  properties: {
    headers: list(str("response header compared", { pattern: "^(:status|[a-zA-Z0-9!#$%&'*+.^_`|~-]+)$" }), "response headers compared"),
    ignore_paths: list(JSONPATH, "JSON paths whose differences are not regressions"),
    numeric_tolerance: { type: "number", minimum: 0, default: 0 },
    max_body_bytes: int(0, 16 * 1048576, "bodies compared up to this size", 65536),
    pair_timeout_ms: int(100, 600000, "how long a pair waits for its other half", 5000),
    log_level: { enum: ["debug", "info", "warn", "error"], default: "info" },
    noise: { type: "object", additionalProperties: false, required: ["cluster"], properties: { cluster: str("a second instance of the primary's version"), percent: { type: "number", minimum: 0.001, maximum: 100, default: 10 } } },
    sink: { type: "object", additionalProperties: false, required: ["cluster"], properties: { cluster: str("cluster diff records are POSTed to"), path: str("path", { pattern: "^/", default: "/diffs" }) } },
  },
};

const shadow = {
  type: "object",
  additionalProperties: false,
  required: ["cluster"],
  properties: {
    cluster: str("Envoy cluster copies go to (Istio: outbound|PORT||HOST)", { pattern: "^[^\\x00-\\x1f\\x7f]+$" }),
    authority: str(":authority of the copy (default: the primary's with -shadow)", { pattern: "^[^\\x00-\\x1f\\x7f]+$" }),
    timeout_ms: int(1, 600000, "timeout of each copy", 2000),
    max_body_bytes: int(0, 64 * 1048576, "largest body copied", 1048576),
    max_inflight: int(1, 1000000, "copies in flight per worker", 256),
    on_body_too_large: { enum: ["skip", "headers_only"], default: "skip" },
    body_dropped_header: str("flags a copy sent without its body", { pattern: "^[a-z0-9!#$%&'*+.^_`|~-]+$", default: "x-mirrorshade-body-dropped" }),
  },
};

const inPlace = (recognize) => ({
  type: "object",
  additionalProperties: false,
  properties: {
    ...(recognize ? { recognize: list({ enum: ["host_suffix", "tag"] }, "how copies are recognized") } : {}),
    restore_host: { type: "boolean", default: false, description: "strip the -shadow suffix from the Host" },
    not_selected_status: int(200, 599, "local answer to a copy selection does not pass", 204),
    max_body_bytes: int(0, 64 * 1048576, "largest body held for redaction", 1048576),
  },
});

const guard = {
  type: "object",
  additionalProperties: false,
  required: ["destinations"],
  properties: {
    destinations: list(RULE, "side-effect destinations tagged requests must not reach"),
    response: {
      type: "object",
      additionalProperties: false,
      properties: {
        status: int(200, 599, "stub status", 200),
        body: { type: "string", description: "stub body" },
        headers: { type: "object", propertyNames: { pattern: HEADER }, additionalProperties: { type: "string", pattern: "^[^\\x00-\\x1f\\x7f]*$" } },
      },
    },
  },
};

const selectNoInflight = { ...select, properties: Object.fromEntries(Object.entries(select.properties).filter(([k]) => k !== "max_inflight")) };

const schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://mirrorshade.dev/schema/policy.schema.json",
  title: "mirrorshade policy",
  description: "The plugin configuration of the mirrorshade proxy-wasm filter (Envoy configuration.value, Istio WasmPlugin pluginConfig). Generated by scripts/gen-schema.mjs.",
  type: "object",
  required: ["role"],
  properties: { role: { enum: ["mirror", "upstream", "shadow", "egress-guard"] } },
  $defs: { rule, tag, redact, select, selectInPlace: selectNoInflight },
  oneOf: [
    {
      title: "mirror: the filter sends the copy",
      properties: { role: { const: "mirror" }, shadow, tag: { $ref: "#/$defs/tag" }, select: { $ref: "#/$defs/select" }, redact: { $ref: "#/$defs/redact" }, compare },
      required: ["role", "shadow"],
      additionalProperties: false,
    },
    {
      title: "upstream: an upstream filter on the shadow cluster behind native mirroring",
      properties: { role: { const: "upstream" }, upstream: inPlace(false), tag: { $ref: "#/$defs/tag" }, select: { $ref: "#/$defs/selectInPlace" }, redact: { $ref: "#/$defs/redact" } },
      additionalProperties: false,
    },
    {
      title: "shadow: the shadow workload's inbound proxy",
      properties: { role: { const: "shadow" }, inbound: inPlace(true), tag: { $ref: "#/$defs/tag" }, select: { $ref: "#/$defs/selectInPlace" }, redact: { $ref: "#/$defs/redact" } },
      additionalProperties: false,
    },
    {
      title: "egress-guard: the shadow workload's outbound proxy",
      properties: { role: { const: "egress-guard" }, guard, tag: { $ref: "#/$defs/tag" } },
      required: ["role", "guard"],
      additionalProperties: false,
    },
  ],
};

mkdirSync(join(root, "schema"), { recursive: true });
writeFileSync(join(root, "schema", "policy.schema.json"), JSON.stringify(schema, null, 2) + "\n");
console.log("schema/policy.schema.json");
