// The configs users copy are the configs that work: envoy/*.yaml passes
// `envoy --mode validate`, and the policy inside every Envoy and Istio file is
// accepted by the filter's own configure step.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { parse } from "yaml";
import { projectRoot } from "../../harness/paths.js";
import { resolveEnvoyBinary } from "../../harness/envoy/binary.js";
import { validatePolicy } from "../../harness/validate.js";

const KEY_ENV = { MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" };
const files = (dir: string) => readdirSync(join(projectRoot, dir)).filter((f) => f.endsWith(".yaml")).map((f) => join(dir, f));

function wasmConfigurations(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => wasmConfigurations(n, out));
  else if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (o["@type"] === "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm") {
      const config = o.config as { configuration: { value: string } };
      out.push(config.configuration.value);
    }
    Object.values(o).forEach((v) => wasmConfigurations(v, out));
  }
  return out;
}

describe.each(files("envoy"))("%s", (file) => {
  it("passes envoy --mode validate", () => {
    const out = execFileSync(resolveEnvoyBinary(), ["--mode", "validate", "-c", file], { cwd: projectRoot }).toString();
    expect(out).toContain("OK");
  });

  it("carries a policy the filter accepts", async () => {
    const policies = wasmConfigurations(parse(readFileSync(join(projectRoot, file), "utf8")));
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      process.env.MIRRORSHADE_HASH_KEY = KEY_ENV.MIRRORSHADE_HASH_KEY;
      expect(await validatePolicy(p)).toEqual({ ok: true });
    }
  });
});

describe.each(files("istio"))("%s", (file) => {
  it("carries a pluginConfig the filter accepts, with pluginName mirrorshade", async () => {
    const docs = readFileSync(join(projectRoot, file), "utf8").split(/^---$/m).map((d) => parse(d)).filter(Boolean);
    const plugins = docs.filter((d) => d.kind === "WasmPlugin");
    expect(plugins.length).toBeGreaterThan(0);
    for (const p of plugins) {
      expect(p.spec.pluginName).toBe("mirrorshade");
      process.env.MIRRORSHADE_HASH_KEY = KEY_ENV.MIRRORSHADE_HASH_KEY;
      expect(await validatePolicy(JSON.stringify(p.spec.pluginConfig))).toEqual({ ok: true });
    }
  });
});
