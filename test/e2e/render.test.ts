// `mirrorshade render` keeps envoy/ and istio/ current, and what it writes is
// valid: Istio manifests against Istio's schemas (@kubernetes-models/istio);
// Envoy configs by envoy --mode validate (configs.test.ts).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { WasmPlugin } from "@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import { ServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry";
import { Sidecar } from "@kubernetes-models/istio/networking.istio.io/v1/Sidecar";
import { renderEnvoy, renderIstioYaml, renderIstio, RenderError, DEFAULTS } from "../../harness/render.js";
import { projectRoot } from "../../harness/paths.js";

const example = (role: string) => JSON.parse(readFileSync(join(projectRoot, "examples", `${role}.json`), "utf8"));
const file = (dir: string, role: string) => readFileSync(join(projectRoot, dir, `${role}.yaml`), "utf8");
const MODELS: Record<string, new (data: never) => { validate(): void }> = { WasmPlugin, VirtualService, DestinationRule, ServiceEntry, Sidecar };

describe.each(["mirror", "upstream", "shadow", "egress-guard"])("role %s", (role) => {
  it("envoy/<role>.yaml is the current render of examples/<role>.json", () => {
    expect(file("envoy", role)).toBe(renderEnvoy(example(role)));
  });

  if (role === "upstream") {
    it("has no Istio WasmPlugin placement, and render says so", () => {
      expect(() => renderIstio(example(role))).toThrow(RenderError);
      expect(() => renderIstio(example(role))).toThrow(/WasmPlugin cannot add upstream/);
    });
    return;
  }

  it("istio/<role>.yaml is the current render, and every manifest validates against Istio's schema", () => {
    const text = file("istio", role);
    expect(text).toBe(renderIstioYaml(example(role)));
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    expect(docs.length).toBeGreaterThan(1);
    for (const doc of docs) {
      const Model = MODELS[doc.kind];
      expect(Model, doc.kind).toBeDefined();
      expect(() => new Model(doc as never).validate()).not.toThrow();
    }
    const plugin = docs.find((d) => d.kind === "WasmPlugin");
    expect(plugin.spec.pluginName).toBe("mirrorshade");
    expect(plugin.spec.failStrategy).toBe(role === "egress-guard" ? "FAIL_CLOSE" : "FAIL_OPEN");
  });
});

describe("istio specifics", () => {
  it("the mirror role's shadow cluster takes Istio's outbound|PORT||HOST form", () => {
    const plugin = renderIstio(example("mirror"), { ...DEFAULTS, namespace: "shop", shadowService: "payments-v2", port: 9090 }).find((m) => m.kind === "WasmPlugin")!;
    expect((plugin.spec.pluginConfig as { shadow: { cluster: string } }).shadow.cluster).toBe("outbound|9090||payments-v2.shop.svc.cluster.local");
  });

  it("the hash key reaches the VM from the sidecar's environment", () => {
    const plugin = renderIstio(example("mirror")).find((m) => m.kind === "WasmPlugin")!;
    expect(plugin.spec.vmConfig).toEqual({ env: [{ name: "MIRRORSHADE_HASH_KEY", valueFrom: "HOST" }] });
  });

  it("the shadow role comes with the VirtualService mirror and its percentage", () => {
    const vs = renderIstio(example("shadow"), { ...DEFAULTS, mirrorPercent: 12.5 }).find((m) => m.kind === "VirtualService")!;
    const http = (vs.spec.http as { mirror: { host: string }; mirrorPercentage: { value: number } }[])[0];
    expect(http.mirror.host).toBe("payments-v2.default.svc.cluster.local");
    expect(http.mirrorPercentage.value).toBe(12.5);
  });

  it("an invalid manifest would be caught by the schema check", () => {
    const bad = { ...renderIstio(example("egress-guard"))[0] };
    bad.spec = { ...bad.spec, failStrategy: "SOMETIMES" };
    expect(() => new WasmPlugin(bad as never).validate()).toThrow();
  });
});
