// Policy parsing, through the filter's own configure step in the emulator: the
// documented examples are accepted as written, and every invalid policy is
// refused with the field named. `mirrorshade validate` gives the same verdicts.
import { describe, it, expect } from "vitest";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { loadFilter } from "../../support/filter.js";
import { projectRoot } from "../../../harness/paths.js";
import { invalidPolicies as invalid } from "../../support/policy-cases.js";

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

describe("keys: duplicates are refused at every level, escaped keys are the keys they spell", () => {
  const DUPLICATES: [string, string, string][] = [
    ["a section (the issue's reproduction: the first redact's rules would be lost)", '{"role":"mirror","shadow":{"cluster":"s"},"redact":{"headers":{"drop":["authorization"]},"detectors":["card"]},"redact":{}}', "redact: appears twice"],
    ["role", '{"role":"mirror","role":"shadow","shadow":{"cluster":"s"}}', "role: appears twice"],
    ["a nested field", '{"role":"mirror","shadow":{"cluster":"s"},"redact":{"headers":{"drop":["a"],"drop":["b"]}}}', "redact.headers.drop: appears twice"],
    ["a field of a list item", '{"role":"mirror","shadows":[{"name":"a","cluster":"a"},{"name":"b","cluster":"b","select":{"percent":5,"percent":60}}]}', "shadows[1].select.percent: appears twice"],
    ["a key spelled with an escape", '{"role":"mirror","shadow":{"cluster":"s","cl\\u0075ster":"t"}}', "shadow.cluster: appears twice"],
    ["a rule in a list", '{"role":"mirror","shadow":{"cluster":"s"},"select":{"match":[{"header":"a","exact":"1"},{"header":"b","exact":"2","exact":"3"}]}}', "select.match[1].exact: appears twice"],
    ["a guard stub header", '{"role":"egress-guard","guard":{"destinations":[{"host":{"exact":"a"}}],"response":{"headers":{"x-a":"1","x-a":"2"}}}}', "guard.response.headers.x-a: appears twice"],
  ];
  it.each(DUPLICATES)("%s", async (_name, text, message) => {
    const v = await verdict(text);
    expect(v.ok).toBe(false);
    expect(v.critical).toContain(message);
  });

  it.each([
    ['{"r\\u006fle":"mirror","shadow":{"cluster":"s"}}'],
    ['{"role":"mirror","sh\\u0061dow":{"cl\\u0075ster":"s\\u0041"}}'],
    ['{"role":"mirror","shadow":{"cluster":"s"},"select":{"match":[{"header":"a","exact":"\\"x\\\\"}]}}'],
  ])("%s is accepted", async (text) => {
    const v = await verdict(text);
    expect(v.critical).toBe("");
    expect(v.ok).toBe(true);
  });

  it("an escaped key means the same field: the shadow it names gets the copies", async () => {
    const { host, ok } = await loadFilter('{"role":"mirror","shadow":{"cl\\u0075ster":"escaped"}}');
    expect(ok).toBe(true);
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/"], [":authority", "x"]], true);
    expect(host.calls.map((c) => c.cluster)).toEqual(["escaped"]);
  });

  it("the same value twice in different objects is no duplicate", async () => {
    const v = await verdict('{"role":"mirror","shadows":[{"name":"a","cluster":"a"},{"name":"b","cluster":"b"}],"select":{"match":[{"name":"x","header":"h","exact":"1"},{"name":"y","header":"h","exact":"2"}]}}');
    expect(v.critical).toBe("");
    expect(v.ok).toBe(true);
  });
});
