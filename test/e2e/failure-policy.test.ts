// What Envoy 1.40 does with the request during which a Wasm filter faults, per
// failure setting. This is why mirrorshade's configs use `fail_open: true`: only
// then does a filter fault leave the production request that hit it unharmed.
import { describe, it, expect } from "vitest";
import { startEnvoyOnFreePorts } from "../../harness/envoy/index.js";
import { buildBootstrap, type WasmFilterSpec } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream } from "../../harness/net/upstreams.js";
import { compileFixture } from "../support/fixtures.js";
import { http1 } from "./fixture.js";
import { dirname } from "node:path";

async function faultThenNormal(failurePolicy: WasmFilterSpec["failurePolicy"]) {
  const wasm = compileFixture("sdk-probe");
  const upstream = await startRecordingUpstream("primary");
  const { envoy, listenerPort: port } = await startEnvoyOnFreePorts(
    (adminPort, listenerPort) =>
      buildBootstrap({
        adminPort,
        listenerPort,
        primary: { name: "primary", port: upstream.port },
        wasm: { wasmPath: wasm, rootId: "probe", vmId: "probe", configuration: "{}", failurePolicy },
      }),
    { mounts: [dirname(wasm)] },
  );
  try {
    const faulting = await http1(`http://127.0.0.1:${port}/fault`, { headers: { "x-probe": "trap" } });
    const after = await http1(`http://127.0.0.1:${port}/after`, { headers: { "x-probe": "none" } });
    expect(envoy.logs()).toMatch(/Uncaught RuntimeError: unreachable/);
    return { faulting: faulting.status, after: after.status, upstreamPaths: upstream.requests.map((r) => r.path) };
  } finally {
    await envoy.stop();
    await upstream.close();
  }
}

describe("a filter fault in Envoy", () => {
  it("fail_open: true (mirrorshade's setting): the faulting request and later ones reach the primary", async () => {
    expect(await faultThenNormal(undefined)).toEqual({ faulting: 200, after: 200, upstreamPaths: ["/fault", "/after"] });
  });

  it("failure_policy FAIL_OPEN: the faulting request is answered 503, later ones skip the filter", async () => {
    expect(await faultThenNormal("FAIL_OPEN")).toEqual({ faulting: 503, after: 200, upstreamPaths: ["/after"] });
  });
});
