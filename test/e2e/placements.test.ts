// The in-place roles in real Envoy, with Envoy's own mirroring sending the copy:
// "upstream" as an upstream HTTP filter on the shadow cluster (cluster-level
// http_filters), "shadow" at a second Envoy in front of the shadow app. The
// primary gets the original; the shadow app gets the scrubbed, tagged copy.
import { describe, it, expect, afterEach } from "vitest";
import { startEnvoyOnFreePorts, type EnvoyInstance } from "../../harness/envoy/index.js";
import { buildBootstrap, wasmHttpFilter } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { projectRoot } from "../../harness/paths.js";
import { e2eBackends } from "./backends.js";
import { http1, WASM, S } from "./fixture.js";
import { join } from "node:path";

const REDACT = { headers: { drop: ["authorization"] }, query: { mask: ["token"] }, json: { mask: ["$..password"] }, detectors: ["card", "email"] };
const BODY = JSON.stringify({ user: "Zoë", password: "hunter2", note: "card 4111 1111 1111 1111, mail a@example.com" });

describe.each(e2eBackends())("placements, envoy as %s", (backend) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function envoy(bootstrap: (admin: number, port: number) => object) {
    const { envoy: e, listenerPort: port } = await startEnvoyOnFreePorts(bootstrap, { backend, mounts: [join(projectRoot, "build")] });
    cleanup.push(() => e.stop());
    return { e, port };
  }
  async function upstream(name: string): Promise<RecordingUpstream> {
    const u = await startRecordingUpstream(name);
    cleanup.push(() => u.close());
    return u;
  }
  async function check(front: EnvoyInstance, port: number, primary: RecordingUpstream, shadow: RecordingUpstream) {
    try {
      const res = await http1(`http://127.0.0.1:${port}/orders?token=t0k3n&id=7`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer s3cret", host: "orders:8080" },
        body: BODY,
      });
      expect(res.status).toBe(200);
      const [p] = await primary.waitFor(1);
      const [s] = await shadow.waitFor(1);
      expect(p.body.toString()).toBe(BODY);
      expect(primary.header(p, "authorization")).toBe("Bearer s3cret");
      expect(s.path).toBe("/orders?token=*****&id=7");
      expect(shadow.header(s, "authorization")).toBeUndefined();
      expect(shadow.header(s, "x-shadow-request")).toBe("true");
      const copy = JSON.parse(s.body.toString());
      expect(copy.password).toBe("*******");
      expect(copy.user).toBe("Zoë");
      expect(copy.note).not.toContain("4111 1111 1111 1111");
      expect(copy.note).not.toContain("a@example.com");
      return s;
    } catch (e) {
      console.error(`--- envoy log ---\n${front.logs()}`);
      throw e;
    }
  }

  it("upstream role: native mirroring plus the filter on the shadow cluster only", async () => {
    const primary = await upstream("primary");
    const shadow = await upstream("shadow");
    const filter = wasmHttpFilter({ wasmPath: WASM, configuration: { role: "upstream", redact: REDACT, upstream: { restore_host: true } } });
    const { e, port } = await envoy((admin, listener) =>
      buildBootstrap({
        adminPort: admin,
        listenerPort: listener,
        primary: { name: "primary", port: primary.port },
        extraClusters: [{ name: "shadow", port: shadow.port, upstreamFilters: [filter] }],
        nativeMirror: { cluster: "shadow" },
      }),
    );
    const s = await check(e, port, primary, shadow);
    expect(shadow.header(s, "host")).toBe("orders:8080");
    expect((await e.stats()).get(S("inplace.copies"))).toBe(1);
  });

  it("shadow role: Envoy mirrors natively, the shadow's own Envoy scrubs the copy and lets other traffic pass", async () => {
    const primary = await upstream("primary");
    const shadowApp = await upstream("shadow");
    const shadowSide = await envoy((admin, listener) =>
      buildBootstrap({
        adminPort: admin,
        listenerPort: listener,
        primary: { name: "shadow-app", port: shadowApp.port },
        wasm: { wasmPath: WASM, configuration: { role: "shadow", redact: REDACT, inbound: { restore_host: true } } },
      }),
    );
    const front = await envoy((admin, listener) =>
      buildBootstrap({
        adminPort: admin,
        listenerPort: listener,
        primary: { name: "primary", port: primary.port },
        extraClusters: [{ name: "shadow", port: shadowSide.port }],
        nativeMirror: { cluster: "shadow" },
      }),
    );
    const s = await check(front.e, front.port, primary, shadowApp);
    expect(shadowApp.header(s, "host")).toBe("orders:8080");
    // A request that is not a copy reaches the shadow app untouched.
    await http1(`http://127.0.0.1:${shadowSide.port}/direct?token=keep`, { headers: { authorization: "Bearer direct", host: "orders:8080" } });
    const direct = (await shadowApp.waitFor(2))[1];
    expect(direct.path).toBe("/direct?token=keep");
    expect(shadowApp.header(direct, "authorization")).toBe("Bearer direct");
    const stats = await shadowSide.e.stats();
    expect(stats.get(S("inplace.copies"))).toBe(1);
    expect(stats.get(S("inplace.passed"))).toBe(1);
  });
});
