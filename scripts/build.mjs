// Builds the filter: build/mirrorshade.wasm (optimized, what Envoy loads) and
// build/mirrorshade.debug.wasm (names and source map, for debugging), and the
// bench's probe modules build/probe-*.wasm (the Go and Rust SDK ones from
// scripts/build-sdk-probes.mjs; MIRRORSHADE_SKIP_SDK_PROBES=1 skips those).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGoProbes, buildRustProbes } from "./build-sdk-probes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asc = join(root, "node_modules", ".bin", "asc");
mkdirSync(join(root, "build"), { recursive: true });
for (const target of ["release", "debug"]) {
  execFileSync(asc, ["filter/index.ts", "--config", "asconfig.json", "--target", target], {
    cwd: root,
    stdio: "inherit",
  });
}
// The bench's lower-bound probes: raw proxy-wasm modules without the SDK.
// probe-simd.wasm uses Wasm SIMD (v128): the proof that Envoy's V8 runs it.
for (const probe of ["noop", "dispatch", "simd"]) {
  const simd = probe === "simd" ? ["--enable", "simd"] : [];
  execFileSync(asc, [`bench/probes/${probe}.ts`, "--config", "bench/probes/asconfig.json", "-O3", "--runtime", "incremental", "--use", "abort=", ...simd, "-o", `build/probe-${probe}.wasm`], {
    cwd: root,
    stdio: "inherit",
  });
}
if (process.env.MIRRORSHADE_SKIP_SDK_PROBES === "1") {
  console.log("build: skipping the Go and Rust SDK probes (MIRRORSHADE_SKIP_SDK_PROBES=1)");
} else {
  buildGoProbes(root);
  buildRustProbes(root);
}
