// The OCI package for Istio's WasmPlugin: a valid OCI image layout whose one
// layer is exactly build/mirrorshade.wasm, with the Wasm artifact media types
// Istio's image fetcher recognizes, and reproducible digests.
import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { packageOci, MEDIA } from "../../../harness/package-oci.js";
import { FILTER_WASM } from "../../../harness/paths.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("mirrorshade package", () => {
  const out = mkdtempSync(join(tmpdir(), "mirrorshade-oci-"));
  const r = packageOci({ out, tag: "test" });
  const blob = (digest: string) => readFileSync(join(out, "blobs", "sha256", digest.replace("sha256:", "")));

  it("writes an OCI image layout whose blobs match their digests and sizes", () => {
    expect(JSON.parse(readFileSync(join(out, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
    expect(index.manifests).toHaveLength(1);
    const ref = index.manifests[0];
    expect(ref.mediaType).toBe(MEDIA.manifest);
    expect(ref.annotations["org.opencontainers.image.ref.name"]).toBe("test");
    const manifest = blob(ref.digest);
    expect(`sha256:${sha(manifest)}`).toBe(ref.digest);
    expect(manifest.length).toBe(ref.size);
    const m = JSON.parse(manifest.toString());
    expect(m.schemaVersion).toBe(2);
    for (const d of [m.config, ...m.layers]) {
      const b = blob(d.digest);
      expect(`sha256:${sha(b)}`).toBe(d.digest);
      expect(b.length).toBe(d.size);
    }
    expect(m.config.mediaType).toBe("application/vnd.module.wasm.config.v1+json");
    expect(m.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(["application/vnd.module.wasm.content.layer.v1+wasm"]);
  });

  it("the layer is the filter Envoy loads, and its sha256 is the one for https:// urls", () => {
    const wasm = readFileSync(FILTER_WASM);
    expect(r.wasmSha256).toBe(sha(wasm));
    const m = JSON.parse(blob(r.manifestDigest).toString());
    expect(blob(m.layers[0].digest).equals(wasm)).toBe(true);
    expect(WebAssembly.validate(blob(m.layers[0].digest))).toBe(true);
  });

  it("is reproducible: the same module gives the same manifest digest", () => {
    const again = packageOci({ out: mkdtempSync(join(tmpdir(), "mirrorshade-oci-")), tag: "test" });
    expect(again.manifestDigest).toBe(r.manifestDigest);
  });
});
