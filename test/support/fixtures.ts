// Compiles an AssemblyScript test fixture (test/fixtures/NAME.ts) once per run.
import { execFileSync } from "node:child_process";
import { mkdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../harness/envoy-binary.js";

export function compileFixture(name: string): string {
  const src = join(projectRoot, "test", "fixtures", `${name}.ts`);
  const outDir = join(projectRoot, "build", "fixtures");
  const out = join(outDir, `${name}.wasm`);
  mkdirSync(outDir, { recursive: true });
  if (existsSync(out) && statSync(out).mtimeMs > statSync(src).mtimeMs) return out;
  execFileSync(join(projectRoot, "node_modules", ".bin", "asc"), [src, "-o", out, "--config", join(projectRoot, "test", "fixtures", "asconfig.json"), "--runtime", "incremental", "--use", "abort=abort_proc_exit", "--debug"], {
    cwd: projectRoot,
    stdio: "pipe",
  });
  return out;
}
