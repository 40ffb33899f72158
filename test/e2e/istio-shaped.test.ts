// The rendered Istio manifests, run in plain Envoy shaped the way istiod delivers
// them (harness/istio/shape.ts; test/e2e/istio-mesh, istio-shadow and istio-egress
// compare that shape with the ECDS config real istiod 1.29.2 and test/istio-xds on
// 1.30 and 1.31 delivered): each WasmPlugin becomes an HTTP filter named
// extensions.istio.io/wasmplugin/<ns>.<name> (up to 1.29) or
// extensions.istio.io/trafficextension/<ns>.<name>~istio-translated-wasmplugin (1.30+),
// with that PluginConfig name, root_id = pluginName, no vm_id, vmConfig.env HOST
// as host_env_keys and the pluginConfig as JSON in a StringValue, on the
// inbound (mode SERVER) or outbound (mode CLIENT) listener; the mirror role's
// shadow cluster has Istio's outbound|PORT||HOST name; VirtualService mirrors
// are Envoy's native mirroring, which appends "-shadow" to the Host as istiod has it
// with DISABLE_SHADOW_HOST_SUFFIX=false (its default sets disable_shadow_host_suffix_append;
// test/e2e/istio-shadow.test.ts reads both from the real route config).
import { describe, it, expect, afterEach } from "vitest";
import { join } from "node:path";
import { renderIstio, DEFAULTS, type RenderOptions } from "../../harness/render.js";
import { startEnvoyOnFreePorts } from "../../harness/envoy/index.js";
import { buildBootstrap, type WasmFilterSpec } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { projectRoot } from "../../harness/paths.js";
import { http1, WASM, S } from "./fixture.js";
import { readFileSync } from "node:fs";
import { istiodShape } from "../../harness/istio/shape.js";
import { istioReleases } from "../../harness/istio/versions.js";

const OPTS: RenderOptions = { ...DEFAULTS, namespace: "shop", service: "payments", shadowService: "payments-v2", port: 8080 };
const example = (role: string) => JSON.parse(readFileSync(join(projectRoot, "examples", `${role}.json`), "utf8"));

/**
 * What istiod generates for one WasmPlugin (harness/istio/shape.ts), as an Envoy HTTP
 * filter, with the names of the newest Istio line; the real-Istio tests check the same
 * shape against what istiod or test/istio-xds delivers on every built release.
 */
const SHAPE_OF = istioReleases().at(-1)!.release;
function istiodFilter(manifests: ReturnType<typeof renderIstio>): { spec: WasmFilterSpec; mode: string } {
  const { shape, mode } = istiodShape(SHAPE_OF, manifests);
  return { mode, spec: { ...shape, wasmPath: WASM } };
}

describe("rendered Istio manifests in Envoy, shaped as istiod delivers them", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  const upstream = async (name: string): Promise<RecordingUpstream> => {
    const u = await startRecordingUpstream(name);
    cleanup.push(() => u.close());
    return u;
  };
  const envoy = async (build: (admin: number, port: number) => object) => {
    // The sidecar's environment, where the hash key lives (e.g. from a Secret).
    const { envoy: e, listenerPort: port } = await startEnvoyOnFreePorts(build, { mounts: [join(projectRoot, "build")], env: { MIRRORSHADE_HASH_KEY: "istio-shaped-test-key-0123456789" } });
    cleanup.push(() => e.stop());
    return { e, port };
  };

  it("mirror: the payments sidecar's inbound listener sends the copy to outbound|8080||payments-v2.shop.svc.cluster.local", async () => {
    const { spec, mode } = istiodFilter(renderIstio(example("mirror"), OPTS));
    expect(mode).toBe("SERVER");
    expect(JSON.parse(spec.configuration as string).shadow.cluster).toBe("outbound|8080||payments-v2.shop.svc.cluster.local");
    const app = await upstream("payments");
    const v2 = await upstream("payments-v2");
    const { e, port } = await envoy((admin, listener) =>
      buildBootstrap({
        adminPort: admin,
        listenerPort: listener,
        listenerName: "virtualInbound",
        primary: { name: "inbound|8080||", port: app.port },
        extraClusters: [{ name: "outbound|8080||payments-v2.shop.svc.cluster.local", port: v2.port }],
        wasm: spec,
      }),
    );
    // examples/mirror.json samples 10% of users by x-user-id: find users in and out.
    for (let i = 0; i < 40; i++) await http1(`http://127.0.0.1:${port}/pay`, { method: "POST", headers: { "content-type": "application/json", "x-user-id": `u${i}`, authorization: "Bearer t" }, body: '{"password":"pw"}' });
    await new Promise((r) => setTimeout(r, 300));
    expect(app.requests).toHaveLength(40);
    const stats = await e.stats();
    expect(stats.get(S("select.selected"))).toBe(v2.requests.length);
    expect(v2.requests.length).toBeGreaterThan(0);
    expect(v2.requests.length).toBeLessThan(20);
    for (const r of v2.requests) {
      expect(v2.header(r, "authorization")).toBeUndefined();
      expect(JSON.parse(r.body.toString()).password).toBe("**");
      expect(v2.header(r, "baggage")).toBe("mirrorshade.shadow=true");
    }
  }, 60_000);

  it("shadow + egress guard: Istio mirrors natively to payments-v2, whose inbound filter scrubs the copy and whose outbound filter stubs its charge", async () => {
    const shadowFilter = istiodFilter(renderIstio(example("shadow"), OPTS));
    const guardFilter = istiodFilter(renderIstio(example("egress-guard"), OPTS));
    expect(shadowFilter.mode).toBe("SERVER");
    expect(guardFilter.mode).toBe("CLIENT");
    expect(guardFilter.spec.failurePolicy).toBe("FAIL_CLOSED");
    const gateway = await upstream("gateway");
    const v2app = await upstream("payments-v2-app");
    const primary = await upstream("payments");
    // payments-v2's sidecar: inbound (shadow role) in front of the app...
    const inbound = await envoy((admin, listener) =>
      buildBootstrap({ adminPort: admin, listenerPort: listener, listenerName: "virtualInbound", primary: { name: "inbound|8080||", port: v2app.port }, wasm: shadowFilter.spec }),
    );
    // ...and outbound (egress guard) in front of the payment gateway.
    const outbound = await envoy((admin, listener) =>
      buildBootstrap({ adminPort: admin, listenerPort: listener, listenerName: "virtualOutbound", primary: { name: "outbound|80||api.payments.example", port: gateway.port }, wasm: guardFilter.spec }),
    );
    // The client's sidecar: the VirtualService mirror is Envoy's native mirroring.
    const client = await envoy((admin, listener) =>
      buildBootstrap({
        adminPort: admin,
        listenerPort: listener,
        listenerName: "virtualOutbound",
        primary: { name: "outbound|8080||payments.shop.svc.cluster.local", port: primary.port },
        extraClusters: [{ name: "outbound|8080||payments-v2.shop.svc.cluster.local", port: inbound.port }],
        nativeMirror: { cluster: "outbound|8080||payments-v2.shop.svc.cluster.local" },
      }),
    );
    await http1(`http://127.0.0.1:${client.port}/orders`, {
      method: "POST",
      headers: { host: "payments.shop.svc.cluster.local:8080", authorization: "Bearer t", "content-type": "application/json" },
      body: '{"card":{"number":"4111111111111111","cvv":"123"}}',
    });
    const [copy] = await v2app.waitFor(1);
    expect(v2app.header(copy, "host")).toBe("payments.shop.svc.cluster.local:8080"); // "-shadow" restored
    expect(v2app.header(copy, "authorization")).toBeUndefined();
    expect(v2app.header(copy, "x-shadow-request")).toBe("true");
    const baggage = v2app.header(copy, "baggage")!;
    expect(JSON.parse(copy.body.toString()).card).toEqual({ number: "****************", cvv: "***" });
    // The shadow app now charges the card: only its baggage travels, as an OpenTelemetry app forwards it.
    const charge = await http1(`http://127.0.0.1:${outbound.port}/v1/charges`, {
      method: "POST",
      headers: { host: "api.payments.example", baggage, "content-type": "application/json" },
      body: '{"amount":1}',
    });
    expect(charge.status).toBe(200);
    expect(charge.headers["x-mirrorshade-guard"]).toBe("blocked");
    expect(gateway.requests).toHaveLength(0);
    expect((await outbound.e.stats()).get(S("guard.blocked.payments"))).toBe(1);
    // The primary's own charge (no shadow mark) goes through.
    const real = await http1(`http://127.0.0.1:${outbound.port}/v1/charges`, { method: "POST", headers: { host: "api.payments.example" }, body: "{}" });
    expect(real.headers["x-mirrorshade-guard"]).toBeUndefined();
    expect(gateway.requests).toHaveLength(1);
  }, 60_000);
});
