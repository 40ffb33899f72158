// One source of truth for defaults: filter/policy/defaults.ts. The filter's
// parsers read it, scripts/gen-schema.mjs writes its values into the schema
// (schema.test.ts checks the schema is current), and the README's policy
// tables must say the same: every field row there whose default
// defaults.ts defines shows that value.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../../harness/paths.js";
// @ts-expect-error: a plain .mjs script without types
import { readDefaults } from "../../../scripts/gen-schema.mjs";

type Default = { field: string; type: string; value: string | number | boolean };
const defaults = readDefaults() as Map<string, Default>;

/** README table rows: first cell a single `field`, second cell its default. */
function readmeRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(join(projectRoot, "README.md"), "utf8").split("\n")) {
    const m = /^\| `([a-z_.\[\]]+)` \| ([^|]+) \|/.exec(line);
    if (m) rows.set(m[1], m[2].trim());
  }
  return rows;
}

const spelled = (v: string | number | boolean) =>
  typeof v === "string" ? [`\`${v}\``, `\`"${v}"\``] : typeof v === "boolean" ? [`\`${v}\``, String(v)] : [String(v), v.toLocaleString("en-US")];

describe("defaults", () => {
  const rows = readmeRows();
  // The defaults proper (not the _MIN/_MAX bounds).
  const documented = [...defaults].filter(([name, d]) => !/_(MIN|MAX)(_LENGTH|_BYTES)?$|_RESERVED(_PREFIXES)?$/.test(name) && rows.has(d.field));

  it("the README documents the defaults of the main fields", () => {
    expect(documented.map(([, d]) => d.field)).toEqual(expect.arrayContaining(["shadow.timeout_ms", "shadow.max_body_bytes", "shadow.max_inflight", "shadow.on_body_too_large", "shadow.body_dropped_header"]));
  });

  it.each(documented.map(([name, d]) => [d.field, name, d] as const))("README's %s says %s", (field, _name, d) => {
    const cell = rows.get(field)!;
    expect(spelled(d.value).some((s) => cell.includes(s)), `${field}: README says ${cell}, defaults.ts says ${JSON.stringify(d.value)}`).toBe(true);
  });
});
