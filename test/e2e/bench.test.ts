// The benchmark's smoke run, as CI runs it: `mirrorshade bench --quick --json FILE`
// against real Envoy. Proves the bench works end to end; its numbers are not
// asserted (speed targets live in the full run's report, not in tests).
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot } from "../../harness/envoy-binary.js";

describe("mirrorshade bench --quick", () => {
  it("writes every scenario with positive throughput and finite latencies and ratios", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mirrorshade-bench-")), "quick.json");
    execFileSync("taskset", ["-c", "0", "node", join(projectRoot, "bin", "mirrorshade.mjs"), "bench", "--quick", "--json", file], {
      cwd: projectRoot,
      stdio: "pipe",
      timeout: 240_000,
    });
    const r = JSON.parse(readFileSync(file, "utf8"));
    for (const s of ["floor", "native", "native_lua", "mirrorshade", "mirrorshade_empty"]) {
      const x = r.scenarios[s];
      expect(x, s).toBeDefined();
      expect(x.rps, s).toBeGreaterThan(0);
      for (const k of ["p50_ms", "p99_ms", "cpu_s_per_1k", "rss_mb"]) expect(Number.isFinite(x[k]), `${s}.${k}`).toBe(true);
    }
    for (const k of ["mirrorshade/native", "mirrorshade/native_lua", "mirrorshade_empty/floor"]) {
      for (const f of ["p50", "p99", "rps"]) expect(Number.isFinite(r.ratios[k][f]), `${k}.${f}`).toBe(true);
    }
  }, 300_000);
});
