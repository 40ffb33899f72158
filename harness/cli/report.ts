// `mirrorshade report --input <file>... [--out DIR]`: diff records summarized by
// route and field (the logic is harness/report.ts).
import { existsSync } from "node:fs";
import { parseOptions, UsageError } from "./args.js";
import { writeReport } from "../report.js";

export function reportCommand(args: string[]): number {
  const f = parseOptions(args, { values: ["input", "out"], repeated: ["input"] });
  const inputs = f.all("input");
  for (const v of inputs) if (!existsSync(v)) throw new UsageError(`--input ${v}: no such file`);
  const out = f.get("out") ?? "report";
  if (!inputs.length) throw new UsageError("report: --input <file> is required");
  const r = writeReport(inputs, out);
  console.log(`${r.total} differing pair(s) in ${r.summary.length} route(s)`);
  for (const s of r.summary) console.log(`  ${s.route}: ${s.records} (${[...s.statuses.keys(), ...s.fields.keys()].slice(0, 4).join(", ")})`);
  for (const f of r.files) console.log(f);
  return 0;
}
