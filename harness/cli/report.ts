// `mirrorshade report --input <file>... [--out DIR]`: diff records summarized by
// route and field (the logic is harness/report.ts).
import type { Command } from "commander";
import { action, file, repeated, text } from "./command.js";

export function register(program: Command): void {
  program
    .command("report")
    .usage("--input <file> [--input <file>...] [options]")
    .summary("summarize diff records (Envoy log or diff-sink JSON lines) by route and field, as Markdown and HTML")
    .description("Summarize diff records (an Envoy log or diff-sink JSON lines) by route and field, as DIR/report.md and DIR/report.html.")
    .requiredOption("--input <file>", "a file of diff records (give --input again for more)", (v: string, prev: string[] | undefined) => repeated(file(v), prev))
    .option("--out <dir>", "where report.md and report.html go", text, "report")
    .action(
      action(async (o: { input: string[]; out: string }) => {
        const { writeReport } = await import("../report.js");
        const r = writeReport(o.input, o.out);
        console.log(`${r.total} differing pair(s) in ${r.summary.length} route(s)`);
        for (const s of r.summary) console.log(`  ${s.route}: ${s.records} (${[...s.statuses.keys(), ...s.fields.keys()].slice(0, 4).join(", ")})`);
        for (const f of r.files) console.log(f);
        return 0;
      }),
    );
}
