// The project root and every build artifact the harness, the CLI and the tests
// read, named once. scripts/build.mjs and asconfig.json write them.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is harness/paths.ts). */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** build/, where `npm run build` writes; bind-mounted into Envoy containers so they can read the module. */
export const BUILD_DIR = join(projectRoot, "build");

/** The filter path relative to the project root, as written into rendered Envoy configs. */
export const FILTER_WASM_RELATIVE = "build/mirrorshade.wasm";

/** The optimized filter module, what Envoy loads. */
export const FILTER_WASM = join(projectRoot, FILTER_WASM_RELATIVE);

/** The debug build of the filter (names and source map). */
export const FILTER_DEBUG_WASM = join(BUILD_DIR, "mirrorshade.debug.wasm");

/** The sha256 file `mirrorshade package` writes next to the module. */
export const FILTER_WASM_SHA256 = `${FILTER_WASM}.sha256`;

/** The bench's lower-bound probe modules (bench/probes/<name>.ts), e.g. probeWasm("noop"). */
export const probeWasm = (name: string): string => join(BUILD_DIR, `probe-${name}.wasm`);

/** The OCI image layout `mirrorshade package` writes. */
export const OCI_DIR = join(BUILD_DIR, "oci");

/** Test fixtures compiled from test/fixtures/*.ts. */
export const FIXTURES_BUILD_DIR = join(BUILD_DIR, "fixtures");

/** The policy JSON Schema (scripts/gen-schema.mjs writes it). */
export const POLICY_SCHEMA = join(projectRoot, "schema", "policy.schema.json");
