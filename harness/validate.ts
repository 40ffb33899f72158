// Validating a policy: the compiled filter's own configure step, run in the host
// emulator (used by `mirrorshade validate`, by `render` before it renders, and by tests).
import { existsSync } from "node:fs";
import { ProxyWasmHost } from "./emulator/index.js";
import { UsageError } from "./cli/args.js";
import { FILTER_WASM } from "./paths.js";

/** The built filter module; a UsageError that says to build it when it is missing. */
export function requireWasm(): string {
  if (!existsSync(FILTER_WASM)) throw new UsageError(`${FILTER_WASM} not found: run \`npm run build\` first`);
  return FILTER_WASM;
}

/**
 * A descriptor set named by "env:NAME" that this environment lacks has no stand-in (it must parse):
 * the verdict is then on the policy without it (the rules are checked against the schema where it is set).
 */
function withoutAbsentDescriptorSet(text: string, env: Record<string, string>): string {
  let p: { redact?: { grpc?: { descriptor_set?: unknown } & Record<string, unknown> } & Record<string, unknown> };
  try {
    p = JSON.parse(text);
  } catch {
    return text;
  }
  const ref = p?.redact?.grpc?.descriptor_set;
  if (typeof ref !== "string" || !ref.startsWith("env:") || env[ref.slice(4)] !== undefined) return text;
  const { descriptor_set: _absent, ...grpc } = p.redact!.grpc!;
  const { grpc: _grpc, ...redact } = p.redact!;
  return JSON.stringify({ ...p, redact: Object.keys(grpc).length ? { ...redact, grpc } : redact });
}

/**
 * Runs the compiled filter's configure step in the host emulator: the verdict is
 * the one Envoy reaches, because it is the same code.
 */
export async function validatePolicy(text: string, opts: { lenientEnv?: boolean } = {}): Promise<{ ok: boolean; error?: string }> {
  // "env:NAME" references resolve against this process's environment, standing in for the VM environment.
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  // Rendering happens where the secret is not: a stand-in value lets every other field be checked.
  if (opts.lenientEnv) {
    text = withoutAbsentDescriptorSet(text, env);
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
