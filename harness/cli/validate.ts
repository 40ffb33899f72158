// `mirrorshade validate <policy.json>`: the filter's verdict on a policy file.
import { readFileSync, existsSync } from "node:fs";
import { UsageError } from "./args.js";
import { validatePolicy } from "../validate.js";

export async function validateCommand(args: string[]): Promise<number> {
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
