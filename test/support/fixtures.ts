// Compiles an AssemblyScript test fixture (test/fixtures/NAME.ts) once per run.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, FIXTURES_BUILD_DIR } from "../../harness/paths.js";

const built = new Map<string, string>();

/** Compiled afresh once per test process: the fixture's imports (the patched SDK, filter modules) change too. */
export function compileFixture(name: string): string {
  const done = built.get(name);
  if (done) return done;
  const src = join(projectRoot, "test", "fixtures", `${name}.ts`);
  const outDir = FIXTURES_BUILD_DIR;
  const out = join(outDir, `${name}.wasm`);
  mkdirSync(outDir, { recursive: true });
  execFileSync(join(projectRoot, "node_modules", ".bin", "asc"), [src, "-o", out, "--config", join(projectRoot, "test", "fixtures", "asconfig.json"), "--runtime", "incremental", "--use", "abort=abort_proc_exit", "--debug"], {
    cwd: projectRoot,
    stdio: "pipe",
  });
  built.set(name, out);
  return out;
}
