// Builds schema/policy.schema.json, the JSON Schema (draft 2020-12) of the policy,
// as data next to the rules of filter/config.ts it mirrors. The filter stays the
// source of truth; test/unit/policy/schema.test.ts feeds every documented and shipped
// policy, every invalid case and a sweep of names, values and JSON paths to both,
// so the two cannot drift.
//
//   node scripts/gen-schema.mjs           writes schema/policy.schema.json
//   node scripts/gen-schema.mjs --print   prints it (the test compares, never writes)
//
// Every "default", "minimum" and "maximum" (and the name and key lengths) comes from
// filter/policy/defaults.ts, which the filter's parsers read too; a constant the
// schema needs that is missing there, or documents another field, stops the generator.
import { readFileSync, writeFileSync, mkdirSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// ------------------------------------------------------------------ defaults

/**
 * filter/policy/defaults.ts, the one source of every default and numeric bound:
 * a doc comment naming the policy field, then `export const NAME: type = value;`
 * lines (strings in double quotes, true/false, numbers, products of numbers).
 * Returns NAME -> { field, type, value }.
 */
export function readDefaults(file = join(root, "filter", "policy", "defaults.ts")) {
  const out = new Map();
  let field;
  readFileSync(file, "utf8").split("\n").forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    const doc = /^\s*\/\*\*\s*([A-Za-z_][A-Za-z0-9_.\[\]]*)/.exec(line);
    if (doc) {
      field = doc[1].replace(/:$/, "");
      return;
    }
    if (!/^\s*export\s+const\b/.test(line)) return;
    const m = /^\s*export\s+const\s+([A-Z][A-Z0-9_]*)\s*:\s*(u32|i32|u64|i64|f64|f32|string|bool)\s*=\s*(.+?)\s*;\s*(\/\/.*)?$/.exec(line);
    if (!m) throw new Error(`${where}: cannot read this line (expected export const NAME: type = value;)`);
    const [, name, type, text] = m;
    if (field === undefined) throw new Error(`${where}: ${name} has no /** field.path */ comment before it`);
    if (out.has(name)) throw new Error(`${where}: ${name} is defined twice`);
    let value;
    if (type === "string") {
      if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new Error(`${where}: ${name}: expected a string in double quotes, got ${text}`);
      value = JSON.parse(text);
    } else if (type === "bool") {
      if (text !== "true" && text !== "false") throw new Error(`${where}: ${name}: expected true or false, got ${text}`);
      value = text === "true";
    } else {
      const factors = text.split("*").map((f) => f.trim());
      if (!factors.every((f) => /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(f))) throw new Error(`${where}: ${name}: expected a number or a product of numbers, got ${text}`);
      value = factors.map(Number).reduce((a, b) => a * b, 1);
      if (!Number.isFinite(value)) throw new Error(`${where}: ${name}: ${text} is not finite`);
      if (type !== "f64" && type !== "f32" && !Number.isInteger(value)) throw new Error(`${where}: ${name}: ${type} value ${text} is not a whole number`);
    }
    out.set(name, { field, type, value });
  });
  return out;
}

// --defaults FILE reads another defaults file (for tests of the generator's own checks).
const defaultsArg = process.argv.indexOf("--defaults");
const DEFAULTS = readDefaults(defaultsArg > 0 ? process.argv[defaultsArg + 1] : undefined);

/** The value of one constant of defaults.ts; fails loudly when it is missing or documents another field. */
function value(name, field) {
  const d = DEFAULTS.get(name);
  if (!d) throw new Error(`filter/policy/defaults.ts: ${name} is missing (the schema needs it for ${field})`);
  if (d.field !== field) throw new Error(`filter/policy/defaults.ts: ${name} documents ${d.field}, the schema needs it for ${field}`);
  return d.value;
}

/** A numeric field's bounds (NAME_MIN, NAME_MAX) and, if it has one, its default (NAME), all from defaults.ts. */
function bounds(field, name, { withDefault = true } = {}) {
  return [value(`${name}_MIN`, field), value(`${name}_MAX`, field), withDefault ? value(name, field) : undefined];
}

// ------------------------------------------------------------------ patterns

/** RFC 7230 token, either case: names the filter lower-cases before checking (isHeaderName after toLowerCase). */
const HEADER_ANY_CASE = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$";
/** RFC 7230 token, lower case only: names the filter checks as written (tag.header, shadow.body_dropped_header). */
const HEADER_LOWER = "^[a-z0-9!#$%&'*+.^_`|~-]+$";
/** No control characters (hasControlChars: below 0x20, or 0x7f). */
const NO_CONTROL = "^[^\\x00-\\x1f\\x7f]+$";
/** A W3C baggage value: no control characters, space, '"', ',', ';', '=', '\\', nor anything past 0x7e. */
const BAGGAGE_VALUE = "^[\\x21\\x23-\\x2b\\x2d-\\x3a\\x3c\\x3e-\\x5b\\x5d-\\x7e]+$";

// The JSONPath subset of filter/redact/json.ts (compileJsonPath), exactly: '$' then
// 1 to 63 segments: .name | .* | ..name | ..* | ..[…] | […], where […] holds, between
// optional spaces, a quoted name (JSON escapes plus \'), an index up to 2^31-1 (any
// leading zeros) or '*'. Name characters: A-Z a-z 0-9 _ - $ and anything past ASCII.
const ESCAPE = "\\\\(?:['\"\\\\/bfnrt]|u[0-9A-Fa-f]{4})";
const QUOTED = `'(?:[^'\\\\]|${ESCAPE})*'|"(?:[^"\\\\]|${ESCAPE})*"`;
const INDEX =
  "0*(?:[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}" +
  "|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])";
const BRACKET = `\\[ *(?:${QUOTED}|${INDEX}|\\*) *\\]`;
const NAME = "(?:[-0-9A-Za-z_$]|[^\\x00-\\x7f])+";
const SEGMENT = `(?:\\.\\.?(?:\\*|${NAME})|\\.\\.${BRACKET}|${BRACKET})`;
export const JSONPATH_PATTERN = "^\\$" + SEGMENT + "{1,63}$";

// ------------------------------------------------------------------- helpers

const str = (description, extra = {}) => ({ type: "string", minLength: 1, ...extra, description });
const list = (items, description, extra = {}) => ({ type: "array", minItems: 1, items, ...extra, description });
const int = ([min, max, def], description) => ({ type: "integer", minimum: min, maximum: max, ...(def !== undefined ? { default: def } : {}), description });
const num = ([min, max, def], description) => ({ type: "number", minimum: min, maximum: max, ...(def !== undefined ? { default: def } : {}), description });
const bool = (def, description) => ({ type: "boolean", default: def, description });
const oneOfStrings = (values, def, description) => ({ type: "string", enum: values, ...(def !== undefined ? { default: def } : {}), description });
const object = (properties, description, extra = {}) => ({ type: "object", additionalProperties: false, properties, ...extra, description });
const jsonPath = (description) => ({ type: "string", pattern: JSONPATH_PATTERN, description });
/**
 * "required" inside an applicator (anyOf, oneOf, if, then), with the keys declared
 * next to it, as ajv's strictRequired wants (the real definitions are the parent's).
 */
const has = (...keys) => ({ required: keys, properties: Object.fromEntries(keys.map((k) => [k, true])) });

// ------------------------------------------------------------ select rules

/** Matcher keys (parseMatcher), described for what they compare. */
const matchers = (subject, keys) => {
  const all = {
    exact: str(`${subject} equals this`),
    in: list(str("a value"), `${subject} equals one of these`),
    prefix: str(`${subject} starts with this`),
    suffix: str(`${subject} ends with this`),
    contains: str(`${subject} contains this`),
    present: { const: true, description: `${subject} is present (only true is accepted; use absent instead of false)` },
    absent: { const: true, description: `${subject} is absent (only true is accepted; use present instead of false)` },
    glob: str(`${subject} matches this glob: * within one segment, ** across segments, ? one character`),
  };
  return Object.fromEntries(keys.map((k) => [k, all[k]]));
};
const VALUE_MATCHERS = ["exact", "in", "prefix", "suffix", "contains", "present", "absent"];
const PATH_MATCHERS = ["exact", "prefix", "glob"];
const HOST_MATCHERS = ["exact", "in", "prefix", "suffix", "contains"];

const rule = {
  type: "object",
  additionalProperties: false,
  description:
    "A rule holds when all its conditions hold; it needs at least one condition (header, path, methods, query, host). " +
    "The copy (or the guard's counter) names the rule that matched: its name, or its index.",
  properties: {
    name: str("names the rule in the copy's x-shadow-rule header and in the guard's guard.blocked.<name> counter (default: the rule's index)"),
    header: str("header condition: the header's name (case-insensitive), with exactly one of exact, in, prefix, suffix, contains, present, absent next to it", { pattern: HEADER_ANY_CASE }),
    ...matchers("the header's value (case-sensitive)", ["exact", "in", "prefix", "suffix", "contains"]),
    ...matchers("the header", ["present", "absent"]),
    path: object(
      {
        ...matchers("the path (without the query) in its normal form: percent-escapes decoded, '\\' as '/', slashes merged, ;parameters dropped, . and .. resolved; an exact path also holds with one trailing '/'", PATH_MATCHERS),
        ignore_case: bool(false, "compare the path case-insensitively (ASCII); by default paths compare as written"),
      },
      "path condition: exactly one of exact, prefix, glob, and optionally ignore_case",
      { minProperties: 1, maxProperties: 2, oneOf: PATH_MATCHERS.map((k) => has(k)) },
    ),
    methods: list(str("an HTTP method, a token (compared upper-cased)", { pattern: HEADER_ANY_CASE }), "method condition: any of these methods"),
    query: object(
      { name: str("the query parameter's name (compared percent-decoded)"), ...matchers("the parameter's value (percent-decoded)", VALUE_MATCHERS) },
      "query condition: the parameter's name and exactly one of exact, in, prefix, suffix, contains, present, absent",
      { required: ["name"], minProperties: 2, maxProperties: 2 },
    ),
    host: object(matchers(":authority without the port (case-insensitive)", HOST_MATCHERS), "host condition: exactly one of exact, in, prefix, suffix, contains", { minProperties: 1, maxProperties: 1 }),
  },
  anyOf: ["header", "path", "methods", "query", "host"].map((k) => has(k)),
  // The matcher keys at a rule's top level belong to its header condition: with
  // "header", exactly one of them; without, none.
  if: has("header"),
  then: { oneOf: VALUE_MATCHERS.map((k) => has(k)) },
  else: { not: { anyOf: VALUE_MATCHERS.map((k) => has(k)) } },
};
const rules = (description) => list({ $ref: "#/$defs/rule", description: "a rule: all its conditions must hold" }, description);

// ---------------------------------------------------------------- sections

const shadowFields = {
    cluster: str("Envoy cluster the copies go to (in Istio: outbound|PORT||HOST); no control characters", { pattern: NO_CONTROL }),
    authority: str(":authority of the copy (default: the primary's with -shadow appended to the host, orders:8080 becoming orders-shadow:8080, as Envoy's native mirroring does); no control characters", { pattern: NO_CONTROL }),
    timeout_ms: int(bounds("shadow.timeout_ms", "SHADOW_TIMEOUT_MS"), "timeout of each copy, in milliseconds"),
    max_body_bytes: int(bounds("shadow.max_body_bytes", "SHADOW_MAX_BODY_BYTES"), "largest body copied; a larger body is never buffered (see on_body_too_large)"),
    max_inflight: int(bounds("shadow.max_inflight", "SHADOW_MAX_INFLIGHT"), "copies in flight per worker; over it the request is not mirrored"),
    on_body_too_large: oneOfStrings(["skip", "headers_only"], value("SHADOW_ON_BODY_TOO_LARGE", "shadow.on_body_too_large"), "a body over max_body_bytes: \"skip\" sends no copy, \"headers_only\" sends the copy without its body, flagged with body_dropped_header: too_large"),
    body_dropped_header: str("header that flags a copy sent without its body, with the reason (lower-case header name)", { pattern: HEADER_LOWER, default: value("SHADOW_BODY_DROPPED_HEADER", "shadow.body_dropped_header") }),
};

const shadow = object(shadowFields, `mirror role: where and how the filter sends the copy (one shadow, named "${value("SHADOW_NAME", "shadow.name")}" in the shadows.<name>.* counters)`, { required: ["cluster"] });

/** A stats-safe token: it becomes part of the counter names mirrorshade.shadows.<name>.*. */
const SHADOW_NAME_PATTERN = "^[a-z0-9][a-z0-9_-]*$";

const namedShadow = object(
  {
    name: {
      type: "string",
      pattern: SHADOW_NAME_PATTERN,
      maxLength: value("SHADOW_NAME_MAX_LENGTH", "shadows[].name"),
      description: "the shadow's name, unique in the list: a lower-case token (a-z, 0-9, _ and -, starting with a letter or digit), used in the counters mirrorshade.shadows.<name>.* and in diff records (\"shadow\": \"<name>\")",
    },
    ...shadowFields,
    select: { $ref: "#/$defs/select", description: "this shadow's own selection, after the top-level select (same keys); percent is a share of all requests, so shadows with the same hash_header nest" },
  },
  "one shadow of several: every field of shadow, plus its name and its own select. Names and clusters must be unique in the list (the filter checks; JSON Schema cannot compare items)",
  { required: ["name", "cluster"] },
);

/** Names (and prefixes) the tag header may not take, from defaults.ts; '_' counts as '-', as the filter matches names. */
const dash = (s) => s.replace(/-/g, "[-_]");
const TAG_RESERVED = `^(?:${value("TAG_HEADER_RESERVED", "tag.header").split(",").map(dash).join("|")})$|^(?:${value("TAG_HEADER_RESERVED_PREFIXES", "tag.header").split(",").map(dash).join("|")})`;

const tag = object(
  {
    header: str("header every copy carries; stripped from production requests (lower-case header name, as Envoy stores it); not a header that carries meaning to HTTP, authentication, tracing, Envoy or the filter (authorization, cookie, host, content-*, x-forwarded-*, x-envoy-*, x-request-id, hop-by-hop headers, ...)", { pattern: HEADER_LOWER, not: { pattern: TAG_RESERVED }, default: value("TAG_HEADER", "tag.header") }),
    value: str("the tag header's value, also the baggage member's value: printable ASCII without space, '\"', ',', ';', '=' or '\\'", { pattern: BAGGAGE_VALUE, default: value("TAG_VALUE", "tag.value") }),
    strip_from_primary: bool(value("TAG_STRIP_FROM_PRIMARY", "tag.strip_from_primary"), "remove a forged tag (the header, and the baggage member) from production requests before they reach the primary"),
    baggage: bool(value("TAG_BAGGAGE", "tag.baggage"), "add the baggage member <baggage_key>=<value> to each copy's W3C baggage (mirror, upstream, shadow roles)"),
    baggage_key: str("W3C baggage key of the shadow mark (an HTTP token, either case); the egress guard recognizes it too", { pattern: HEADER_ANY_CASE, default: value("TAG_BAGGAGE_KEY", "tag.baggage_key") }),
  },
  "the mark every copy carries (header and optional W3C baggage member); the egress guard recognizes shadow calls by it",
);

const select = object(
  {
    percent: num(bounds("select.percent", "SELECT_PERCENT"), "share of requests mirrored, in percent (fractions allowed); consistent per hash_header value, else a random draw per request"),
    hash_header: str("header whose value decides the share consistently: in when the first four bytes of SHA-256 of the value, big-endian, are below percent/100 x 2^32; needs percent", { pattern: HEADER_ANY_CASE }),
    match: rules("a request is selected when any of these rules holds (no match list: every request)"),
    exclude: rules("a request is never selected when any of these rules holds; wins over match"),
    rate_limit: object(
      {
        per_second: num(bounds("select.rate_limit.per_second", "SELECT_RATE_PER_SECOND", { withDefault: false }), "tokens refilled per second"),
        burst: num(bounds("select.rate_limit.burst", "SELECT_RATE_BURST", { withDefault: false }), "bucket size (default: per_second, at least 1)"),
      },
      "token bucket shared by all of Envoy's workers (proxy-wasm shared data)",
      { required: ["per_second"] },
    ),
    max_inflight: int(bounds("select.max_inflight", "SELECT_MAX_INFLIGHT", { withDefault: false }), "selected copies in flight, across workers (default: no bound); mirror role only (upstream and shadow: bound copies with the shadow cluster's circuit breakers)"),
  },
  "which requests are mirrored: exclude, then match, then the share, then the budgets",
  { dependentRequired: { hash_header: ["percent"] } },
);

/** A query name or JSON path, or the object form {<key>: ..., "match_case": true} that turns the case folding off for it. */
const matchCase = (key, item, what) => ({
  anyOf: [
    item,
    object({ [key]: item, match_case: bool(false, "true: compare member and parameter names byte for byte; false: case-insensitively, with Unicode case folding (PASSWORD, paſſword)") }, `a ${what} with its own case matching`, { required: [key] }),
  ],
  description: `${item.description}, or {"${key}": ..., "match_case": true}`,
});
const QUERY_NAME = "query parameter name, compared percent-decoded, case-insensitively (Unicode folding), against the whole name and each of its segments (user[password], user.password, a;password)";

const names = (kind, header) => {
  const item = header
    ? str("header name, case-insensitive; pseudo-headers (:path ...) cannot be redacted", { pattern: HEADER_ANY_CASE })
    : matchCase("name", str(QUERY_NAME), "query name");
  const what = header ? "headers" : "query parameters (and form body fields)";
  return object(
    {
      drop: list(item, `${what} removed from the copy`, { uniqueItems: true }),
      mask: list(item, `${what} whose value becomes one '*' per character`, { uniqueItems: true }),
      hash: list(item, `${what} whose value becomes hmac:<hex> (HMAC-SHA256 with hash_key, first 16 bytes)`, { uniqueItems: true }),
    },
    `${kind}: names per action; one name may appear under one action only`,
  );
};

/** Shortest hash key, in bytes (the schema's pattern counts characters: see SCHEMA_STRICTER in schema.test.ts). */
const HASH_KEY_MIN_BYTES = value("REDACT_HASH_KEY_MIN_BYTES", "redact.hash_key");

const DESCRIPTOR_SET_MAX_BYTES = value("REDACT_GRPC_DESCRIPTOR_SET_MAX_BYTES", "redact.grpc.descriptor_set");
/** filter/util/base64.ts: the standard alphabet, ASCII whitespace anywhere, '=' padding (at most two) only at the end; or env:NAME. (No two parts can take the same character: linear even on megabytes that fail.) */
const DESCRIPTOR_SET_PATTERN = "^(env:[\\s\\S]+|[\\t\\n\\r ]*[A-Za-z0-9+/][A-Za-z0-9+/\\t\\n\\r ]*(=[\\t\\n\\r ]*){0,2})$";

/** A hash rule in one of redact's name or path sections. */
const hashRule = (section) => ({ required: [section], properties: { [section]: { type: "object", ...has("hash") } } });
const JSONPATH_FORMS = "JSONPath: $.a.b, $['a.b'], $.a[0], $.a[*], $..key, $..*";

// redact.path templates (filter/redact/path-template.ts compilePathTemplate): '/'
// and segments, each a literal, '*', or a {capture}; at least one capture; '**'
// only last; an optional trailing '/'.
const PATH_SEG = "(?:[^/{}*?#;\\x00-\\x20\\x7f]+|\\*|\\{[A-Za-z0-9_*-]*\\})";
const PATH_TEMPLATE = `^(?:/${PATH_SEG})*/\\{[A-Za-z0-9_*-]*\\}(?:/${PATH_SEG})*(?:/\\*\\*|/)?$`;
const pathTemplates = (what) =>
  list(
    str("segment template: /users/{email}/cards/{card}; literal segments compared percent-decoded and case-insensitively (matrix parameters aside), '*' any one segment, {name} any one segment that is redacted, '**' (last) any further segments; empty segments are skipped", { pattern: PATH_TEMPLATE }),
    what,
    { uniqueItems: true },
  );

const redact = object(
  {
    headers: names("header rules", true),
    query: names("query parameter rules (also applied to application/x-www-form-urlencoded bodies)", false),
    json: object(
      {
        drop: list(matchCase("path", jsonPath(JSONPATH_FORMS), "path"), "JSON members or elements removed (the document stays valid JSON); member names compare case-insensitively unless match_case", { uniqueItems: true }),
        mask: list(matchCase("path", jsonPath(JSONPATH_FORMS), "path"), "JSON values masked keeping their shape (strings '*' per character, numbers 0, objects {}, arrays [])", { uniqueItems: true }),
        hash: list(matchCase("path", jsonPath(JSONPATH_FORMS), "path"), "JSON values replaced by hmac:<hex> (over the decoded string)", { uniqueItems: true }),
      },
      "JSON body rules (application/json and application/*+json), by JSONPath",
    ),
    keep: object(
      {
        headers: list(str("header name, case-insensitive", { pattern: HEADER_ANY_CASE }), "headers that pass; every other header is dropped (pseudo-headers and content-type, content-length, content-encoding, transfer-encoding, te always pass)", { uniqueItems: true }),
        query: list(matchCase("name", str("query parameter name: the whole name, percent-decoded, case-insensitively (Unicode folding)", { minLength: 1 }), "query name"), "query and form parameters whose values pass; every other value (and ';'-separated part) is masked keeping its shape", { uniqueItems: true }),
        json: list(matchCase("path", jsonPath(JSONPATH_FORMS), "path"), "JSON paths whose values (and all under them) pass; every other string and number is masked keeping its shape", { uniqueItems: true }),
      },
      "the allow-list mode: only what is named passes as it is (explicit drop/mask/hash rules win; detectors still run over what passes)",
    ),
    path: object(
      {
        mask: pathTemplates("templates whose captured segments become one '*' per character"),
        hash: pathTemplates("templates whose captured segments become hmac:<hex> (over the decoded segment)"),
      },
      "path segments by position; detectors scan every segment (percent-decoded) and matrix parameter (;name=value, named like query parameters) anyway",
    ),
    url_headers: {
      type: "array",
      items: str("header name, case-insensitive ('_' counts as '-')", { pattern: HEADER_ANY_CASE }),
      uniqueItems: true,
      default: value("REDACT_URL_HEADERS", "redact.url_headers").split(","),
      description: "headers whose values are URLs: userinfo removed, host, path (redact.path, detectors), query and fragment (query rules, detectors) redacted as the copy's own; replaces the default list; [] for none",
    },
    grpc: object(
      {
        descriptor_set: str(
          `the gRPC services' schema: a FileDescriptorSet as \`protoc --include_imports --descriptor_set_out=FILE\` writes it, base64 (standard alphabet; padding optional; spaces and newlines ignored), or "env:NAME" (a variable of the plugin's VM environment holding that base64); at most ${DESCRIPTOR_SET_MAX_BYTES} bytes decoded; it must define a service. With it, a redact.json or redact.keep.json path whose first name is no field of any method's request type ($.x), or of any message within one ($..x), is refused`,
          { pattern: DESCRIPTOR_SET_PATTERN },
        ),
      },
      "gRPC (application/grpc): the schema messages are read by, the request type from the :path (/package.Service/Method); without it messages are walked by their wire format alone",
      { required: ["descriptor_set"] },
    ),
    detectors: list(oneOfStrings(["card", "email", "ssn", "jwt", "iban", "phone"], undefined, "a built-in detector"), "built-in scanners for header values, query values, JSON strings and text bodies (each once)", { uniqueItems: true }),
    detector_action: oneOfStrings(["mask", "hash"], value("REDACT_DETECTOR_ACTION", "redact.detector_action"), "what a detector hit becomes: masked keeping its shape, or a hash token (headers, query values, text bodies)"),
    hash_key: {
      type: "string",
      pattern: `^(env:[\\s\\S]+|inline:[\\s\\S]{${HASH_KEY_MIN_BYTES},})$`,
      description: `HMAC key: "env:NAME" (a variable of the plugin's VM environment: Envoy vm_config.environment_variables, Istio vmConfig.env) or "inline:<key>" (for tests); at least ${HASH_KEY_MIN_BYTES} bytes; never logged. Required once a hash rule or detector_action "hash" exists`,
    },
    body: object(
      {
        on_unscannable: oneOfStrings(["drop_body", "skip"], value("REDACT_ON_UNSCANNABLE", "redact.body.on_unscannable"), "a body that cannot be scanned completely (compressed, invalid JSON, binary text, other types): \"drop_body\" sends the copy without it, flagged; \"skip\" sends no copy"),
        pass_through: list(
          str("a media type, type/subtype or type/* (tokens, either case)", { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+/[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }),
          "media types mirrored unscanned, by explicit choice (e.g. image/*, application/octet-stream)",
        ),
      },
      "what happens to bodies the filter cannot scan",
    ),
  },
  "what is scrubbed from the copy (the primary is never changed); everything else stays byte-identical",
  {
    $comment: "Filter-only: one name (or JSON path, as written) under two actions, or one name twice in two cases; the variable named by env: must exist in the VM environment and hold at least 16 bytes. The schema counts an inline key in characters, the filter in UTF-8 bytes: a non-ASCII key under 16 characters but at least 16 bytes passes only the filter.",
    if: { anyOf: [hashRule("headers"), hashRule("query"), hashRule("json"), hashRule("path"), { required: ["detector_action"], properties: { detector_action: { const: "hash" } } }] },
    then: has("hash_key"),
  },
);

const capture = object(
  {
    cluster: str("cluster the captures are POSTed to (mirrorshade capture-sink, or any receiver of the capture frame); no control characters", { pattern: NO_CONTROL }),
    path: str("path the captures are POSTed to; no spaces or control characters", { pattern: "^/[^\\x00-\\x20\\x7f]*$", default: value("CAPTURE_PATH", "capture.path") }),
    rate_limit_per_second: num(bounds("capture.rate_limit_per_second", "CAPTURE_RATE_LIMIT_PER_SECOND"), "captures sent per second at most, shared by every worker (a token bucket holding one second's worth, at least one); more are counted as capture.skipped.budget"),
    max_body_bytes: int(bounds("capture.max_body_bytes", "CAPTURE_MAX_BODY_BYTES"), "the largest copy body kept for a capture; a copy with a larger body is not captured (capture.skipped.too_large)"),
    timeout_ms: int(bounds("capture.timeout_ms", "CAPTURE_TIMEOUT_MS"), "timeout of the POST to the capture cluster"),
    on: list(
      oneOfStrings(["shadow_error", "timeout", "mismatch"], undefined, "\"shadow_error\": a 5xx from the shadow, a gRPC status other than OK, no answer (reset) or Envoy's local reply; \"timeout\": the call timed out (shadow.timeout_ms); \"mismatch\": the comparison found the answers differ (needs compare)"),
      "what is captured (default: shadow_error and timeout, and mismatch when the policy has a compare section)",
      { uniqueItems: true },
    ),
    answer_headers: list(
      str("response header name (case-insensitive), or :status", { pattern: "^(?::[Ss][Tt][Aa][Tt][Uu][Ss]|[A-Za-z0-9!#$%&'*+.^_`|~-]+)$" }),
      "the answers' headers a capture carries (an allow-list: any other answer header is left out, since an answer can hold credentials the shadow never saw); set-cookie never travels",
      { default: value("CAPTURE_ANSWER_HEADERS", "capture.answer_headers").split(",") },
    ),
  },
  "mirror role: a copy that failed at the shadow (or, with compare, whose answer did not match) is POSTed as the shadow received it (redacted), with the answers' status and headers, to a capture cluster",
  { required: ["cluster"] },
);

const compare = object(
  {
    headers: list(str("response header name (case-insensitive), or :status", { pattern: "^(?::[Ss][Tt][Aa][Tt][Uu][Ss]|[A-Za-z0-9!#$%&'*+.^_`|~-]+)$" }), "response headers compared besides the status and the body"),
    ignore_paths: list(
      { type: "string", pattern: "^(?::grpc-message|\\$" + SEGMENT + "{1,63})$", description: "JSONPath (the redaction subset; gRPC messages by field name), or :grpc-message" },
      "JSON paths whose differences are not regressions (timestamps, ids); \":grpc-message\": gRPC answers' grpc-message is not compared",
    ),
    numeric_tolerance: num(bounds("compare.numeric_tolerance", "COMPARE_NUMERIC_TOLERANCE"), "numbers within this absolute difference are equal"),
    max_body_bytes: int(bounds("compare.max_body_bytes", "COMPARE_MAX_BODY_BYTES"), "bodies compared up to this size; larger ones are not compared"),
    pair_timeout_ms: int(bounds("compare.pair_timeout_ms", "COMPARE_PAIR_TIMEOUT_MS"), "how long a pair waits for its other half before it counts as compare.unmatched"),
    log_level: oneOfStrings(["debug", "info", "warn", "error"], value("COMPARE_LOG_LEVEL", "compare.log_level"), "Envoy log level of the mirrorshade.diff records"),
    noise: object(
      {
        cluster: str("a second instance of the primary's version; no control characters", { pattern: NO_CONTROL }),
        percent: num(bounds("compare.noise.percent", "COMPARE_NOISE_PERCENT"), "share of the copies also sent to the noise cluster, in percent"),
      },
      "noise cancellation: differences between two primaries are learned as noise and not reported",
      { required: ["cluster"] },
    ),
    sink: object(
      {
        cluster: str("cluster the diff records are POSTed to; no control characters", { pattern: NO_CONTROL }),
        path: str("path the diff records are POSTed to", { pattern: "^/", default: value("COMPARE_SINK_PATH", "compare.sink.path") }),
      },
      "where diff records are POSTed besides Envoy's log",
      { required: ["cluster"] },
    ),
    capture: { $ref: "#/$defs/capture", description: "failing and mismatching copies captured (the capture section; give it here or at the top level, once)" },
  },
  "mirror role: compare the primary's and the shadow's answers and report real differences",
);

const inPlace = (role, recognize) =>
  object(
    {
      ...(recognize
        ? {
            // Not in filter/policy/defaults.ts (it holds no list values yet): the default stays written here.
            recognize: list(oneOfStrings(["host_suffix", "tag", "all"], undefined, "\"host_suffix\": a Host ending in -shadow; \"tag\": the tag header or baggage member; \"all\": every request (a workload that receives only copies, e.g. behind an Istio mirror, which drops the -shadow suffix by default)"), "how mirrored copies are recognized (default: both); other requests pass untouched", { default: ["host_suffix", "tag"] }),
          }
        : {}),
      restore_host: bool(value("INPLACE_RESTORE_HOST", "inbound.restore_host"), "strip the -shadow suffix Envoy or Istio added to the Host, so the shadow app sees the original"),
      not_selected_status: int(bounds("inbound.not_selected_status", "INPLACE_NOT_SELECTED_STATUS"), "status of the local answer to a copy that selection does not pass (it never reaches the shadow app)"),
      max_body_bytes: int(bounds("inbound.max_body_bytes", "INPLACE_MAX_BODY_BYTES"), "largest body held for redaction; a larger one is dropped from the copy"),
    },
    `${role} role: how the copy Envoy sends is rewritten in place`,
  );

const guard = object(
  {
    destinations: rules("side-effect destinations (payment gateways, e-mail, notifications) tagged requests must not reach; same conditions as select rules"),
    response: object(
      {
        status: int(bounds("guard.response.status", "GUARD_STATUS"), "status of the stub response"),
        body: str("body of the stub response (default: empty; an empty string is refused, leave the field out)"),
        headers: {
          type: "object",
          propertyNames: { pattern: HEADER_ANY_CASE },
          additionalProperties: { type: "string", pattern: "^[^\\x00-\\x1f\\x7f]*$", description: "header value, no control characters" },
          description: "headers of the stub response, name to value (x-mirrorshade-guard: blocked is always added)",
        },
      },
      "the stub answer tagged requests to a destination get instead",
    ),
  },
  "egress-guard role: tagged requests (header or baggage) to these destinations are answered locally and never leave",
  { required: ["destinations"] },
);

// ------------------------------------------------------------------ policy

const ROLES = ["mirror", "upstream", "shadow", "egress-guard"];
const whenRole = (role, then) => ({ if: { required: ["role"], properties: { role: { const: role } } }, then });
const refuse = (...keys) => Object.fromEntries(keys.map((k) => [k, false]));

export function buildSchema() {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://mirrorshade.dev/schema/policy.schema.json",
    title: "mirrorshade policy",
    description:
      "The plugin configuration of the mirrorshade proxy-wasm filter: Envoy's configuration value (google.protobuf.StringValue), Istio WasmPlugin pluginConfig. " +
      "Unknown fields are errors. The filter is the source of truth: `npx mirrorshade validate policy.json` gives Envoy's verdict. Generated by scripts/gen-schema.mjs.",
    $comment:
      "Rules only the filter checks: a name under two actions (or twice in different cases) in redact.headers/redact.query; that the env: variable of redact.hash_key exists in the VM environment and holds at least 16 bytes; that redact.grpc.descriptor_set decodes to a descriptor set that parses, defines a service and knows the first name of every JSON rule path. " +
      "Where the schema is stricter: header names written with U+212A (Kelvin sign, which the filter lower-cases to 'k'); an inline hash key of fewer than 16 characters but at least 16 UTF-8 bytes. " +
      "The filter refuses a \"$schema\" member like any unknown field: associate this schema through editor settings.",
    type: "object",
    additionalProperties: false,
    required: ["role"],
    properties: {
      role: oneOfStrings(ROLES, undefined, "where the filter runs: \"mirror\" (the primary's proxy; the filter sends the copy), \"upstream\" (an upstream filter on the shadow cluster behind Envoy's native mirroring), \"shadow\" (the shadow workload's inbound proxy), \"egress-guard\" (the shadow workload's outbound proxy)"),
      shadow: { $ref: "#/$defs/shadow", description: "mirror role (it or shadows is required there): where and how the filter sends the copy, to one shadow" },
      shadows: list({ $ref: "#/$defs/named_shadow", description: "a shadow: its name, where and how the filter sends the copy, and its own select" }, "mirror role (it or shadow is required there): several shadows, each copy sent to every shadow whose select passes (after the top-level select); not together with shadow"),
      tag: { $ref: "#/$defs/tag", description: "the mark every copy carries; all roles" },
      select: { $ref: "#/$defs/select", description: "which requests are mirrored; mirror, upstream and shadow roles" },
      redact: { $ref: "#/$defs/redact", description: "what is scrubbed from the copy; mirror, upstream and shadow roles" },
      compare: { $ref: "#/$defs/compare", description: "answer comparison; mirror role only" },
      capture: { $ref: "#/$defs/capture", description: "failing copies captured for replay; mirror role only (with compare it may be given as compare.capture instead, once)" },
      limits: object(
        {
          max_buffered_bytes: int(bounds("limits.max_buffered_bytes", "LIMITS_MAX_BUFFERED_BYTES"), "request bodies held for copies at once, in bytes, per VM (every stream, every shadow); a copy whose body would go over it is not sent (skipped.memory_budget)"),
          redaction_bytes_per_second: int(bounds("limits.redaction_bytes_per_second", "LIMITS_REDACTION_BYTES_PER_SECOND"), "body bytes the VM redacts per second at most (a token bucket holding one second's worth; at least the largest max_body_bytes); a copy whose body would go over it is not sent (skipped.redaction_budget)"),
          redaction_inline_bytes: int(bounds("limits.redaction_inline_bytes", "LIMITS_REDACTION_INLINE_BYTES"), "bodies up to this many bytes are redacted at once when the request ends (bounded work on the request's path; the tick comes every few milliseconds and would otherwise bound how many small copies a worker sends); larger ones off the request's path, in slices; 0: always in slices"),
          redaction_slice_us: int(bounds("limits.redaction_slice_us", "LIMITS_REDACTION_SLICE_US"), "the longest one slice of redaction work runs on the worker, in microseconds; redaction runs off the primary's path, in slices from the root context's tick"),
        },
        "bounds on what the filter holds, whatever clients send; mirror role only",
      ),
      upstream: { $ref: "#/$defs/upstream", description: "upstream role only: in-place rewriting of the copy Envoy sends" },
      inbound: { $ref: "#/$defs/inbound", description: "shadow role only: recognizing and rewriting copies at the shadow's inbound proxy" },
      guard: { $ref: "#/$defs/guard", description: "egress-guard role (required there): destinations and the stub response" },
    },
    // Sections per role, as parsePolicy refuses them ("<section>: not used by role ...").
    allOf: [
      // Exactly one of shadow (one shadow) and shadows (several).
      whenRole("mirror", { oneOf: [has("shadow"), has("shadows")], properties: { shadow: true, shadows: true, ...refuse("guard", "inbound", "upstream") } }),
      // capture once (top level or compare.capture); "mismatch" only with a compare section.
      { not: { required: ["capture", "compare"], properties: { capture: true, compare: { type: "object", required: ["capture"], properties: { capture: true } } } } },
      { if: { not: has("compare") }, then: { properties: { capture: { type: "object", properties: { on: { type: "array", items: { not: { const: "mismatch" } } } } } } } },
      whenRole("upstream", { properties: { ...refuse("shadow", "shadows", "guard", "compare", "capture", "limits", "inbound"), select: { type: "object", properties: refuse("max_inflight") } } }),
      whenRole("shadow", { properties: { ...refuse("shadow", "shadows", "guard", "compare", "capture", "limits", "upstream"), select: { type: "object", properties: refuse("max_inflight") } } }),
      whenRole("egress-guard", { ...has("guard"), properties: { guard: true, ...refuse("shadow", "shadows", "select", "redact", "compare", "capture", "limits", "inbound", "upstream") } }),
    ],
    $defs: { shadow, named_shadow: namedShadow, tag, select, rule, redact, compare, capture, upstream: inPlace("upstream", false), inbound: inPlace("shadow", true), guard },
  };
}

const text = () => JSON.stringify(buildSchema(), null, 2) + "\n";

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  if (process.argv.includes("--print")) process.stdout.write(text());
  else {
    mkdirSync(join(root, "schema"), { recursive: true });
    writeFileSync(join(root, "schema", "policy.schema.json"), text());
    console.log("schema/policy.schema.json");
  }
}
