// gRPC bodies as real Envoy hands them to the filter, sent with node:http2 so
// the test decides the bytes and the DATA frames: messages whose 5-byte prefix
// is split across frames are still redacted message by message; bodies that
// cannot be scanned (the compressed flag, a truncated frame, a message that is
// no protobuf, a method the descriptor does not know) never reach the shadow as
// they are, and are counted by reason. The primary gets exactly what it gets
// through an Envoy without the filter.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { gzipSync } from "node:zlib";
import { e2eBackends } from "./backends.js";
import { S } from "./fixture.js";
import { startGrpcRig, printGrpcLogsAfterFailures, primaryView, type GrpcRig } from "./grpc-fixture.js";
import { rawGrpcCall, frame, type RawAnswer } from "../../harness/grpc/index.js";
import { encodeCharge, encodeChunk, descriptorPolicy, detectorsPolicy, expectRedactedChunk } from "./grpc-data.js";

type Mode = "descriptor" | "detectors";
const UPLOAD = "/shop.payments.v1.Payments/Upload";
const CHARGE = "/shop.payments.v1.Payments/Charge";

/** Cuts `body` at the given offsets: each piece becomes one DATA frame. */
function cut(body: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...at, body.length]) {
    if (to > from) out.push(body.subarray(from, to));
    from = to;
  }
  return out;
}

const answerOf = (a: RawAnswer) => ({ status: a.status, grpc: a.grpcStatus, body: a.body.toString("base64") });

describe.each(e2eBackends())("gRPC bodies frame by frame, envoy as %s", (backend) => {
  let baseline: GrpcRig | undefined;
  const rigs = new Map<Mode, GrpcRig>();
  beforeAll(async () => {
    baseline = await startGrpcRig({ backend, config: null });
    rigs.set("descriptor", await startGrpcRig({ backend, config: descriptorPolicy() }));
    rigs.set("detectors", await startGrpcRig({ backend, config: detectorsPolicy() }));
  });
  afterAll(async () => {
    await baseline?.close();
    for (const r of rigs.values()) await r.close();
  });
  printGrpcLogsAfterFailures(() => [baseline, ...rigs.values()]);

  /** The same raw call through the baseline and `mode`'s Envoy: same answer, same bytes at the primary. */
  async function both(mode: Mode, path: string, body: Buffer | Buffer[], headers: Record<string, string>) {
    const r = rigs.get(mode)!;
    baseline!.clear();
    r.clear();
    const before = await r.envoy.stats();
    const want = await rawGrpcCall(baseline!.port, path, body, headers);
    const got = await rawGrpcCall(r.port, path, body, headers);
    expect(answerOf(got)).toEqual(answerOf(want));
    const [p0] = await baseline!.primary.waitFor(1);
    const [p1] = await r.primary.waitFor(1);
    expect(primaryView(p1)).toEqual(primaryView(p0));
    expect(p1.body.equals(Buffer.isBuffer(body) ? body : Buffer.concat(body))).toBe(true);
    const grew = async (name: string) => (await r.waitStat(S(name), (before.get(S(name)) ?? 0) + 1)) - (before.get(S(name)) ?? 0);
    return { r, got, grew };
  }

  describe.each<Mode>(["descriptor", "detectors"])("%s", (mode) => {
    it("three messages with prefixes split across DATA frames are redacted message by message", async () => {
      const msgs = [1, 2, 3].map((i) => encodeChunk(`split-${mode}`, i, 300 + i));
      const body = Buffer.concat(msgs.map((m) => frame(m)));
      const second = 5 + msgs[0].length;
      const third = second + 5 + msgs[1].length;
      // Inside the first prefix, inside the first message, inside the second prefix, one byte into the third message.
      const pieces = cut(body, [2, 4, 40, second + 1, second + 3, third + 6]);
      const { r, got, grew } = await both(mode, UPLOAD, pieces, { "x-request-id": `split-${mode}`, "grpc-timeout": "10S" });
      expect(got.grpcStatus).toBe(0);
      const [s] = await r.shadow.waitFor(1);
      expect(s.messages.length).toBe(3);
      msgs.forEach((m, i) => expectRedactedChunk(m, s.messages[i], mode));
      expect(r.shadow.header(s, "te")).toBe("trailers");
      expect(r.shadow.header(s, "grpc-timeout")).toBe("10S");
      expect(await grew("shadow.grpc.ok")).toBe(1);
    });

    it("an empty message between two others stays an empty message", async () => {
      const msgs = [encodeChunk(`empty-${mode}`, 1, 601), Buffer.alloc(0), encodeChunk(`empty-${mode}`, 3, 603)];
      const body = Buffer.concat(msgs.map((m) => frame(m)));
      const second = 5 + msgs[0].length;
      const { r, got } = await both(mode, UPLOAD, cut(body, [second + 2, second + 5]), { "x-request-id": `empty-${mode}` });
      expect(got.grpcStatus).toBe(0);
      const [s] = await r.shadow.waitFor(1);
      expect(s.messages.length).toBe(3);
      expect(s.messages[1].length).toBe(0);
      expectRedactedChunk(msgs[0], s.messages[0], mode);
      expectRedactedChunk(msgs[2], s.messages[2], mode);
    });

    it("grpc-encoding: identity is no compression: the message is redacted and sent", async () => {
      const msg = encodeChunk(`identity-${mode}`, 1, 701);
      const { r, got } = await both(mode, UPLOAD, frame(msg), { "grpc-encoding": "identity", "x-request-id": `identity-${mode}` });
      expect(got.grpcStatus).toBe(0);
      const [s] = await r.shadow.waitFor(1);
      expect(s.messages.length).toBe(1);
      expectRedactedChunk(msg, s.messages[0], mode);
      expect(r.shadow.header(s, "grpc-encoding")).toBe("identity");
    });

    const charge = encodeCharge(9);
    // [what, the reason counted, :path, body]
    const cases: [string, string, string, Buffer][] = [
      ["the compressed flag without grpc-encoding", "compressed", CHARGE, frame(gzipSync(charge), true)],
      ["a truncated frame", "invalid_grpc_frame", CHARGE, frame(charge).subarray(0, 5 + charge.length - 3)],
      ["a message that is no protobuf", "invalid_protobuf", CHARGE, frame(Buffer.from([0x0a, 0x7f, 0x01, 0x02]))],
    ];
    if (mode === "descriptor") cases.push(["a method the descriptor does not know", "unknown_grpc_method", "/shop.payments.v1.Payments/Refund", frame(charge)]);

    it.each(cases)("%s: never sent to the shadow as it is (redact.body_unscannable.%s)", async (_name, reason, path, body) => {
      const { r, grew } = await both(mode, path, body, { "x-request-id": `unscannable-${reason}-${mode}` });
      expect(await grew(`redact.body_unscannable.${reason}`)).toBe(1);
      // on_unscannable's default: the copy goes without its body, flagged.
      const [s] = await r.shadow.waitFor(1);
      expect(s.messages).toEqual([]);
      expect(s.body.length).toBe(0);
      expect(r.shadow.header(s, "x-mirrorshade-body-dropped")).toBe(reason);
      expect(r.shadow.calls.length).toBe(1);
    });
  });

});
