// `mirrorshade` command line: validate a policy with the filter's own configure
// step, and a demo that shows mirroring inside real Envoy.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "./envoy-binary.js";

const WASM = join(projectRoot, "build", "mirrorshade.wasm");

const USAGE = `usage: mirrorshade <command> [options]

commands:
  validate <policy.json>   check a plugin configuration with the filter's own configure step
  demo [--container]       start Envoy with a primary and a shadow upstream, send sample traffic,
                           show what each side received and the filter's counters
`;

class UsageError extends Error {}

function requireWasm(): string {
  if (!existsSync(WASM)) throw new UsageError(`${WASM} not found: run \`npm run build\` first`);
  return WASM;
}

/**
 * Runs the compiled filter's configure step in the host emulator: the verdict is
 * the one Envoy reaches, because it is the same code.
 */
export async function validatePolicy(text: string): Promise<{ ok: boolean; error?: string }> {
  const { ProxyWasmHost } = await import("./host.js");
  const host = await ProxyWasmHost.load({ wasm: requireWasm(), pluginConfig: text, logLevel: 2 });
  const ok = host.start();
  if (ok) return { ok: true };
  const critical = host.logs.filter((l) => l.level >= 5).map((l) => l.message);
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

async function demo(args: string[]): Promise<number> {
  const { runDemo } = await import("./demo.js");
  return runDemo({ backend: args.includes("--container") ? "container" : "process", wasm: requireWasm() });
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "validate":
        return await validate(rest);
      case "demo":
        return await demo(rest);
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
