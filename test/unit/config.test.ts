// Policy parsing, through the filter's own configure step in the emulator: the
// documented examples are accepted as written, and every invalid policy is
// refused with the field named. `mirrorshade validate` gives the same verdicts.
import { describe, it, expect } from "vitest";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { loadFilter } from "../support/filter.js";
import { projectRoot } from "../../harness/envoy-binary.js";

const KEY_ENV = { MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" };
const example = (name: string) => readFileSync(join(projectRoot, "examples", name), "utf8");
const base = { role: "mirror", shadow: { cluster: "shadow" } };

async function verdict(config: object | string, env: Record<string, string> = KEY_ENV) {
  const { host, ok } = await loadFilter(config, { env });
  const critical = host.logs.filter((l) => l.level === 5).map((l) => l.message).join("\n");
  return { ok, critical, vmFailed: host.vmFailed };
}

describe("policy examples are accepted as written", () => {
  it.each(["minimal.json", "redact.json", "select.json"])("%s", async (name) => {
    const v = await verdict(example(name));
    expect(v.critical).toBe("");
    expect(v.ok).toBe(true);
  });
});

const invalid: [string, object | string, string][] = [
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

describe("invalid policies are refused with the field named", () => {
  it.each(invalid)("%s", async (_name, config, message) => {
    const v = await verdict(config);
    expect(v.ok).toBe(false);
    expect(v.vmFailed).toBe(false);
    expect(v.critical).toContain("mirrorshade: invalid configuration: ");
    expect(v.critical).toContain(message);
  });

  it("never prints the hash key", async () => {
    const secret = "inline:super-secret-key-material";
    const v = await verdict({ ...base, redact: { hash_key: secret, detectors: ["nope"] } });
    expect(v.ok).toBe(false);
    expect(v.critical).not.toContain("super-secret");
  });
});

describe("mirrorshade validate", () => {
  const dir = mkdtempSync(join(tmpdir(), "mirrorshade-validate-"));
  const run = (file: string, env: Record<string, string> = {}) => {
    try {
      const out = execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), "validate", file], {
        cwd: projectRoot,
        env: { ...process.env, ...env },
        stdio: "pipe",
      });
      return { code: 0, out: out.toString() };
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      return { code: err.status, out: err.stderr.toString() };
    }
  };

  it("accepts a valid policy", () => {
    const file = join(dir, "ok.json");
    writeFileSync(file, JSON.stringify(base));
    const r = run(file);
    expect(r).toEqual({ code: 0, out: `${file}: valid\n` });
  });

  it("reads env: hash keys from its own environment, as Envoy reads the VM environment", () => {
    const r1 = run(join(projectRoot, "examples", "redact.json"));
    expect(r1.code).toBe(1);
    expect(r1.out).toContain("redact.hash_key: environment variable MIRRORSHADE_HASH_KEY is not set");
    expect(run(join(projectRoot, "examples", "redact.json"), KEY_ENV).code).toBe(0);
  });

  it("rejects an invalid policy with one line naming the field and exit code 1", () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ role: "mirror", shadow: { cluster: "s", timeout_ms: 0 } }));
    const r = run(file);
    expect(r.code).toBe(1);
    expect(r.out.trim().split("\n")).toHaveLength(1);
    expect(r.out).toContain("shadow.timeout_ms: must be a whole number from 1 to 600000, got 0");
  });

  it("usage errors exit 2", () => {
    expect(run(join(dir, "missing.json")).code).toBe(2);
  });
});
