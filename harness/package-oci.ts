// Packages build/mirrorshade.wasm for Istio's WasmPlugin: an OCI image layout in
// the "compat" variant Istio's image fetcher reads (pkg/wasm/imagefetcher.go,
// extractOCIStandardImage): a standard OCI image whose one layer
// (application/vnd.oci.image.layer.v1.tar+gzip) is a tar.gz holding plugin.wasm,
// plus the sha256 for the https:// + sha256 alternative. Not the Wasm artifact
// variant (application/vnd.module.wasm.content.layer.v1+wasm): Istio 1.29 and 1.31
// refuse it unless it has exactly two layers ("number of layers must be 2"), found
// by pulling from a real registry (test/e2e/istio-mesh.test.ts). No registry is
// needed to build it; push the layout with any OCI client (e.g. `skopeo copy
// oci:build/oci:0.1.0 docker://registry/mirrorshade:0.1.0`).
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, FILTER_WASM, FILTER_WASM_SHA256, OCI_DIR } from "./paths.js";

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** The file name Istio looks for in the layer (pkg/wasm/imagefetcher.go extractWasmPluginBinary). */
export const PLUGIN_FILE = "plugin.wasm";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A ustar archive of one regular file, with fixed owner, mode and time (reproducible). */
export function tarOne(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512);
  const field = (off: number, len: number, s: string) => h.write(s, off, len, "ascii");
  const octal = (off: number, len: number, n: number) => field(off, len, n.toString(8).padStart(len - 1, "0") + "\0");
  field(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, data.length);
  octal(136, 12, 0);
  h.fill(" ", 148, 156);
  field(156, 1, "0");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}

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
  const tar = tarOne(PLUGIN_FILE, wasm);
  // gzip's header carries no time or name here (Node writes mtime 0): the same module gives the same bytes.
  const layer = put(gzipSync(tar, { level: 9 }));
  const config = put(
    Buffer.from(
      JSON.stringify({
        created: "1970-01-01T00:00:00Z",
        author: "mirrorshade",
        architecture: "wasm",
        os: "wasip1",
        config: {},
        rootfs: { type: "layers", diff_ids: [`sha256:${sha256(tar)}`] },
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, ...config },
      layers: [{ mediaType: MEDIA.layer, ...layer }],
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
