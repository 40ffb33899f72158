// Real Istio, the egress guard: `mirrorshade render --target istio` for the egress-guard
// role writes a WasmPlugin (mode CLIENT, phase AUTHN, FAIL_CLOSE) on the shadow workload,
// a ServiceEntry for the side-effect destination (the payment gateway, http on 80 with
// TLS origination to 443) and a Sidecar with outboundTrafficPolicy REGISTRY_ONLY. On the
// shadow's outbound sidecar (configured by istiod, or test/istio-xds from 1.30) a tagged
// call to the gateway gets the stub and never enters the gateway's cluster; an untagged
// one does; an unregistered host is refused by REGISTRY_ONLY.
// The gateway's host (api.payments.example) does not resolve: an untagged call enters
// its cluster and fails there (503), which Envoy's cluster counters show.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { wasmPluginNames } from "../../harness/istio/versions.js";
import { istiodShape, deliveredShape } from "../../harness/istio/shape.js";
import { serveModule, type ModuleServer } from "../../harness/istio/delivery.js";
import { startMesh, type Mesh, type Manifest } from "../../harness/istio/mesh.js";
import { renderIstio, DEFAULTS } from "../../harness/render.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { freePort } from "../../harness/net/ports.js";
import { FILTER_WASM } from "../../harness/paths.js";
import { http1, S } from "./fixture.js";
import { builtReleases, example, wasmSha256, addressBlock, eventually, ecdsFilters, NAMESPACE } from "./istio-lib.js";

const SHADOW = "payments-v2-0";
const GATEWAY = DEFAULTS.guardedHosts[0];
// Istio names the cluster's stats by its alt_stat_name, the cluster name and ";".
const CLUSTER_STATS = `cluster.outbound|80||${GATEWAY};`;

for (const { release, install } of builtReleases("istio-egress.test.ts")) {
  describe.skipIf(!install)(`Istio ${release}: the egress guard on the shadow's outbound sidecar, REGISTRY_ONLY`, () => {
    let mesh: Mesh;
    let app: RecordingUpstream;
    let server: ModuleServer;
    let outbound: string;
    let manifests: Manifest[];
    let failed = false;
    const names = wasmPluginNames(release, NAMESPACE, "mirrorshade-egress-guard");
    const stats = async () => mesh.agents.get(SHADOW)!.stats();
    /** What the shadow app's own call to the gateway looks like at its sidecar. */
    const charge = (host: string, extra: Record<string, string> = {}) =>
      http1(`http://${outbound}:80/v1/charges`, { method: "POST", headers: { host, "content-type": "application/json", ...extra }, body: '{"amount":100}' });
    const gatewayTraffic = async () => {
      const s = await stats();
      if (![...s.keys()].some((k) => k.startsWith(CLUSTER_STATS))) throw new Error(`no ${CLUSTER_STATS} stats`);
      return ["upstream_rq_total", "upstream_cx_total", "upstream_cx_none_healthy"].reduce((n, k) => n + (s.get(`${CLUSTER_STATS}.${k}`) ?? 0), 0);
    };

    beforeAll(async () => {
      server = await serveModule(FILTER_WASM);
      app = await startRecordingUpstream("payments-v2");
      const ip = addressBlock();
      outbound = ip(13);
      const port = await freePort();
      manifests = renderIstio(example("egress-guard"), { ...DEFAULTS, namespace: NAMESPACE, service: "payments", shadowService: "payments-v2", port, url: server.url, sha256: wasmSha256() }) as Manifest[];
      mesh = await startMesh(install!, {
        namespace: NAMESPACE,
        servicePort: port,
        manifests,
        workloads: [{ name: SHADOW, app: "payments-v2", ip: ip(3), outboundIp: outbound, appPort: app.port }],
      });
    }, 180_000);
    afterEach((ctx) => {
      if (ctx.task.result?.state === "fail") failed = true;
    });
    afterAll(async () => {
      if (failed && mesh) console.error(mesh.logs());
      await mesh?.stop();
      await app?.close();
      await server?.close();
    }, 60_000);

    it("the guard runs first on the outbound listener of the gateway's port, failing closed", async () => {
      const filters = await eventually(async () => {
        const f = await ecdsFilters(mesh, SHADOW);
        return (f.get(names.filter) as { config?: unknown } | undefined)?.config ? f : undefined;
      }, async () => JSON.stringify(Object.fromEntries(await ecdsFilters(mesh, SHADOW))));
      const cfg = (filters.get(names.filter) as { config: { name: string; failure_policy?: string; configuration: { value: string } } }).config;
      expect(cfg.name).toBe(names.plugin);
      expect(deliveredShape(names.filter, filters.get(names.filter) as never)).toEqual(istiodShape(release, manifests).shape);
      expect(cfg.failure_policy).toBe("FAIL_CLOSED");
      expect(JSON.parse(cfg.configuration.value).role).toBe("egress-guard");
      // The listener on <outbound>:80: phase AUTHN puts the guard before the router and every other filter istiod adds.
      const dump = await mesh.agents.get(SHADOW)!.configDump("dynamic_listeners");
      const listener = (dump.configs as { name?: string; active_state?: { listener: Record<string, unknown> } }[]).find((c) => c.name === `${outbound}_80`);
      expect(listener, JSON.stringify(dump.configs.map((c) => c.name))).toBeDefined();
      const chains = (listener!.active_state!.listener as { filter_chains: { filters: { name: string; typed_config: { http_filters?: { name: string }[] } }[] }[] }).filter_chains;
      const httpFilters = chains.flatMap((c) => c.filters).find((f) => f.name === "envoy.filters.network.http_connection_manager")!.typed_config.http_filters!.map((f) => f.name);
      expect(httpFilters[0]).toBe(names.filter);
      expect(httpFilters.at(-1)).toBe("envoy.filters.http.router");
    });

    it("a tagged call to the payment ServiceEntry gets the stub; nothing enters the gateway's cluster", async () => {
      const before = await gatewayTraffic();
      const blocked = (await stats()).get(S("guard.blocked")) ?? 0;
      for (const tag of [{ "x-shadow-request": "true" }, { baggage: "mirrorshade.shadow=true" }] as Record<string, string>[]) {
        const r = await charge(GATEWAY, tag);
        expect(r.status).toBe(200);
        expect(r.headers["x-mirrorshade-guard"]).toBe("blocked");
        expect(JSON.parse(r.body.toString())).toEqual({ id: "ch_shadow", status: "succeeded" });
      }
      expect((await stats()).get(S("guard.blocked"))).toBe(blocked + 2);
      expect(await gatewayTraffic()).toBe(before);
    });

    it("an untagged call passes the guard into the gateway's cluster (unresolvable here: 503)", async () => {
      const before = await gatewayTraffic();
      const r = await charge(GATEWAY);
      expect(r.headers["x-mirrorshade-guard"]).toBeUndefined();
      expect(r.status).toBe(503);
      expect(await gatewayTraffic()).toBeGreaterThan(before);
      expect((await stats()).get(S("guard.untagged")) ?? 0).toBeGreaterThan(0);
    });

    it("REGISTRY_ONLY: a host no ServiceEntry registers is refused by the sidecar (502), tagged or not", async () => {
      for (const tag of [{}, { "x-shadow-request": "true" }] as Record<string, string>[]) {
        const r = await charge("api.unregistered.example", tag);
        expect(r.status).toBe(502);
        expect(r.headers["x-mirrorshade-guard"]).toBeUndefined();
      }
    });
  });
}
