// Vendors the openAPIV3Schema of the two rollout-gate CRDs mirrorshade renders
// (render --target flagger|argo) into schema/crds/, for the ajv checks in
// test/unit/harness/gates.test.ts. The CRDs come from the projects' Go modules:
//   GOFLAGS=-mod=mod go mod download -json github.com/fluxcd/flagger@v1.36.1
//   GOFLAGS=-mod=mod go mod download -json github.com/argoproj/argo-rollouts@v1.10.2
//   node scripts/vendor-crds.mjs <flagger module dir> <argo-rollouts module dir>
// Argo's AnalysisTemplate schema embeds a whole batch/v1 JobSpec for its `job`
// provider (240 KB); it is replaced by {"type": "object"} (mirrorshade renders no job).
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [flaggerDir, argoDir] = process.argv.slice(2);
if (!flaggerDir || !argoDir) throw new Error("usage: node scripts/vendor-crds.mjs <flagger module dir> <argo-rollouts module dir>");

function vendor(moduleDir, path, crdName, version, out, edit = (s) => s) {
  const text = readFileSync(join(moduleDir, path), "utf8");
  const crd = parseAllDocuments(text).map((d) => d.toJS()).find((d) => d?.metadata?.name === crdName);
  const v = crd.spec.versions.find((x) => x.name === version);
  const schema = edit(structuredClone(v.schema.openAPIV3Schema));
  const doc = {
    $comment: `openAPIV3Schema of CRD ${crdName} ${version}, from Go module ${moduleDir.split("/pkg/mod/")[1] ?? basename(moduleDir)} file ${path} (sha256 ${createHash("sha256").update(text).digest("hex")}); vendored by scripts/vendor-crds.mjs`,
    ...schema,
  };
  mkdirSync(join(root, "schema/crds"), { recursive: true });
  writeFileSync(join(root, "schema/crds", out), JSON.stringify(doc, null, 1) + "\n");
  console.log(`schema/crds/${out}`);
}

vendor(flaggerDir, "artifacts/flagger/crd.yaml", "metrictemplates.flagger.app", "v1beta1", "flagger-metrictemplate.json");
vendor(argoDir, "manifests/crds/analysis-template-crd.yaml", "analysistemplates.argoproj.io", "v1alpha1", "argo-rollouts-analysistemplate.json", (s) => {
  const p = s.properties.spec.properties.metrics.items.properties.provider.properties;
  p.job = { type: "object", description: "batch/v1 JobSpec (pruned when vendored: mirrorshade renders no job metric)", "x-kubernetes-preserve-unknown-fields": true };
  return s;
});
