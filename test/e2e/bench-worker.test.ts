// The worker bench's smoke run: `mirrorshade bench --worker` in miniature against real
// Envoy (one round, three uploads per configuration, bystanders alongside). The
// configuration of an older build (mirrorshade_before) is fed the current module with
// --before-wasm, so the run needs no git history and no second build; the full run
// builds the older commit with --before-commit (docs/benchmarks.md). Proves the bench
// works end to end and what it checks (copies redacted, the filter's statistics read);
// no timing is asserted, and the time limit is several times an idle run.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot, FILTER_WASM } from "../../harness/paths.js";
import { parseWorkerArgs } from "../../harness/bench/command.js";
import { UsageError } from "../../harness/cli/args.js";

const CLI = join(projectRoot, "bin", "mirrorshade.mjs");

describe("mirrorshade bench --worker", () => {
  it("refuses a mistake by name before anything starts", () => {
    expect(() => parseWorkerArgs(["--configs", "floor,bogus"])).toThrow(/"bogus"/);
    expect(() => parseWorkerArgs(["--configs", "mirrorshade_before"])).toThrow(/--before-wasm/);
    expect(() => parseWorkerArgs(["--uploads", "0"])).toThrow(UsageError);
    expect(() => parseWorkerArgs(["--before-commit", "no-such-revision-here"])).toThrow(/no such commit/);
    expect(parseWorkerArgs([]).configs).toEqual(["floor", "native", "mirrorshade"]);
    expect(parseWorkerArgs(["--before-wasm", FILTER_WASM]).configs).toEqual(["floor", "native", "mirrorshade", "mirrorshade_before"]);
  });

  it("measures every configuration, checks the copies and reads the filter's redaction statistics", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-bench-worker-"));
    const file = join(dir, "worker.json");
    try {
      const args = ["bench", "--worker", "--rounds", "1", "--uploads", "3", "--retakes", "0", "--before-wasm", FILTER_WASM, "--json", file, "--out", join(dir, "out")];
      const stdout = execFileSync("node", [CLI, ...args], { cwd: projectRoot, encoding: "utf8", stdio: "pipe", timeout: 300_000 });
      // The table is printed and written.
      expect(stdout).toContain("| 3 uploads, bystanders alongside | floor | native | mirrorshade | mirrorshade_before (mirrorshade.wasm) |");
      expect(stdout).toContain("| redaction.slice_us P50 / P99 (µs) |");
      expect(readFileSync(join(dir, "out", "worker.md"), "utf8")).toContain("upload: first byte sent → primary has the body, median of all (ms)");

      const r = JSON.parse(readFileSync(file, "utf8"));
      expect(r.kind).toBe("worker");
      expect(r.configs).toEqual(["floor", "native", "mirrorshade", "mirrorshade_before"]);
      expect(r.measures).toHaveLength(4);
      for (const c of r.configs) {
        const s = r.summary[c];
        expect(s.uploads, c).toBe(3);
        expect(s.upload_errors, c).toBe(0);
        expect(s.bystanders, c).toBeGreaterThan(0);
        expect(s.bystander_errors, c).toBe(0);
        for (const k of ["upload_primary_median_ms", "upload_primary_max_ms", "upload_answered_median_ms", "bystander_p50_ms", "bystander_p99_ms", "bystander_max_ms"]) {
          expect(Number.isFinite(s[k]), `${c}.${k}`).toBe(true);
          expect(s[k], `${c}.${k}`).toBeGreaterThan(0);
        }
      }
      // Nothing is copied without mirroring; Envoy's native copies are sent as they are.
      expect(r.summary.floor.shadow_uploads).toBe(0);
      expect(r.summary.native.shadow_uploads).toBe(3);
      expect(r.summary.native.checked).toBe(3);
      expect(r.summary.native.redacted).toBe(0);
      // The filter's copies all reached the shadow redacted, each scanned in slices from the tick.
      for (const c of ["mirrorshade", "mirrorshade_before"]) {
        const s = r.summary[c];
        expect(s.shadow_uploads, c).toBe(3);
        expect(s.checked, c).toBe(3);
        expect(s.redacted, c).toBe(3);
        expect(s.filter.mirrored, c).toBe(3);
        expect(s.filter.skipped_redaction_budget, c).toBe(0);
        expect(s.filter.slices, c).toBeGreaterThanOrEqual(3);
        expect(s.filter.slice_us.count, c).toBe(s.filter.slices);
        expect(s.filter.wait_ms.count, c).toBe(3);
        expect(s.filter.slice_us.max[1], c).toBeGreaterThan(s.filter.slice_us.max[0]);
      }
      expect(r.modules.mirrorshade.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.modules.mirrorshade_before.sha256).toBe(r.modules.mirrorshade.sha256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 320_000);
});
