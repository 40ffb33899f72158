// Packages build/mirrorshade.wasm for Istio's WasmPlugin: an OCI image layout in
// the Wasm OCI artifact format Istio reads (config
// application/vnd.module.wasm.config.v1+json, one layer
// application/vnd.module.wasm.content.layer.v1+wasm), plus the sha256 for the
// https:// + sha256 alternative. No registry is needed to build it; push the
// layout with any OCI tool (e.g. `oras cp --from-oci-layout build/oci:0.1.0 registry/mirrorshade:0.1.0`).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, FILTER_WASM, FILTER_WASM_SHA256, OCI_DIR } from "./paths.js";

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.module.wasm.config.v1+json",
  layer: "application/vnd.module.wasm.content.layer.v1+wasm",
} as const;

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export function packageOci(opts: { wasm?: string; out?: string; tag?: string } = {}): { layout: string; wasmSha256: string; manifestDigest: string } {
  const wasmPath = opts.wasm ?? FILTER_WASM;
  const out = opts.out ?? OCI_DIR;
  const tag = opts.tag ?? (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")).version as string);
  const wasm = readFileSync(wasmPath);
  rmSync(out, { recursive: true, force: true });
  const blobs = join(out, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => {
    const d = sha256(b);
    writeFileSync(join(blobs, d), b);
    return { digest: `sha256:${d}`, size: b.length };
  };
  const layer = put(wasm);
  // Stable bytes: no timestamps, so the same module always gives the same digests.
  const config = put(Buffer.from(JSON.stringify({ created: "1970-01-01T00:00:00Z", author: "mirrorshade", platform: { architecture: "wasm", os: "wasip1" } })));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, ...config },
      layers: [{ mediaType: MEDIA.layer, ...layer, annotations: { "org.opencontainers.image.title": "plugin.wasm" } }],
    }),
  );
  const m = put(manifest);
  writeFileSync(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(out, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA.manifest, ...m, annotations: { "org.opencontainers.image.ref.name": tag } }] }),
  );
  const wasmSha256 = sha256(wasm);
  writeFileSync(FILTER_WASM_SHA256, `${wasmSha256}  mirrorshade.wasm\n`);
  return { layout: out, wasmSha256, manifestDigest: m.digest };
}
