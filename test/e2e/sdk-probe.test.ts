// The patched SDK inside real Envoy: each defect fixed in patches/ is exercised by
// the probe filter (test/fixtures/sdk-probe.ts) and checked through Envoy's log and
// what the upstream received. Without the patch the probe does not compile, or the
// probe line shows the defect.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startEnvoyOnFreePorts, type EnvoyInstance } from "../../harness/envoy/index.js";
import { buildBootstrap } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { compileFixture } from "../support/fixtures.js";
import { http1 } from "./fixture.js";
import { dirname } from "node:path";

describe("patched proxy-runtime SDK in real Envoy", () => {
  let envoy: EnvoyInstance | undefined;
  let upstream: RecordingUpstream;
  let port = 0;

  beforeAll(async () => {
    const wasm = compileFixture("sdk-probe");
    upstream = await startRecordingUpstream("primary");
    const started = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "primary", port: upstream.port },
          extraClusters: [{ name: "shadow", port: upstream.port }],
          wasm: { wasmPath: wasm, rootId: "probe", vmId: "probe", configuration: '{"probe": "config ✓"}' },
        }),
      { mounts: [dirname(wasm)] },
    );
    envoy = started.envoy;
    port = started.listenerPort;
  });
  afterAll(async () => {
    await envoy?.stop();
    await upstream?.close();
  });

  const probeLines = () => envoy!.logs().split("\n").filter((l) => l.includes("probe "));
  async function probe(value: string, body?: string): Promise<string[]> {
    const before = probeLines().length;
    const res = await http1(`http://127.0.0.1:${port}/p`, { method: body ? "POST" : "GET", headers: { "x-probe": value }, body });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    return probeLines().slice(before);
  }

  it("(c) onConfigure reads the configuration the host passed", () => {
    expect(probeLines().some((l) => l.includes('probe config=[{"probe": "config ✓"}] ok=1'))).toBe(true);
  });

  it("(e) get_metric reads the metric (proxy_get_metric, not proxy_record_metric)", async () => {
    const lines = await probe("metric");
    expect(lines.join("\n")).toMatch(/probe metric result=0 value=3/);
  });

  it("(g) NotFound and friends do not abort the VM", async () => {
    const lines = await probe("notfound");
    expect(lines.join("\n")).toMatch(/probe survived absent=\[\]/);
    expect(upstream.header(upstream.requests.at(-1)!, "x-added")).toBe("1");
    expect(envoy!.logs()).not.toMatch(/Uncaught RuntimeError/);
  });

  it("(j) shared data round-trips with compare-and-swap", async () => {
    const lines = await probe("shared");
    // set Ok(0), read back v1, a stale CAS is refused with CasMismatch (8), the current CAS wins.
    expect(lines.join("\n")).toMatch(/probe shared set=0 get=v1 stale=8 cas=0 final=v3/);
  });

  it("(d) proxy_set_buffer_bytes rewrites the request body", async () => {
    const lines = await probe("body", "original");
    expect(lines.join("\n")).toMatch(/probe body before=original set=0/);
    expect(upstream.requests.at(-1)!.body.toString()).toBe("REPLACED");
  });

  it("(h) httpCall with a BaseContext callback dispatches and calls back", async () => {
    const lines = await probe("call");
    expect(lines.join("\n")).toMatch(/probe call result=0/);
    await new Promise((r) => setTimeout(r, 300));
    expect(probeLines().some((l) => /probe callback headers=\d+ body=\d+/.test(l))).toBe(true);
  });

  it("(f) no debug strings are logged by the SDK's callbacks", () => {
    expect(envoy!.logs()).not.toMatch(/context id: \d+: on|ensureRootContext|Current context_map/);
  });
});
