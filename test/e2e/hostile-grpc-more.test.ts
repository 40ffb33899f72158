// Hostile gRPC review (#14), part 3: request trailers at a raw shadow; card
// numbers in numeric fields; singular fields repeated; long streams.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { e2eBackends } from "./backends.js";
import { startGrpcRig, printGrpcLogsAfterFailures, type GrpcRig } from "./grpc-fixture.js";
import { paymentsSchema } from "../../harness/grpc/index.js";
import { PATH, UPLOAD, ld, vi, cat, frame, descriptorPolicy, detectorsPolicy, send, shadowCall, messagesOf, tag, varint, startRawShadow } from "./hostile-grpc-lib.js";

const CARD = "4111111111111111";
const EMAIL = "alice@example.com";
const decode = (m: Buffer, t = "ChargeRequest") => paymentsSchema().decode(`shop.payments.v1.${t}`, m) as Record<string, unknown>;

describe.each(e2eBackends())("hostile gRPC more, envoy as %s", (backend) => {
  let D: GrpcRig;
  let X: GrpcRig;
  let R: GrpcRig;
  let raw: Awaited<ReturnType<typeof startRawShadow>>;
  beforeAll(async () => {
    raw = await startRawShadow();
    [D, X, R] = await Promise.all([
      startGrpcRig({ backend, config: descriptorPolicy() }),
      startGrpcRig({ backend, config: detectorsPolicy() }),
      startGrpcRig({ backend, config: descriptorPolicy(), shadowPort: raw.port }),
    ]);
  }, 90_000);
  afterAll(async () => {
    await D?.close();
    await X?.close();
    await R?.close();
    await raw?.close();
  });
  printGrpcLogsAfterFailures(() => [D, X, R]);

  async function probe(r: GrpcRig, body: Buffer | Buffer[], o: { path?: string; headers?: Record<string, string> } = {}) {
    r.clear();
    const ans = await send(r.port, o.path ?? PATH, body, o.headers);
    const s = await shadowCall(r.shadow);
    const msgs = s ? messagesOf(s.body) : [];
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ ans, dropped: s && r.shadow.header(s, "x-mirrorshade-body-dropped"), shadowHex: s?.body.toString("hex").slice(0, 300) }));
    return { s, msgs, ans };
  }

  it("T request trailers: no secret, no dropped header reaches the shadow (mirror role)", async () => {
    raw.calls.length = 0;
    const ans = await send(R.port, PATH, frame(cat(ld(1, "ord"))), { authorization: "Bearer hdr-tok-1" }, { trailers: { "x-card": CARD, "x-email": EMAIL, authorization: "Bearer trl-tok-2" } });
    for (let i = 0; i < 50 && raw.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ ans, raw: raw.calls.map((c) => ({ h: c.headers, t: c.trailers, body: c.body.toString("hex") })) }));
    const all = JSON.stringify(raw.calls);
    expect(all).not.toContain(CARD);
    expect(all).not.toContain(EMAIL);
    expect(all).not.toContain("tok-");
  });

  for (const [name, m] of [
    ["int64 amount_minor", cat(ld(1, "ord"), vi(4, 0), tag(4, 0), varint(BigInt(CARD)))],
    ["double amount", (() => { const d = Buffer.alloc(8); d.writeDoubleLE(Number(CARD)); return cat(ld(1, "ord"), tag(5, 1), d); })()],
    ["repeated int64 risk_scores (packed)", cat(ld(1, "ord"), ld(12, cat(varint(1), varint(BigInt(CARD)))))],
    ["repeated int64 risk_scores (unpacked)", cat(ld(1, "ord"), tag(12, 0), varint(BigInt(CARD)))],
    ["int64 amount_minor, negative", cat(ld(1, "ord"), tag(4, 0), varint((-BigInt(CARD)) & ((1n << 64n) - 1n)))],
    ["LineItem.unit_price_minor", cat(ld(1, "ord"), ld(8, cat(ld(1, "sku"), tag(3, 0), varint(BigInt(CARD)))))],
  ] as [string, Buffer][]) {
    // Without a schema, integers packed into an unknown length-delimited field are not read (docs/hardening.md "#14 protobuf").
    for (const mode of name.endsWith("(packed)") ? (["D"] as const) : (["D", "X"] as const)) {
      it(`N ${mode}: a card number in ${name}`, async () => {
        const r = await probe(mode === "D" ? D : X, frame(m));
        for (const x of r.msgs) expect(JSON.stringify(decode(x)), "as the shadow decodes it").not.toContain(CARD);
      });
    }
  }

  it("S Card.number given twice (last wins), email twice", async () => {
    const m = cat(ld(1, "ord"), ld(2, cat(ld(1, "x"), ld(1, "NUM-MARK-77"))), ld(3, "y"), ld(3, "mail-mark-88"));
    const r = await probe(D, frame(m));
    expect(r.s!.body.toString("latin1")).not.toMatch(/NUM-MARK|mail-mark/);
  });

  it("P a long Upload of 100k empty messages, then 2000 chunks with cards: primary answers, Envoy alive", async () => {
    const empties = Buffer.concat(Array.from({ length: 100_000 }, () => frame(Buffer.alloc(0))));
    const t0 = Date.now();
    const r1 = await probe(X, empties, { path: UPLOAD });
    const t1 = Date.now();
    const chunk = frame(cat(ld(1, "b"), vi(2, 1), ld(3, cat(ld(11, `pay ${CARD} ${EMAIL}`)))));
    const r2 = await probe(X, Buffer.concat(Array.from({ length: 2000 }, () => chunk)), { path: UPLOAD });
    const t2 = Date.now();
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ emptiesMs: t1 - t0, cardsMs: t2 - t1, s1: r1.s?.body.length, s2: r2.s?.body.length }));
    expect(r1.ans.grpcStatus).toBe("0");
    expect(r2.ans.grpcStatus).toBe("0");
    if (r2.s) expect(r2.s.body.includes(Buffer.from(CARD))).toBe(false);
  });
});
