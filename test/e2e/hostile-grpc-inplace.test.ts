// Hostile gRPC review (#14), part 4: the in-place shadow role (the copy is
// redacted message by message as it streams into the shadow workload). The
// rig's "primary" server here IS the shadow app behind its inbound proxy.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { gzipSync } from "node:zlib";
import { e2eBackends } from "./backends.js";
import { startGrpcRig, printGrpcLogsAfterFailures, HASH_KEY, type GrpcRig } from "./grpc-fixture.js";
import { paymentsDescriptorBase64, paymentsSchema } from "../../harness/grpc/index.js";
import { PATH, UPLOAD, ld, vi, cat, frame, send, messagesOf, startRawShadow, SIX } from "./hostile-grpc-lib.js";

const CARD = "4111111111111111";
const EMAIL = "alice@example.com";
const CVV = "CVV-7731";
const AUTH = "payments.shop.svc-shadow:50051";

const shadowRole = (grpc: boolean) => ({
  role: "shadow",
  inbound: { recognize: ["host_suffix"] },
  redact: {
    hash_key: `inline:${HASH_KEY}`,
    headers: { drop: ["authorization"] },
    ...(grpc ? { grpc: { descriptor_set: paymentsDescriptorBase64() }, json: { mask: ["$..card.number"], drop: ["$..cvv"], hash: ["$..email"] } } : {}),
    detectors: SIX,
  },
});

describe.each(e2eBackends())("hostile gRPC in place (shadow role), envoy as %s", (backend) => {
  let D: GrpcRig;
  let X: GrpcRig;
  let R: GrpcRig;
  let raw: Awaited<ReturnType<typeof startRawShadow>>;
  beforeAll(async () => {
    raw = await startRawShadow();
    [D, X, R] = await Promise.all([
      startGrpcRig({ backend, config: shadowRole(true) }),
      startGrpcRig({ backend, config: shadowRole(false) }),
      startGrpcRig({ backend, config: shadowRole(true), bootstrap: { primary: { name: "primary", port: raw.port, http2: true } } }),
    ]);
  }, 90_000);
  afterAll(async () => {
    await D?.close();
    await X?.close();
    await R?.close();
    await raw?.close();
  });
  printGrpcLogsAfterFailures(() => [D, X, R]);

  /** What the shadow app (the rig's primary server) received. */
  async function probe(r: GrpcRig, body: Buffer | Buffer[], o: { path?: string; headers?: Record<string, string> } = {}) {
    r.clear();
    const ans = await send(r.port, o.path ?? PATH, body, { ":authority": AUTH, ...o.headers });
    const [c] = await r.primary.waitFor(1, 5000).catch(() => [r.primary.calls[0]]);
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ ans, got: c?.body.toString("hex").slice(0, 400) }));
    return { c, ans };
  }
  const noneOf = (c: { body: Buffer } | undefined, s: string[]) => {
    if (c) for (const x of s) expect(c.body.includes(Buffer.from(x)), `shadow app holds ${x}`).toBe(false);
  };

  it("I0 sanity: a copy is redacted in place", async () => {
    const { c } = await probe(D, frame(cat(ld(1, "o"), ld(2, cat(ld(1, "NUM-1"), ld(2, CVV))), ld(3, EMAIL), ld(11, `pay ${CARD}`))));
    noneOf(c, [CVV, EMAIL, CARD, "NUM-1"]);
  });

  it("I1 a card split over 1-byte DATA frames (prefix too)", async () => {
    const f = frame(cat(ld(1, "o"), ld(11, `pay ${CARD} ${EMAIL}`)));
    const { c } = await probe(X, [...f].map((x) => Buffer.from([x])));
    noneOf(c, [CARD, EMAIL]);
  });

  it("I2 Upload: clean message, then a compressed one holding a card, then a clean one with a card", async () => {
    const m = (s: string) => cat(ld(1, "b"), vi(2, 1), ld(3, cat(ld(11, s))));
    const body = [frame(m("clean")), frame(gzipSync(m(`pay ${CARD}`)), 1), frame(m(`pay ${CARD}`))];
    const { c } = await probe(X, body, { path: UPLOAD, headers: { "grpc-encoding": "gzip" } });
    noneOf(c, [CARD]);
  });

  it("I3 Upload: a message with flag 2 (grpc-js: uncompressed) holding a card, after a clean one", async () => {
    const m = (s: string) => cat(ld(1, "b"), vi(2, 1), ld(3, cat(ld(11, s))));
    const { c } = await probe(X, [frame(m("clean")), frame(m(`pay ${CARD}`), 2), frame(m(`pay ${CARD}`))], { path: UPLOAD });
    noneOf(c, [CARD]);
  });

  it("I4 a message declared over max_body_bytes (2 MiB) with cards throughout", async () => {
    const big = Buffer.alloc(2 * 1048576, 0x61);
    for (let i = 0; i < big.length - 40; i += 65536) big.write(` ${CARD} `, i + 100, "latin1");
    const { c } = await probe(X, frame(cat(ld(1, "o"), ld(11, big))));
    noneOf(c, [CARD]);
  });

  it("I5 Upload: cvv by rule, prefix of every message split in 3 pieces", async () => {
    const m = (i: number) => cat(ld(1, "b"), vi(2, i), ld(3, cat(ld(1, `o${i}`), ld(2, cat(ld(1, "NUM-2"), ld(2, CVV))))));
    const pieces: Buffer[] = [];
    for (let i = 0; i < 4; i++) {
      const f = frame(m(i));
      pieces.push(f.subarray(0, 1), f.subarray(1, 4), f.subarray(4));
    }
    const { c } = await probe(D, pieces, { path: UPLOAD });
    noneOf(c, [CVV, "NUM-2"]);
    if (c) for (const x of messagesOf(c.body)) expect(() => paymentsSchema().decode("shop.payments.v1.UploadChunk", x)).not.toThrow();
  });

  it("I6 -bin metadata in place", async () => {
    const { c } = await probe(D, frame(cat(ld(1, "o"))), { headers: { "x-card-bin": Buffer.from(CARD).toString("base64") } });
    const h = c && D.primary.header(c, "x-card-bin");
    if (h) expect(Buffer.from(h, "base64").toString("latin1")).not.toContain(CARD);
  });

  it("I7 request trailers in place (raw shadow app)", async () => {
    raw.calls.length = 0;
    const ans = await send(R.port, PATH, frame(cat(ld(1, "o"))), { ":authority": AUTH }, { trailers: { "x-card": CARD, "x-email": EMAIL, authorization: "Bearer trl-tok-2" } });
    for (let i = 0; i < 50 && raw.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ ans, raw: raw.calls.map((c) => ({ h: c.headers, t: c.trailers, body: c.body.toString("hex") })) }));
    const all = JSON.stringify(raw.calls);
    expect(all).not.toContain(CARD);
    expect(all).not.toContain(EMAIL);
    expect(all).not.toContain("trl-tok");
  });

  it("I8 a partial message at the end (length past the end), card inside", async () => {
    const m = cat(ld(11, `pay ${CARD}`));
    const f = frame(m);
    f.writeUInt32BE(m.length + 50, 1);
    const { c } = await probe(X, f);
    noneOf(c, [CARD]);
  });

  it("I9 request trailers in place, a JSON body (is it gRPC only?)", async () => {
    raw.calls.length = 0;
    await send(R.port, "/v1/charge", Buffer.from('{"a":1}'), { ":authority": AUTH }, { ct: "application/json", trailers: { "x-card": CARD, authorization: "Bearer trl-tok-3" } });
    for (let i = 0; i < 50 && raw.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ json: raw.calls.map((c) => ({ t: c.trailers, body: c.body.toString() })) }));
    expect(JSON.stringify(raw.calls)).not.toContain(CARD);
    expect(JSON.stringify(raw.calls)).not.toContain("trl-tok");
  });
});
