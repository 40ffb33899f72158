// Builds the filter: build/mirrorshade.wasm (optimized, what Envoy loads) and
// build/mirrorshade.debug.wasm (names and source map, for debugging), and the
// bench's probe modules build/probe-*.wasm (the Go and Rust SDK ones from
// scripts/build-sdk-probes.mjs; MIRRORSHADE_SKIP_SDK_PROBES=1 skips those).
// asc's diagnostics pass through scripts/asc-output.mjs: json-as's own warnings
// are counted, not printed; ours and every error are printed.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DiagnosticFilter } from "./asc-output.mjs";
import { buildGoProbes, buildRustProbes } from "./build-sdk-probes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asc = join(root, "node_modules", ".bin", "asc");
const diagnostics = new DiagnosticFilter((text) => process.stderr.write(text), { verbose: process.env.MIRRORSHADE_BUILD_VERBOSE === "1" });

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(asc, args, { cwd: root, stdio: ["ignore", "inherit", "pipe"] });
    child.stderr.on("data", (d) => diagnostics.write(d));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      diagnostics.end();
      if (code === 0) resolve();
      else reject(new Error(`asc ${args[0]} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

mkdirSync(join(root, "build"), { recursive: true });
try {
  for (const target of ["release", "debug"]) {
    await run(["filter/index.ts", "--config", "asconfig.json", "--target", target]);
  }
  // The bench's lower-bound probes: raw proxy-wasm modules without the SDK.
  // probe-simd.wasm uses Wasm SIMD (v128): the proof that Envoy's V8 runs it.
  for (const probe of ["noop", "dispatch", "simd"]) {
    const simd = probe === "simd" ? ["--enable", "simd"] : [];
    await run([`bench/probes/${probe}.ts`, "--config", "bench/probes/asconfig.json", "-O3", "--runtime", "incremental", "--use", "abort=", ...simd, "-o", `build/probe-${probe}.wasm`]);
  }
  if (process.env.MIRRORSHADE_SKIP_SDK_PROBES === "1") {
    console.log("build: skipping the Go and Rust SDK probes (MIRRORSHADE_SKIP_SDK_PROBES=1)");
  } else {
    buildGoProbes(root);
    buildRustProbes(root);
  }
} catch (e) {
  console.error(`build: ${e.message}`);
  process.exitCode = 1;
} finally {
  if (diagnostics.hidden > 0) console.error(`build: ${diagnostics.hidden} warnings from json-as's own sources not shown (MIRRORSHADE_BUILD_VERBOSE=1 shows them)`);
}
