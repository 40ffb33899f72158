// Which Envoy backends the e2e suites run against, decided once per run by the
// global setup (test/support/global-setup.ts) and read by each file with e2eBackends():
//   MIRRORSHADE_E2E_BACKENDS=process,container   exactly those;
//   otherwise "process", plus "container" when a Docker engine is reachable;
//   no engine: the container runs are skipped with one line saying how to enable
//   them, unless CI=true, where they are required and the run fails with that line.
import { existsSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import type { Backend } from "../../harness/envoy/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    e2eBackends: Backend[];
  }
}

/** The backends MIRRORSHADE_E2E_BACKENDS names, or null when it is unset. */
export function explicitBackends(env: NodeJS.ProcessEnv): Backend[] | null {
  const v = env.MIRRORSHADE_E2E_BACKENDS;
  if (!v) return null;
  return v.split(",").map((b) => b.trim()).filter((b): b is Backend => b === "process" || b === "container");
}

/** What to start, and why it matters: the one line a run without Docker prints. */
export function enableContainersHint(problem: string): string {
  return (
    `${problem}; these runs prove the filter in a container, as Istio runs it. To run them, start a Docker engine ` +
    "(`sudo dockerd --iptables=false --bridge=none &`, or set DOCKER_HOST) with TESTCONTAINERS_RYUK_DISABLED=true " +
    "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1, as .ci/run does (MIRRORSHADE_E2E_BACKENDS=process skips them quietly)"
  );
}

export interface BackendChoice {
  backends: Backend[];
  /** Printed once at the start of the run (containers skipped). */
  notice?: string;
  /** The run must fail with this (CI=true and no Docker engine). */
  error?: string;
}

/** Decides the backends; `probe` answers null when a Docker engine answers, else what is wrong. */
export async function chooseBackends(env: NodeJS.ProcessEnv, probe: () => Promise<string | null>): Promise<BackendChoice> {
  const explicit = explicitBackends(env);
  if (explicit) return { backends: explicit };
  const problem = await probe();
  if (problem === null) return { backends: ["process", "container"] };
  const hint = enableContainersHint(problem);
  if (env.CI === "true") return { backends: ["process", "container"], error: `container-backend runs required (CI=true), but ${hint}` };
  return { backends: ["process"], notice: `container-backend runs skipped: ${hint}` };
}

/** Where testcontainers looks for a Docker engine without being told (its socket strategies). */
function engineCandidates(env: NodeJS.ProcessEnv): string[] {
  const home = homedir();
  const found = [
    env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : "",
    env.TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE ? "TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE" : "",
    existsSync(join(home, ".testcontainers.properties")) ? "~/.testcontainers.properties" : "",
  ];
  const sockets = ["/var/run/docker.sock", env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "docker.sock") : "", join(home, ".docker", "run", "docker.sock"), join(home, ".docker", "desktop", "docker.sock"), `/run/user/${userInfo().uid}/docker.sock`];
  return [...found, ...sockets.filter((s) => s && existsSync(s))].filter(Boolean);
}

/** Asks testcontainers (what the container backend uses) whether an engine answers; null when one does. */
export async function probeDocker(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  // Loading testcontainers takes seconds: without any place an engine could be, the answer is known.
  if (engineCandidates(env).length === 0) return "no Docker engine reachable (no DOCKER_HOST, no /var/run/docker.sock)";
  env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return null;
  } catch (e) {
    return `no Docker engine reachable (${e instanceof Error ? e.message : String(e)})`;
  }
}

/** The backends chosen for this run (the global setup's choice; MIRRORSHADE_E2E_BACKENDS wins). */
export function e2eBackends(): Backend[] {
  return explicitBackends(process.env) ?? inject("e2eBackends") ?? ["process"];
}
