// `mirrorshade report`: reads diff records (Envoy's log, or JSON lines collected
// by a diff sink) and renders a summary grouped by route and field, as Markdown
// and HTML, so a person sees at a glance what regressed.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export interface DiffRecord {
  type: "mirrorshade.diff";
  request_id: string;
  method: string;
  route: string;
  status: [number, number];
  latency_ms: [number, number];
  mismatch: string[];
  differences: { path: string; kind: string; primary: string; shadow: string }[];
}

export interface RouteSummary {
  route: string;
  records: number;
  statuses: Map<string, number>;
  fields: Map<string, number>;
  examples: string[];
}

/** Diff records found in text: Envoy log lines ("... mirrorshade.diff {...}") or bare JSON lines. */
export function parseRecords(text: string): DiffRecord[] {
  const out: DiffRecord[] = [];
  for (const line of text.split("\n")) {
    const i = line.indexOf("{");
    if (i < 0 || !line.includes("mirrorshade.diff")) continue;
    try {
      const r = JSON.parse(line.slice(i)) as DiffRecord;
      if (r.type === "mirrorshade.diff") out.push(r);
    } catch {
      /* not a record */
    }
  }
  return out;
}

export function summarize(records: DiffRecord[]): RouteSummary[] {
  const byRoute = new Map<string, RouteSummary>();
  for (const r of records) {
    const key = `${r.method} ${r.route}`;
    let s = byRoute.get(key);
    if (!s) byRoute.set(key, (s = { route: key, records: 0, statuses: new Map(), fields: new Map(), examples: [] }));
    s.records++;
    if (r.status[0] !== r.status[1]) {
      const st = `${r.status[0]} → ${r.status[1]}`;
      s.statuses.set(st, (s.statuses.get(st) ?? 0) + 1);
    }
    for (const d of r.differences) {
      if (d.path === ":status") continue;
      const f = `${d.path} (${d.kind})`;
      s.fields.set(f, (s.fields.get(f) ?? 0) + 1);
    }
    if (s.examples.length < 3 && r.request_id) s.examples.push(r.request_id);
  }
  return [...byRoute.values()].sort((a, b) => b.records - a.records);
}

const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);

export function toMarkdown(summary: RouteSummary[], total: number): string {
  const lines = [`# mirrorshade regression report`, "", `${total} differing answer pair(s) in ${summary.length} route(s).`, ""];
  for (const s of summary) {
    lines.push(`## ${s.route}: ${s.records} differing`, "");
    if (s.statuses.size) {
      lines.push("| status primary → shadow | count |", "|---|---:|");
      for (const [k, v] of sorted(s.statuses)) lines.push(`| ${k} | ${v} |`);
      lines.push("");
    }
    if (s.fields.size) {
      lines.push("| field (kind) | count |", "|---|---:|");
      for (const [k, v] of sorted(s.fields)) lines.push(`| \`${k}\` | ${v} |`);
      lines.push("");
    }
    if (s.examples.length) lines.push(`Example request ids: ${s.examples.join(", ")}`, "");
  }
  return lines.join("\n");
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function toHtml(summary: RouteSummary[], total: number): string {
  const table = (head: string, rows: [string, number][]) =>
    rows.length
      ? `<table><tr><th>${esc(head)}</th><th>count</th></tr>${rows.map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td class="n">${v}</td></tr>`).join("")}</table>`
      : "";
  const sections = summary
    .map(
      (s) =>
        `<section><h2>${esc(s.route)} <span class="badge">${s.records} differing</span></h2>${table("status primary → shadow", sorted(s.statuses))}${table(
          "field (kind)",
          sorted(s.fields),
        )}${s.examples.length ? `<p>Example request ids: ${s.examples.map(esc).join(", ")}</p>` : ""}</section>`,
    )
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>mirrorshade regression report</title><style>
body{font:14px system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;margin:.5rem 0 1rem}
td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}.n{text-align:right}.badge{background:#c0392b;color:#fff;border-radius:.6rem;padding:0 .5rem;font-size:.8em}
</style></head><body><h1>mirrorshade regression report</h1><p>${total} differing answer pair(s) in ${summary.length} route(s).</p>
${sections}</body></html>
`;
}

export function writeReport(inputs: string[], outDir: string): { total: number; summary: RouteSummary[]; files: string[] } {
  const records = inputs.flatMap((f) => parseRecords(readFileSync(f, "utf8")));
  const summary = summarize(records);
  mkdirSync(outDir, { recursive: true });
  const md = join(outDir, "report.md");
  const html = join(outDir, "report.html");
  writeFileSync(md, toMarkdown(summary, records.length));
  writeFileSync(html, toHtml(summary, records.length));
  return { total: records.length, summary, files: [md, html] };
}
