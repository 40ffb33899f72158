// Real Istio: istiod reads the manifests `mirrorshade render --target istio` writes,
// istio-agent fetches the module (http + sha256, or oci:// from a real registry) and
// hands it to the sidecar's Envoy (our Envoy 1.40) through ECDS. One mesh per Istio
// release (scripts/istio-versions.txt; built by scripts/install-istio.sh); the tests
// in a block share it and each changes the WasmPlugin as a user would. From 1.30,
// whose file-based config ignores WasmPlugin, test/istio-xds (Istio's own translation
// and xDS generation) stands in for istiod (harness/istio/istiod.ts).
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { wasmPluginNames } from "../../harness/istio/versions.js";
import { istiodShape, deliveredShape } from "../../harness/istio/shape.js";
import { serveModule, startRegistry, registryAvailable, type ModuleServer, type Registry } from "../../harness/istio/delivery.js";
import { packageOci } from "../../harness/package-oci.js";
import { FILTER_WASM } from "../../harness/paths.js";
import { http1, S } from "./fixture.js";
import { builtReleases, example, wasmSha256, startMirrorMesh, eventually, ecdsFilters, scratch, NAMESPACE, type MirrorMesh } from "./istio-lib.js";
import type { Manifest } from "../../harness/istio/mesh.js";

const PRIMARY = "payments-0";

const hasSs = () => {
  try {
    execFileSync("ss", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
/** Local addresses of the TCP sockets a process listens on (ss -tlnp). */
const listeningSockets = (pid: number) =>
  execFileSync("ss", ["-Htlnp"])
    .toString()
    .split("\n")
    .filter((l) => l.includes(`pid=${pid},`))
    .map((l) => l.trim().split(/\s+/)[3]);
const policy = (percent: number) => {
  const p = example("mirror");
  p.select.percent = percent;
  return p;
};

for (const { release, install } of builtReleases("istio-mesh.test.ts")) {
  describe.skipIf(!install)(`Istio ${release}: istiod + istio-agent deliver mirrorshade to the sidecar's Envoy`, () => {
    let m: MirrorMesh;
    let server: ModuleServer;
    let failed = false;
    // istiod's names for the WasmPlugin's filter (translated to a TrafficExtension from 1.30 on).
    const names = wasmPluginNames(release, NAMESPACE, "mirrorshade-mirror");
    const filterName = names.filter;
    const plugin = () => m.manifests.find((x) => x.kind === "WasmPlugin") as Manifest & { spec: Record<string, unknown> };
    /** Re-applies the user's file with the WasmPlugin changed. */
    const applyPlugin = (change: (spec: Record<string, unknown>) => void) => {
      change(plugin().spec);
      m.mesh.apply("10-user.yaml", m.manifests);
    };
    const stat = async (name: string) => (await m.mesh.agents.get(PRIMARY)!.stats()).get(name) ?? 0;
    const pay = (extra: Record<string, string> = {}) =>
      http1(`${m.primaryUrl}/pay?token=t0k`, {
        method: "POST",
        headers: { host: `payments.${NAMESPACE}.svc.cluster.local`, "content-type": "application/json", "x-user-id": "u1", authorization: "Bearer secret", ...extra },
        body: '{"card":{"number":"4111111111111111","cvv":"123"},"password":"pw"}',
      });

    beforeAll(async () => {
      server = await serveModule(FILTER_WASM);
      m = await startMirrorMesh(install!, policy(100), { url: server.url, sha256: wasmSha256() });
    }, 180_000);
    afterEach((ctx) => {
      if (ctx.task.result?.state === "fail") failed = true;
    });
    afterAll(async () => {
      if (failed && m) console.error(m.mesh.logs());
      await m?.stop();
      await server?.close();
    }, 60_000);

    it("mirror role: istiod's ECDS filter runs our module; copies reach the shadow tagged and redacted, forged tags never reach the primary", async () => {
      // Until the agent has the module, Envoy holds a deny-all RBAC filter under the same name.
      const filters = await eventually(
        async () => {
          const f = await ecdsFilters(m.mesh, PRIMARY);
          return (f.get(filterName) as { config?: unknown } | undefined)?.config ? f : undefined;
        },
        async () => JSON.stringify(Object.fromEntries(await ecdsFilters(m.mesh, PRIMARY))),
      );
      const cfg = (filters.get(filterName) as { config: Record<string, unknown> }).config as {
        name: string;
        root_id: string;
        failure_policy?: string;
        configuration: { value: string };
        vm_config: { vm_id?: string; runtime: string; code: { local: { filename: string } }; environment_variables?: { host_env_keys?: string[] } };
      };
      expect(cfg.name).toBe(names.plugin);
      // The shape istio-shaped.test.ts runs in plain Envoy is what this release delivered.
      expect(deliveredShape(filterName, filters.get(filterName) as never)).toEqual(istiodShape(release, m.manifests).shape);
      expect(cfg.root_id).toBe("mirrorshade");
      expect(cfg.failure_policy).toBe("FAIL_RELOAD");
      expect(cfg.vm_config.runtime).toBe("envoy.wasm.runtime.v8");
      // The shape test/e2e/istio-shaped.test.ts gives plain Envoy: no vm_id, vmConfig.env
      // valueFrom HOST as host_env_keys, the pluginConfig as JSON in a StringValue.
      expect(cfg.vm_config.vm_id ?? "").toBe("");
      expect(cfg.vm_config.environment_variables?.host_env_keys).toEqual(["MIRRORSHADE_HASH_KEY"]);
      expect(JSON.parse(cfg.configuration.value)).toEqual(plugin().spec.pluginConfig);
      // istio-agent downloaded the module and serves it to Envoy from its cache.
      expect(cfg.vm_config.code.local.filename).toMatch(/^\/var\/lib\/istio\/data\//);
      expect(JSON.parse(cfg.configuration.value).shadow.cluster).toBe(`outbound|${m.port}||payments-v2.${NAMESPACE}.svc.cluster.local`);
      expect(server.hits).toContain("/mirrorshade.wasm");

      const r = await pay({ "x-shadow-request": "true", baggage: "mirrorshade.shadow=true,other=1" });
      expect(r.status).toBe(200);
      const [primary] = await m.app.waitFor(1);
      expect(m.app.header(primary, "x-shadow-request")).toBeUndefined();
      expect(m.app.header(primary, "baggage") ?? "").not.toContain("mirrorshade");
      expect(m.app.header(primary, "authorization")).toBe("Bearer secret");
      const [copy] = await m.shadowApp.waitFor(1);
      expect(m.shadowApp.header(copy, "x-shadow-request")).toBe("true");
      expect(m.shadowApp.header(copy, "authorization")).toBeUndefined();
      expect(copy.path).not.toContain("t0k");
      const body = JSON.parse(copy.body.toString());
      expect(body.card).toEqual({ number: "****************", cvv: "***" });
      expect(body.password).toBe("**");
      expect(await stat(S("mirrored"))).toBeGreaterThan(0);
    });

    it.runIf(hasSs())("istiod (or test/istio-xds) listens on 127.0.0.1 only, every port allocated per test", () => {
      const sockets = listeningSockets(m.mesh.istiod.process.pid!);
      expect(sockets.length).toBeGreaterThan(0);
      for (const local of sockets) expect(local).toMatch(/^127\.0\.0\.1:\d+$/);
    });

    it("a changed pluginConfig reaches the running sidecar through ECDS (no restart): a share of 0 stops the copies", async () => {
      const pid = m.mesh.agents.get(PRIMARY)!.process.pid;
      m.shadowApp.clear();
      const updates = await stat(`extension_config_discovery.http_filter.${filterName}.config_reload`);
      applyPlugin((s) => ((s.pluginConfig as { select: { percent: number } }).select.percent = 0));
      await eventually(async () => ((await stat(`extension_config_discovery.http_filter.${filterName}.config_reload`)) > updates ? true : undefined), () => "no ECDS reload");
      m.app.clear();
      for (let i = 0; i < 5; i++) expect((await pay({ "x-user-id": `u${i}` })).status).toBe(200);
      await m.app.waitFor(5);
      await new Promise((r) => setTimeout(r, 500));
      expect(m.shadowApp.requests).toHaveLength(0);
      // And back to 100: copies again.
      applyPlugin((s) => ((s.pluginConfig as { select: { percent: number } }).select.percent = 100));
      await eventually(async () => {
        await pay();
        return m.shadowApp.requests.length > 0 ? true : undefined;
      }, () => "no copy after percent 100");
      expect(m.mesh.agents.get(PRIMARY)!.process.pid).toBe(pid);
      expect(m.mesh.agents.get(PRIMARY)!.process.exited()).toBeNull();
    });

    it("an invalid pluginConfig is rejected by Envoy (ECDS config_fail) and the previous filter keeps running", async () => {
      const fails = await stat(`extension_config_discovery.http_filter.${filterName}.config_fail`);
      applyPlugin((s) => ((s.pluginConfig as { select: { percent: unknown } }).select.percent = 250));
      await eventually(async () => ((await stat(`extension_config_discovery.http_filter.${filterName}.config_fail`)) > fails ? true : undefined), () => "no ECDS config_fail");
      m.shadowApp.clear();
      expect((await pay()).status).toBe(200);
      await m.shadowApp.waitFor(1);
      applyPlugin((s) => ((s.pluginConfig as { select: { percent: number } }).select.percent = 100));
    });

    it("a wrong sha256 is refused by istio-agent (checksum_mismatched); failStrategy FAIL_CLOSE then denies the traffic", async () => {
      applyPlugin((s) => {
        s.sha256 = "0".repeat(64);
        s.url = `${server.url}?wrong-sha`;
        s.failStrategy = "FAIL_CLOSE";
      });
      await eventually(async () => ((await m.mesh.agents.get(PRIMARY)!.prometheus()).match(/istio_agent_wasm_remote_fetch_count\{result="checksum_mismatched"\} [1-9]/) ? true : undefined), async () => (await m.mesh.agents.get(PRIMARY)!.prometheus()).split("\n").filter((l) => l.includes("wasm")).join("\n"));
      const denied = await eventually(async () => {
        const r = await pay();
        return r.status === 403 ? r : undefined;
      }, () => "traffic not denied");
      expect(denied.status).toBe(403);
    });

    it("FAIL_OPEN with an unreachable URL: traffic flows without the filter and the agent counts the failed fetch", async () => {
      applyPlugin((s) => {
        delete s.sha256;
        s.url = "http://127.0.0.1:9/unreachable.wasm";
        s.failStrategy = "FAIL_OPEN";
      });
      await eventually(async () => ((await m.mesh.agents.get(PRIMARY)!.prometheus()).match(/istio_agent_wasm_remote_fetch_count\{result="download_failure"\} [1-9]/) ? true : undefined), async () => (await m.mesh.agents.get(PRIMARY)!.prometheus()).split("\n").filter((l) => l.includes("wasm")).join("\n"), 120_000);
      m.app.clear();
      m.shadowApp.clear();
      await eventually(async () => ((await pay()).status === 200 ? true : undefined), () => "traffic denied under FAIL_OPEN");
      await new Promise((r) => setTimeout(r, 500));
      expect(m.shadowApp.requests).toHaveLength(0);
    }, 180_000);

    it("FAIL_CLOSE with an unreachable URL: the agent puts a deny-all filter in its place, traffic is refused", async () => {
    applyPlugin((s) => {
      s.url = "http://127.0.0.1:9/unreachable-closed.wasm";
      s.failStrategy = "FAIL_CLOSE";
    });
    const denied = await eventually(async () => {
      const r = await pay();
      return r.status === 403 ? r : undefined;
    }, () => "traffic not denied under FAIL_CLOSE");
    expect(denied.status).toBe(403);
    m.app.clear();
    expect((await pay()).status).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    expect(m.app.requests).toHaveLength(0);
  }, 120_000);

  it.runIf(registryAvailable())("oci:// from a real registry (docker-registry, pushed with skopeo): the module is pulled and runs", async () => {
      const dir = scratch("registry");
      const registry: Registry = await startRegistry(dir);
      try {
        const { layout } = packageOci({ out: join(dir, "oci"), tag: "e2e" });
        const digest = registry.push(layout, "e2e");
        applyPlugin((s) => {
          s.url = `oci://${registry.address}/mirrorshade:e2e`;
          s.sha256 = digest.slice("sha256:".length);
          s.failStrategy = "FAIL_CLOSE";
        });
        m.shadowApp.clear();
        await eventually(async () => {
          const r = await pay();
          return r.status === 200 && m.shadowApp.requests.length > 0 ? true : undefined;
        }, async () => (await m.mesh.agents.get(PRIMARY)!.prometheus()).split("\n").filter((l) => l.includes("wasm")).join("\n") + "\n" + registry.process.logs().slice(-2000));
        expect(m.shadowApp.header(m.shadowApp.requests[0], "authorization")).toBeUndefined();
      } finally {
        await registry.stop();
      }
    }, 120_000);
  });
}
