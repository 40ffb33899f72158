// The worker bench's report in Markdown (worker.md): a table of the configurations side by
// side, and the filter's own statistics.
import type { WorkerConfig, RedactionLimits, ConfigSummary, WorkerReport } from "./worker-types.js";
import type { FilterStats } from "./worker-stats.js";

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const range = ([a, b]: [number, number], d = 1) => (Number.isFinite(a) ? `${f(a, d)}–${f(b, d)}` : "–");

export function workerMarkdown(r: WorkerReport): string {
  const cs = r.configs;
  const name = (c: WorkerConfig) => {
    const label = c === "mirrorshade" || c === "mirrorshade_before" ? r.modules[c]?.label : undefined;
    return label ? `${c} (${label})` : c;
  };
  const row = (label: string, cell: (s: ConfigSummary, c: WorkerConfig) => string) => `| ${label} | ${cs.map((c) => cell(r.summary[c]!, c)).join(" | ")} |`;
  const n = r.rounds * r.uploads_per_round;
  const lines = [
    `Redaction and the worker: ${r.date}, ${r.machine}, Envoy ${r.envoy} (${r.backend}, --concurrency 1), ${r.rounds} round(s) of ${r.uploads_per_round} uploads of ${r.body_bytes} B JSON (one every ${r.upload_every_ms} ms) with bystander GETs every ${r.bystander_every_ms} ms${r.wall_s ? `, ${Math.round(r.wall_s)} s` : ""}`,
    "",
    `| ${n} uploads, bystanders alongside | ${cs.map(name).join(" | ")} |`,
    `|---|${cs.map(() => "---:").join("|")}|`,
    row("upload: first byte sent → primary has the body, median of all (ms)", (s) => f(s.upload_primary_median_ms)),
    row("  per round: median of the medians (lowest–highest)", (s) => `${f(s.upload_primary_median_of_rounds)} (${range(s.upload_primary_median_spread)})`),
    row("  p99 (ms)", (s) => f(s.upload_primary_p99_ms)),
    row("  max (ms)", (s) => f(s.upload_primary_max_ms)),
    row("upload answered at the client, median (ms)", (s) => f(s.upload_answered_median_ms)),
    row("bystander p50 (ms)", (s) => f(s.bystander_p50_ms, 2)),
    row("bystander p99 of all (ms)", (s) => f(s.bystander_p99_ms, 2)),
    row("  per round: median of the p99s (lowest–highest)", (s) => `${f(s.bystander_p99_median_of_rounds, 2)} (${range(s.bystander_p99_spread, 2)})`),
    row("bystander p99.9 (ms)", (s) => f(s.bystander_p999_ms, 2)),
    row("bystander max (ms)", (s) => f(s.bystander_max_ms, 2)),
    row("bystanders slower than 10 ms", (s) => String(s.bystanders_over_10ms)),
    row("bystanders answered / errors", (s) => `${s.bystanders} / ${s.bystander_errors}`),
    row("upload errors", (s) => String(s.upload_errors)),
    row("uploads started late (the previous one not answered in time)", (s) => String(s.uploads_late)),
    row("Envoy CPU per upload, bystanders included (ms)", (s) => f(s.envoy_cpu_ms_per_upload)),
    row("copies of the uploads at the shadow", (s, c) => (c === "floor" ? "–" : String(s.shadow_uploads))),
    row("copies checked: redacted / checked", (s, c) => (c === "floor" ? "–" : `${s.redacted} / ${s.checked}`)),
    row("most CPU s other processes took in one measurement", (s) => f(s.foreign_cpu_s, 2)),
    row("most steal on Envoy's core in one measurement (s)", (s) => f(s.steal_s, 2)),
    row("measurements taken again / kept although disturbed", (s) => `${s.retries} / ${s.disturbed}`),
  ];
  const filtered = cs.filter((c) => r.summary[c]?.filter);
  if (filtered.length) {
    lines.push("", `| the filter's statistics (warm-up excluded) | ${filtered.map(name).join(" | ")} |`, `|---|${filtered.map(() => "---:").join("|")}|`);
    const frow = (label: string, cell: (x: FilterStats) => string) => lines.push(`| ${label} | ${filtered.map((c) => cell(r.summary[c]!.filter!)).join(" | ")} |`);
    frow("mirrored", (x) => f(x.mirrored, 0));
    frow("skipped.redaction_budget", (x) => f(x.skipped_redaction_budget, 0));
    frow("redaction.slices (per upload)", (x) => (Number.isFinite(x.slices) ? `${x.slices} (${f(x.slices / Math.max(1, x.mirrored), 1)})` : "–"));
    frow("redaction.slice_us count", (x) => (x.slice_us.count ? String(x.slice_us.count) : "–"));
    const target = (r.policies.mirrorshade as { limits?: RedactionLimits } | undefined)?.limits?.redaction_slice_us ?? 500;
    frow(`redaction.slice_us over twice limits.redaction_slice_us (${2 * target} µs)`, (x) => (x.slice_us.count ? String(x.slices_over_twice_target) : "–"));
    frow("redaction.slice_us P50 / P99 (µs)", (x) => `${f(x.slice_us.p50, 0)} / ${f(x.slice_us.p99, 0)}`);
    frow("redaction.slice_us max (its bucket, µs)", (x) => range(x.slice_us.max, 0));
    frow("redaction.slice_us max with warm-up (µs)", (x) => range(x.slice_us_with_warmup.max, 0));
    frow("redaction.wait_ms P50 / P99 (ms)", (x) => `${f(x.wait_ms.p50, 0)} / ${f(x.wait_ms.p99, 0)}`);
    frow("redaction.wait_ms max (its bucket, ms)", (x) => range(x.wait_ms.max, 0));
  }
  return lines.join("\n") + "\n";
}
