// The filter's statistics for the worker bench: its counters and histogram buckets read
// from Envoy's admin /stats, differences and sums of buckets, quantiles from buckets.
import type { EnvoyInstance } from "../envoy/index.js";

/** An Envoy histogram as bucket lower bound → [width, count] (its detailed buckets, or a difference of two readings). */
export type Buckets = Map<number, [number, number]>;

export interface HistSummary {
  count: number;
  p50: number;
  p99: number;
  /** The highest non-empty bucket, [lower, upper): Envoy keeps about two significant digits. */
  max: [number, number];
}

export interface FilterStats {
  mirrored: number;
  skipped_redaction_budget: number;
  slices: number;
  /** Slices longer than twice limits.redaction_slice_us (as Envoy's buckets tell: those from a bucket at or above it). */
  slices_over_twice_target: number;
  slice_us: HistSummary;
  wait_ms: HistSummary;
  /** slice_us over the whole life of the Envoy, warm-up (a cold VM) included. */
  slice_us_with_warmup: HistSummary;
  /** In the summary: the pooled slice_us and wait_ms buckets, [lower bound, width, count]. */
  slice_us_buckets?: [number, number, number][];
  wait_ms_buckets?: [number, number, number][];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The filter's counters and histogram buckets, after a flush (stats_flush_on_admin: the first read flushes, the merge lands a moment later). */
export async function readFilterStats(envoy: EnvoyInstance): Promise<{ counters: Map<string, number>; hists: Map<string, Buckets> }> {
  await envoy.admin("/stats?filter=%5Ewasmcustom%5C.mirrorshade%5C.redaction%5C.queued%24");
  await sleep(300);
  const text = await envoy.admin(`/stats?format=json&histogram_buckets=detailed&filter=${encodeURIComponent("^wasmcustom\\.mirrorshade\\.")}`);
  const j = JSON.parse(text) as { stats: ({ name: string; value: number } | { histograms: { details: { name: string; totals: { lower_bound: number; width: number; count: number }[] }[] } })[] };
  const counters = new Map<string, number>();
  const hists = new Map<string, Buckets>();
  for (const s of j.stats) {
    if ("name" in s) counters.set(s.name.replace(/^wasmcustom\.mirrorshade\./, ""), s.value);
    else for (const h of s.histograms.details ?? []) hists.set(h.name.replace(/^wasmcustom\.mirrorshade\./, ""), new Map(h.totals.map((t) => [t.lower_bound, [t.width, t.count]])));
  }
  return { counters, hists };
}

export function diffBuckets(after: Buckets | undefined, before: Buckets | undefined): Buckets {
  const out: Buckets = new Map();
  for (const [lo, [w, n]] of after ?? []) {
    const d = n - (before?.get(lo)?.[1] ?? 0);
    if (d > 0) out.set(lo, [w, d]);
  }
  return out;
}

export function addBuckets(into: Buckets, b: Buckets | undefined): Buckets {
  for (const [lo, [w, n]] of b ?? []) into.set(lo, [w, (into.get(lo)?.[1] ?? 0) + n]);
  return into;
}

/** Samples in buckets whose lower bound is at least `from`. */
export const over = (b: Buckets, from: number) => [...b.entries()].reduce((a, [lo, [, n]]) => a + (lo >= from - 1e-6 ? n : 0), 0);
export const bucketRows = (b: Buckets): [number, number, number][] => [...b.entries()].sort((x, y) => x[0] - y[0]).map(([lo, [w, n]]) => [lo, w, n]);

/** Quantiles from buckets, interpolated linearly inside the bucket (as Envoy does); the maximum as its bucket. */
export function summarize(b: Buckets): HistSummary {
  const rows = [...b.entries()].sort((x, y) => x[0] - y[0]);
  const count = rows.reduce((a, [, [, n]]) => a + n, 0);
  const q = (p: number) => {
    if (!count) return NaN;
    const want = (p / 100) * count;
    let seen = 0;
    for (const [lo, [w, n]] of rows) {
      if (seen + n >= want) return lo + (w * (want - seen)) / n;
      seen += n;
    }
    return NaN;
  };
  const last = rows[rows.length - 1];
  return { count, p50: q(50), p99: q(99), max: last ? [last[0], last[0] + last[1][0]] : [NaN, NaN] };
}
