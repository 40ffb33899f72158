// The benchmark's smoke run, as CI runs it: `mirrorshade bench --quick --json FILE`
// against real Envoy (one round, 1.5 s per scenario, HTTP/1.1 with 1 KB bodies,
// 1 s per fault, a 3000-request soak, no retakes; about 35 s on an idle machine).
// Proves the bench works end to end; its numbers are not asserted (the targets
// live in the full run's report). The time limits are sized for a loaded machine
// (CI shares it): several times the idle run, never a measure of speed.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { probeWasm, projectRoot } from "../../harness/paths.js";

describe("mirrorshade bench --quick", () => {
  it("writes every scenario with positive throughput and finite latencies and ratios", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-bench-"));
    const file = join(dir, "quick.json");
    try {
      execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), "bench", "--quick", "--json", file, "--out", join(dir, "results")], {
        cwd: projectRoot,
        stdio: "pipe",
        timeout: 300_000,
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
      // The full report of the same run: faults and soak ran, and every copy reached the shadow.
      const full = JSON.parse(readFileSync(join(dir, "results", "results.json"), "utf8"));
      expect(full.faults.map((x: { fault: string }) => x.fault)).toEqual(["down", "slow", "reset", "error"]);
      expect(full.soak.requests).toBeGreaterThan(0);
      expect(full.stats["saturation h1 1KB"].mirrorshade.mirrored_share).toBeGreaterThan(0.9);
      expect(full.stats["saturation h1 1KB"].mirrorshade_empty.mirrored_share).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 320_000);

  it("runs the lower-bound probes in Envoy, raw and per SDK: the no-op modules mirror nothing, the dispatch probes mirror every request", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-bench-"));
    // The Go and Rust SDK probes where the build had their toolchains (scripts/build-sdk-probes.mjs).
    const sdk = ["go", "rust"].filter((l) => existsSync(probeWasm(`${l}-noop`)) && existsSync(probeWasm(`${l}-dispatch`)));
    const noop = ["wasm_noop", ...sdk.map((l) => `${l}_noop`)];
    const dispatch = ["wasm_dispatch", ...sdk.map((l) => `${l}_dispatch`)];
    try {
      const args = ["bench", "--rounds", "1", "--seconds", "1", "--retakes", "0", "--loads", "saturation h1 1KB", "--scenarios", [...noop, ...dispatch].join(","), "--out", dir];
      // A Go module takes V8 seconds to compile at each Envoy start on a busy machine: the limit is sized for that.
      execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), ...args], { cwd: projectRoot, stdio: "pipe", timeout: 420_000 });
      const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
      const s = r.stats["saturation h1 1KB"];
      for (const name of noop) {
        expect(s[name].rps, name).toBeGreaterThan(0);
        expect(s[name].errors, name).toBe(0);
        expect(s[name].mirrored_share, name).toBe(0);
      }
      for (const name of dispatch) {
        expect(s[name].errors, name).toBe(0);
        expect(s[name].mirrored_share, name).toBeGreaterThan(0.9);
      }
      if (sdk.length) expect(readFileSync(join(dir, "results.md"), "utf8")).toContain("## The same probes per SDK and language");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 440_000);

  it("--grpc: the gRPC unary family runs in Envoy over HTTP/2, every call answered, copies reaching the shadow but for the floor", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-bench-"));
    try {
      const scenarios = ["grpc_floor", "grpc_native", "grpc_mirrorshade", "grpc_mirrorshade_detectors"];
      const args = ["bench", "--grpc", "--rounds", "1", "--seconds", "1", "--retakes", "0", "--loads", "saturation grpc", "--scenarios", scenarios.join(","), "--out", dir];
      execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), ...args], { cwd: projectRoot, stdio: "pipe", timeout: 240_000 });
      const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
      expect(r.loads.map((l: { name: string }) => l.name)).toEqual(["saturation grpc 1KB"]);
      const s = r.stats["saturation grpc 1KB"];
      for (const name of scenarios) {
        expect(s[name].rps, name).toBeGreaterThan(0);
        expect(s[name].errors, name).toBe(0);
        expect(Number.isFinite(s[name].cpu_s_per_1k), name).toBe(true);
      }
      // Copies reach the shadow (how many within the short run depends on the machine's load: not asserted).
      expect(s.grpc_floor.mirrored_share).toBe(0);
      for (const name of scenarios.slice(1)) expect(s[name].mirrored_share, name).toBeGreaterThan(0);
      for (const k of ["grpc_mirrorshade/grpc_native", "grpc_mirrorshade_detectors/grpc_native", "grpc_native/grpc_floor"]) expect(Number.isFinite(r.ratios["saturation grpc 1KB"][k].rps), k).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 260_000);
});
