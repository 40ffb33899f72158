// The OCI package for Istio's WasmPlugin: a valid OCI image layout whose one
// layer is a tar.gz holding exactly build/mirrorshade.wasm as plugin.wasm (the
// "compat" variant Istio's image fetcher reads), and reproducible digests.
import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { readFileSync, mkdtempSync } from "node:fs";
import { gunzipSync } from "node:zlib";
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
    expect(m.config.mediaType).toBe("application/vnd.oci.image.config.v1+json");
    expect(m.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(["application/vnd.oci.image.layer.v1.tar+gzip"]);
    // The config's diff_ids name the uncompressed layer.
    const config = JSON.parse(blob(m.config.digest).toString());
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha(gunzipSync(blob(m.layers[0].digest)))}`]);
  });

  it("the layer holds plugin.wasm, the filter Envoy loads, and its sha256 is the one for https:// urls", () => {
    const wasm = readFileSync(FILTER_WASM);
    expect(r.wasmSha256).toBe(sha(wasm));
    const m = JSON.parse(blob(r.manifestDigest).toString());
    const tar = gunzipSync(blob(m.layers[0].digest));
    // One ustar entry: the name, then the size in octal at 124, the data from 512.
    expect(tar.subarray(0, 100).toString("latin1").replace(/\0+$/, "")).toBe("plugin.wasm");
    expect(tar.subarray(257, 262).toString("latin1")).toBe("ustar");
    const size = parseInt(tar.subarray(124, 135).toString("latin1"), 8);
    expect(size).toBe(wasm.length);
    expect(tar.subarray(512, 512 + size).equals(wasm)).toBe(true);
    // The header checksum: the sum of the header's bytes with the checksum field as spaces.
    const h = Buffer.from(tar.subarray(0, 512));
    const stored = parseInt(h.subarray(148, 154).toString("latin1"), 8);
    h.fill(" ", 148, 156);
    expect(stored).toBe(h.reduce((a, b) => a + b, 0));
    expect(WebAssembly.validate(tar.subarray(512, 512 + size))).toBe(true);
  });

  it("is reproducible: the same module gives the same manifest digest", () => {
    const again = packageOci({ out: mkdtempSync(join(tmpdir(), "mirrorshade-oci-")), tag: "test" });
    expect(again.manifestDigest).toBe(r.manifestDigest);
  });
});
