// `mirrorshade` command line: validate a policy with the filter's own configure
// step, and a demo that shows mirroring inside real Envoy.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "./envoy-binary.js";
import { parseOptions, UsageError } from "./args.js";

const WASM = join(projectRoot, "build", "mirrorshade.wasm");

const USAGE = `usage: mirrorshade <command> [options]

commands:
  validate <policy.json>   check a plugin configuration with the filter's own configure step
  preview --config <policy.json> --request <requests.json> [--chunk-size N]
                           run requests through the filter (the same .wasm Envoy loads) and print,
                           one JSON line each, whether they are mirrored, why, and what the shadow
                           and the primary receive
  render --target envoy|istio --policy <policy.json> [--out DIR] [--namespace NS] [--service S]
         [--shadow-service S] [--port N] [--url URL] [--sha256 HEX] [--wasm-path PATH]
                           generate the Envoy config or the Istio manifests for the policy's role
  report --input <file> [--input <file>...] [--out DIR]
                           summarize diff records (Envoy log or diff-sink JSON lines) by route and
                           field, as DIR/report.md and DIR/report.html (default DIR: report/)
  package                  write build/oci (OCI image layout, Wasm OCI artifact format, for Istio's
                           WasmPlugin url: oci://...) and the module's sha256 (for url: https://...)
  bench [--quick] [--json FILE] [--container] [--rounds N] [--seconds S] [--soak N] [...]
                           what mirroring costs the primary path: floor, native, native_lua,
                           mirrorshade, mirrorshade_empty, native_upstream, in real Envoy
                           (all options: mirrorshade bench --help)
  bench-redact [--quick] [--json]
                           redaction throughput (MB/s) of the compiled filter in V8, 1 KB / 16 KB / 1 MB JSON
  schema                   print the policy's JSON Schema (its path on stderr, the schema on stdout)
  demo [--container]       start Envoy with a primary and a shadow upstream, send sample traffic,
                           show what each side received and the filter's counters
`;


function requireWasm(): string {
  if (!existsSync(WASM)) throw new UsageError(`${WASM} not found: run \`npm run build\` first`);
  return WASM;
}

/**
 * Runs the compiled filter's configure step in the host emulator: the verdict is
 * the one Envoy reaches, because it is the same code.
 */
export async function validatePolicy(text: string, opts: { lenientEnv?: boolean } = {}): Promise<{ ok: boolean; error?: string }> {
  const { ProxyWasmHost } = await import("./host.js");
  // "env:NAME" references resolve against this process's environment, standing in for the VM environment.
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  // Rendering happens where the secret is not: a stand-in value lets every other field be checked.
  if (opts.lenientEnv) {
    for (const m of text.matchAll(/"env:([A-Za-z_][A-Za-z0-9_]*)"/g)) env[m[1]] ??= "render-time-stand-in-key-000000";
  }
  const host = await ProxyWasmHost.load({ wasm: requireWasm(), pluginConfig: text, logLevel: 2, env });
  const ok = host.start();
  if (ok) return { ok: true };
  const critical = host.logs.filter((l) => l.level >= 5).map((l) => l.message);
  if (host.vmFailed) critical.push(`the filter faulted while configuring: ${host.trap?.message ?? "unknown"}`);
  const reason = critical.find((m) => m.includes("invalid configuration")) ?? critical[0] ?? "the filter rejected the configuration";
  return { ok: false, error: reason.replace(/^mirrorshade: /, "") };
}

async function validate(args: string[]): Promise<number> {
  const file = args[0];
  if (!file) throw new UsageError("validate: missing <policy.json>");
  if (!existsSync(file)) throw new UsageError(`validate: ${file}: no such file`);
  const verdict = await validatePolicy(readFileSync(file, "utf8"));
  if (verdict.ok) {
    console.log(`${file}: valid`);
    return 0;
  }
  console.error(`${file}: ${verdict.error}`);
  return 1;
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new UsageError(`${what} ${file}: no such file`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${what} ${file}: not valid JSON (${(e as Error).message})`);
  }
}

async function previewCommand(args: string[]): Promise<number> {
  const { preview, checkRequest, PreviewInputError } = await import("./preview.js");
  const f = parseOptions(args, { values: ["config", "request", "chunk-size"] });
  const configFile = f.get("config");
  const requestFile = f.get("request");
  if (!configFile) throw new UsageError("preview: --config <policy.json> is required");
  if (!requestFile) throw new UsageError("preview: --request <requests.json> is required");
  let chunkSize: number | undefined;
  if (f.has("chunk-size")) {
    chunkSize = Number(f.get("chunk-size"));
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new UsageError(`--chunk-size: must be a whole number of bytes >= 1, got "${f.get("chunk-size")}"`);
  }
  if (!existsSync(configFile)) throw new UsageError(`--config ${configFile}: no such file`);
  const input = readJson(requestFile, "--request");
  const list = Array.isArray(input) ? input : [input];
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    const requests = list.map((r, i) => checkRequest(r, i));
    const results = await preview({ wasm: requireWasm(), policy: readFileSync(configFile, "utf8"), requests, chunkSize, env });
    for (const r of results) console.log(JSON.stringify(r));
    return 0;
  } catch (e) {
    if (e instanceof PreviewInputError) {
      console.error(`mirrorshade preview: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

async function renderCommand(args: string[]): Promise<number> {
  const { renderEnvoy, renderIstioYaml, roleOf, DEFAULTS, RenderError } = await import("./render.js");
  const f = parseOptions(args, { values: ["target", "policy", "out", "namespace", "service", "shadow-service", "port", "url", "sha256", "wasm-path"] });
  const target = f.get("target");
  if (target !== "envoy" && target !== "istio") throw new UsageError(`render: --target must be "envoy" or "istio"`);
  const policyFile = f.get("policy");
  if (!policyFile) throw new UsageError("render: --policy <policy.json> is required");
  const policy = readJson(policyFile, "--policy") as object;
  // The filter's own verdict first: nothing is rendered from a policy Envoy would refuse.
  const verdict = await validatePolicy(readFileSync(policyFile, "utf8"), { lenientEnv: true });
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
  };
  try {
    const text = target === "envoy" ? renderEnvoy(policy, o) : renderIstioYaml(policy, o);
    const out = f.get("out");
    if (!out) {
      process.stdout.write(text);
      return 0;
    }
    const { mkdirSync, writeFileSync } = await import("node:fs");
    mkdirSync(out, { recursive: true });
    const file = join(out, `${roleOf(policy)}.yaml`);
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

async function demo(args: string[]): Promise<number> {
  const { runDemo } = await import("./demo.js");
  const f = parseOptions(args, { switches: ["container"] });
  return runDemo({ backend: f.has("container") ? "container" : "process", wasm: requireWasm() });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "validate":
        return await validate(rest);
      case "schema": {
        const file = join(projectRoot, "schema", "policy.schema.json");
        console.error(file);
        process.stdout.write(readFileSync(file, "utf8"));
        return 0;
      }
      case "demo":
        return await demo(rest);
      case "preview":
        return await previewCommand(rest);
      case "render":
        return await renderCommand(rest);
      case "report": {
        const f = parseOptions(rest, { values: ["input", "out"], repeated: ["input"] });
        const inputs = f.all("input");
        for (const v of inputs) if (!existsSync(v)) throw new UsageError(`--input ${v}: no such file`);
        const out = f.get("out") ?? "report";
        if (!inputs.length) throw new UsageError("report: --input <file> is required");
        const { writeReport } = await import("./report.js");
        const r = writeReport(inputs, out);
        console.log(`${r.total} differing pair(s) in ${r.summary.length} route(s)`);
        for (const s of r.summary) console.log(`  ${s.route}: ${s.records} (${[...s.statuses.keys(), ...s.fields.keys()].slice(0, 4).join(", ")})`);
        for (const f of r.files) console.log(f);
        return 0;
      }
      case "package": {
        requireWasm();
        const { packageOci } = await import("./package-oci.js");
        const r = packageOci();
        console.log(`OCI image layout: ${r.layout} (manifest ${r.manifestDigest})`);
        console.log(`sha256 of build/mirrorshade.wasm: ${r.wasmSha256}`);
        return 0;
      }
      case "bench": {
        requireWasm();
        const { benchCommand } = await import("./bench.js");
        return await benchCommand(rest);
      }
      case "bench-redact": {
        requireWasm();
        const { runRedactionBench } = await import("./bench-redact.js");
        return await runRedactionBench(rest);
      }
      case undefined:
      case "-h":
      case "--help":
      case "help":
        process.stdout.write(USAGE);
        return cmd ? 0 : 2;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`mirrorshade: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

const invokedDirectly = process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`mirrorshade: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
