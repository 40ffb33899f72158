// Policies shared by the filter's tests (config.test.ts, guard.test.ts) and the
// JSON Schema's (schema.test.ts): invalid ones, each with the message that names
// the field, and valid ones that between them use every optional field.
const base = { role: "mirror", shadow: { cluster: "shadow" } };

/** The VM environment the shared cases assume ("env:" hash keys). */
export const POLICY_ENV = { MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef", SHORT_HASH_KEY: "too-short" };

export const invalidPolicies: [string, object | string, string][] = [
  ["empty configuration", "", "configuration is empty"],
  ["not JSON", "{role: mirror}", "configuration is not valid JSON"],
  ["not an object", "[1,2]", "configuration must be a JSON object"],
  ["missing role", { shadow: { cluster: "s" } }, "role: is required"],
  ["unknown role", { role: "tap", shadow: { cluster: "s" } }, 'role: must be one of "mirror", "upstream", "shadow", "egress-guard", got "tap"'],
  ["unknown top-level field", { ...base, mirror_all: true }, "mirror_all: unknown field"],
  ["missing shadow", { role: "mirror" }, "shadow: is required"],
  ["shadow not an object", { role: "mirror", shadow: "s" }, "shadow: must be an object"],
  ["missing cluster", { role: "mirror", shadow: {} }, "shadow.cluster: is required"],
  ["empty cluster", { role: "mirror", shadow: { cluster: "" } }, "shadow.cluster: must not be empty"],
  ["cluster not a string", { role: "mirror", shadow: { cluster: 7 } }, "shadow.cluster: must be a string"],
  ["timeout zero", { role: "mirror", shadow: { cluster: "s", timeout_ms: 0 } }, "shadow.timeout_ms: must be a whole number from 1 to 600000, got 0"],
  ["timeout fractional", { role: "mirror", shadow: { cluster: "s", timeout_ms: 1.5 } }, "shadow.timeout_ms: must be a whole number"],
  ["timeout as string", { role: "mirror", shadow: { cluster: "s", timeout_ms: "2s" } }, "shadow.timeout_ms: must be a number"],
  ["negative body limit", { role: "mirror", shadow: { cluster: "s", max_body_bytes: -1 } }, "shadow.max_body_bytes: must be a whole number from 0"],
  ["bad on_body_too_large", { role: "mirror", shadow: { cluster: "s", on_body_too_large: "truncate" } }, 'shadow.on_body_too_large: must be "skip" or "headers_only"'],
  ["unknown shadow field", { role: "mirror", shadow: { cluster: "s", retries: 3 } }, "shadow.retries: unknown field"],
  ["tag header with spaces", { ...base, tag: { header: "x shadow" } }, "tag.header: must be a lower-case HTTP header name"],
  ["tag strip not bool", { ...base, tag: { strip_from_primary: "yes" } }, "tag.strip_from_primary: must be true or false"],
  ["unknown redact field", { ...base, redact: { cookies: ["a"] } }, "redact.cookies: unknown field"],
  ["empty drop list", { ...base, redact: { headers: { drop: [] } } }, "redact.headers.drop: must not be an empty list"],
  ["header name invalid", { ...base, redact: { headers: { mask: ["x api"] } } }, 'redact.headers.mask[0]: "x api" is not an HTTP header name'],
  ["pseudo-header", { ...base, redact: { headers: { drop: [":path"] } } }, "redact.headers.drop[0]: pseudo-headers"],
  ["name under two actions", { ...base, redact: { headers: { drop: ["cookie"], mask: ["Cookie"] } } }, 'redact.headers.mask: "cookie" appears under more than one action'],
  ["unknown detector", { ...base, redact: { detectors: ["passport"] } }, 'redact.detectors[0]: unknown detector "passport"'],
  ["bad json path", { ...base, redact: { json: { mask: ["card.number"] } } }, 'redact.json.mask[0]: "card.number"'],
  ["hash without key", { ...base, redact: { headers: { hash: ["x-user"] } } }, "redact.hash_key: is required when a hash rule"],
  ["key env missing", { ...base, redact: { hash_key: "env:NOPE_NOT_SET" } }, "redact.hash_key: environment variable NOPE_NOT_SET is not set"],
  ["key too short", { ...base, redact: { hash_key: "inline:short" } }, "redact.hash_key: the key must be at least 16 bytes long"],
  ["key bad form", { ...base, redact: { hash_key: "secret" } }, 'redact.hash_key: must be "env:<VARIABLE>" or "inline:<key>"'],
  ["bad on_unscannable", { ...base, redact: { body: { on_unscannable: "send" } } }, 'redact.body.on_unscannable: must be "drop_body" or "skip"'],
  ["bad pass_through", { ...base, redact: { body: { pass_through: ["binary"] } } }, 'redact.body.pass_through[0]: "binary" is not a media type'],
  ["percent over 100", { ...base, select: { percent: 101 } }, "select.percent: must be a number from 0 to 100, got 101"],
  ["percent negative", { ...base, select: { percent: -1 } }, "select.percent: must be a number from 0 to 100"],
  ["hash_header without percent", { ...base, select: { hash_header: "x-user-id" } }, "select.hash_header: only meaningful with select.percent"],
  ["empty match list", { ...base, select: { match: [] } }, "select.match: must not be an empty list"],
  ["rule without condition", { ...base, select: { match: [{ name: "nothing" }] } }, "select.match[0]: a rule needs at least one condition"],
  ["unknown rule key", { ...base, select: { match: [{ header: "x-a", exact: "1", regex: "a.*" }] } }, "select.match[0].regex: unknown field"],
  ["header without matcher", { ...base, select: { match: [{ header: "x-a" }] } }, "select.match[0]: needs one of exact, in, prefix"],
  ["two matchers", { ...base, select: { match: [{ header: "x-a", exact: "1", prefix: "2" }] } }, 'not both "exact" and "prefix"'],
  ["matcher without header", { ...base, select: { exclude: [{ prefix: "x" }] } }, "select.exclude[0].prefix: belongs to a header condition"],
  ["empty in list", { ...base, select: { match: [{ header: "x-a", in: [] }] } }, "select.match[0].in: must not be an empty list"],
  ["present false", { ...base, select: { match: [{ header: "x-a", present: false }] } }, "select.match[0].present: must be true"],
  ["path glob on header", { ...base, select: { match: [{ header: "x-a", glob: "*" }] } }, "select.match[0].glob: not allowed here"],
  ["path with two matchers", { ...base, select: { match: [{ path: { exact: "/a", prefix: "/b" } }] } }, "select.match[0].path: give one of exact, prefix, glob"],
  ["empty methods", { ...base, select: { match: [{ methods: [] }] } }, "select.match[0].methods: must not be an empty list"],
  ["rate limit without per_second", { ...base, select: { rate_limit: { burst: 5 } } }, "select.rate_limit.per_second: is required"],
  ["rate limit zero", { ...base, select: { rate_limit: { per_second: 0 } } }, "select.rate_limit.per_second: must be a number from"],
  ["max_inflight zero", { ...base, select: { max_inflight: 0 } }, "select.max_inflight: must be a whole number from 1"],
];

export const GUARD_POLICY = {
  role: "egress-guard",
  guard: {
    destinations: [
      { name: "payments", host: { suffix: "payments.example" }, path: { prefix: "/v1/charges" }, methods: ["POST"] },
      { host: { exact: "mail.internal" } },
    ],
    response: { status: 200, body: '{"id":"ch_shadow","status":"succeeded"}', headers: { "content-type": "application/json" } },
  },
};

/** Egress-guard policies the filter must refuse (guard.test.ts). */
export const invalidGuardPolicies: [string, object, string][] = [
  ["guard missing", { role: "egress-guard" }, "guard: is required"],
  ["destinations missing", { role: "egress-guard", guard: {} }, "guard.destinations: is required"],
  ["destinations empty", { role: "egress-guard", guard: { destinations: [] } }, "guard.destinations: must not be an empty list"],
  ["destination with unknown field", { role: "egress-guard", guard: { destinations: [{ nope: 1 }] } }, "guard.destinations[0].nope: unknown field"],
  ["egress guard with shadow", { ...GUARD_POLICY, shadow: { cluster: "s" } }, 'shadow: not used by role "egress-guard"'],
  ["egress guard with redact", { ...GUARD_POLICY, redact: {} }, 'redact: not used by role "egress-guard"'],
  ["mirror with guard", { role: "mirror", shadow: { cluster: "s" }, guard: GUARD_POLICY.guard }, 'guard: not used by role "mirror"'],
  ["guard status out of range", { ...GUARD_POLICY, guard: { ...GUARD_POLICY.guard, response: { status: 99 } } }, "guard.response.status: must be a whole number from 200 to 599"],
  ["baggage key with a space", { ...GUARD_POLICY, tag: { baggage_key: "bad key" } }, 'tag.baggage_key: "bad key" is not a valid baggage key'],
  ["tag value with a comma", { ...GUARD_POLICY, tag: { value: "a,b" } }, 'tag.value: "a,b" cannot travel in baggage'],
];

/** A mirror policy with several shadows. */
const several = (shadows: unknown, extra: object = {}) => ({ role: "mirror", shadows, ...extra });
const TOKEN_MESSAGE = "must be a lower-case token (a-z, 0-9, _ and -, starting with a letter or digit, at most 64 characters)";

/**
 * Invalid "shadows" policies, each with the filter's message. Wording given by the
 * spec: empty list, name used twice, cluster used twice, both forms, name not a
 * token, unknown select field. The others follow the wording of the same checks
 * on "shadow" and "select" ("<field>: is required", "must be a whole number from").
 */
function shadowsInvalid(): [string, object | string, string][] {
  return [
    ["shadows empty", several([]), "shadows: must not be an empty list (leave the field out instead)"],
    ["shadows not a list", several({ name: "v2", cluster: "s" }), "shadows: must be an array"],
    ["shadow and shadows", { role: "mirror", shadow: { cluster: "s" }, shadows: [{ name: "v2", cluster: "t" }] }, "shadows: give either shadow or shadows, not both"],
    ["shadow name used twice", several([{ name: "v2", cluster: "a" }, { name: "v2", cluster: "b" }]), 'shadows[1].name: "v2" is used twice'],
    ["shadow cluster used twice", several([{ name: "v2", cluster: "s" }, { name: "canary", cluster: "s" }]), 'shadows[1].cluster: "s" is used by shadows[0] too'],
    ["shadow name not a token", several([{ name: "V 2", cluster: "s" }]), `shadows[0].name: ${TOKEN_MESSAGE}, got "V 2"`],
    ["shadow name upper case", several([{ name: "V2", cluster: "s" }]), `shadows[0].name: ${TOKEN_MESSAGE}, got "V2"`],
    ["shadow name starting with a dash", several([{ name: "-v2", cluster: "s" }]), `shadows[0].name: ${TOKEN_MESSAGE}, got "-v2"`],
    ["shadow name starting with an underscore", several([{ name: "_v2", cluster: "s" }]), `shadows[0].name: ${TOKEN_MESSAGE}, got "_v2"`],
    ["shadow name of 65 characters", several([{ name: "a".repeat(65), cluster: "s" }]), `shadows[0].name: ${TOKEN_MESSAGE}`],
    ["shadow name empty", several([{ name: "", cluster: "s" }]), "shadows[0].name: "],
    ["shadow name missing", several([{ cluster: "s" }]), "shadows[0].name: is required"],
    ["shadow entry without cluster", several([{ name: "v2" }]), "shadows[0].cluster: is required"],
    ["shadow entry not an object", several(["v2"]), "shadows[0]: must be an object"],
    ["unknown shadow select field", several([{ name: "v2", cluster: "s", select: { foo: 1 } }]), "shadows[0].select.foo: unknown field"],
    ["unknown shadows entry field", several([{ name: "v2", cluster: "s", retries: 3 }]), "shadows[0].retries: unknown field"],
    ["shadows entry timeout zero", several([{ name: "v2", cluster: "s", timeout_ms: 0 }]), "shadows[0].timeout_ms: must be a whole number from 1 to 600000, got 0"],
    ["shadows entry body limit over 64 MiB", several([{ name: "v2", cluster: "s", max_body_bytes: 67108865 }]), "shadows[0].max_body_bytes: must be a whole number from 0 to 67108864"],
    ["shadows entry select percent over 100", several([{ name: "v2", cluster: "s" }, { name: "c", cluster: "t", select: { percent: 101 } }]), "shadows[1].select.percent: must be a number from 0 to 100, got 101"],
    ["shadows entry hash_header without percent", several([{ name: "v2", cluster: "s", select: { hash_header: "x-user-id" } }]), "shadows[0].select.hash_header: only meaningful with"],
    ["shadows entry empty match list", several([{ name: "v2", cluster: "s", select: { match: [] } }]), "shadows[0].select.match: must not be an empty list"],
    ["upstream with shadows", { role: "upstream", shadows: [{ name: "v2", cluster: "s" }] }, 'shadows: not used by role "upstream"'],
    ["shadow role with shadows", { role: "shadow", shadows: [{ name: "v2", cluster: "s" }] }, 'shadows: not used by role "shadow"'],
    ["egress guard with shadows", { ...GUARD_POLICY, shadows: [{ name: "v2", cluster: "s" }] }, 'shadows: not used by role "egress-guard"'],
  ];
}

const guardWith = (response: object) => ({ role: "egress-guard", guard: { destinations: [{ methods: ["POST"] }], response } });
const rule = (r: object) => ({ ...base, select: { match: [r] } });
const redact = (r: object) => ({ ...base, redact: r });
const compare = (c: object) => ({ ...base, compare: c });

/**
 * More policies the filter refuses, so that each constraint of the JSON Schema is
 * seen refusing something (schema.test.ts).
 */
export const moreInvalidPolicies: [string, object | string, string][] = [
  // roles and sections
  ["role not a string", { role: 1 }, "role: must be a string"],
  ["empty role", { role: "" }, "role: must not be empty"],
  ["a $schema member", { $schema: "https://mirrorshade.dev/schema/policy.schema.json", ...base }, "$schema: unknown field"],
  ["section null", '{"role":"mirror","shadow":{"cluster":"s"},"select":null}', "select: must be an object"],
  ["mirror with inbound", { ...base, inbound: {} }, 'inbound: not used by role "mirror"'],
  ["mirror with upstream", { ...base, upstream: {} }, 'upstream: not used by role "mirror"'],
  ["upstream with shadow", { role: "upstream", shadow: { cluster: "s" } }, 'shadow: not used by role "upstream"'],
  ["upstream with guard", { role: "upstream", guard: GUARD_POLICY.guard }, 'guard: not used by role "upstream"'],
  ["upstream with compare", { role: "upstream", compare: {} }, 'compare: not used by role "upstream"'],
  ["upstream with inbound", { role: "upstream", inbound: {} }, 'inbound: not used by role "upstream"'],
  ["upstream with select.max_inflight", { role: "upstream", select: { max_inflight: 5 } }, 'select.max_inflight: not used by role "upstream"'],
  ["shadow with upstream", { role: "shadow", upstream: {} }, 'upstream: not used by role "shadow"'],
  ["shadow with compare", { role: "shadow", compare: {} }, 'compare: not used by role "shadow"'],
  ["shadow with a shadow section", { role: "shadow", shadow: { cluster: "s" } }, 'shadow: not used by role "shadow"'],
  ["shadow with select.max_inflight", { role: "shadow", select: { max_inflight: 5 } }, 'select.max_inflight: not used by role "shadow"'],
  ["egress guard with select", { ...GUARD_POLICY, select: {} }, 'select: not used by role "egress-guard"'],
  ["egress guard with compare", { ...GUARD_POLICY, compare: {} }, 'compare: not used by role "egress-guard"'],
  ["egress guard with inbound", { ...GUARD_POLICY, inbound: {} }, 'inbound: not used by role "egress-guard"'],
  ["egress guard with upstream", { ...GUARD_POLICY, upstream: {} }, 'upstream: not used by role "egress-guard"'],
  // shadow
  ["empty authority", { role: "mirror", shadow: { cluster: "s", authority: "" } }, "shadow.authority: must not be empty"],
  ["cluster with a control character", { role: "mirror", shadow: { cluster: "s\u0001" } }, "shadow.cluster: must not contain control characters"],
  ["authority with a newline", { role: "mirror", shadow: { cluster: "s", authority: "a\nb" } }, "shadow.authority: must not contain control characters"],
  ["timeout over 600000", { role: "mirror", shadow: { cluster: "s", timeout_ms: 600001 } }, "shadow.timeout_ms: must be a whole number from 1 to 600000, got 600001"],
  ["body limit over 64 MiB", { role: "mirror", shadow: { cluster: "s", max_body_bytes: 67108865 } }, "shadow.max_body_bytes: must be a whole number from 0 to 67108864"],
  ["shadow max_inflight zero", { role: "mirror", shadow: { cluster: "s", max_inflight: 0 } }, "shadow.max_inflight: must be a whole number from 1 to 1000000"],
  ["shadow max_inflight over", { role: "mirror", shadow: { cluster: "s", max_inflight: 1000001 } }, "shadow.max_inflight: must be a whole number from 1 to 1000000"],
  ["body_dropped_header upper case", { role: "mirror", shadow: { cluster: "s", body_dropped_header: "X-Dropped" } }, "shadow.body_dropped_header: must be a lower-case HTTP header name"],
  // shadows (several shadows; the filter side needs the several-shadow filter)
  ...shadowsInvalid(),
  // tag
  ["empty tag header", { ...base, tag: { header: "" } }, "tag.header: must not be empty"],
  ["tag header upper case", { ...base, tag: { header: "X-Shadow" } }, "tag.header: must be a lower-case HTTP header name"],
  ["tag value with a control character", { ...base, tag: { value: "a\u0001" } }, "tag.value: must not contain control characters"],
  ["tag value not ASCII", { ...base, tag: { value: "shadów" } }, "cannot travel in baggage"],
  ["tag baggage not a boolean", { ...base, tag: { baggage: "yes" } }, "tag.baggage: must be true or false"],
  ["unknown tag field", { ...base, tag: { name: "x" } }, "tag.name: unknown field"],
  // select
  ["unknown select field", { ...base, select: { share: 5 } }, "select.share: unknown field"],
  ["hash_header not a header name", { ...base, select: { percent: 5, hash_header: "x user" } }, 'select.hash_header: "x user" is not an HTTP header name'],
  ["per_second over 1e9", { ...base, select: { rate_limit: { per_second: 2e9 } } }, "select.rate_limit.per_second: must be a number from"],
  ["burst under 1", { ...base, select: { rate_limit: { per_second: 1, burst: 0.5 } } }, "select.rate_limit.burst: must be a number from 1 to 1000000000, got 0.5"],
  ["unknown rate_limit field", { ...base, select: { rate_limit: { per_second: 1, refill: 2 } } }, "select.rate_limit.refill: unknown field"],
  ["select max_inflight over", { ...base, select: { max_inflight: 1000001 } }, "select.max_inflight: must be a whole number from 1 to 1000000"],
  ["match not a list", { ...base, select: { match: {} } }, "select.match: must be an array of rules"],
  ["empty exclude list", { ...base, select: { exclude: [] } }, "select.exclude: must not be an empty list"],
  ["rule not an object", { ...base, select: { match: ["x"] } }, "select.match[0]: must be an object"],
  ["empty rule name", rule({ name: "", methods: ["GET"] }), "select.match[0].name: must not be empty"],
  ["rule header not a header name", rule({ header: "x y", exact: "1" }), 'select.match[0].header: "x y" is not an HTTP header name'],
  ["absent false", rule({ header: "x-a", absent: false }), "select.match[0].absent: must be true"],
  ["present not a boolean", rule({ header: "x-a", present: "yes" }), "select.match[0].present: must be true or false"],
  ["empty exact", rule({ header: "x-a", exact: "" }), "select.match[0].exact: must not be empty"],
  ["empty string in an in list", rule({ header: "x-a", in: [""] }), "select.match[0].in[0]: must be a non-empty string"],
  ["path without matcher", rule({ path: {} }), "select.match[0].path: needs one of exact, prefix, glob"],
  ["path suffix", rule({ path: { suffix: ".json" } }), "select.match[0].path.suffix: not allowed here"],
  ["unknown path field", rule({ path: { exact: "/a", regex: "x" } }), "select.match[0].path.regex: unknown field"],
  ["query without name", rule({ query: { exact: "1" } }), "select.match[0].query.name: is required"],
  ["query without matcher", rule({ query: { name: "a" } }), "select.match[0].query: needs one of exact, in, prefix"],
  ["query glob", rule({ query: { name: "a", glob: "*" } }), "select.match[0].query.glob: not allowed here"],
  ["query with two matchers", rule({ query: { name: "a", exact: "1", prefix: "2" } }), 'not both "exact" and "prefix"'],
  ["host present", rule({ host: { present: true } }), "select.match[0].host.present: not allowed here"],
  ["host with two matchers", rule({ host: { exact: "a", suffix: "b" } }), 'not both "exact" and "suffix"'],
  ["host without matcher", rule({ host: {} }), "select.match[0].host: needs one of exact, in, prefix, suffix, contains"],
  ["empty method", rule({ methods: [""] }), "select.match[0].methods[0]: must be a non-empty string"],
  ["methods not a list", rule({ methods: "GET" }), "select.match[0].methods: must be an array of strings"],
  // redact
  ["empty query name", redact({ query: { drop: [""] } }), "redact.query.drop[0]: must be a non-empty string"],
  ["one header twice in a list", redact({ headers: { drop: ["cookie", "cookie"] } }), '"cookie" appears under more than one action'],
  ["one header in two cases", redact({ headers: { drop: ["Cookie", "cookie"] } }), '"cookie" appears under more than one action'],
  ["detector_action hash without key", redact({ detector_action: "hash" }), "redact.hash_key: is required when a hash rule"],
  ["json hash without key", redact({ json: { hash: ["$.a"] } }), "redact.hash_key: is required when a hash rule"],
  ["query hash without key", redact({ query: { hash: ["a"] } }), "redact.hash_key: is required when a hash rule"],
  ["unknown detector_action", redact({ detector_action: "drop" }), 'redact.detector_action: must be "mask" or "hash"'],
  ["empty detectors", redact({ detectors: [] }), "redact.detectors: must not be an empty list"],
  ["unknown json action", redact({ json: { keep: ["$.a"] } }), "redact.json.keep: unknown field"],
  ["json path $ alone", redact({ json: { drop: ["$"] } }), "redact.json.drop[0]: \"$\": '$' alone"],
  ["empty hash_key", redact({ hash_key: "" }), "redact.hash_key: must not be empty"],
  ["inline key empty", redact({ hash_key: "inline:" }), "redact.hash_key: the key must be at least 16 bytes long"],
  ["env key without a name", redact({ hash_key: "env:" }), "redact.hash_key: environment variable  is not set"],
  ["env key too short", redact({ hash_key: "env:SHORT_HASH_KEY" }), "redact.hash_key: the key must be at least 16 bytes long"],
  ["unknown body field", redact({ body: { max: 1 } }), "redact.body.max: unknown field"],
  ["pass_through with a leading slash", redact({ body: { pass_through: ["/json"] } }), "is not a media type"],
  ["pass_through with a trailing slash", redact({ body: { pass_through: ["image/"] } }), "is not a media type"],
  // compare
  ["unknown compare field", compare({ diff: true }), "compare.diff: unknown field"],
  ["compare header not a header name", compare({ headers: ["x y"] }), 'compare.headers[0]: "x y" is not an HTTP header name'],
  ["compare pseudo-header other than :status", compare({ headers: [":path"] }), 'compare.headers[0]: ":path" is not an HTTP header name'],
  ["ignore path not a JSONPath", compare({ ignore_paths: ["timestamp"] }), 'compare.ignore_paths[0]: "timestamp"'],
  ["negative tolerance", compare({ numeric_tolerance: -1 }), "compare.numeric_tolerance: must be a number from 0"],
  ["tolerance over 1e300", compare({ numeric_tolerance: 1e301 }), "compare.numeric_tolerance: must be a number from 0 to 1e+300"],
  ["compare body limit over 16 MiB", compare({ max_body_bytes: 16777217 }), "compare.max_body_bytes: must be a whole number from 0 to 16777216"],
  ["pair timeout under 100", compare({ pair_timeout_ms: 99 }), "compare.pair_timeout_ms: must be a whole number from 100 to 600000"],
  ["unknown log level", compare({ log_level: "loud" }), "compare.log_level: must be one of"],
  ["noise without cluster", compare({ noise: { percent: 5 } }), "compare.noise.cluster: is required"],
  ["noise percent 0", compare({ noise: { cluster: "p2", percent: 0 } }), "compare.noise.percent: must be a number from"],
  ["sink without cluster", compare({ sink: {} }), "compare.sink.cluster: is required"],
  ["sink path without slash", compare({ sink: { cluster: "d", path: "diffs" } }), 'compare.sink.path: must start with "/"'],
  // upstream, inbound
  ["empty recognize", { role: "shadow", inbound: { recognize: [] } }, "inbound.recognize: must not be an empty list"],
  ["unknown recognize", { role: "shadow", inbound: { recognize: ["cookie"] } }, 'inbound.recognize[0]: must be "host_suffix" or "tag", got "cookie"'],
  ["recognize under upstream", { role: "upstream", upstream: { recognize: ["tag"] } }, "upstream.recognize: unknown field"],
  ["not_selected_status 600", { role: "upstream", upstream: { not_selected_status: 600 } }, "upstream.not_selected_status: must be a whole number from 200 to 599"],
  ["inbound body limit over 64 MiB", { role: "shadow", inbound: { max_body_bytes: 67108865 } }, "inbound.max_body_bytes: must be a whole number from 0 to 67108864"],
  ["restore_host not a boolean", { role: "shadow", inbound: { restore_host: 1 } }, "inbound.restore_host: must be true or false"],
  // guard
  ["unknown guard field", { ...GUARD_POLICY, guard: { ...GUARD_POLICY.guard, mode: "dry-run" } }, "guard.mode: unknown field"],
  ["destination without condition", { role: "egress-guard", guard: { destinations: [{ name: "payments" }] } }, "guard.destinations[0]: a rule needs at least one condition"],
  ["empty stub body", guardWith({ body: "" }), "guard.response.body: must not be empty"],
  ["stub header not a header name", guardWith({ headers: { "x y": "1" } }), 'guard.response.headers: "x y" is not an HTTP header name'],
  ["stub header value not a string", guardWith({ headers: { a: 1 } }), "guard.response.headers.a: must be a string"],
  ["stub header value with a control character", guardWith({ headers: { a: "x\u0001" } }), "guard.response.headers.a: must not contain control characters"],
  ["unknown response field", guardWith({ delay_ms: 5 }), "guard.response.delay_ms: unknown field"],
];

/** Valid policies that between them use every optional field, and the limits of every range. */
export const validPolicies: [string, object | string][] = [
  [
    "mirror, every section",
    {
      role: "mirror",
      shadow: { cluster: "outbound|8080||orders-v2.shop.svc.cluster.local", authority: "orders-v2:8080", timeout_ms: 5, max_body_bytes: 0, max_inflight: 3, on_body_too_large: "headers_only", body_dropped_header: "x-dropped" },
      tag: { header: "x-t", value: "v", strip_from_primary: false, baggage: true, baggage_key: "Shadow.Mark" },
      select: {
        percent: 0.5,
        hash_header: "X-User-Id",
        match: [
          { name: "header exact", header: "x-a", exact: "1" },
          { header: "X-B", in: ["a", "b"] },
          { header: "x-c", prefix: "p" },
          { header: "x-d", suffix: "z" },
          { header: "x-e", contains: "c" },
          { header: "x-f", present: true },
          { header: "x-g", absent: true, methods: ["get", "POST"] },
          { path: { exact: "/a" } },
          { path: { prefix: "/b" } },
          { path: { glob: "/c/**/d?" } },
          { query: { name: "q1", exact: "1" } },
          { query: { name: "q2", in: ["1", "2"] } },
          { query: { name: "q3", prefix: "p" } },
          { query: { name: "q4", suffix: "s" } },
          { query: { name: "q5", contains: "c" } },
          { query: { name: "q6", present: true } },
          { query: { name: "q7", absent: true } },
          { host: { exact: "Orders.Example" } },
          { host: { in: ["a", "b"] } },
          { host: { prefix: "api." } },
          { host: { suffix: ".example" } },
          { host: { contains: "pay" } },
          { name: "everything", header: "x-h", exact: "1", path: { prefix: "/" }, methods: ["PUT"], query: { name: "q", present: true }, host: { suffix: "x" } },
        ],
        exclude: [{ header: "x-internal", present: true }],
        rate_limit: { per_second: 0.001, burst: 1e9 },
        max_inflight: 1000000,
      },
      redact: {
        headers: { drop: ["Authorization"], mask: ["x-api-key"], hash: ["x-user"] },
        query: { drop: ["d"], mask: ["Token"], hash: ["f"] },
        json: { drop: ["$.debug"], mask: ["$..cvv", "$['a.b'][0]", "$.items[*].card"], hash: ["$..email", '$..["e-mail"]'] },
        detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
        detector_action: "hash",
        hash_key: "env:MIRRORSHADE_HASH_KEY",
        body: { on_unscannable: "skip", pass_through: ["image/*", "application/octet-stream"] },
      },
      compare: {
        headers: ["content-type", ":status", "X-Api-Version"],
        ignore_paths: ["$.timestamp", "$..id"],
        numeric_tolerance: 0.1,
        max_body_bytes: 16777216,
        pair_timeout_ms: 100,
        log_level: "debug",
        noise: { cluster: "primary-2", percent: 0.001 },
        sink: { cluster: "diff-sink", path: "/d" },
      },
    },
  ],
  // shadows (several shadows; the filter side needs the several-shadow filter)
  [
    "mirror, several shadows, every field",
    {
      role: "mirror",
      shadows: [
        {
          name: "v2",
          cluster: "outbound|8080||payments-v2.shop.svc.cluster.local",
          authority: "payments-v2:8080",
          timeout_ms: 600000,
          max_body_bytes: 67108864,
          max_inflight: 1000000,
          on_body_too_large: "headers_only",
          body_dropped_header: "x-dropped",
          select: {
            percent: 50,
            hash_header: "x-user-id",
            match: [{ path: { prefix: "/api/payments" } }],
            exclude: [{ header: "x-internal", present: true }],
            rate_limit: { per_second: 100, burst: 10 },
            max_inflight: 64,
          },
        },
        { name: "canary", cluster: "canary", timeout_ms: 1, max_body_bytes: 0, max_inflight: 1, on_body_too_large: "skip", select: { percent: 10, hash_header: "x-user-id" } },
        { name: "0", cluster: "zero", select: {} },
      ],
      select: { exclude: [{ path: { exact: "/healthz" } }] },
      compare: { ignore_paths: ["$..id"] },
    },
  ],
  ["shadows, one entry", { role: "mirror", shadows: [{ name: "shadow", cluster: "shadow" }] }],
  ["shadows, name of 64 characters and every token character", { role: "mirror", shadows: [{ name: "a".repeat(64), cluster: "a" }, { name: "0a_b-c9z", cluster: "b" }] }],
  ["mirror, upper limits", { role: "mirror", shadow: { cluster: "s", timeout_ms: 600000, max_body_bytes: 67108864, max_inflight: 1000000 }, select: { percent: 100 }, compare: { numeric_tolerance: 1e300, pair_timeout_ms: 600000, max_body_bytes: 0, log_level: "error", noise: { cluster: "p", percent: 100 } } }],
  ["mirror, lower limits", { role: "mirror", shadow: { cluster: "s", timeout_ms: 1, max_inflight: 1 }, select: { percent: 0, max_inflight: 1, rate_limit: { per_second: 1e9, burst: 1 } }, compare: { numeric_tolerance: 0, log_level: "info" } }],
  ["numbers written with exponents and fractions", '{"role":"mirror","shadow":{"cluster":"s","timeout_ms":1e3,"max_inflight":2.0},"select":{"percent":2.5E1}}'],
  ["empty sections", { role: "mirror", shadow: { cluster: "s" }, tag: {}, select: {}, redact: {}, compare: {} }],
  ["hash key alone, inline, exactly 16 bytes", redact({ hash_key: "inline:0123456789abcdef" })],
  ["mask detectors, default body handling", redact({ detectors: ["card"], detector_action: "mask", body: { on_unscannable: "drop_body" } })],
  ["media types the filter reads as type/subtype", redact({ body: { pass_through: ["Application/Vnd.A+JSON", "a/b/c"] } })],
  ["one JSON path under two actions", redact({ json: { drop: ["$.a"], mask: ["$.a"] } })],
  ["a detector twice", redact({ detectors: ["card", "card"] })],
  ["compare :STATUS in capitals", compare({ headers: [":STATUS"] })],
  ["mirror, skip too-large bodies", { role: "mirror", shadow: { cluster: "s", on_body_too_large: "skip" }, tag: { strip_from_primary: true, baggage: false } }],
  ["upstream, every field", { role: "upstream", upstream: { restore_host: true, not_selected_status: 599, max_body_bytes: 67108864 }, tag: { baggage: true }, select: { percent: 10, hash_header: "x-user-id", match: [{ path: { prefix: "/api" } }], exclude: [{ methods: ["GET"] }], rate_limit: { per_second: 5 } }, redact: { headers: { drop: ["cookie"] }, query: { hash: ["user"] }, hash_key: "env:MIRRORSHADE_HASH_KEY" } }],
  ["upstream alone", { role: "upstream" }],
  ["shadow, every field", { role: "shadow", inbound: { recognize: ["host_suffix"], restore_host: false, not_selected_status: 200, max_body_bytes: 0 }, tag: { header: "x-shadow", value: "yes" }, select: { match: [{ header: "x-user-id", in: ["alice"] }] }, redact: { json: { mask: ["$..password"] } } }],
  ["shadow alone", { role: "shadow" }],
  ["shadow, recognize tag twice", { role: "shadow", inbound: { recognize: ["tag", "tag"] } }],
  [
    "egress guard, every field",
    {
      role: "egress-guard",
      tag: { header: "x-s", value: "1", baggage_key: "k", strip_from_primary: false, baggage: false },
      guard: {
        destinations: [{ name: "p", host: { suffix: "x" }, path: { prefix: "/v1" }, methods: ["POST"] }, { header: "x-side-effect", present: true }],
        response: { status: 599, body: "{}", headers: { "Content-Type": "application/json", "x-empty": "" } },
      },
    },
  ],
  ["egress guard, stub without body or headers", { role: "egress-guard", guard: { destinations: [{ host: { exact: "mail" } }], response: { headers: {} } } }],
  ["egress guard, no response", { role: "egress-guard", guard: { destinations: [{ query: { name: "dry_run", absent: true } }] } }],
];
