// The Istio plan the real-Istio tests follow (harness/istio/versions.ts istioPlan): what is
// skipped and why, and what fails under CI, from the lines of scripts/istio-versions.txt.
import { describe, it, expect } from "vitest";
import { istioPlan, istioReleases, atLeast, type IstioLine, type IstioInstall } from "../../../../harness/istio/versions.js";

const cand = (line: string, release: string) => ({ line, release, module: `v0.0.0-${release}` });
const built = (line: string, release: string) => ({ ...cand(line, release), discovery: "", agent: "", bootstrapTemplate: "" }) as IstioInstall;
const line = (l: string, releases: string[], opts: { built?: string; refused?: string[] } = {}): IstioLine => ({
  line: l,
  candidates: releases.map((r) => cand(l, r)),
  install: opts.built ? built(l, opts.built) : null,
  refused: new Map((opts.refused ?? []).map((r) => [r, "403 Forbidden"])),
});

describe("istioPlan", () => {
  const cases: { name: string; lines: IstioLine[]; ci: boolean; skips: RegExp[]; errors: RegExp[] }[] = [
    { name: "all built", lines: [line("1.30", ["1.30.4-dev+a"], { built: "1.30.4-dev+a" }), line("1.31", ["1.31.1", "1.31.0-dev+b"], { built: "1.31.0-dev+b", refused: ["1.31.1"] })], ci: true, skips: [], errors: [] },
    { name: "nothing built, no CI: one skip line each, with the install command", lines: [line("1.29", ["1.29.2"]), line("1.30", ["1.30.4-dev+a"])], ci: false, skips: [/^skipping Istio 1\.29 \(1\.29\.2\): not built \(run `bash x 1\.29`\)$/, /Istio 1\.30 .*`bash x 1\.30`/], errors: [] },
    { name: "every candidate refused, no CI: the proxy's answer", lines: [line("1.29", ["1.29.2"], { refused: ["1.29.2"] })], ci: false, skips: [/^skipping Istio 1\.29: every candidate refused by the module proxy \(1\.29\.2: 403 Forbidden\); retry with `bash x 1\.29`$/], errors: [] },
    { name: "CI: a refused line is a loud skip, a 1.30+ release runs", lines: [line("1.29", ["1.29.2"], { refused: ["1.29.2"] }), line("1.31", ["1.31.0-dev+b"], { built: "1.31.0-dev+b" })], ci: true, skips: [/^WARNING: skipping Istio 1\.29: every candidate refused/], errors: [] },
    { name: "CI: a line with a candidate not refused must be built", lines: [line("1.30", ["1.30.4-dev+a"]), line("1.31", ["1.31.0-dev+b"], { built: "1.31.0-dev+b" })], ci: true, skips: [/not built/], errors: [/^Istio 1\.30 not built under CI=true/] },
    { name: "CI: one refused candidate of two is not the whole line", lines: [line("1.31", ["1.31.1", "1.31.0-dev+b"], { refused: ["1.31.1"] }), line("1.30", ["1.30.4-dev+a"], { built: "1.30.4-dev+a" })], ci: true, skips: [/Istio 1\.31 .*not built/], errors: [/^Istio 1\.31 not built/] },
    { name: "CI: only 1.29 runs, no 1.30+", lines: [line("1.29", ["1.29.2"], { built: "1.29.2" }), line("1.31", ["1.31.1"], { refused: ["1.31.1"] })], ci: true, skips: [/^WARNING: .*1\.31/], errors: [/^no Istio 1\.30\+ release built under CI=true$/] },
    { name: "no CI: nothing built is never an error", lines: [line("1.31", ["1.31.1"], { refused: ["1.31.1"] })], ci: false, skips: [/refused/], errors: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = istioPlan(c.lines, c.ci, "bash x");
      expect(plan.skips).toHaveLength(c.skips.length);
      c.skips.forEach((re, i) => expect(plan.skips[i]).toMatch(re));
      expect(plan.errors).toHaveLength(c.errors.length);
      c.errors.forEach((re, i) => expect(plan.errors[i]).toMatch(re));
    });
  }
});

describe("scripts/istio-versions.txt", () => {
  it("every label parses as a release of its line, and atLeast reads dev labels", () => {
    const rs = istioReleases();
    expect(rs.length).toBeGreaterThan(0);
    for (const r of rs) expect(r.release.startsWith(`${r.line}.`)).toBe(true);
    expect(atLeast("1.30.4-dev+9739e10", 1, 30)).toBe(true);
    expect(atLeast("1.29.2", 1, 30)).toBe(false);
    expect(atLeast("2.0.0", 1, 30)).toBe(true);
    expect(rs.some((r) => atLeast(r.release, 1, 30))).toBe(true);
  });
});
