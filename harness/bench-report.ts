// Benchmark report: Markdown tables (medians over rounds with their spread, ratios
// to floor and to native), the JSON itself, and an SVG chart of latency
// percentiles per scenario.
export interface Measure {
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  p999_ms: number;
  rps: number;
  errors: number;
  requests: number;
  cpu_s_per_1k: number;
  rss_mb: number;
  generator_late?: number;
  generator_cpu_s?: number;
}

type Field = "p50_ms" | "p90_ms" | "p99_ms" | "p999_ms" | "rps" | "cpu_s_per_1k" | "rss_mb";
export type ScenarioStats = Record<Field, number> &
  Record<`${Field}_spread`, [number, number]> & { errors: number; generator_late: number; generator_cpu_s: number };

interface Ratio {
  p50: number;
  p99: number;
  rps: number;
  cpu: number;
}

export interface BenchReport {
  machine: string;
  date: string;
  backend: string;
  rounds: number;
  seconds: number;
  wall_s?: number;
  loads: { name: string; kind: "open" | "closed"; protocol: string; bodyBytes: number; rps?: number }[];
  scenarios: string[];
  stats: Record<string, Record<string, ScenarioStats>>;
  ratios: Record<string, Record<string, Ratio | undefined>>;
  faults: { fault: string; native_p99_ms: number; mirrorshade_p99_ms: number; native_errors: number; mirrorshade_errors: number; p99_ratio: number }[];
  soak?: { requests: number; rss_mb_start: number; rss_mb_end: number; wasm_mb_start: number; wasm_mb_end: number };
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const spread = (s: [number, number], d = 2) => (Number.isFinite(s[0]) ? `${f(s[0], d)}–${f(s[1], d)}` : "");

export function toMarkdown(r: BenchReport): string {
  const out = [
    `# mirrorshade benchmark`,
    "",
    `${r.machine}; Envoy 1.40 (${r.backend}), --concurrency 1 pinned to core 1, load generator and upstreams on core 0; ${r.rounds} interleaved round(s) of ${r.seconds} s per scenario and load; ${r.date}${r.wall_s ? `; ${Math.round(r.wall_s)} s in all` : ""}.`,
    "",
    "Scenarios: `floor` Envoy proxying only; `native` route request_mirror_policies; `native_lua` native plus a Lua filter doing the header redaction; `mirrorshade` the mirror role with selection, redaction (headers, query, JSON paths, all detectors) and tagging; `mirrorshade_empty` the filter loaded and called on every request but selecting nothing (the VM and SDK alone); `native_upstream` native mirroring plus the filter's upstream role on the shadow cluster only; for attribution, `mirrorshade_copy` the mirror role copying without selection or redaction, and `mirrorshade_no_detectors` the full policy without the detectors.",
    "",
    "Medians over rounds, spread (min–max) in the second column of each pair. Open loop: requests are sent at a fixed rate whether or not earlier ones were answered; latency from send to answer.",
    "",
  ];
  for (const load of r.loads) {
    out.push(`## ${load.name}`, "");
    if (load.kind === "open") {
      out.push("| scenario | p50 ms | p90 ms | p99 ms | p99.9 ms | p99 spread | cpu-s / 1k req | RSS MB | p50 ÷ floor | p99 ÷ floor | errors |", "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    } else {
      out.push("| scenario | req/s | spread | cpu-s / 1k req | RSS MB | req/s ÷ floor | errors |", "|---|---:|---|---:|---:|---:|---:|");
    }
    const floor = r.stats[load.name]?.floor ?? r.stats[load.name]?.[r.scenarios[0]];
    for (const s of r.scenarios) {
      const st = r.stats[load.name]?.[s];
      if (!st) continue;
      if (load.kind === "open") {
        out.push(`| ${s} | ${f(st.p50_ms)} | ${f(st.p90_ms)} | ${f(st.p99_ms)} | ${f(st.p999_ms)} | ${spread(st.p99_ms_spread)} | ${f(st.cpu_s_per_1k, 3)} | ${f(st.rss_mb, 0)} | ${f(st.p50_ms / floor.p50_ms)} | ${f(st.p99_ms / floor.p99_ms)} | ${st.errors} |`);
      } else {
        out.push(`| ${s} | ${f(st.rps, 0)} | ${spread(st.rps_spread, 0)} | ${f(st.cpu_s_per_1k, 3)} | ${f(st.rss_mb, 0)} | ${f(st.rps / floor.rps)} | ${st.errors} |`);
      }
    }
    const ratios = r.ratios[load.name] ?? {};
    const lines = Object.entries(ratios)
      .filter(([, v]) => v)
      .map(([k, v]) => (load.kind === "open" ? `${k}: p50 ${f(v!.p50)}×, p99 ${f(v!.p99)}×, cpu ${f(v!.cpu)}×` : `${k}: req/s ${f(v!.rps)}×, cpu ${f(v!.cpu)}×`));
    out.push("", ...lines.map((l) => `- ${l}`), "");
    const gen = r.scenarios.map((s) => r.stats[load.name]?.[s]).filter(Boolean);
    if (load.kind === "open") out.push(`Load generator: at most ${f(Math.max(...gen.map((g) => g!.generator_late)) * 100, 1)}% of requests started more than 5 ms late.`, "");
    else out.push(`Load generator (h2load) CPU: median ${f(Math.max(...gen.map((g) => g!.generator_cpu_s)), 2)} s per ${r.seconds} s run (Envoy has its own core).`, "");
  }
  const why = attribution(r);
  if (why.length) out.push("## Where the time goes", "", ...why, "");
  if (r.faults.length) {
    out.push("## Shadow faults (500 rps, HTTP/1.1, 1 KB)", "", "| fault | native p99 ms | mirrorshade p99 ms | p99 ratio | native errors | mirrorshade errors |", "|---|---:|---:|---:|---:|---:|");
    for (const x of r.faults) out.push(`| ${x.fault} | ${f(x.native_p99_ms)} | ${f(x.mirrorshade_p99_ms)} | ${f(x.p99_ratio)} | ${x.native_errors} | ${x.mirrorshade_errors} |`);
    out.push("");
  }
  if (r.soak) {
    out.push("## Soak", "", `${r.soak.requests} requests through mirrorshade (0 B, 1 KB, 16 KB JSON bodies in turn): Envoy RSS ${f(r.soak.rss_mb_start, 1)} → ${f(r.soak.rss_mb_end, 1)} MB, the filter's Wasm memory ${f(r.soak.wasm_mb_start, 2)} → ${f(r.soak.wasm_mb_end, 2)} MB.`, "");
  }
  return out.join("\n");
}

/** Grouped bars: p50, p90, p99 per scenario, for each open-loop load. */
export function toSvg(r: BenchReport): string {
  const open = r.loads.filter((l) => l.kind === "open");
  const colors = ["#4e79a7", "#f28e2b", "#e15759"];
  const pct = ["p50_ms", "p90_ms", "p99_ms"] as const;
  const rowH = 200;
  const width = 900;
  const parts: string[] = [];
  open.forEach((load, li) => {
    const y0 = 30 + li * rowH;
    const vals = r.scenarios.flatMap((s) => pct.map((p) => r.stats[load.name]?.[s]?.[p] ?? 0)).filter(Number.isFinite);
    const max = Math.max(1e-9, ...vals);
    parts.push(`<text x="10" y="${y0}" font-size="14" font-weight="bold">${load.name} (ms)</text>`);
    const groupW = (width - 120) / r.scenarios.length;
    r.scenarios.forEach((s, si) => {
      const x0 = 60 + si * groupW;
      pct.forEach((p, pi) => {
        const v = r.stats[load.name]?.[s]?.[p] ?? 0;
        const h = Number.isFinite(v) ? (v / max) * 120 : 0;
        const x = x0 + pi * (groupW / 4);
        parts.push(`<rect x="${x.toFixed(1)}" y="${(y0 + 140 - h).toFixed(1)}" width="${(groupW / 4 - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colors[pi]}"><title>${s} ${p}: ${f(v)} ms</title></rect>`);
        parts.push(`<text x="${(x + groupW / 8).toFixed(1)}" y="${(y0 + 136 - h).toFixed(1)}" font-size="8" text-anchor="middle">${f(v, 1)}</text>`);
      });
      // Neighbouring names alternate between two lines so long ones do not overlap.
      parts.push(`<text x="${(x0 + groupW * 0.37).toFixed(1)}" y="${y0 + 153 + (si % 2) * 12}" font-size="10" text-anchor="middle">${s}</text>`);
    });
  });
  const legend = pct.map((p, i) => `<rect x="${width - 200 + i * 60}" y="8" width="10" height="10" fill="${colors[i]}"/><text x="${width - 186 + i * 60}" y="17" font-size="11">${p.replace("_ms", "")}</text>`).join("");
  const height = 40 + open.length * rowH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${legend}${parts.join("")}</svg>\n`;
}

/**
 * Envoy CPU per request at saturation, step by step from floor to the full
 * policy, from the attribution scenarios: which part of mirrorshade costs what.
 */
export function attribution(r: BenchReport): string[] {
  const load = r.loads.find((l) => l.kind === "closed" && l.protocol === "h1") ?? r.loads.find((l) => l.kind === "closed");
  if (!load) return [];
  const us = (s: string) => (r.stats[load.name]?.[s]?.cpu_s_per_1k ?? NaN) * 1000;
  const steps: [string, string, string][] = [
    ["floor", "mirrorshade_empty", "the VM and SDK: Envoy calls into the module about eight times per request"],
    ["floor", "native", "Envoy's own mirroring (for reference)"],
    ["native", "mirrorshade_copy", "sending the copy with dispatch_http_call instead of Envoy's shadow stream, the body copy and the tag"],
    ["mirrorshade_copy", "mirrorshade_no_detectors", "selection and redaction rules (headers, query, JSON paths, two HMACs)"],
    ["mirrorshade_no_detectors", "mirrorshade", "the six detectors"],
  ];
  const lines = [`Envoy CPU per request at saturation (${load.name}), from one scenario to the next:`, ""];
  for (const [a, b, what] of steps) {
    const d = us(b) - us(a);
    if (Number.isFinite(d)) lines.push(`- ${b} − ${a}: ${d >= 0 ? "+" : ""}${d.toFixed(0)} µs: ${what}`);
  }
  const total = us("mirrorshade") - us("native");
  if (Number.isFinite(total)) lines.push("", `mirrorshade costs ${total.toFixed(0)} µs per request more than native mirroring, which redacts nothing. Targets missed in this run are listed in README.md with this breakdown.`);
  return lines;
}
