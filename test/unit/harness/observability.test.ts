// The shipped Prometheus rules and Grafana dashboard: generated from their one
// source (harness/prometheus/queries.ts), valid for promtool, their unit tests
// with synthetic series passing (test/prometheus/rules.test.yml), and every metric
// they read one the filter really exports once the bootstrap's stats_tags have
// turned its dotted names into labels.
import { describe, it, expect } from "vitest";
import { readFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot } from "../../../harness/paths.js";
import { rulesYaml, dashboardJson, dashboard, RULES_FILE, DASHBOARD_FILE } from "../../../harness/prometheus/files.js";
import { RECORDING_RULES, ALERT_RULES, ROWS, GATES, panelQueries } from "../../../harness/prometheus/queries.js";
import { MIRRORSHADE_STATS_TAGS } from "../../../harness/envoy/stats-tags.js";
import { loadFilter } from "../../support/filter.js";

const PROMTOOL = process.env.PROMTOOL ?? "/usr/bin/promtool";

function promtool(...args: string[]) {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} not found: install Debian's prometheus package (apt-get install prometheus), as .ci/run does, or set PROMTOOL`);
  const r = spawnSync(PROMTOOL, args, { cwd: projectRoot, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Envoy's tag extraction (TagExtractorStdRegexImpl): group 1 leaves the name, group 2 (else 1) is the value; then the Prometheus name. */
function prometheusSeries(envoyName: string): { name: string; labels: Record<string, string> } {
  const remove: [number, number][] = [];
  const labels: Record<string, string> = {};
  for (const t of MIRRORSHADE_STATS_TAGS) {
    const m = new RegExp(t.regex, "d").exec(envoyName);
    if (!m) continue;
    const groups = m.indices!.map((g, i) => (g ? i : -1)).filter((i) => i > 0);
    const [rm, val] = [groups[0], groups[1] ?? groups[0]];
    remove.push(m.indices![rm]!);
    labels[t.tag_name] = m[val]!;
  }
  let name = envoyName;
  for (const [a, b] of remove.sort((x, y) => y[0] - x[0])) name = name.slice(0, a) + name.slice(b);
  return { name: name.replace(/^wasmcustom\./, "").replace(/\./g, "_"), labels };
}

/** Every metric the filter defines under rich policies of each role, as Prometheus series. */
async function exportedSeries() {
  const policies = [
    {
      role: "mirror",
      shadows: [{ name: "v2", cluster: "a", select: { percent: 50, match: [{ name: "payments", path: { prefix: "/api" } }] } }, { name: "canary", cluster: "b" }],
      select: { match: [{ name: "all", path: { prefix: "/" } }] },
      redact: { detectors: ["card", "email", "ssn", "jwt", "iban", "phone"], headers: { drop: ["authorization"] } },
      compare: {},
    },
    JSON.parse(readFileSync(join(projectRoot, "examples/egress-guard.json"), "utf8")),
    JSON.parse(readFileSync(join(projectRoot, "examples/shadow.json"), "utf8")),
  ];
  const series = new Map<string, Set<string>>();
  for (const policy of policies) {
    const { host, ok } = await loadFilter(policy);
    expect(ok).toBe(true);
    // Comparisons and gRPC codes are defined on first use: one compared pair per rule, one gRPC answer.
    if (policy.role === "mirror") {
      for (const path of ["/api/x", "/other"]) {
        const s = host.newStream();
        s.requestHeaders([[":method", "GET"], [":path", path], [":authority", "pay"], ["content-type", "application/grpc"]], true);
        const calls = host.calls.slice();
        s.responseHeaders([[":status", "200"]], true);
        s.complete();
        for (const c of calls) if (host.pendingCalls?.has?.(c.token) ?? true) host.respondToCall(c.token, { headers: [[":status", "200"], ["grpc-status", "0"]], body: "" });
      }
    }
    for (const name of host.metrics.keys()) {
      const s = prometheusSeries(`wasmcustom.${name}`);
      if (!series.has(s.name)) series.set(s.name, new Set());
      series.get(s.name)!.add(Object.keys(s.labels).sort().join(","));
    }
  }
  return series;
}

describe("Prometheus names and labels (stats_tags)", () => {
  it("turns the dotted names into labelled series", () => {
    expect(prometheusSeries("wasmcustom.mirrorshade.shadows.v2.skipped.inflight_full")).toEqual({ name: "mirrorshade_shadows_skipped", labels: { shadow: "v2", reason: "inflight_full" } });
    expect(prometheusSeries("wasmcustom.mirrorshade.shadows.v2.compare.refunds_v1.mismatched.status")).toEqual({
      name: "mirrorshade_shadows_compare_mismatched",
      labels: { shadow: "v2", rule: "refunds_v1", field: "status" },
    });
    expect(prometheusSeries("wasmcustom.mirrorshade.shadows.v2.compare.all.compared")).toEqual({ name: "mirrorshade_shadows_compare_compared", labels: { shadow: "v2", rule: "all" } });
    expect(prometheusSeries("wasmcustom.mirrorshade.redact.json.keep_masked")).toEqual({ name: "mirrorshade_redact", labels: { kind: "json", action: "keep_masked" } });
    expect(prometheusSeries("wasmcustom.mirrorshade.redact.body_unscannable.too_large")).toEqual({ name: "mirrorshade_redact_body_unscannable", labels: { reason: "too_large" } });
    expect(prometheusSeries("wasmcustom.mirrorshade.shadow.grpc.invalid_argument")).toEqual({ name: "mirrorshade_shadow_grpc", labels: { grpc_code: "invalid_argument" } });
    expect(prometheusSeries("wasmcustom.mirrorshade.guard.blocked.charges.v1")).toEqual({ name: "mirrorshade_guard_blocked", labels: { guard_rule: "charges.v1" } });
    expect(prometheusSeries("wasmcustom.mirrorshade.shadows.v2.select.percent")).toEqual({ name: "mirrorshade_shadows_select_percent", labels: { shadow: "v2" } });
  });

  it("no two metrics of the filter meet in one series, and no shadow or rule name is left in a metric name", async () => {
    const series = await exportedSeries();
    for (const [name, labelSets] of series) {
      expect(name).not.toMatch(/v2|canary|payments|_all_|_[0-9]xx$|_detector_|_select_[a-z_]+$|_grpc_[a-z_]+$/);
      // One family has the same labels throughout, except a total beside its breakdown (compare.mismatched, guard.blocked).
      if (labelSets.size > 1) expect([...labelSets].some((l) => l === "" || l === "rule,shadow")).toBe(true);
    }
  });

  it("every metric a rule, a panel or a gate reads is one the filter exports (or one of Envoy's)", async () => {
    const series = await exportedSeries();
    const exprs = [
      ...RECORDING_RULES.map((r) => r.expr),
      ...ALERT_RULES.map((a) => a.expr),
      ...panelQueries({ primaryCluster: "p", shadowCluster: "s", shadow: ".*" }).map((q) => q.expr),
      ...GATES.map((g) => g.query({ namespace: "", shadow: "v2", interval: "1m" })),
    ];
    const read = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(mirrorshade_[a-z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, ""))));
    expect(read.size).toBeGreaterThan(10);
    for (const name of read) expect(series.has(name), name).toBe(true);
  });
});

describe("shipped rules and dashboard", () => {
  it("the committed files are the generated ones (node scripts/gen-observability.mjs)", () => {
    expect(readFileSync(join(projectRoot, RULES_FILE), "utf8")).toBe(rulesYaml());
    expect(readFileSync(join(projectRoot, DASHBOARD_FILE), "utf8")).toBe(dashboardJson());
  });

  it("promtool check rules accepts the rules, and the test variant", () => {
    const r = promtool("check", "rules", RULES_FILE);
    expect(r.out).toContain("SUCCESS");
    expect(r.status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-rules-"));
    writeFileSync(join(dir, "test.rules.yml"), rulesYaml({ forOverride: "5s" }));
    expect(promtool("check", "rules", join(dir, "test.rules.yml")).status).toBe(0);
  });

  it("promtool test rules: the alerts fire on synthetic regressions and stay quiet on a handful of mismatches", () => {
    const r = promtool("test", "rules", "test/prometheus/rules.test.yml");
    expect(r.out, r.out).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it("every alert waits before firing, and the test variant differs from the shipped rules only in for:", () => {
    for (const a of ALERT_RULES) expect(a.for).toMatch(/^[1-9][0-9]*m$/);
    const shipped = rulesYaml().split("\n");
    const variant = rulesYaml({ forOverride: "5s" }).split("\n");
    expect(variant.length).toBe(shipped.length);
    const differing = shipped.filter((l, i) => l !== variant[i]);
    expect(differing.length).toBe(ALERT_RULES.length);
    for (const l of differing) expect(l).toMatch(/^\s+for: /);
  });

  it("the dashboard: a current schema, a Prometheus datasource variable, each panel's queries from queries.ts", () => {
    const d = dashboard() as { schemaVersion: number; templating: { list: { name: string; type: string }[] }; panels: { type: string; title: string; targets?: { expr: string; datasource: { uid: string } }[] }[] };
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.templating.list.find((v) => v.type === "datasource")?.name).toBe("datasource");
    const panels = d.panels.filter((p) => p.type !== "row");
    expect(panels.map((p) => p.title)).toEqual(ROWS.flatMap((r) => r.panels.map((p) => p.title)));
    for (const p of panels) {
      expect(["timeseries", "stat"]).toContain(p.type);
      for (const t of p.targets!) expect(t.datasource.uid).toBe("${datasource}");
    }
  });
});
