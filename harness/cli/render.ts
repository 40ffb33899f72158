// `mirrorshade render --target envoy|istio|flagger|argo --policy <policy.json>`: the Envoy
// config or the Istio manifests for the policy's role, or rollout gates (the options
// here; the run is cli/render-run.ts, the rendering harness/render.ts and
// harness/render-gates.ts).
import { Option, type Command } from "commander";
import { action, beforeParse, file, int, setDefault, text } from "./command.js";

/** What `--target` renders (a new target: its name here, its branch in render-run.ts). */
export const TARGETS = ["envoy", "istio", "flagger", "argo"] as const;
export type Target = (typeof TARGETS)[number];

export interface RenderCommandOptions {
  target: Target;
  policy: string;
  out?: string;
  namespace: string;
  service: string;
  shadowService: string;
  port: number;
  url: string;
  sha256?: string;
  wasmPath: string;
  descriptorSet?: string;
  grpc?: boolean;
  prometheusUrl: string;
}

export function register(program: Command): void {
  const cmd = program
    .command("render")
    .usage("--target <target> --policy <policy.json> [options]")
    .summary("generate the Envoy config or the Istio manifests for the policy's role, or rollout gates")
    .description(
      "Generate the Envoy config (--target envoy) or the Istio manifests (--target istio) for the policy's role, after the filter's own check of the policy. With --descriptor-set or --grpc the clusters speak HTTP/2. --target flagger (MetricTemplates) and --target argo (an AnalysisTemplate) render rollout gates that fail a canary on the mirror's mismatch or shadow error rate (docs/operations.md).",
    )
    .addOption(new Option("--target <target>", "what to generate").choices(TARGETS).makeOptionMandatory())
    .requiredOption("--policy <policy.json>", "the policy", file)
    .option("--out <dir>", "write <dir>/<role>.yaml (flagger, argo: <dir>/<target>-gates.yaml) instead of printing it", text)
    .option("--namespace <ns>", "Istio: the workload's namespace", text)
    .option("--service <name>", "Istio: the primary service", text)
    .option("--shadow-service <name>", "Istio: the shadow service", text)
    .option("--port <port>", "the service port", int(1, 65535))
    .option("--url <url>", "Istio: the WasmPlugin url (oci://... or https://...)", text)
    .option("--sha256 <hex>", "Istio: the module's sha256 (with an https:// url; mirrorshade package prints it)", text)
    .option("--wasm-path <path>", "Envoy: where Envoy finds the module", text)
    .option("--descriptor-set <file>", "a FileDescriptorSet (protoc --include_imports --descriptor_set_out=FILE) written into the policy as redact.grpc.descriptor_set", text)
    .option("--grpc", "gRPC services: the clusters speak HTTP/2")
    .option("--prometheus-url <url>", "flagger, argo: where they query Prometheus", text)
    .action(action(async (o: RenderCommandOptions) => (await import("./render-run.js")).render(o)));
  // The defaults are harness/render.ts's (one source), read when render runs.
  beforeParse(cmd, async () => {
    const { DEFAULTS } = await import("../render.js");
    setDefault(cmd, "--namespace", DEFAULTS.namespace);
    setDefault(cmd, "--service", DEFAULTS.service);
    setDefault(cmd, "--shadow-service", DEFAULTS.shadowService);
    setDefault(cmd, "--port", DEFAULTS.port);
    setDefault(cmd, "--url", DEFAULTS.url);
    setDefault(cmd, "--wasm-path", DEFAULTS.wasmPath);
    setDefault(cmd, "--prometheus-url", (await import("../render-gates.js")).GATE_DEFAULTS.prometheusUrl);
  });
}
