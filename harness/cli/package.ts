// `mirrorshade package`: the OCI image layout and the sha256 of the module, for
// Istio's WasmPlugin (the logic is harness/package-oci.ts).
import { packageOci } from "../package-oci.js";
import { requireWasm } from "../validate.js";

export function packageCommand(): number {
  requireWasm();
  const r = packageOci();
  console.log(`OCI image layout: ${r.layout} (manifest ${r.manifestDigest})`);
  console.log(`sha256 of build/mirrorshade.wasm: ${r.wasmSha256}`);
  return 0;
}
