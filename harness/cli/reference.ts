// README's command-line reference, made from the program itself (one source): the
// top-level help and, per command, its usage and options. scripts/gen-cli-readme.mjs
// writes it between README's markers; test/unit/harness/cli/main.test.ts checks it is current.
import type { Command, Option } from "commander";
import { program } from "./main.js";
import { preparation } from "./command.js";

export const BEGIN = "<!-- cli:begin (scripts/gen-cli-readme.mjs writes this block from harness/cli; edit the commands, not this) -->";
export const END = "<!-- cli:end -->";

const flagsOf = (o: Option) => (o.mandatory ? o.flags : `[${o.flags}]`);
const argsOf = (c: Command) => c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));

/** The block between the markers: `mirrorshade --help` at 80 columns, then one row per command. */
export async function cliReference(): Promise<string> {
  const p = await program();
  p.configureHelp({ helpWidth: 80 });
  const rows = ["| command | arguments and options |", "|---|---|"];
  for (const c of p.commands) {
    if (c.name() === "help") continue;
    await preparation(c)?.();
    const options = c.options.filter((o) => !o.hidden && o.long !== "--help");
    // Options in a help group of their own (bench's, bench --worker's) get a row of their own.
    const groups = [...new Set(options.map((o) => o.helpGroupHeading ?? ""))];
    for (const g of groups) {
      const text = [...(g ? [] : argsOf(c)), ...options.filter((o) => (o.helpGroupHeading ?? "") === g).map(flagsOf)].map((t) => `\`${t}\``).join(" ");
      rows.push(`| ${g ? `↳ ${g.replace(/:$/, "").toLowerCase()}` : `\`mirrorshade ${c.name()}\``} | ${text || "(none)"} |`);
    }
    if (!groups.length) rows.push(`| \`mirrorshade ${c.name()}\` | ${argsOf(c).map((t) => `\`${t}\``).join(" ") || "(none)"} |`);
  }
  return [BEGIN, "```", "$ mirrorshade --help", p.helpInformation().trimEnd(), "```", "", ...rows, END].join("\n");
}

const BLOCK = /<!-- cli:begin[^>]*-->[\s\S]*?<!-- cli:end -->/;

/** README with the block replaced (its markers must be there). */
export function withReference(readme: string, block: string): string {
  if (!BLOCK.test(readme)) throw new Error(`README.md: the markers <!-- cli:begin --> ... ${END} are missing`);
  return readme.replace(BLOCK, () => block);
}

/** The block README has now ("" without the markers). */
export function referenceIn(readme: string): string {
  return BLOCK.exec(readme)?.[0] ?? "";
}
