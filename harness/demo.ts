// The demo: real Envoy with the mirrorshade filter between a client and two
// recording upstreams. Sends a few typical requests and prints, side by side,
// what the primary and the shadow received, then the filter's counters.
import { startEnvoyOnFreePorts, waitForStats, type Backend } from "./envoy/index.js";
import { buildBootstrap } from "./envoy/bootstrap.js";
import { startRecordingUpstream, type RecordedRequest } from "./net/upstreams.js";
import { BUILD_DIR } from "./paths.js";

const POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow", authority: "orders-shadow.internal", timeout_ms: 2000, max_body_bytes: 65536 },
  tag: { header: "x-shadow-request", value: "true" },
};

function show(label: string, r: RecordedRequest | undefined): string {
  if (!r) return `  ${label}: (nothing received)`;
  const headers = r.headers
    .filter(([k]) => !["accept", "accept-language", "sec-fetch-mode", "user-agent", "accept-encoding", "connection"].includes(k))
    .map(([k, v]) => `      ${k}: ${v}`)
    .join("\n");
  const body = r.body.length > 80 ? `${r.body.subarray(0, 60).toString()}... (${r.body.length} bytes)` : r.body.toString();
  return `  ${label}: ${r.method} ${r.path}\n${headers}\n      body: ${body || "(empty)"}`;
}

export async function runDemo(opts: { backend: Backend; wasm: string }): Promise<number> {
  const primary = await startRecordingUpstream("primary");
  const shadow = await startRecordingUpstream("shadow");
  console.log(`starting Envoy (${opts.backend}) with ${opts.wasm}`);
  console.log(`policy: ${JSON.stringify(POLICY)}\n`);
  const { envoy, listenerPort } = await startEnvoyOnFreePorts(
    (adminPort, listenerPort) =>
      buildBootstrap({
        adminPort,
        listenerPort,
        primary: { name: "primary", port: primary.port },
        extraClusters: [{ name: "shadow", port: shadow.port }],
        wasm: { wasmPath: opts.wasm, configuration: POLICY },
      }),
    { backend: opts.backend, mounts: [BUILD_DIR] },
  );
  try {
    const base = `http://127.0.0.1:${listenerPort}`;
    const samples: { title: string; path: string; init: RequestInit }[] = [
      {
        title: "POST with a JSON body",
        path: "/api/orders?id=7",
        init: { method: "POST", headers: { "content-type": "application/json", "x-user-id": "alice" }, body: '{"item":"book","qty":1}' },
      },
      { title: "GET", path: "/api/orders/7", init: { headers: { "x-user-id": "bob" } } },
      {
        title: "a client forging the shadow tag (stripped from the primary)",
        path: "/api/refunds",
        init: { method: "POST", headers: { "x-shadow-request": "true", "content-type": "text/plain" }, body: "refund 7" },
      },
      { title: "a body over max_body_bytes (not mirrored)", path: "/api/upload", init: { method: "PUT", body: "x".repeat(100_000) } },
    ];
    for (const s of samples) {
      const before = { p: primary.requests.length, s: shadow.requests.length };
      const res = await fetch(base + s.path, s.init);
      const text = await res.text();
      await new Promise((r) => setTimeout(r, 150));
      console.log(`== ${s.title}\n  client got: ${res.status} ${text}`);
      console.log(show("primary received", primary.requests[before.p]));
      console.log(show("shadow received ", shadow.requests[before.s]));
      console.log("");
    }
    const stats = await waitForStats(envoy, (m) => (m.get("wasmcustom.mirrorshade.shadow.inflight") ?? 1) === 0, 3000);
    console.log("filter counters (Envoy /stats):");
    for (const [k, v] of stats) if (k.startsWith("wasmcustom.mirrorshade.")) console.log(`  ${k.padEnd(52)} ${v}`);
    return 0;
  } catch (e) {
    console.error(`demo failed: ${e instanceof Error ? e.message : e}\n--- envoy log ---\n${envoy.logs()}`);
    return 1;
  } finally {
    await envoy.stop();
    await primary.close();
    await shadow.close();
  }
}
