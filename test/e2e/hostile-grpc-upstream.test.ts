// Hostile gRPC review (#14), part 5: the upstream role (Envoy's native mirror
// to the shadow cluster, the filter redacting the copy in the cluster's
// upstream filters). The shadow is a raw HTTP/2 server recording headers,
// body and request trailers as they arrive.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { e2eBackends } from "./backends.js";
import { startGrpcRig, printGrpcLogsAfterFailures, HASH_KEY, type GrpcRig } from "./grpc-fixture.js";
import { WASM } from "./fixture.js";
import { wasmHttpFilter } from "../../harness/envoy/bootstrap.js";
import { paymentsDescriptorBase64 } from "../../harness/grpc/index.js";
import { PATH, ld, cat, frame, send, startRawShadow, SIX } from "./hostile-grpc-lib.js";

const CARD = "4111111111111111";
const EMAIL = "alice@example.com";

describe.each(e2eBackends())("hostile gRPC upstream role, envoy as %s", (backend) => {
  let U: GrpcRig;
  let raw: Awaited<ReturnType<typeof startRawShadow>>;
  beforeAll(async () => {
    raw = await startRawShadow();
    const config = {
      role: "upstream",
      redact: {
        hash_key: `inline:${HASH_KEY}`,
        headers: { drop: ["authorization"] },
        grpc: { descriptor_set: paymentsDescriptorBase64() },
        json: { mask: ["$..card.number"], drop: ["$..cvv"], hash: ["$..email"] },
        detectors: SIX,
      },
    };
    U = await startGrpcRig({ backend, config: null, nativeMirror: true, shadowPort: raw.port, shadowCluster: { upstreamFilters: [wasmHttpFilter({ wasmPath: WASM, configuration: config })] } });
  }, 90_000);
  afterAll(async () => {
    await U?.close();
    await raw?.close();
  });
  printGrpcLogsAfterFailures(() => [U]);

  async function call(headers: Record<string, string>, trailers?: Record<string, string>) {
    raw.calls.length = 0;
    U.clear();
    const ans = await send(U.port, PATH, frame(cat(ld(1, "o"), ld(11, `pay ${CARD}`))), headers, { trailers });
    for (let i = 0; i < 60 && raw.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ ans, raw: raw.calls.map((c) => ({ h: c.headers, t: c.trailers, body: c.body.toString("hex") })) }));
    expect(raw.calls.length, "a copy reached the shadow").toBe(1);
    return raw.calls[0];
  }

  it("U0 sanity: body redacted, authorization dropped", async () => {
    const c = await call({ authorization: "Bearer hdr-tok-1" });
    expect(JSON.stringify(c)).not.toContain(CARD);
    expect(JSON.stringify(c)).not.toContain("hdr-tok");
  });

  it("U1 request trailers: the header rules and detectors apply in the upstream role", async () => {
    const c = await call({}, { "x-card": CARD, "x-email": EMAIL, authorization: "Bearer trl-tok-2" });
    const t = JSON.stringify(c.trailers);
    expect(t).not.toContain(CARD);
    expect(t).not.toContain(EMAIL);
    expect(t).not.toContain("trl-tok");
  });

  it("U2 -bin metadata", async () => {
    const c = await call({ "x-card-bin": Buffer.from(CARD).toString("base64"), "authorization-bin": Buffer.from("Bearer bin-tok-3").toString("base64") });
    for (const [k, v] of Object.entries(c.headers)) if (k.endsWith("-bin")) expect(Buffer.from(String(v), "base64").toString("latin1")).not.toMatch(/4111111111111111|bin-tok/);
  });
});
