// bench --json writes quickJson(report): with --loads picking only saturation loads (or only
// fixed-rate ones) the figures of the missing kind are null, not a crash after a long run.
import { describe, it, expect } from "vitest";
import { quickJson } from "../../../../harness/bench/command.js";
import type { BenchReport } from "../../../../harness/bench/report.js";

const stats = (rps: number) => ({ p50_ms: 0.3, p90_ms: 0.4, p99_ms: 0.5, p999_ms: 0.9, rps, cpu_s_per_1k: 0.07, rss_mb: 90 });

function report(kinds: ("open" | "closed")[]): BenchReport {
  const loads = kinds.map((kind) => ({ name: kind === "open" ? "open 500 rps h1 1KB" : "saturation h1 1KB", kind, protocol: "h1", bodyBytes: 1024 }));
  return {
    machine: "test", date: "2026-12-02", backend: "process", rounds: 1, seconds: 1, loads,
    scenarios: ["native", "mirrorshade"],
    stats: Object.fromEntries(loads.map((l) => [l.name, { native: stats(20000), mirrorshade: stats(12000) }])),
    ratios: Object.fromEntries(loads.map((l) => [l.name, { "mirrorshade/native": { p50: 1.5, p99: 1.2, rps: 0.6 } }])),
  } as unknown as BenchReport;
}

describe("bench --json (quickJson)", () => {
  it("has every figure when both kinds of load ran", () => {
    const j = JSON.parse(JSON.stringify(quickJson(report(["open", "closed"]))));
    expect(j.scenarios.mirrorshade).toEqual({ p50_ms: 0.3, p99_ms: 0.5, rps: 12000, cpu_s_per_1k: 0.07, rss_mb: 90 });
    expect(j.ratios["mirrorshade/native"]).toEqual({ p50: 1.5, p99: 1.2, rps: 0.6 });
  });

  it.each([
    [["closed"] as const, { p50_ms: null, p99_ms: null, rps: 12000, cpu_s_per_1k: 0.07, rss_mb: 90 }, { p50: null, p99: null, rps: 0.6 }],
    [["open"] as const, { p50_ms: 0.3, p99_ms: 0.5, rps: null, cpu_s_per_1k: null, rss_mb: null }, { p50: 1.5, p99: 1.2, rps: null }],
  ])("with only %j loads the other kind's figures are null", (kinds, scenario, ratio) => {
    const j = JSON.parse(JSON.stringify(quickJson(report([...kinds]))));
    expect(j.scenarios.mirrorshade).toEqual(scenario);
    expect(j.ratios["mirrorshade/native"]).toEqual(ratio);
  });
});
