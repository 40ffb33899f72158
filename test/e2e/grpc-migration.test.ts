// gRPC in real Envoy, two more settings: the payment migration of
// compare.test.ts in gRPC form (v2 answers INVALID_ARGUMENT for billing
// addresses with international characters; only those calls are reported), and
// the upstream placement (Envoy's native mirroring to an HTTP/2 shadow cluster,
// the filter on that cluster redacting a client stream message by message).
// The primary's calls and answers are byte-identical to an Envoy without the filter.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { e2eBackends } from "./backends.js";
import { S, WASM } from "./fixture.js";
import { startGrpcRig, printGrpcLogsAfterFailures, primaryView, answerView, type GrpcRig } from "./grpc-fixture.js";
import { wasmHttpFilter, buildBootstrap } from "../../harness/envoy/bootstrap.js";
import { startEnvoyOnFreePorts } from "../../harness/envoy/index.js";
import { BUILD_DIR } from "../../harness/paths.js";
import { parseRecords } from "../../harness/report.js";
import { paymentsDescriptorBase64, startPaymentsServer } from "../../harness/grpc/index.js";
import { ADDRESSES, CARD, EMAIL, encodeCharge, encodeChunk, descriptorPolicy, expectRedactedChunk } from "./grpc-data.js";
import { HASH_KEY } from "./grpc-fixture.js";

const REDACT = {
  hash_key: `inline:${HASH_KEY}`,
  grpc: { descriptor_set: paymentsDescriptorBase64() },
  json: { mask: ["$..card.number"], drop: ["$..cvv"], hash: ["$..email"] },
  detectors: ["card", "email"],
};

describe.each(e2eBackends())("gRPC migration and placement, envoy as %s", (backend) => {
  let baseline: GrpcRig | undefined;
  let rig: GrpcRig | undefined;
  beforeAll(async () => {
    baseline = await startGrpcRig({ backend, config: null });
  });
  afterAll(async () => baseline?.close());
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  printGrpcLogsAfterFailures(() => [baseline, rig]);

  it("reports only the real regression: v2 refuses international billing addresses with INVALID_ARGUMENT", async () => {
    const config = descriptorPolicy({ compare: { ignore_paths: ["$.id", "$.processed_at"] } });
    rig = await startGrpcRig({ backend, config, shadowBehaviour: { rejectInternational: true } });
    baseline!.clear();
    for (const [i, address] of ADDRESSES.entries()) {
      const msg = encodeCharge(100 + i, address);
      const opts = { deadlineMs: 10_000, metadata: { "x-request-id": `pay-${i}` } };
      const want = await baseline!.client.unary("Charge", msg, opts);
      const got = await rig.client.unary("Charge", msg, opts);
      expect(got.codeName).toBe("OK");
      expect(answerView(got)).toEqual(answerView(want));
    }
    const p0 = await baseline!.primary.waitFor(ADDRESSES.length);
    const p1 = await rig.primary.waitFor(ADDRESSES.length);
    expect(p1.map(primaryView)).toEqual(p0.map(primaryView));
    const shadowCalls = await rig.shadow.waitFor(ADDRESSES.length);
    expect(shadowCalls.map((c) => c.answered?.code)).toEqual([0, 3, 0, 3, 0]);

    expect(await rig.waitStat(S("compare.compared"), ADDRESSES.length)).toBe(ADDRESSES.length);
    const stats = await rig.envoy.stats();
    expect(stats.get(S("compare.matched"))).toBe(3);
    expect(stats.get(S("compare.mismatched"))).toBe(2);
    expect(stats.get(S("compare.mismatched.grpc_status"))).toBe(2);
    expect(stats.get(S("shadow.grpc.invalid_argument"))).toBe(2);
    expect(stats.get(S("shadow.grpc.ok"))).toBe(3);

    const logged = parseRecords(rig.envoy.logs());
    expect(logged.map((r) => r.request_id).sort()).toEqual(["pay-1", "pay-3"]);
    for (const r of logged) {
      expect(r.route).toBe("/shop.payments.v1.Payments/Charge");
      const fields = r.differences.map((d) => `${d.path}:${d.kind}`);
      expect(fields).toContain(":grpc-status:value");
      expect(fields.some((f) => f.startsWith("$.id") || f.startsWith("$.processed_at"))).toBe(false);
      const text = JSON.stringify(r);
      for (const secret of [CARD, EMAIL, "Müller", "東京都"]) expect(text).not.toContain(secret);
    }
  });

  it.each<"descriptor" | "detectors">(["descriptor", "detectors"])("upstream placement (%s): native mirroring to an HTTP/2 shadow cluster, a client stream redacted message by message", async (mode) => {
    const detectorsOnly = { hash_key: REDACT.hash_key, detectors: REDACT.detectors };
    const filter = wasmHttpFilter({
      wasmPath: WASM,
      configuration: { role: "upstream", upstream: { restore_host: true }, redact: mode === "descriptor" ? REDACT : detectorsOnly },
    });
    rig = await startGrpcRig({ backend, config: null, nativeMirror: true, shadowCluster: { upstreamFilters: [filter] } });
    baseline!.clear();
    const msgs = [1, 2, 3].map((i) => encodeChunk("inplace", i, 200 + i));
    const opts = { deadlineMs: 10_000, metadata: { "x-request-id": `grpc-inplace-${mode}` } };
    const want = await baseline!.client.clientStream("Upload", msgs, opts);
    // Each message reaches the shadow before the client sends the next: redacted as it streams, not held to the end.
    const live = rig;
    const got = await rig.client.clientStream("Upload", msgs, { ...opts, afterWrite: async (n) => void (await live.shadow.waitForMessages(n)) });
    expect(got.codeName).toBe("OK");
    expect(answerView(got)).toEqual(answerView(want));
    const [p0] = await baseline!.primary.waitFor(1);
    const [p1] = await rig.primary.waitFor(1);
    expect(primaryView(p1)).toEqual(primaryView(p0));
    expect(p1.messages).toEqual(msgs);
    const [s] = await rig.shadow.waitFor(1);
    expect(s.messages.length).toBe(3);
    msgs.forEach((m, i) => expectRedactedChunk(m, s.messages[i], mode));
    expect(rig.shadow.header(s, "te")).toBe("trailers");
    expect(rig.shadow.header(s, "grpc-timeout")).toBeDefined();
    expect(rig.shadow.header(s, ":authority")).toBe("payments.shop.svc:50051");
    expect(rig.shadow.header(s, "x-shadow-request")).toBe("true");
    expect(await rig.waitStat(S("inplace.copies"), 1)).toBe(1);
  });

  it("shadow placement: Envoy mirrors natively, the shadow's own Envoy (role shadow, HTTP/2 both ways) redacts the client stream", async () => {
    const shadowApp = await startPaymentsServer({ version: 2, name: "shadow-app-v2" });
    const shadowSide = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "shadow-app", port: shadowApp.port, http2: true },
          wasm: { wasmPath: WASM, configuration: { role: "shadow", inbound: { restore_host: true }, redact: REDACT } },
        }),
      { backend, mounts: [BUILD_DIR] },
    );
    try {
      rig = await startGrpcRig({ backend, config: null, nativeMirror: true, shadowPort: shadowSide.listenerPort });
      baseline!.clear();
      const msgs = [1, 2, 3].map((i) => encodeChunk("shadow-role", i, 500 + i));
      const opts = { deadlineMs: 10_000, metadata: { "x-request-id": "grpc-shadow-role" } };
      const want = await baseline!.client.clientStream("Upload", msgs, opts);
      const got = await rig.client.clientStream("Upload", msgs, opts);
      expect(got.codeName).toBe("OK");
      expect(answerView(got)).toEqual(answerView(want));
      const [p0] = await baseline!.primary.waitFor(1);
      const [p1] = await rig.primary.waitFor(1);
      expect(primaryView(p1)).toEqual(primaryView(p0));
      const [s] = await shadowApp.waitFor(1);
      expect(s.messages.length).toBe(3);
      msgs.forEach((m, i) => expectRedactedChunk(m, s.messages[i], "descriptor"));
      expect(shadowApp.header(s, "te")).toBe("trailers");
      expect(shadowApp.header(s, ":authority")).toBe("payments.shop.svc:50051");
      expect((await shadowSide.envoy.stats()).get(S("inplace.copies"))).toBe(1);
    } catch (e) {
      console.error(`--- shadow-side envoy ---\n${shadowSide.envoy.logs()}\n--- shadow app ---\n${shadowApp.log.join("\n")}`);
      throw e;
    } finally {
      await shadowSide.envoy.stop();
      await shadowApp.stop();
    }
  });
});
