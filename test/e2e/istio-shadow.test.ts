// Real Istio, the shadow role: the VirtualService mirror that `mirrorshade render
// --target istio` writes makes the client's sidecar (Envoy, configured by istiod)
// copy each call to payments-v2 with "-shadow" appended to the Host; mirrorshade on
// payments-v2's sidecar recognizes the copy, restores the Host, tags and redacts it
// before the shadow app. The forged tag is removed before the primary by the
// VirtualService's headers.request.remove.
// Istio does not append "-shadow" by default: istiod sets the mirror policy's
// disable_shadow_host_suffix_append unless its DISABLE_SHADOW_HOST_SUFFIX is false
// (pilot/pkg/features/pilot.go, default true in 1.29 and 1.31). A copy then arrives
// looking like a direct call, and the shadow role (host_suffix or tag) lets it pass.
// The two ways the README gives, each against real istiod: istiod with its defaults and
// the policy's inbound.recognize ["all"] (every request at the shadow is a copy), and
// istiod with DISABLE_SHADOW_HOST_SUFFIX=false and the default recognize.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { wasmPluginNames } from "../../harness/istio/versions.js";
import { istiodShape, deliveredShape } from "../../harness/istio/shape.js";
import { serveModule, type ModuleServer } from "../../harness/istio/delivery.js";
import { FILTER_WASM } from "../../harness/paths.js";
import { http1 } from "./fixture.js";
import { builtReleases, example, wasmSha256, startShadowMesh, eventually, ecdsFilters, NAMESPACE, type ShadowMesh } from "./istio-lib.js";

const VARIANTS: { name: string; policy: () => object; istiodEnv: Record<string, string> }[] = [
  { name: "istiod's defaults, inbound.recognize [\"all\"]", policy: () => { const p = example("shadow") as { inbound: object }; return { ...p, inbound: { ...p.inbound, recognize: ["all"] } }; }, istiodEnv: {} },
  { name: "DISABLE_SHADOW_HOST_SUFFIX=false on istiod, default recognize", policy: () => example("shadow"), istiodEnv: { DISABLE_SHADOW_HOST_SUFFIX: "false" } },
];

for (const { release, install } of builtReleases("istio-shadow.test.ts")) for (const variant of VARIANTS) {
  describe.skipIf(!install)(`Istio ${release}: the shadow role behind Istio's own VirtualService mirror (${variant.name})`, () => {
    let m: ShadowMesh;
    let server: ModuleServer;
    let failed = false;
    const filterName = wasmPluginNames(release, NAMESPACE, "mirrorshade-shadow").filter;
    const host = `payments.${NAMESPACE}.svc.cluster.local`;

    beforeAll(async () => {
      server = await serveModule(FILTER_WASM);
      m = await startShadowMesh(install!, variant.policy(), { url: server.url, sha256: wasmSha256() }, variant.istiodEnv);
    }, 180_000);
    afterEach((ctx) => {
      if (ctx.task.result?.state === "fail") failed = true;
    });
    afterAll(async () => {
      if (failed && m) console.error(m.mesh.logs());
      await m?.stop();
      await server?.close();
    }, 60_000);

    it("istiod's delivery: the shape istio-shaped.test.ts runs, and the mirror policy's Host suffix setting", async () => {
      const filters = await eventually(async () => {
        const f = await ecdsFilters(m.mesh, "payments-v2-0");
        return (f.get(filterName) as { config?: unknown } | undefined)?.config ? f : undefined;
      }, async () => JSON.stringify(Object.fromEntries(await ecdsFilters(m.mesh, "payments-v2-0"))));
      expect(deliveredShape(filterName, filters.get(filterName) as never)).toEqual(istiodShape(release, m.manifests).shape);
      // The client's route to payments: Envoy's own mirror to payments-v2, "-shadow" appended only with DISABLE_SHADOW_HOST_SUFFIX=false.
      const routes = JSON.stringify((await m.mesh.agents.get("client-0")!.configDump("dynamic_route_configs")).configs);
      const policy = JSON.parse(routes.match(/"request_mirror_policies":(\[[^\]]*\])/)?.[1] ?? "null") as { cluster: string; disable_shadow_host_suffix_append?: boolean }[] | null;
      expect(policy, routes.slice(0, 2000)).not.toBeNull();
      expect(policy![0].cluster).toBe(`outbound|${m.port}||payments-v2.${NAMESPACE}.svc.cluster.local`);
      expect(policy![0].disable_shadow_host_suffix_append ?? false).toBe(variant.istiodEnv.DISABLE_SHADOW_HOST_SUFFIX !== "false");
    });

    it("the copy reaches payments-v2 with its Host restored, tagged and redacted; the primary gets the call unchanged, without the forged tag", async () => {
      await eventually(async () => ((await ecdsFilters(m.mesh, "payments-v2-0")).get(filterName) as { config?: unknown } | undefined)?.config, async () => JSON.stringify(Object.fromEntries(await ecdsFilters(m.mesh, "payments-v2-0"))));
      const body = '{"card":{"number":"4111111111111111","cvv":"123"}}';
      const r = await http1(`${m.clientUrl}/orders`, {
        method: "POST",
        headers: { host: `${host}:${m.port}`, authorization: "Bearer t", "content-type": "application/json", "x-shadow-request": "forged" },
        body,
      });
      expect(r.status).toBe(200);
      const [primary] = await m.app.waitFor(1);
      expect(m.app.header(primary, "x-shadow-request")).toBeUndefined();
      expect(m.app.header(primary, "authorization")).toBe("Bearer t");
      expect(primary.body.toString()).toBe(body);
      const [copy] = await m.shadowApp.waitFor(1);
      expect(m.shadowApp.header(copy, "host")).toBe(`${host}:${m.port}`);
      expect(m.shadowApp.header(copy, "authorization")).toBeUndefined();
      expect(m.shadowApp.header(copy, "x-shadow-request")).toBe("true");
      expect(JSON.parse(copy.body.toString()).card).toEqual({ number: "****************", cvv: "***" });
    });
  });
}
