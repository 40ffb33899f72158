// Once per `vitest run`, before any test file: Envoy is installed if missing (the
// demo's way, harness/envoy/binary.ts), the e2e backends are chosen
// (test/e2e/backends.ts: containers skipped with one line without Docker, required
// with CI=true) and, when containers run, the local Envoy image is built (idempotent).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { chooseBackends, probeDocker } from "../e2e/backends.js";
import { resolveEnvoyBinary } from "../../harness/envoy/binary.js";
import { projectRoot } from "../../harness/paths.js";

export default async function setup(project: TestProject): Promise<void> {
  try {
    resolveEnvoyBinary();
  } catch (e) {
    // The unit tests need no Envoy: they run; every e2e test will fail with this reason.
    console.warn(`no Envoy for the e2e tests: ${e instanceof Error ? e.message : e}`);
  }
  const choice = await chooseBackends(process.env, () => probeDocker());
  if (choice.error) throw new Error(choice.error);
  if (choice.notice) console.warn(choice.notice);
  if (choice.backends.includes("container")) {
    execFileSync("bash", [join(projectRoot, "scripts", "build-envoy-image.sh")], { cwd: projectRoot, stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
  }
  project.provide("e2eBackends", choice.backends);
}
