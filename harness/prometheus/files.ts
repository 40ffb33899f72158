// The shipped observability files, built from queries.ts: Prometheus rules
// (prometheus/mirrorshade.rules.yml) and the Grafana dashboard
// (grafana/mirrorshade.json). `node scripts/gen-observability.mjs` writes them;
// test/unit/harness/observability.test.ts checks the committed files are these.
import { stringify } from "yaml";
import { RECORDING_RULES, ALERT_RULES, ROWS, VARIABLES, WINDOW, type Panel } from "./queries.js";

export const RULES_FILE = "prometheus/mirrorshade.rules.yml";
export const DASHBOARD_FILE = "grafana/mirrorshade.json";

const HEADER =
  "# mirrorshade recording and alerting rules. Generated from harness/prometheus/queries.ts\n" +
  "# by `node scripts/gen-observability.mjs`: edit that file, not this one. docs/operations.md explains them.\n";

/**
 * The rules file. `forOverride` replaces every alert's `for:` (the e2e test's copy,
 * so that it sees an alert fire within a minute); the shipped file has none.
 */
export function rulesYaml(opts: { forOverride?: string } = {}): string {
  const doc = {
    groups: [
      { name: "mirrorshade.recording", rules: RECORDING_RULES.map((r) => ({ record: r.record, expr: r.expr })) },
      {
        name: "mirrorshade.alerts",
        rules: ALERT_RULES.map((a) => ({
          alert: a.alert,
          expr: a.expr,
          for: opts.forOverride ?? a.for,
          labels: { severity: a.severity },
          annotations: { summary: a.summary, description: a.description },
        })),
      },
    ],
  };
  return HEADER + stringify(doc, { lineWidth: 0 });
}

const DS = { type: "prometheus", uid: "${datasource}" };

function panel(p: Panel, id: number, x: number, y: number, w: number): object {
  return {
    id,
    type: p.type,
    title: p.title,
    datasource: DS,
    gridPos: { h: 8, w, x, y },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options:
      p.type === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area", textMode: "auto" }
        : { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "none" } },
    targets: p.targets.map((t, i) => ({ datasource: DS, refId: String.fromCharCode(65 + i), expr: t.expr, legendFormat: t.legend, range: true })),
  };
}

/** The Grafana dashboard (schemaVersion 39: Grafana 10.4 and later import it). */
export function dashboard(): object {
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    const w = Math.floor(24 / row.panels.length);
    row.panels.forEach((p, i) => panels.push(panel(p, id++, i * w, y, w)));
    y += 8;
  }
  const variable = (name: string, label: string, query: string, multi: boolean) => ({
    name,
    label,
    type: "query",
    datasource: DS,
    query: { query, refId: name },
    definition: query,
    refresh: 2,
    includeAll: multi,
    multi,
    ...(multi ? { allValue: ".*", current: { text: "All", value: "$__all" } } : {}),
    sort: 1,
  });
  return {
    title: "mirrorshade",
    uid: "mirrorshade",
    description: `Traffic mirroring with mirrorshade: primary against shadow, copies, redaction, comparison, budgets. Rates over ${WINDOW}. Generated from harness/prometheus/queries.ts.`,
    tags: ["mirrorshade", "envoy"],
    editable: true,
    schemaVersion: 39,
    version: 1,
    time: { from: "now-1h", to: "now" },
    refresh: "30s",
    templating: {
      list: [
        { name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {} },
        variable(VARIABLES.shadow.name, "Shadow", VARIABLES.shadow.query, true),
        variable(VARIABLES.primaryCluster.name, "Primary cluster", VARIABLES.primaryCluster.query, false),
        variable(VARIABLES.shadowCluster.name, "Shadow cluster", VARIABLES.shadowCluster.query, false),
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

export function dashboardJson(): string {
  return JSON.stringify(dashboard(), null, 2) + "\n";
}
