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
