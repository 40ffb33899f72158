// `mirrorshade package`: the OCI image layout and the sha256 of the module, for
// Istio's WasmPlugin (the logic is harness/package-oci.ts).
import type { Command } from "commander";
import { action } from "./command.js";

export function register(program: Command): void {
  program
    .command("package")
    .summary("write build/oci (the OCI image istio-agent pulls) and the module's sha256, for Istio's WasmPlugin")
    .description(
      "Write build/oci, an OCI image layout with one tar+gzip layer holding plugin.wasm (the layout istio-agent pulls for WasmPlugin url: oci://...; sha256 is then the manifest digest), and print the sha256 of build/mirrorshade.wasm (for url: http(s)://...). Needs `npm run build` first.",
    )
    .action(
      action(async () => {
        const { requireWasm } = await import("../validate.js");
        requireWasm();
        const { packageOci } = await import("../package-oci.js");
        const r = packageOci();
        console.log(`OCI image layout: ${r.layout} (manifest ${r.manifestDigest})`);
        console.log(`sha256 of build/mirrorshade.wasm: ${r.wasmSha256}`);
        return 0;
      }),
    );
}
