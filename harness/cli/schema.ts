// `mirrorshade schema`: the policy's JSON Schema on stdout, its path on stderr.
import type { Command } from "commander";
import { action } from "./command.js";

export function register(program: Command): void {
  program
    .command("schema")
    .summary("print the policy's JSON Schema (its path on stderr, the schema on stdout)")
    .description("Print the policy's JSON Schema on stdout (for editors: mirrorshade schema > policy.schema.json) and its path in the package on stderr.")
    .action(
      action(async () => {
        const { readFileSync } = await import("node:fs");
        const { POLICY_SCHEMA } = await import("../paths.js");
        console.error(POLICY_SCHEMA);
        process.stdout.write(readFileSync(POLICY_SCHEMA, "utf8"));
        return 0;
      }),
    );
}
