// The Istio lines and candidate builds the tests run against (scripts/istio-versions.txt,
// also read by scripts/install-istio.sh), where that script put each one's binaries, and
// which candidates the Go module proxy refused (.istio/refused/<label>, written by it).
import { existsSync, readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { projectRoot } from "../paths.js";

export interface IstioRelease {
  /** The Istio line, e.g. "1.30". */
  line: string;
  /** The candidate's label, e.g. "1.29.2" (a tag) or "1.30.4-dev+9739e10" (a release-branch commit). */
  release: string;
  /** The istio.io/istio module version (a pseudo-version: Istio's tags have no "v"). */
  module: string;
}

export interface IstioInstall extends IstioRelease {
  discovery: string;
  agent: string;
  /** The agent's Envoy bootstrap template, copied from the same module. */
  bootstrapTemplate: string;
  /** test/istio-xds built against this release (1.30+, whose file config ignores WasmPlugin). */
  xds?: string;
}

/** One Istio line and what the tests run for it. */
export interface IstioLine {
  line: string;
  /** Candidates in preference order. */
  candidates: IstioRelease[];
  /** The first candidate built, or null. */
  install: IstioInstall | null;
  /** Per candidate the proxy refused when scripts/install-istio.sh last asked: its recorded answer. */
  refused: Map<string, string>;
}

export const VERSIONS_FILE = join(projectRoot, "scripts", "istio-versions.txt");
export const INSTALL_COMMAND = "bash scripts/install-istio.sh";
const ISTIO_DIR = join(projectRoot, ".istio");
const XDS_SOURCE = join(projectRoot, "test", "istio-xds", "main.go");

/** Every candidate, in file order. */
export function istioReleases(): IstioRelease[] {
  return readFileSync(VERSIONS_FILE, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [line, release, module] = l.split(/\s+/);
      if (!module || !atLeast(release, Number(line.split(".")[0]), Number(line.split(".")[1])) || !release.startsWith(`${line}.`)) {
        throw new Error(`${VERSIONS_FILE}: "${l}" is not <line> <label of that line> <module version> [flags]`);
      }
      return { line, release, module };
    });
}

/** The lines of scripts/istio-versions.txt, each with its first built candidate and the proxy's refusals. */
export function istioLines(): IstioLine[] {
  const lines = new Map<string, IstioRelease[]>();
  for (const r of istioReleases()) lines.set(r.line, [...(lines.get(r.line) ?? []), r]);
  return [...lines].map(([line, candidates]) => {
    const refused = new Map<string, string>();
    for (const c of candidates) {
      const f = join(ISTIO_DIR, "refused", c.release);
      if (existsSync(f)) refused.set(c.release, readFileSync(f, "utf8").trim());
    }
    const install = candidates.map(istioInstall).find((i) => i !== null) ?? null;
    return { line, candidates, install, refused };
  });
}

/**
 * What the tests do with the lines: one skip line per line without a built candidate,
 * naming why (every candidate refused by the Go module proxy, with its answers; or not
 * built, with the install command). Under CI (.ci/run builds every line) a line with a
 * candidate the proxy did not refuse must be built, and at least one 1.30+ release must
 * run: errors, not skips.
 */
export function istioPlan(lines: IstioLine[], ci: boolean, installCommand: string): { skips: string[]; errors: string[] } {
  const skips: string[] = [];
  const errors: string[] = [];
  for (const l of lines.filter((l) => !l.install)) {
    const install = `\`${installCommand} ${l.line}\``;
    if (l.candidates.every((c) => l.refused.has(c.release))) {
      const answers = [...l.refused].map(([label, answer]) => `${label}: ${answer}`).join("; ");
      skips.push(`${ci ? "WARNING: " : ""}skipping Istio ${l.line}: every candidate refused by the module proxy (${answers}); retry with ${install}`);
    } else {
      skips.push(`skipping Istio ${l.line} (${l.candidates.map((c) => c.release).join(", ")}): not built (run ${install})`);
      if (ci) errors.push(`Istio ${l.line} not built under CI=true (run ${install})`);
    }
  }
  if (ci && !lines.some((l) => l.install && atLeast(l.install.release, 1, 30))) errors.push("no Istio 1.30+ release built under CI=true");
  return { skips, errors };
}

/** Whether a release is at least major.minor (e.g. atLeast("1.30.4-dev+9739e10", 1, 30)). */
export function atLeast(release: string, major: number, minor: number): boolean {
  const [a, b] = release.split(".").map((p) => parseInt(p, 10));
  return a > major || (a === major && b >= minor);
}

/** The built binaries of a release, or null when scripts/install-istio.sh has not built them. */
export function istioInstall(r: IstioRelease): IstioInstall | null {
  const dir = join(ISTIO_DIR, r.release);
  const found: IstioInstall = {
    ...r,
    discovery: join(dir, "bin", "pilot-discovery"),
    agent: join(dir, "bin", "pilot-agent"),
    bootstrapTemplate: join(dir, "envoy_bootstrap_tmpl.json"),
  };
  if (atLeast(r.release, 1, 30)) found.xds = join(dir, "bin", "istio-xds");
  const stamp = join(dir, "module-version");
  const xdsStamp = join(dir, "istio-xds.sha256");
  const built = [found.discovery, found.agent, found.bootstrapTemplate, stamp, ...(found.xds ? [found.xds, xdsStamp] : [])].every(existsSync) && readFileSync(stamp, "utf8").trim() === r.module;
  // istio-xds built from another test/istio-xds/main.go than today's is not this release's.
  const xdsCurrent = () => !found.xds || readFileSync(xdsStamp, "utf8").trim() === createHash("sha256").update(readFileSync(XDS_SOURCE)).digest("hex");
  return built && xdsCurrent() ? found : null;
}

/**
 * The ECDS resource (HTTP filter) name istiod gives a WasmPlugin, and its PluginConfig
 * name: up to 1.29 extensions.istio.io/wasmplugin/<ns>.<name> and <ns>.<name>; from 1.30
 * the WasmPlugin is translated into a TrafficExtension named <name>~istio-translated-wasmplugin
 * (pilot/pkg/config/kube/extensions/translate.go), under extensions.istio.io/trafficextension/.
 */
export function wasmPluginNames(release: string, namespace: string, name: string): { filter: string; plugin: string } {
  if (!atLeast(release, 1, 30)) return { filter: `extensions.istio.io/wasmplugin/${namespace}.${name}`, plugin: `${namespace}.${name}` };
  const plugin = `${namespace}.${name}~istio-translated-wasmplugin`;
  return { filter: `extensions.istio.io/trafficextension/${plugin}`, plugin };
}
