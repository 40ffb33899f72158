// `mirrorshade` command line, on commander: main() builds the program from one module
// per command and runs it; bin/mirrorshade.mjs calls main().
//
// Adding a command (capture-sink, replay, ...): write harness/cli/<name>.ts exporting
// `register(program: Command)`, which calls program.command("<name>") with its .summary
// (the line in `mirrorshade --help`), .description, arguments and options (value readers
// in ./command.ts: int, number, file, text, repeated; a throw of UsageError in the action
// is a usage mistake) and `.action(action(async (...args, opts) => exitCode))`. Keep the
// module's top-level imports light (commander, ./command.js) and import the work inside
// the action, so that `--help` stays fast (a test checks the imports); a long run shows
// its progress with ./progress.ts. Then add one line to COMMANDS below, a row to the
// table in test/unit/harness/cli/main.test.ts, and run `node scripts/gen-cli-readme.mjs`
// (README's command-line block is this program's help; the test checks it).
// Help, --version and the exit codes come from here: 0 done (and help), 1 failed,
// 2 a usage mistake (an unknown option or command, a missing or bad value: named).
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { errorPrefix, firstUnknownOption, helpHint, lastExitCode, preparation, UsageError } from "./command.js";

const COMMANDS: (() => Promise<{ register(program: Command): void }>)[] = [
  () => import("./validate.js"),
  () => import("./preview.js"),
  () => import("./render.js"),
  () => import("./report.js"),
  () => import("./package.js"),
  () => import("./bench.js"),
  () => import("./bench-redact.js"),
  () => import("./schema.js"),
  () => import("./demo.js"),
  () => import("./capture-sink.js"),
  () => import("./replay.js"),
];

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The whole program, every command registered (its help is README's command list). */
export async function program(): Promise<Command> {
  const p = new Command("mirrorshade")
    .description("Safe, precise traffic mirroring as a proxy-wasm filter for Envoy and Istio: check a policy, preview it, render it for Envoy or Istio, measure it.")
    .usage("<command> [options]")
    .version(VERSION, "-V, --version", "print mirrorshade's version")
    .helpOption("-h, --help", "print this help")
    .helpCommand("help [command]", "print a command's help")
    .exitOverride()
    .showSuggestionAfterError()
    .configureHelp({ sortSubcommands: false });
  for (const load of COMMANDS) (await load()).register(p);
  for (const cmd of [p, ...p.commands]) {
    cmd.configureOutput({ outputError: (s, write) => write(s.replace(/^error: /, errorPrefix(cmd))) });
    // The help option in the first group, whatever groups a command's options are in.
    if (cmd !== p) cmd.showHelpAfterError(helpHint(cmd)).addHelpOption(new Option("-h, --help", "print this help").helpGroup("Options:"));
  }
  p.showHelpAfterError(helpHint(p));
  return p;
}

export async function main(argv: string[]): Promise<number> {
  const p = await program();
  // The invoked command's help text may need a heavy import (command.ts, beforeParse).
  const name = argv[0] === "help" ? argv[1] : argv[0];
  const invoked = p.commands.find((c) => c.name() === name || c.aliases().includes(name ?? ""));
  if (invoked) await preparation(invoked)?.();
  try {
    if (argv[0] === "help" && name !== undefined && !invoked) p.error(`error: unknown command '${name}'`, { code: "commander.unknownCommand" });
    const unknown = invoked && argv[0] !== "help" ? firstUnknownOption(invoked, argv.slice(1)) : undefined;
    if (unknown) {
      // Commander's own report (with its "did you mean"), before its check of required options.
      const c = invoked as unknown as { unknownOption?: (flag: string) => void };
      if (c.unknownOption) c.unknownOption(unknown);
      invoked!.error(`error: unknown option '${unknown}'`, { code: "commander.unknownOption" });
    }
    await p.parseAsync(argv, { from: "user" });
    return lastExitCode();
  } catch (e) {
    // Help and --version end with exit code 0; every other commander error is a usage mistake.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    // A UsageError thrown before a command runs (outside action()): still a usage mistake.
    if (e instanceof UsageError) {
      process.stderr.write(`mirrorshade: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`mirrorshade${name && invoked ? ` ${name}` : ""}: ${process.env.MIRRORSHADE_DEBUG ? (e as Error).stack : e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && /cli\/main\.(ts|js)$/.test(process.argv[1]);
if (invokedDirectly) main(process.argv.slice(2)).then((code) => process.exit(code));
