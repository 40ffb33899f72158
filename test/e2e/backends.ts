// Which Envoy backends the e2e suites run against. Both by default; CI always runs
// both. MIRRORSHADE_E2E_BACKENDS=process limits a local run to the process backend.
import type { Backend } from "../../harness/envoy/index.js";

export function e2eBackends(): Backend[] {
  const env = process.env.MIRRORSHADE_E2E_BACKENDS;
  if (!env) return ["process", "container"];
  return env.split(",").map((b) => b.trim()).filter((b): b is Backend => b === "process" || b === "container");
}
