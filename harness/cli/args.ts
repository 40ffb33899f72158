// The options of the mirrorshade commands, read one way for all of them: an
// unknown option or a missing value is refused by name before anything runs
// (a typo must not start a 20-minute benchmark with the defaults).
import { readFileSync, existsSync } from "node:fs";

/** A command-line mistake; its message names what is wrong, and the command prints its usage. */
export class UsageError extends Error {}

export interface OptionSpec {
  /** Options that take a value: --name value. */
  values?: string[];
  /** Options that take none: --name. */
  switches?: string[];
  /** Value options that may be given more than once; the others keep their last value. */
  repeated?: string[];
}

export class Options {
  constructor(private readonly given: Map<string, string[]>) {}
  /** The value of --name (the last one), or undefined. */
  get(name: string): string | undefined {
    return this.given.get(name)?.at(-1);
  }
  /** Every value of a repeated --name, in order. */
  all(name: string): string[] {
    return this.given.get(name) ?? [];
  }
  /** Whether --name was given (switch or value). */
  has(name: string): boolean {
    return this.given.has(name);
  }
}

/** Reads `--name value` and `--switch` options (names without the dashes). */
export function parseOptions(args: string[], spec: OptionSpec): Options {
  const values = spec.values ?? [];
  const switches = spec.switches ?? [];
  const given = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith("--") ? a.slice(2) : "";
    if (switches.includes(name)) {
      given.set(name, [""]);
      continue;
    }
    if (!values.includes(name)) throw new UsageError(`unknown argument "${a}"`);
    const v = args[i + 1];
    if (v === undefined || v.startsWith("--")) throw new UsageError(`--${name} needs a value`);
    given.set(name, spec.repeated?.includes(name) ? [...(given.get(name) ?? []), v] : [v]);
    i++;
  }
  return new Options(given);
}

/** A JSON file named by an option; a missing or unparsable file is a UsageError naming the option (`what`). */
export function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new UsageError(`${what} ${file}: no such file`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`${what} ${file}: not valid JSON (${(e as Error).message})`);
  }
}
