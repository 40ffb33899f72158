// `mirrorshade schema`: the policy's JSON Schema on stdout, its path on stderr.
import { readFileSync } from "node:fs";
import { POLICY_SCHEMA } from "../paths.js";

export function schemaCommand(): number {
  const file = POLICY_SCHEMA;
  console.error(file);
  process.stdout.write(readFileSync(file, "utf8"));
  return 0;
}
