// Hostile gRPC review (#14), part 6: the primary's call through the filter
// (mirror role, descriptor policy) against an Envoy without it, for odd calls;
// and the time a long stream of tiny messages takes with and without it.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { e2eBackends } from "./backends.js";
import { startGrpcRig, printGrpcLogsAfterFailures, primaryView, type GrpcRig } from "./grpc-fixture.js";
import { PATH, UPLOAD, ld, vi, cat, frame, descriptorPolicy, send } from "./hostile-grpc-lib.js";

const CARD = "4111111111111111";

describe.each(e2eBackends())("hostile gRPC primary, envoy as %s", (backend) => {
  let B: GrpcRig;
  let D: GrpcRig;
  beforeAll(async () => {
    [B, D] = await Promise.all([startGrpcRig({ backend, config: null }), startGrpcRig({ backend, config: descriptorPolicy() })]);
  }, 60_000);
  afterAll(async () => {
    await B?.close();
    await D?.close();
  });
  printGrpcLogsAfterFailures(() => [B, D]);

  const odd: [string, string, Buffer | Buffer[], Record<string, string>, Record<string, string> | undefined][] = [
    ["-bin metadata and trailers", PATH, frame(cat(ld(1, "o"), ld(11, CARD))), { "x-card-bin": Buffer.from(CARD).toString("base64"), authorization: "Bearer t" }, { "x-card": CARD }],
    ["flag 2, split prefix", UPLOAD, [Buffer.from([2, 0]), Buffer.from([0, 0, 4, 0x0a, 2, 0x61, 0x62])], {}, undefined],
    ["length past the end", PATH, Buffer.from([0, 0, 0, 1, 0, 0x0a]), {}, undefined],
    ["wire-type mismatch", PATH, frame(cat(ld(1, "o"), ld(6, ""))), { "grpc-encoding": "identity" }, undefined],
  ];
  for (const [name, path, body, headers, trailers] of odd) {
    it(`P primary byte-identical to no-filter Envoy: ${name}`, async () => {
      B.clear();
      D.clear();
      const a0 = await send(B.port, path, body, headers, { trailers });
      const a1 = await send(D.port, path, body, headers, { trailers });
      expect(a1).toEqual(a0);
      const [p0] = await B.primary.waitFor(1);
      const [p1] = await D.primary.waitFor(1);
      expect(primaryView(p1)).toEqual(primaryView(p0));
    });
  }

  it("P 100k empty messages in one Upload: time with and without the filter", async () => {
    const body = Buffer.concat(Array.from({ length: 100_000 }, () => frame(Buffer.alloc(0))));
    const t0 = Date.now();
    const a0 = await send(B.port, UPLOAD, body);
    const t1 = Date.now();
    const a1 = await send(D.port, UPLOAD, body);
    const t2 = Date.now();
    // a clean unary call right after, on the filtered Envoy
    const t3 = Date.now();
    const a2 = await send(D.port, PATH, frame(cat(ld(1, "o"), vi(4, 1))));
    const t4 = Date.now();
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ baselineMs: t1 - t0, filteredMs: t2 - t1, nextUnaryMs: t4 - t3, a0, a1, a2 }));
    expect(a1.grpcStatus).toBe(a0.grpcStatus);
  });
});
