// What every mirrorshade command module uses to define itself on commander (main.ts
// says how to add one): the action wrapper that turns a command's result into the exit
// code (0 done, 1 failed, 2 a usage mistake), the value readers that refuse a bad value
// by name before anything runs, and the hook for help text that needs a heavy import.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { existsSync } from "node:fs";
import { UsageError } from "./args.js";

export { UsageError };

let exitCode = 0;
/** The exit code of the last action run (main reads it after parsing). */
export const lastExitCode = (): number => exitCode;

/**
 * A command's action: `fn` gets commander's arguments (positional arguments, the options,
 * the command) and returns the exit code. A UsageError it throws is printed as
 * `mirrorshade <command>: message` with a pointer to the command's help, and exits 2.
 */
export function action<A extends unknown[]>(fn: (...args: A) => number | Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    exitCode = 0;
    try {
      exitCode = await fn(...args);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const cmd = args.at(-1) as Command;
      process.stderr.write(`${errorPrefix(cmd)}${e.message}\n${helpHint(cmd)}\n`);
      exitCode = 2;
    }
  };
}

/** "mirrorshade bench: " for a command, "mirrorshade: " for the program. */
export function errorPrefix(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return `${names.join(" ")}: `;
}

/** The line after a usage error: where the command's options are described. */
export function helpHint(cmd: Command): string {
  return `(${errorPrefix(cmd).slice(0, -2)} --help lists the ${cmd.commands.length ? "commands" : "options"})`;
}

const prepared = new WeakMap<Command, () => Promise<void>>();
/**
 * Help text that needs a heavy import (the bench's scenario names, render's defaults):
 * `fn` runs before the command is parsed, only when that command is invoked, so that
 * `mirrorshade --help` and the other commands do not pay for the import.
 */
export function beforeParse(cmd: Command, fn: () => Promise<void>): Command {
  prepared.set(cmd, fn);
  return cmd;
}
export const preparation = (cmd: Command): (() => Promise<void>) | undefined => prepared.get(cmd);

/**
 * The first option in `args` that `cmd` does not know (undefined: none). Commander reports a
 * missing required option before an unknown one; main() asks this first, so that a typo
 * (`preview --confg x`) is named as the typo. Values are skipped as commander reads them.
 */
export function firstUnknownOption(cmd: Command, args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return undefined;
    if (a === "-h" || a === "--help") return undefined; // help wins, as in commander
    if (!a.startsWith("-") || a === "-") continue;
    const flag = a.startsWith("--") && a.includes("=") ? a.slice(0, a.indexOf("=")) : a;
    const o = cmd.options.find((x) => x.long === flag || x.short === flag);
    if (!o) return flag;
    if (o.required && flag === a) i++;
  }
  return undefined;
}

/** Sets an option's default after its definition (for defaults read in beforeParse), as commander's own default would be. */
export function setDefault(cmd: Command, long: string, value: unknown): void {
  const o = cmd.options.find((x) => x.long === long);
  if (!o) throw new Error(`${cmd.name()}: no option ${long}`);
  o.default(value);
  if (cmd.getOptionValueSource(o.attributeName()) === undefined) cmd.setOptionValueWithSource(o.attributeName(), value, "default");
}

/** A value that is refused when it looks like the next option: `--out --quick` is a missing value, not a directory named "--quick". */
function value(v: string): string {
  if (v.startsWith("--")) throw new InvalidArgumentError(`it needs a value (got the option ${v})`);
  return v;
}

/** Reads a plain string value (refusing another option in its place). */
export const text = (v: string): string => value(v);

/** Reads a whole number from lo to hi. */
export const int =
  (lo: number, hi: number = Number.MAX_SAFE_INTEGER) =>
  (v: string): number => {
    const n = Number(value(v));
    if (v.trim() === "" || !Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(hi === Number.MAX_SAFE_INTEGER ? `must be a whole number ≥ ${lo}` : `must be a whole number from ${lo} to ${hi}`);
    return n;
  };

/** Reads a number > 0 (zeroOk: ≥ 0). */
export const number =
  (zeroOk = false) =>
  (v: string): number => {
    const n = Number(value(v));
    if (v.trim() === "" || !Number.isFinite(n) || (zeroOk ? n < 0 : n <= 0)) throw new InvalidArgumentError(zeroOk ? "must be a number ≥ 0" : "must be a positive number");
    return n;
  };

/** Reads the name of a file that must exist. */
export const file = (v: string): string => {
  if (!existsSync(value(v))) throw new InvalidArgumentError("no such file");
  return v;
};

/** Reads a value that may be given more than once (`--input a --input b`), in order. */
export const repeated = (v: string, previous: string[] | undefined): string[] => [...(previous ?? []), value(v)];

/**
 * Parses `args` with the options `define` puts on a fresh command, without running
 * anything: the options, or a UsageError with commander's message (for tests and for
 * readers such as parseBenchArgs that check values afterwards).
 */
export function parseWith(define: (cmd: Command) => Command, args: string[], name = "mirrorshade"): { opts: Record<string, unknown>; cmd: Command } {
  const cmd = define(new Command(name))
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} })
    .action(() => {});
  try {
    cmd.parse(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError(e.message.replace(/^error: /, ""));
    throw e;
  }
  return { opts: cmd.opts(), cmd };
}

/** Whether an option was given on the command line (not its default). */
export const given = (cmd: Command, attribute: string): boolean => cmd.getOptionValueSource(attribute) === "cli";
