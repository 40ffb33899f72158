// The run of `mirrorshade render` (its options: cli/render.ts): the policy checked by
// the filter, then rendered for the target, printed or written to --out
// (<role>.yaml; flagger-gates.yaml, argo-gates.yaml for the rollout gates).
import { readFileSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { readJson, UsageError } from "./args.js";
import { renderEnvoy, renderIstioYaml, roleOf, DEFAULTS, RenderError } from "../render.js";
import { validatePolicy } from "../validate.js";
import { renderFlagger, renderArgo } from "../render-gates.js";
import { loadDescriptorSet, DescriptorSetError } from "../descriptor-set.js";
import type { RenderCommandOptions } from "./render.js";

/**
 * The policy with --descriptor-set FILE written in as redact.grpc.descriptor_set (base64), replacing
 * any given there; a file that is not a FileDescriptorSet is a RenderError naming it and why.
 */
export function withDescriptorSet(policy: object, file: string): object {
  if (!existsSync(file)) throw new UsageError(`--descriptor-set ${file}: no such file`);
  const bytes = readFileSync(file);
  try {
    loadDescriptorSet(bytes);
  } catch (e) {
    if (e instanceof DescriptorSetError) throw new RenderError(`--descriptor-set ${file}: ${e.message}`);
    throw e;
  }
  const p = structuredClone(policy) as { redact?: { grpc?: Record<string, unknown> } & Record<string, unknown> };
  p.redact = { ...(p.redact ?? {}), grpc: { ...(p.redact?.grpc ?? {}), descriptor_set: bytes.toString("base64") } };
  return p;
}

export async function render(f: RenderCommandOptions): Promise<number> {
  const given = readJson(f.policy, "--policy") as object;
  let policy = given;
  try {
    if (f.descriptorSet !== undefined) policy = withDescriptorSet(given, f.descriptorSet);
  } catch (e) {
    if (!(e instanceof RenderError)) throw e;
    console.error(`mirrorshade render: ${e.message}`);
    return 1;
  }
  // The filter's own verdict first: nothing is rendered from a policy Envoy would refuse.
  const verdict = await validatePolicy(f.descriptorSet !== undefined ? JSON.stringify(policy) : readFileSync(f.policy, "utf8"), { lenientEnv: true });
  if (!verdict.ok) {
    console.error(`mirrorshade render: ${f.policy}: ${verdict.error}`);
    return 1;
  }
  const o = {
    ...DEFAULTS,
    namespace: f.namespace,
    service: f.service,
    shadowService: f.shadowService,
    port: f.port,
    url: f.url,
    sha256: f.sha256,
    wasmPath: f.wasmPath,
    grpc: Boolean(f.grpc),
  };
  try {
    const gates = { namespace: f.namespace, prometheusUrl: f.prometheusUrl };
    const text =
      f.target === "envoy" ? renderEnvoy(policy, o)
      : f.target === "istio" ? renderIstioYaml(policy, o)
      : f.target === "flagger" ? renderFlagger(policy, gates)
      : renderArgo(policy, gates);
    if (!f.out) {
      process.stdout.write(text);
      return 0;
    }
    mkdirSync(f.out, { recursive: true });
    const file = join(f.out, f.target === "flagger" || f.target === "argo" ? `${f.target}-gates.yaml` : `${roleOf(policy)}.yaml`);
    writeFileSync(file, text);
    console.log(file);
    return 0;
  } catch (e) {
    if (e instanceof RenderError) {
      console.error(`mirrorshade render: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
