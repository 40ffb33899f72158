// `mirrorshade validate <policy.json>`: the filter's verdict on a policy file.
import type { Command } from "commander";
import { action, UsageError } from "./command.js";

export function register(program: Command): void {
  program
    .command("validate")
    .summary("check a plugin configuration with the filter's own configure step")
    .description("Check a plugin configuration with the filter's own configure step (the same .wasm Envoy loads): prints \"<file>: valid\", or the first invalid field and why (exit 1).")
    .argument("<policy.json>", "the policy (the filter's plugin configuration, JSON)")
    .action(
      action(async (file: string) => {
        const { existsSync, readFileSync } = await import("node:fs");
        if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
        const { validatePolicy } = await import("../validate.js");
        const verdict = await validatePolicy(readFileSync(file, "utf8"));
        if (verdict.ok) {
          console.log(`${file}: valid`);
          return 0;
        }
        console.error(`${file}: ${verdict.error}`);
        return 1;
      }),
    );
}
