// gRPC mirroring in real Envoy with a real @grpc/grpc-js client and servers
// (primary v1, shadow v2, test/grpc/payments.proto) over HTTP/2 clusters: unary,
// client and server streaming, a 4 MB message, a gzip-compressed message (fail
// closed), a shadow answering UNAVAILABLE trailers-only, a shadow that is down.
// Each case checks what the shadow received (messages decode, secrets gone,
// every other field the client's bytes, te and grpc-timeout kept) and that the
// primary's call and answer are byte-identical to a run through an Envoy
// without the filter.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { e2eBackends } from "./backends.js";
import { S } from "./fixture.js";
import { startGrpcRig, printGrpcLogsAfterFailures, primaryView, answerView, type GrpcRig, type GrpcRigOptions } from "./grpc-fixture.js";
import { rawGrpcCall, gzipFrame, unframe, rawField, type PaymentsClient, type CallResult, type ReceivedCall } from "../../harness/grpc/index.js";
import {
  encodeCharge, encodeChunk, encodeWatch, bigCharge, bigChunk, descriptorPolicy, detectorsPolicy,
  expectRedactedCharge, expectRedactedChunk, expectWatchRedacted, EMAIL, TEXT_EMAIL,
} from "./grpc-data.js";

type Mode = "descriptor" | "detectors";
const BIG = 4 * 1000 * 1000;
const SHORT_TIMEOUT_MS = 300;
/** Room for one 4 MB message, not for two. */
const MAX_BODY = 6 * 1048576;
const LIMITS = { limits: { redaction_bytes_per_second: 64 * 1048576 } };

describe.each(e2eBackends())("gRPC mirroring, envoy as %s", (backend) => {
  let baseline: GrpcRig | undefined;
  const rigs = new Map<string, GrpcRig>();
  const starting = new Map<string, Promise<GrpcRig>>();
  const setups: Record<string, Omit<GrpcRigOptions, "backend">> = {
    plain: { config: { role: "mirror", shadow: { cluster: "shadow" } } },
    descriptor: { config: descriptorPolicy(LIMITS, { max_body_bytes: MAX_BODY }) },
    detectors: { config: detectorsPolicy({ max_body_bytes: MAX_BODY }, LIMITS) },
    "down-descriptor": { config: descriptorPolicy(), shadowDown: true },
    "down-detectors": { config: detectorsPolicy(), shadowDown: true },
    "short-timeout": { config: detectorsPolicy({ timeout_ms: SHORT_TIMEOUT_MS }) },
  };
  beforeAll(async () => {
    baseline = await startGrpcRig({ backend, config: null });
  });
  afterAll(async () => {
    await baseline?.close();
    for (const r of rigs.values()) await r.close();
  });
  printGrpcLogsAfterFailures(() => [baseline, ...rigs.values()]);

  async function rig(name: keyof typeof setups): Promise<GrpcRig> {
    // One Envoy per setup, started once (a setup that fails to start fails each of its tests at once).
    let p = starting.get(name);
    if (!p) {
      p = startGrpcRig({ backend, ...setups[name] }).then((r) => (rigs.set(name, r), r));
      starting.set(name, p);
    }
    const r = await p;
    baseline!.clear();
    r.clear();
    return r;
  }

  /** Runs the same call through the baseline Envoy and `r`: same answer, same call at the primary, byte for byte. */
  async function samePrimary(r: GrpcRig, call: (c: PaymentsClient) => Promise<CallResult>): Promise<{ answer: CallResult; primary: ReceivedCall }> {
    const want = await call(baseline!.client);
    const answer = await call(r.client);
    expect(answerView(answer)).toEqual(answerView(want));
    const [p0] = await baseline!.primary.waitFor(1);
    const [p1] = await r.primary.waitFor(1);
    expect(primaryView(p1)).toEqual(primaryView(p0));
    expect(r.primary.header(p1, "te")).toBe("trailers");
    expect(r.primary.header(p1, "grpc-timeout")).toBeDefined();
    return { answer, primary: p1 };
  }

  /** Counter deltas: `before` now, `after(name, n)` waits until it grew by n. */
  async function counters(r: GrpcRig) {
    const before = await r.envoy.stats();
    return {
      grew: async (name: string, by = 1) => (await r.waitStat(S(name), (before.get(S(name)) ?? 0) + by)) - (before.get(S(name)) ?? 0),
      same: async (name: string) => expect((await r.stat(S(name))) - (before.get(S(name)) ?? 0), name).toBe(0),
    };
  }

  function grpcHeadersKept(r: GrpcRig, call: ReceivedCall): void {
    expect(r.shadow.header(call, "te")).toBe("trailers");
    expect(r.shadow.header(call, "grpc-timeout")).toMatch(/^\d+[HMSmun]$/);
    expect(r.shadow.header(call, "content-type")).toBe("application/grpc");
    expect(r.shadow.header(call, "x-request-id")).toBeDefined();
  }

  it("without a redact section, the shadow gets the call as the client sent it", async () => {
    const r = await rig("plain");
    const msg = encodeCharge(1);
    const c = await counters(r);
    const { answer, primary } = await samePrimary(r, (cl) => cl.unary("Charge", msg, { deadlineMs: 10_000, metadata: { "x-request-id": "grpc-plain-1" } }));
    expect(answer.codeName).toBe("OK");
    expect(primary.messages).toEqual([msg]);
    const [s] = await r.shadow.waitFor(1);
    expect(s.path).toBe("/shop.payments.v1.Payments/Charge");
    expect(s.messages).toEqual([msg]);
    expect(s.body.equals(primary.body)).toBe(true);
    grpcHeadersKept(r, s);
    expect(await c.grew("mirrored")).toBe(1);
    expect(await c.grew("shadow.grpc.ok")).toBe(1);
  });

  describe.each<Mode>(["descriptor", "detectors"])("redaction with %s", (mode) => {
    it("unary: the shadow's message decodes, the secrets are gone, the rest is the client's bytes", async () => {
      const r = await rig(mode);
      const msg = encodeCharge(2);
      const c = await counters(r);
      const { answer, primary } = await samePrimary(r, (cl) => cl.unary("Charge", msg, { deadlineMs: 10_000, metadata: { "x-request-id": `grpc-unary-${mode}` } }));
      expect(answer.codeName).toBe("OK");
      expect(primary.messages).toEqual([msg]);
      const [s] = await r.shadow.waitFor(1);
      expect(s.messages.length).toBe(1);
      expectRedactedCharge(msg, s.messages[0], mode);
      expect(unframe(s.body).map((f) => f.message)).toEqual(s.messages);
      grpcHeadersKept(r, s);
      expect(await c.grew("shadow.grpc.ok")).toBe(1);
      expect(await c.grew("redact.detector.email")).toBeGreaterThanOrEqual(1);
      expect(await c.grew("redact.detector.card")).toBeGreaterThanOrEqual(1);
      if (mode === "descriptor") {
        expect(await c.grew("redact.json.masked")).toBeGreaterThanOrEqual(1);
        expect(await c.grew("redact.json.dropped")).toBeGreaterThanOrEqual(1);
        expect(await c.grew("redact.json.hashed")).toBeGreaterThanOrEqual(1);
      }
    });

    it("client streaming with 3 messages: each message redacted, in order", async () => {
      const r = await rig(mode);
      const msgs = [1, 2, 3].map((i) => encodeChunk(`batch-${mode}`, i, 10 + i));
      const c = await counters(r);
      const { answer, primary } = await samePrimary(r, (cl) => cl.clientStream("Upload", msgs, { deadlineMs: 10_000, metadata: { "x-request-id": `grpc-upload-${mode}` } }));
      expect(answer.codeName).toBe("OK");
      expect(primary.messages).toEqual(msgs);
      const [s] = await r.shadow.waitFor(1);
      expect(s.path).toBe("/shop.payments.v1.Payments/Upload");
      expect(s.messages.length).toBe(3);
      msgs.forEach((m, i) => expectRedactedChunk(m, s.messages[i], mode));
      grpcHeadersKept(r, s);
      expect(await c.grew("shadow.grpc.ok")).toBe(1);
    });

    it("server streaming: the request redacted, the shadow's streamed answer read and counted", async () => {
      const r = await rig(mode);
      const msg = encodeWatch("ord-77");
      const c = await counters(r);
      const { answer } = await samePrimary(r, (cl) => cl.serverStream("Watch", msg, { deadlineMs: 10_000, metadata: { "x-request-id": `grpc-watch-${mode}` } }));
      expect(answer.codeName).toBe("OK");
      expect(answer.messages.length).toBe(3);
      const [s] = await r.shadow.waitFor(1);
      expect(s.messages.length).toBe(1);
      expectWatchRedacted(msg, s.messages[0], mode);
      grpcHeadersKept(r, s);
      expect(await c.grew("shadow.grpc.ok")).toBe(1);
    });

    it("a compressed message (grpc-encoding: gzip) is never sent to the shadow as it is", async () => {
      const r = await rig(mode);
      const msg = encodeCharge(3);
      const body = gzipFrame(msg);
      const headers = { "grpc-encoding": "gzip", "grpc-accept-encoding": "identity", "x-request-id": `grpc-gzip-${mode}` };
      const c = await counters(r);
      const want = await rawGrpcCall(baseline!.port, "/shop.payments.v1.Payments/Charge", body, headers);
      const got = await rawGrpcCall(r.port, "/shop.payments.v1.Payments/Charge", body, headers);
      expect(got.grpcStatus).toBe(0);
      expect({ status: got.status, grpc: got.grpcStatus, body: got.body.toString("base64") }).toEqual({ status: want.status, grpc: want.grpcStatus, body: want.body.toString("base64") });
      const [p0] = await baseline!.primary.waitFor(1);
      const [p1] = await r.primary.waitFor(1);
      expect(primaryView(p1)).toEqual(primaryView(p0));
      expect(p1.body.equals(body)).toBe(true);
      expect(await c.grew("redact.body_unscannable.compressed")).toBe(1);
      // on_unscannable's default: the copy goes without its body, flagged; the shadow never sees the message.
      const [s] = await r.shadow.waitFor(1);
      expect(s.messages).toEqual([]);
      expect(s.body.length).toBe(0);
      expect(r.shadow.header(s, "x-mirrorshade-body-dropped")).toBe("compressed");
      expect(r.shadow.header(s, "grpc-encoding")).toBe("gzip");
    });

    it("a 4 MB message under max_body_bytes is copied and redacted", async () => {
      const r = await rig(mode);
      const msg = bigCharge(4, BIG);
      const c = await counters(r);
      const { answer, primary } = await samePrimary(r, (cl) => cl.unary("Charge", msg, { deadlineMs: 20_000, metadata: { "x-request-id": `grpc-big-${mode}` } }));
      expect(answer.codeName).toBe("OK");
      expect(primary.messages[0].equals(msg)).toBe(true);
      const [s] = await r.shadow.waitFor(1, 20_000);
      expect(s.messages.length).toBe(1);
      const got = s.messages[0];
      expect(got.includes(Buffer.from(TEXT_EMAIL))).toBe(false);
      expect(got.includes(Buffer.from(EMAIL))).toBe(false);
      expect(got.length).toBeGreaterThan(BIG);
      // order_id, amount_minor, amount, currency, billing_address, idempotency_key, risk_scores: the client's bytes.
      for (const no of [1, 4, 5, 6, 7, 10, 12]) expect(rawField(got, no).equals(rawField(msg, no)), `field ${no}`).toBe(true);
      expect(await c.grew("shadow.grpc.ok")).toBe(1);
    });

    it("a client stream of two 4 MB messages, over max_body_bytes, is not mirrored (skipped.stream_too_long)", async () => {
      const r = await rig(mode);
      const msgs = [bigChunk(5, BIG), bigChunk(6, BIG)];
      const c = await counters(r);
      const { answer } = await samePrimary(r, (cl) => cl.clientStream("Upload", msgs, { deadlineMs: 20_000, metadata: { "x-request-id": `grpc-too-long-${mode}` } }));
      expect(answer.codeName).toBe("OK");
      expect(await c.grew("skipped.stream_too_long")).toBe(1);
      await c.same("mirrored");
      expect(r.shadow.calls).toEqual([]);
    });

    it("a shadow answering UNAVAILABLE trailers-only is counted; the primary is unaffected", async () => {
      const r = await rig(mode);
      r.shadow.behaviour.unavailable = true;
      try {
        const msg = encodeCharge(6);
        const c = await counters(r);
        const { answer } = await samePrimary(r, (cl) => cl.unary("Charge", msg, { deadlineMs: 10_000, metadata: { "x-request-id": `grpc-unavailable-${mode}` } }));
        expect(answer.codeName).toBe("OK");
        const [s] = await r.shadow.waitFor(1);
        expect(s.answered?.code).toBe(14);
        expectRedactedCharge(msg, s.messages[0], mode);
        expect(await c.grew("shadow.grpc.unavailable")).toBe(1);
        await c.same("shadow.grpc.ok");
      } finally {
        r.shadow.behaviour.unavailable = false;
      }
    });

    it("a shadow that is down: failures counted, every primary call as without the filter", async () => {
      const r = await rig(`down-${mode}`);
      const c = await counters(r);
      const unary = await samePrimary(r, (cl) => cl.unary("Charge", encodeCharge(7), { deadlineMs: 10_000, metadata: { "x-request-id": "grpc-down-1" } }));
      expect(unary.answer.codeName).toBe("OK");
      baseline!.clear();
      r.clear();
      const stream = await samePrimary(r, (cl) => cl.clientStream("Upload", [1, 2, 3].map((i) => encodeChunk("down", i, i)), { deadlineMs: 10_000, metadata: { "x-request-id": "grpc-down-2" } }));
      expect(stream.answer.codeName).toBe("OK");
      expect(await c.grew("shadow.failures", 2)).toBe(2);
      expect(r.shadow.calls).toEqual([]);
    });
  });


  it("a client stream still open after shadow.timeout_ms is not mirrored (skipped.stream_too_long)", async () => {
    const r = await rig("short-timeout");
    const msgs = [1, 2, 3].map((i) => encodeChunk("slow", i, 400 + i));
    const c = await counters(r);
    const pause = (n: number) => (n === 1 ? new Promise<void>((res) => setTimeout(res, SHORT_TIMEOUT_MS * 2)) : Promise.resolve());
    const opts = { deadlineMs: 10_000, metadata: { "x-request-id": "grpc-slow" }, afterWrite: pause };
    const { answer, primary } = await samePrimary(r, (cl) => cl.clientStream("Upload", msgs, opts));
    expect(answer.codeName).toBe("OK");
    expect(primary.messages).toEqual(msgs);
    expect(await c.grew("skipped.stream_too_long")).toBe(1);
    await c.same("mirrored");
    expect(r.shadow.calls).toEqual([]);
  });
});
