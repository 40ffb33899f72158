// What the mirrorshade commands share beyond commander (cli/command.ts): the usage
// mistake a command finds after its options are read (exit 2, the message names it),
// and reading a JSON file an option names.
import { readFileSync, existsSync } from "node:fs";

/** A command-line mistake; its message names what is wrong (the option, the argument, the value). */
export class UsageError extends Error {}

/** A JSON file named by an option; a missing or unparsable file is a UsageError naming the option (`what`). */
export function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new UsageError(`${what} ${file}: no such file`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${what} ${file}: not valid JSON (${(e as Error).message})`);
  }
}
