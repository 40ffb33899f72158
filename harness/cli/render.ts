// `mirrorshade render --target envoy|istio --policy <policy.json>`: the Envoy config
// or the Istio manifests for the policy's role (the logic is harness/render.ts).
import { readFileSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseOptions, readJson, UsageError } from "./args.js";
import { renderEnvoy, renderIstioYaml, roleOf, DEFAULTS, RenderError } from "../render.js";
import { validatePolicy } from "../validate.js";
import { renderFlagger, renderArgo, GATE_DEFAULTS } from "../render-gates.js";
import { loadDescriptorSet, DescriptorSetError } from "../descriptor-set.js";

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

export async function renderCommand(args: string[]): Promise<number> {
  const f = parseOptions(args, {
    values: ["target", "policy", "out", "namespace", "service", "shadow-service", "port", "url", "sha256", "wasm-path", "descriptor-set", "prometheus-url"],
    switches: ["grpc"],
  });
  const target = f.get("target");
  if (target !== "envoy" && target !== "istio" && target !== "flagger" && target !== "argo")
    throw new UsageError(`render: --target must be "envoy", "istio", "flagger" or "argo"`);
  const policyFile = f.get("policy");
  if (!policyFile) throw new UsageError("render: --policy <policy.json> is required");
  const given = readJson(policyFile, "--policy") as object;
  const descriptorSet = f.get("descriptor-set");
  let policy = given;
  try {
    if (descriptorSet !== undefined) policy = withDescriptorSet(given, descriptorSet);
  } catch (e) {
    if (!(e instanceof RenderError)) throw e;
    console.error(`mirrorshade render: ${e.message}`);
    return 1;
  }
  // The filter's own verdict first: nothing is rendered from a policy Envoy would refuse.
  const verdict = await validatePolicy(descriptorSet !== undefined ? JSON.stringify(policy) : readFileSync(policyFile, "utf8"), { lenientEnv: true });
  if (!verdict.ok) {
    console.error(`mirrorshade render: ${policyFile}: ${verdict.error}`);
    return 1;
  }
  const port = f.has("port") ? Number(f.get("port")) : DEFAULTS.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port: must be a port number, got "${f.get("port")}"`);
  const o = {
    ...DEFAULTS,
    namespace: f.get("namespace") ?? DEFAULTS.namespace,
    service: f.get("service") ?? DEFAULTS.service,
    shadowService: f.get("shadow-service") ?? DEFAULTS.shadowService,
    port,
    url: f.get("url") ?? DEFAULTS.url,
    sha256: f.get("sha256"),
    wasmPath: f.get("wasm-path") ?? DEFAULTS.wasmPath,
    grpc: f.has("grpc"),
  };
  try {
    const gates = { namespace: o.namespace, prometheusUrl: f.get("prometheus-url") ?? GATE_DEFAULTS.prometheusUrl };
    const text =
      target === "envoy" ? renderEnvoy(policy, o)
      : target === "istio" ? renderIstioYaml(policy, o)
      : target === "flagger" ? renderFlagger(policy, gates)
      : renderArgo(policy, gates);
    const out = f.get("out");
    if (!out) {
      process.stdout.write(text);
      return 0;
    }
    mkdirSync(out, { recursive: true });
    const file = join(out, target === "flagger" || target === "argo" ? `${target}-gates.yaml` : `${roleOf(policy)}.yaml`);
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
