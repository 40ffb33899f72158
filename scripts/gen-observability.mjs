// Writes the Prometheus rules and the Grafana dashboard from their one source,
// harness/prometheus/queries.ts (through harness/prometheus/files.ts):
//   node scripts/gen-observability.mjs     writes prometheus/mirrorshade.rules.yml and grafana/mirrorshade.json
// test/unit/harness/observability.test.ts checks the committed files equal these.
import { register } from "tsx/esm/api";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

register();
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { rulesYaml, dashboardJson, RULES_FILE, DASHBOARD_FILE } = await import("../harness/prometheus/files.ts");
for (const [file, text] of [[RULES_FILE, rulesYaml()], [DASHBOARD_FILE, dashboardJson()]]) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
  console.log(file);
}
