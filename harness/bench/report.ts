// Benchmark report: Markdown tables (medians over rounds with their spread,
// ratios to floor and mirrorshade's to native and native_lua, the issue's targets
// met or missed), the JSON itself, an SVG chart of latency percentiles per
// scenario, and the short summary printed at the end of a run.
import { GRPC_DESCRIPTIONS } from "./grpc.js";

export const FIELDS = ["p50_ms", "p90_ms", "p99_ms", "p999_ms", "rps", "cpu_s_per_1k", "rss_mb"] as const;
type Field = (typeof FIELDS)[number];

export interface Measure extends Record<Field, number> {
  errors: number;
  requests: number;
  /** Fixed rate: share of answers slower than their connection's send interval (bound on coordinated omission). */
  generator_late?: number;
  /** h2load's own CPU seconds for the run. */
  generator_cpu_s?: number;
  /** Busy share of the generator's and of Envoy's core during the run. */
  load_core_busy?: number;
  envoy_core_busy?: number;
  /** Requests that reached the shadow per request that reached the primary. */
  mirrored_share?: number;
  /** The filter's copies not sent, by skip reason (mirrorshade.skipped.<reason>), over the measurement; absent when none. */
  skipped?: Record<string, number>;
  /** CPU seconds spent during the run by processes other than Envoy, h2load and the harness (another job on the machine). */
  foreign_cpu_s?: number;
  /** Measurements discarded before this one because another job used the machine. */
  retries?: number;
}

export type ScenarioStats = Record<Field, number> &
  Record<`${Field}_spread`, [number, number]> & {
    errors: number;
    generator_late: number;
    generator_cpu_s: number;
    load_core_busy: number;
    envoy_core_busy: number;
    mirrored_share: number;
    /** Most CPU seconds other processes used during one of the rounds kept, and how many measurements were taken again. */
    foreign_cpu_s: number;
    retries: number;
  };

type RatioKey = "p50" | "p90" | "p99" | "p999" | "rps" | "cpu" | "rss";
/** Per-round ratios of two scenarios: median over rounds and spread (min, max). */
export type Ratio = Record<RatioKey, number> & Record<`${RatioKey}_spread`, [number, number]> & {
  /** Envoy CPU µs per request of a minus b, within each round: median and spread. */
  cpu_us_diff?: number;
  cpu_us_diff_spread?: [number, number];
};

export interface BenchReport {
  machine: string;
  date: string;
  backend: string;
  envoy?: string;
  generator?: string;
  command?: string;
  rounds: number;
  seconds: number;
  wall_s?: number;
  loads: { name: string; kind: "open" | "closed"; protocol: string; bodyBytes: number; rps?: number; attribution?: boolean; grpc?: boolean }[];
  scenarios: string[];
  policies?: Record<string, unknown>;
  stats: Record<string, Record<string, ScenarioStats>>;
  /** Per load: "a/b" → ratio of scenario a to scenario b. */
  ratios: Record<string, Record<string, Ratio | undefined>>;
  faults: {
    fault: string;
    native_p50_ms?: number;
    mirrorshade_p50_ms?: number;
    native_p99_ms: number;
    mirrorshade_p99_ms: number;
    native_errors: number;
    mirrorshade_errors: number;
    requests?: number;
    p99_ratio: number;
  }[];
  soak?: {
    requests: number;
    failed?: number;
    mirrored?: number;
    seconds?: number;
    rss_mb_start: number;
    rss_mb_end: number;
    rss_mb_max?: number;
    wasm_mb_start: number;
    wasm_mb_end: number;
    wasm_mb_max?: number;
    samples?: { requests: number; rss_mb: number; wasm_mb: number }[];
  };
}

const f = (x: number | undefined, d = 2) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : "n/a");
const spread = (s: [number, number] | undefined, d = 2) => (s && Number.isFinite(s[0]) ? `${f(s[0], d)}–${f(s[1], d)}` : "");
const withSpread = (x: number, s: [number, number] | undefined, d = 2) => `${f(x, d)}${s && Number.isFinite(s[0]) && s[0] !== s[1] ? ` (${spread(s, d)})` : ""}`;
/** What other processes on the machine took during the measurements kept, and how many were taken again because of them. */
const other = (g: ScenarioStats[]) => {
  const most = Math.max(0, ...g.map((x) => x.foreign_cpu_s ?? 0));
  const again = g.reduce((a, x) => a + (x.retries ?? 0), 0);
  return ` Other processes used at most ${f(most)} CPU s during a kept measurement${again ? `; ${again} measurement(s) were taken again because another job used the machine` : ""}.`;
};
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)} %` : "n/a");

const DESCRIPTIONS: Record<string, string> = {
  ...GRPC_DESCRIPTIONS,
  floor: "Envoy proxying, no mirroring",
  native: "route `request_mirror_policies` to the shadow cluster",
  native_lua: "native plus an Envoy Lua filter doing the header redaction (drop authorization and cookie, mask x-api-key, replace x-user-email); Lua cannot touch only the copy, so the primary is redacted too",
  mirrorshade: "the mirror role: selection (every request passes), redaction (headers, query, JSON paths, all six detectors, two HMACs) and tagging; `examples/redact.json` with the hash key inline",
  mirrorshade_empty:
    'the filter loaded and called on every request with the smallest valid policy that mirrors nothing: `{"role":"mirror","shadow":{"cluster":"shadow"},"select":{"match":[{"header":"x-never-present-header","present":true}]}}` (no request carries the header, so no copy is made): the cost of the VM and SDK alone',
  native_upstream: "native mirroring plus the filter's upstream role (the same redaction) on the shadow cluster only",
  mirrorshade_copy: "attribution: the mirror role copying everything, without selection or redaction",
  mirrorshade_no_detectors: "attribution: the full policy without the detectors",
  mirrorshade_inline:
    "the full policy with every body redacted on the request's path and no copy skipped for a budget (`limits`: redaction_inline_bytes 65536, redaction_bytes_per_second 1 GiB, max_buffered_bytes 256 MiB): what redaction itself costs at saturation, where the default budgets skip most large copies",
  wasm_noop:
    "lower bound: a raw proxy-wasm module (bench/probes/noop.ts, no SDK) exporting the same HTTP callbacks as mirrorshade and returning at once: what any Wasm filter costs in Envoy before doing any work",
  wasm_dispatch:
    "lower bound: a raw module (bench/probes/dispatch.ts, no SDK) that sends each request's headers and body unchanged to the shadow with dispatch_http_call: the least a mirror built on proxy-wasm's call API can cost",
  go_noop: "`wasm_noop` written with the Go SDK (proxy-wasm-go-sdk, Go's wasip1 target; bench/probes/go/noop)",
  go_dispatch: "`wasm_dispatch` written with the Go SDK (bench/probes/go/dispatch: the SDK's header pairs and body bytes, DispatchHttpCall)",
  rust_noop: "`wasm_noop` written with the Rust SDK (crate proxy-wasm 0.2.2, wasm32-wasi; bench/probes/rust/noop)",
  rust_dispatch: "`wasm_dispatch` written with the Rust SDK (bench/probes/rust/dispatch: the SDK's header pairs and body bytes, dispatch_http_call)",
  before_mirrorshade: "`mirrorshade` with the other build (`--before-wasm`), in the same rounds",
  before_mirrorshade_copy: "`mirrorshade_copy` with the other build (`--before-wasm`), in the same rounds",
  before_mirrorshade_empty: "`mirrorshade_empty` with the other build (`--before-wasm`), in the same rounds",
  before_mirrorshade_inline: "`mirrorshade_inline` with the other build (`--before-wasm`), in the same rounds",
};

/**
 * The lower-bound probes per SDK and language on each saturated 1 KB load: the
 * same two jobs (do nothing; mirror unchanged with dispatch_http_call) in raw
 * AssemblyScript, with the Go SDK and with the Rust SDK.
 */
export function sdkComparison(r: BenchReport): string[] {
  const rows: [string, string, string][] = [
    ["AssemblyScript, no SDK (bench/probes/*.ts)", "wasm_noop", "wasm_dispatch"],
    ["Go, proxy-wasm-go-sdk", "go_noop", "go_dispatch"],
    ["Rust, proxy-wasm crate", "rust_noop", "rust_dispatch"],
  ];
  const out: string[] = [];
  for (const load of r.loads.filter((l) => l.kind === "closed" && l.bodyBytes === 1024 && !l.grpc)) {
    const st = r.stats[load.name] ?? {};
    const ran = rows.filter(([, a, b]) => st[a] || st[b]);
    if (ran.length < 2) continue;
    const us = (s: string) => (st[s] ? f(st[s].cpu_s_per_1k * 1000, 1) : "–");
    const rps = (s: string) => (st[s] ? f(st[s].rps, 0) : "–");
    const rss = (s: string) => (st[s] ? f(st[s].rss_mb, 0) : "–");
    out.push(`### ${load.name}`, "", "| language, SDK | no-op: req/s | no-op: Envoy CPU µs / req | no-op: RSS MB | dispatch mirror: req/s | dispatch: Envoy CPU µs / req | dispatch: RSS MB |", "|---|---:|---:|---:|---:|---:|---:|");
    for (const [what, a, b] of ran) out.push(`| ${what} | ${rps(a)} | ${us(a)} | ${rss(a)} | ${rps(b)} | ${us(b)} | ${rss(b)} |`);
    out.push("");
  }
  return out;
}

interface Check {
  target: string;
  load: string;
  measured: string;
  met: boolean;
  /** The same ratio for the lower-bound probe, where it ran: what no filter of that kind can beat. */
  bound?: string;
}

/** The targets of issue 5, checked on every 1 KB load that ran: reported, never asserted. */
export function targets(r: BenchReport): Check[] {
  const out: Check[] = [];
  const loads = r.loads.filter((l) => l.bodyBytes === 1024);
  // The probe standing for the least any filter of the kind can cost: a Wasm filter at all (against floor), a dispatch_http_call mirror (against native).
  const probeFor: Record<string, string> = { "mirrorshade/native": "wasm_dispatch/native", "mirrorshade_empty/floor": "wasm_noop/floor" };
  const add = (target: string, load: string, key: string, metric: RatioKey, ok: (x: number) => boolean) => {
    const v = r.ratios[load]?.[key];
    if (!v || !Number.isFinite(v[metric])) return;
    const pk = probeFor[key];
    const pv = pk ? r.ratios[load]?.[pk] : undefined;
    const bound = pv && Number.isFinite(pv[metric]) ? `${pk} ${metric}: ${withSpread(pv[metric], pv[`${metric}_spread`])}×` : undefined;
    out.push({ target, load, measured: `${key} ${metric}: ${withSpread(v[metric], v[`${metric}_spread`])}×`, met: ok(v[metric]), bound });
  };
  for (const l of loads.filter((l) => l.kind === "open")) {
    add("mirrorshade p50 ≤ 1.10× native", l.name, "mirrorshade/native", "p50", (x) => x <= 1.1);
    add("mirrorshade p99 ≤ 1.10× native", l.name, "mirrorshade/native", "p99", (x) => x <= 1.1);
  }
  for (const l of loads.filter((l) => l.kind === "closed")) add("mirrorshade throughput ≥ 0.90× native", l.name, "mirrorshade/native", "rps", (x) => x >= 0.9);
  for (const l of loads) {
    if (l.kind === "open") {
      add("mirrorshade beats native_lua (p50)", l.name, "mirrorshade/native_lua", "p50", (x) => x <= 1);
      add("mirrorshade beats native_lua (p99)", l.name, "mirrorshade/native_lua", "p99", (x) => x <= 1);
    } else add("mirrorshade beats native_lua (throughput)", l.name, "mirrorshade/native_lua", "rps", (x) => x >= 1);
  }
  for (const l of loads) {
    if (l.kind === "open") {
      add("mirrorshade_empty p50 ≤ 1.03× floor", l.name, "mirrorshade_empty/floor", "p50", (x) => x <= 1.03);
      add("mirrorshade_empty p99 ≤ 1.03× floor", l.name, "mirrorshade_empty/floor", "p99", (x) => x <= 1.03);
    } else add("mirrorshade_empty throughput ≥ floor ÷ 1.03", l.name, "mirrorshade_empty/floor", "rps", (x) => x >= 1 / 1.03);
  }
  return out;
}

export function toMarkdown(r: BenchReport): string {
  const out = [
    "# mirrorshade benchmark",
    "",
    `${r.date}; ${r.machine}; Envoy ${r.envoy ?? "1.40"} (${r.backend} backend) with --concurrency 1, pinned to core 1; load generator (${r.generator ?? "h2load"}), upstreams and harness pinned to core 0. ${r.rounds} interleaved round(s): in each round every load runs every scenario in turn, each in a freshly started Envoy, ${r.seconds} s per measurement after a 1000-request warm-up.${r.wall_s ? ` Whole run: ${Math.round(r.wall_s / 60)} min (${Math.round(r.wall_s)} s).` : ""}${r.command ? ` Command: \`${r.command}\`.` : ""}`,
    "",
    "Scenarios:",
    "",
    ...r.scenarios.map((s) => `- \`${s}\`: ${DESCRIPTIONS[s] ?? s}`),
    "",
    "Fixed rate (open loop): h2load `--rps` with its connections opened in a staggered way so that sends are evenly spaced; latency from sending a request to the end of its answer. Saturation (closed loop): h2load with 32 connections (h2c: 10 streams each). Envoy CPU is utime + stime of the Envoy process from `/proc/<pid>/stat` over the measurement, per 1000 requests; RSS is VmRSS at its end. Every value is the median over rounds; ranges are min–max over rounds. Ratios are computed within each round, then the median (min–max) taken. `mirrored` is requests received by the shadow per request received by the primary.",
    "",
  ];
  const checks = targets(r);
  if (checks.length) {
    out.push(
      "## Targets (issue 5)",
      "",
      "Benchmark goals, reported and not asserted. The last column gives, where the probe ran on that load, the same ratio for the lower-bound probe: `wasm_noop` (a Wasm module that does nothing) for the empty filter, `wasm_dispatch` (the barest dispatch_http_call mirror) for mirrorshade against native. A target the probe itself misses cannot be met by any filter built that way in this Envoy.",
      "",
      "| target | load | measured | | lower bound (probe) |",
      "|---|---|---|---|---|",
    );
    for (const c of checks) out.push(`| ${c.target} | ${c.load} | ${c.measured} | ${c.met ? "met" : "**missed**"} | ${c.bound ?? ""} |`);
    out.push("");
  }
  for (const load of r.loads) {
    const st = r.stats[load.name] ?? {};
    const ran = r.scenarios.filter((s) => st[s]);
    out.push(`## ${load.name}`, "");
    if (load.kind === "open") {
      out.push("| scenario | p50 ms | p90 ms | p99 ms | p99.9 ms | p99 range | req/s | Envoy CPU s / 1k req | RSS MB | mirrored | errors |", "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
      for (const s of ran) {
        const x = st[s];
        out.push(`| ${s} | ${f(x.p50_ms)} | ${f(x.p90_ms)} | ${f(x.p99_ms)} | ${f(x.p999_ms)} | ${spread(x.p99_ms_spread)} | ${f(x.rps, 0)} | ${f(x.cpu_s_per_1k, 3)} | ${f(x.rss_mb, 0)} | ${f(x.mirrored_share)} | ${x.errors} |`);
      }
      out.push("", "| ratio | p50 | p90 | p99 | p99.9 | CPU / req | RSS |", "|---|---:|---:|---:|---:|---:|---:|");
      for (const [k, v] of Object.entries(r.ratios[load.name] ?? {})) {
        if (v) out.push(`| ${k} | ${withSpread(v.p50, v.p50_spread)} | ${withSpread(v.p90, v.p90_spread)} | ${withSpread(v.p99, v.p99_spread)} | ${withSpread(v.p999, v.p999_spread)} | ${withSpread(v.cpu, v.cpu_spread)} | ${f(v.rss)} |`);
      }
      const g = ran.map((s) => st[s]);
      out.push(
        "",
        `Generator: h2load used at most ${f(Math.max(...g.map((x) => x.generator_cpu_s)))} CPU s per ${r.seconds} s run; the generator's core was at most ${pct(Math.max(...g.map((x) => x.load_core_busy)))} busy; at most ${f(Math.max(...g.map((x) => x.generator_late)) * 100, 2)} % of answers took longer than their connection's send interval (the bound on coordinated omission).${other(g)}`,
        "",
      );
    } else {
      out.push("| scenario | req/s | range | Envoy CPU s / 1k req | RSS MB | Envoy core busy | mirrored | errors |", "|---|---:|---|---:|---:|---:|---:|---:|");
      for (const s of ran) {
        const x = st[s];
        out.push(`| ${s} | ${f(x.rps, 0)} | ${spread(x.rps_spread, 0)} | ${f(x.cpu_s_per_1k, 3)} | ${f(x.rss_mb, 0)} | ${pct(x.envoy_core_busy)} | ${f(x.mirrored_share)} | ${x.errors} |`);
      }
      out.push("", "| ratio | req/s | CPU / req | Envoy CPU µs / req, difference | RSS |", "|---|---:|---:|---:|---:|");
      for (const [k, v] of Object.entries(r.ratios[load.name] ?? {})) if (v) out.push(`| ${k} | ${withSpread(v.rps, v.rps_spread)} | ${withSpread(v.cpu, v.cpu_spread)} | ${v.cpu_us_diff === undefined ? "–" : withSpread(v.cpu_us_diff, v.cpu_us_diff_spread!, 1)} | ${f(v.rss)} |`);
      const g = ran.map((s) => st[s]);
      out.push(
        "",
        `Generator: h2load used at most ${f(Math.max(...g.map((x) => x.generator_cpu_s)))} CPU s per ${r.seconds} s run; the generator's core (h2load and both upstreams) was at most ${pct(Math.max(...g.map((x) => x.load_core_busy)))} busy, Envoy's core ${pct(Math.min(...g.map((x) => x.envoy_core_busy)))} to ${pct(Math.max(...g.map((x) => x.envoy_core_busy)))}: Envoy is the bottleneck where its core is the busier one.${other(g)}`,
        "",
      );
    }
  }
  const why = attribution(r);
  if (why.length) out.push("## Where the time goes", "", ...why, "");
  const sdks = sdkComparison(r);
  if (sdks.length) out.push("## The same probes per SDK and language", "", "The two lower-bound jobs written in raw AssemblyScript (no SDK), with the Go SDK and with the Rust SDK, in the same rounds (medians over rounds; the ratio tables above give `go_*/wasm_*` and `rust_*/wasm_*` within rounds).", "", ...sdks);
  if (r.faults.length) {
    out.push(
      "## Shadow faults (500 req/s, HTTP/1.1, 1 KB)",
      "",
      "The shadow is down (nothing listens on its port), answers after 2 s, resets each connection once the request is in, or answers 503. What the primary's clients see:",
      "",
      "| fault | native p50 ms | mirrorshade p50 ms | native p99 ms | mirrorshade p99 ms | p99 ratio | native errors | mirrorshade errors |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const x of r.faults) out.push(`| ${x.fault} | ${f(x.native_p50_ms)} | ${f(x.mirrorshade_p50_ms)} | ${f(x.native_p99_ms)} | ${f(x.mirrorshade_p99_ms)} | ${f(x.p99_ratio)} | ${x.native_errors} | ${x.mirrorshade_errors} |`);
    out.push("");
  }
  if (r.soak) {
    const s = r.soak;
    out.push(
      "## Soak",
      "",
      `${s.requests} requests through mirrorshade (HTTP/1.1, 0 B, 1 KB and 16 KB JSON bodies in turn, 16 connections${s.seconds ? `, ${Math.round(s.seconds)} s` : ""}; ${s.failed ?? 0} failed, ${s.mirrored ?? "?"} copies sent), after a warm-up: Envoy RSS ${f(s.rss_mb_start, 1)} → ${f(s.rss_mb_end, 1)} MB (max ${f(s.rss_mb_max, 1)}), the filter's Wasm memory ${f(s.wasm_mb_start, 2)} → ${f(s.wasm_mb_end, 2)} MB (max ${f(s.wasm_mb_max, 2)}). Envoy's /stats has no Wasm memory gauge of its own (only VM counts under wasm.*); the filter's figure is its own gauge \`mirrorshade.vm.memory_bytes\` (linear memory size).`,
      "",
    );
    if (s.samples?.length) {
      out.push("| requests | Envoy RSS MB | Wasm memory MB |", "|---:|---:|---:|");
      const step = Math.max(1, Math.ceil(s.samples.length / 10));
      s.samples.forEach((x, i) => {
        if (i % step === 0 || i === s.samples!.length - 1) out.push(`| ${x.requests} | ${f(x.rss_mb, 1)} | ${f(x.wasm_mb, 2)} |`);
      });
      out.push("");
    }
  }
  return out.join("\n");
}

/**
 * Envoy CPU per request at saturation, step by step from floor to the full
 * policy, from the attribution scenarios: which part of mirrorshade costs what.
 */
export function attribution(r: BenchReport): string[] {
  const load = r.loads.find((l) => l.kind === "closed" && l.protocol === "h1" && l.attribution) ?? r.loads.find((l) => l.kind === "closed");
  if (!load) return [];
  const us = (s: string) => (r.stats[load.name]?.[s]?.cpu_s_per_1k ?? NaN) * 1000;
  const steps: [string, string, string][] = [
    ["floor", "wasm_noop", "any Wasm filter: Envoy calls into a module that does nothing, about eight times per request"],
    ["wasm_noop", "mirrorshade_empty", "mirrorshade's SDK and per-request setup (context object, header map read, selection)"],
    ["floor", "native", "Envoy's own mirroring (for reference)"],
    ["native", "wasm_dispatch", "the barest dispatch_http_call mirror instead of Envoy's shadow stream: Envoy's side of the proxy-wasm call API"],
    ["wasm_dispatch", "mirrorshade_copy", "mirrorshade's own copy path over the barest one: SDK, tag, hop-by-hop filtering, counters, the answer's bookkeeping"],
    ["mirrorshade_copy", "mirrorshade_no_detectors", "selection and redaction rules (headers, query, JSON paths, two HMACs)"],
    ["mirrorshade_no_detectors", "mirrorshade", "the six detectors"],
  ];
  const lines = [`Envoy CPU per request at saturation (${load.name}), from one scenario to the next:`, ""];
  for (const [a, b, what] of steps) {
    const d = us(b) - us(a);
    if (Number.isFinite(d)) lines.push(`- ${b} − ${a}: ${d >= 0 ? "+" : ""}${d.toFixed(0)} µs: ${what}`);
  }
  const h2 = r.loads.find((l) => l.kind === "closed" && l.protocol === "h2c" && l.bodyBytes === 1024);
  if (h2) {
    const u2 = (s: string) => (r.stats[h2.name]?.[s]?.cpu_s_per_1k ?? NaN) * 1000;
    const wasm = u2("wasm_noop") - u2("floor");
    const sdk = u2("mirrorshade_empty") - u2("wasm_noop");
    if (Number.isFinite(wasm) && Number.isFinite(sdk)) {
      lines.push(
        "",
        `Over h2c (${h2.name}): wasm_noop − floor ${wasm >= 0 ? "+" : ""}${wasm.toFixed(0)} µs (Envoy's, for any Wasm filter); mirrorshade_empty − wasm_noop ${sdk >= 0 ? "+" : ""}${sdk.toFixed(0)} µs (mirrorshade's own).`,
      );
    }
  }
  const total = us("mirrorshade") - us("native");
  if (Number.isFinite(total)) lines.push("", `mirrorshade costs ${total.toFixed(0)} µs of Envoy CPU per request more than native mirroring (which redacts nothing): ${us("mirrorshade").toFixed(0)} against ${us("native").toFixed(0)} µs.`);
  return lines.length > 2 ? lines : [];
}

/** The few lines printed at the end of a run. */
export function summary(r: BenchReport): string {
  const out = [`mirrorshade bench: ${r.rounds} round(s) × ${r.seconds} s, ${r.backend} backend${r.wall_s ? `, ${Math.round(r.wall_s)} s` : ""}`, ""];
  const head = ["open 500 rps h1 1KB", "open 2000 rps h1 1KB", "saturation h1 1KB"].filter((l) => r.stats[l]);
  const core = ["floor", "native", "native_lua", "mirrorshade", "mirrorshade_empty", "native_upstream"].filter((s) => r.scenarios.includes(s));
  const fallback = r.loads.filter((l) => !l.grpc).slice(0, 3).map((l) => l.name);
  const loads = head.length ? head : fallback;
  if (loads.length) out.push(["".padEnd(26), ...core.map((s) => s.padStart(18))].join(""));
  for (const l of loads) {
    const kind = r.loads.find((x) => x.name === l)?.kind;
    const rows = kind === "open" ? (["p50_ms", "p99_ms"] as const) : (["rps", "cpu_s_per_1k"] as const);
    for (const field of rows) out.push([`${l} ${field}`.padEnd(26).slice(0, 26), ...core.map((s) => f(r.stats[l]?.[s]?.[field], field === "rps" ? 0 : 3).padStart(18))].join(""));
  }
  // The gRPC family, when it ran (bench --grpc): its own scenarios on its own loads.
  const grpcLoads = r.loads.filter((l) => l.grpc && r.stats[l.name]);
  const grpcRan = Object.keys(GRPC_DESCRIPTIONS).filter((s) => r.scenarios.includes(s));
  if (grpcLoads.length && grpcRan.length) {
    if (loads.length) out.push("");
    out.push(["".padEnd(34), ...grpcRan.map((s) => s.padStart(28))].join(""));
    for (const l of grpcLoads) {
      const rows = l.kind === "open" ? (["p50_ms", "p99_ms"] as const) : (["rps", "cpu_s_per_1k"] as const);
      for (const field of rows) out.push([`${l.name} ${field}`.padEnd(34), ...grpcRan.map((s) => f(r.stats[l.name]?.[s]?.[field], field === "rps" ? 0 : 3).padStart(28))].join(""));
    }
  }
  const checks = targets(r);
  if (checks.length) {
    out.push("", `targets: ${checks.filter((c) => c.met).length} of ${checks.length} met`);
    for (const c of checks) out.push(`  ${c.met ? "met   " : "MISSED"} ${c.target} [${c.load}] ${c.measured}${c.bound ? ` (probe ${c.bound})` : ""}`);
  }
  for (const x of r.faults) out.push(`fault ${x.fault}: p99 mirrorshade ${f(x.mirrorshade_p99_ms)} ms vs native ${f(x.native_p99_ms)} ms (${f(x.p99_ratio)}×), errors ${x.mirrorshade_errors} vs ${x.native_errors}`);
  if (r.soak) out.push(`soak: ${r.soak.requests} requests, Envoy RSS ${f(r.soak.rss_mb_start, 1)} -> ${f(r.soak.rss_mb_end, 1)} MB, Wasm memory ${f(r.soak.wasm_mb_start, 2)} -> ${f(r.soak.wasm_mb_end, 2)} MB`);
  return out.join("\n") + "\n";
}

/** Latency percentiles per scenario (bars: median over rounds; whiskers: min–max over rounds), one panel per fixed-rate load, log scale. */
export function toSvg(r: BenchReport): string {
  const open = r.loads.filter((l) => l.kind === "open");
  const pcts = [
    ["p50_ms", "p50", "#4e79a7"],
    ["p90_ms", "p90", "#59a14f"],
    ["p99_ms", "p99", "#f28e2b"],
    ["p999_ms", "p99.9", "#e15759"],
  ] as const;
  const width = 960;
  const panelH = 230;
  const plotH = 150;
  const left = 50;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const all = open.flatMap((l) => r.scenarios.flatMap((s) => pcts.flatMap(([k]) => [r.stats[l.name]?.[s]?.[k] ?? NaN, ...(r.stats[l.name]?.[s]?.[`${k}_spread`] ?? [])]))).filter((x) => Number.isFinite(x) && x > 0);
  const lo = Math.min(0.05, Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1)))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(1, ...all))));
  const ticks: number[] = [];
  for (let d = Math.pow(10, Math.floor(Math.log10(lo))); d <= hi * 1.0001; d *= 10) for (const m of [1, 2, 5]) if (d * m >= lo * 0.9999 && d * m <= hi * 1.0001) ticks.push(d * m);
  const parts: string[] = [];
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">mirrorshade benchmark: latency percentiles (ms, log scale) per scenario</text>`);
  parts.push(`<text x="10" y="38" font-size="11" fill="#444">${esc(r.date)}, ${esc(r.machine)}, Envoy ${esc(r.envoy ?? "")} (${esc(r.backend)}); bars: median of ${r.rounds} round(s), whiskers: min–max over rounds</text>`);
  pcts.forEach(([, label, color], i) => parts.push(`<rect x="${width - 290 + i * 70}" y="9" width="11" height="11" fill="${color}"/><text x="${width - 275 + i * 70}" y="19" font-size="12">${label}</text>`));
  open.forEach((load, li) => {
    const y0 = 52 + li * panelH;
    const yOf = (v: number) => y0 + 20 + plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
    parts.push(`<text x="10" y="${y0 + 12}" font-size="13" font-weight="bold">${esc(load.name)}</text>`);
    for (const t of ticks) {
      const y = yOf(t).toFixed(1);
      parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#ddd" stroke-width="${[1, 10, 100].some((d) => Math.abs(t / d - 1) < 1e-9) ? 1 : 0.5}"/><text x="${left - 4}" y="${(Number(y) + 3).toFixed(1)}" font-size="9" text-anchor="end">${t < 1 ? t.toFixed(t < 0.1 ? 2 : 1) : t}</text>`);
    }
    const ran = r.scenarios.filter((s) => r.stats[load.name]?.[s]);
    const groupW = (width - left - 20) / Math.max(1, ran.length);
    const barW = (groupW * 0.8) / pcts.length;
    ran.forEach((s, si) => {
      const st = r.stats[load.name][s];
      const x0 = left + 10 + si * groupW;
      pcts.forEach(([k, label, color], pi) => {
        const v = st[k];
        if (!Number.isFinite(v) || v <= 0) return;
        const x = x0 + pi * barW;
        const y = yOf(v);
        const base = y0 + 20 + plotH;
        parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(base - y).toFixed(1)}" fill="${color}"><title>${esc(s)} ${label}: ${f(v)} ms (rounds ${spread(st[`${k}_spread`])})</title></rect>`);
        const [a, b] = st[`${k}_spread`] ?? [NaN, NaN];
        if (Number.isFinite(a) && Number.isFinite(b) && a > 0 && b > a) {
          const cx = (x + barW / 2 - 0.5).toFixed(1);
          parts.push(`<line x1="${cx}" x2="${cx}" y1="${yOf(b).toFixed(1)}" y2="${yOf(a).toFixed(1)}" stroke="#333" stroke-width="1"/>`);
        }
      });
      parts.push(`<text x="${(x0 + groupW * 0.4).toFixed(1)}" y="${y0 + 20 + plotH + 14 + (si % 2) * 11}" font-size="10" text-anchor="middle">${esc(s)}</text>`);
      const p50 = st.p50_ms;
      if (Number.isFinite(p50)) parts.push(`<text x="${(x0 + groupW * 0.4).toFixed(1)}" y="${y0 + 30}" font-size="9" text-anchor="middle" fill="#555">p50 ${f(p50)} · p99 ${f(st.p99_ms)}</text>`);
    });
  });
  const height = 62 + open.length * panelH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>\n`;
}
