// Hostile gRPC review (#14), part 2: messages with nothing to redact must reach
// the shadow byte for byte (odd but valid encodings); length re-encoding across
// varint boundaries; content-type spellings; framing; metadata.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { e2eBackends } from "./backends.js";
import { startGrpcRig, printGrpcLogsAfterFailures, type GrpcRig } from "./grpc-fixture.js";
import { paymentsSchema } from "../../harness/grpc/index.js";
import { PATH, UPLOAD, ld, vi, cat, frame, descriptorPolicy, detectorsPolicy, send, shadowCall, messagesOf, tag, varint } from "./hostile-grpc-lib.js";

const CARD = "4111111111111111";
const EMAIL = "alice@example.com";

describe.each(e2eBackends())("hostile gRPC shapes, envoy as %s", (backend) => {
  let D: GrpcRig;
  let X: GrpcRig;
  beforeAll(async () => {
    [D, X] = await Promise.all([startGrpcRig({ backend, config: descriptorPolicy() }), startGrpcRig({ backend, config: detectorsPolicy() })]);
  }, 60_000);
  afterAll(async () => {
    await D?.close();
    await X?.close();
  });
  printGrpcLogsAfterFailures(() => [D, X]);

  async function probe(r: GrpcRig, body: Buffer | Buffer[], o: { path?: string; headers?: Record<string, string | string[]>; ct?: string | null } = {}) {
    r.clear();
    const whole = Buffer.isBuffer(body) ? body : Buffer.concat(body);
    const ans = await send(r.port, o.path ?? PATH, body, o.headers, { ct: o.ct });
    const [p] = await r.primary.waitFor(1, 5000).catch(() => [null]);
    const s = await shadowCall(r.shadow);
    const dropped = s ? r.shadow.header(s, "x-mirrorshade-body-dropped") : undefined;
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(JSON.stringify({ ans, primarySame: p ? p.body.equals(whole) : "none", dropped, sentHex: whole.toString("hex").slice(0, 300), shadowHex: s?.body.toString("hex").slice(0, 300), ct: s && r.shadow.header(s, "content-type") }));
    if (p) expect(p.body.equals(whole), "primary body").toBe(true);
    return { s, dropped, ans };
  }
  const identical = async (r: GrpcRig, msg: Buffer, path = PATH) => {
    const x = await probe(r, frame(msg), { path });
    expect(x.dropped, "dropped").toBeUndefined();
    expect(x.s?.body.toString("hex")).toBe(frame(msg).toString("hex"));
  };

  const benign: [string, Buffer][] = [
    ["non-minimal tag and length varints", cat(ld(1, "ord-1", { tagBytes: 3, lenBytes: 2 }), tag(4, 0, 2), varint(1250, 4))],
    ["fields out of order, order_id twice", cat(vi(4, 5), ld(1, "a"), vi(6, 1), ld(1, "ord-2"))],
    ["risk_scores packed and unpacked mixed", cat(ld(12, cat(varint(1), varint(300), varint(2 ** 40))), vi(12, 7), ld(12, ""))],
    ["unknown fields of every wire type", cat(ld(1, "ord"), vi(40, 3), tag(41, 1), Buffer.alloc(8, 1), tag(42, 5), Buffer.alloc(4, 2), ld(43, "blob\x00\x01"))],
    ["unknown group", cat(ld(1, "ord"), tag(50, 3), vi(1, 1), ld(2, "x"), tag(50, 4))],
    ["zero-length card and address", cat(ld(1, "ord"), ld(2, ""), ld(7, ""))],
    ["max field number, negative int64", cat(ld(1, "ord"), tag(536870911, 0), varint(1), tag(4, 0), varint(-5n & ((1n << 64n) - 1n)))],
    ["a string that parses as a message", cat(ld(1, "ord"), ld(11, cat(ld(1, "inner"), vi(2, 3))))],
    ["invalid UTF-8 in a string, no secret", cat(ld(1, "ord"), ld(11, Buffer.from([0xff, 0xfe, 0x41])))],
    ["map entry value before key, duplicate keys", cat(ld(9, cat(ld(2, "v"), ld(1, "k"))), ld(9, cat(ld(1, "k"), ld(2, "w"))))],
  ];
  for (const [name, msg] of benign) {
    it(`B descriptor: byte-identical: ${name}`, () => identical(D, msg));
    it(`B detectors: byte-identical: ${name}`, () => identical(X, msg));
  }

  // Go and Java read a known number with another wire type as an unknown field; protobufjs reads it as the field.
  // With the schema the redactor refuses to guess (docs/hardening.md "#14 protobuf"); without one it is just a field.
  it("B descriptor: a known field with the wrong wire type is invalid_protobuf; detectors alone pass it byte-identical", async () => {
    const msg = cat(ld(1, "ord"), ld(6, ""));
    const x = await probe(D, frame(msg));
    expect(x.dropped).toBe("invalid_protobuf");
    expect(x.s?.body.length ?? 0).toBe(0);
    await identical(X, msg);
  });

  it("B empty message and 100 empty messages (Upload)", async () => {
    const x = await probe(D, Buffer.concat(Array.from({ length: 100 }, () => frame(Buffer.alloc(0)))), { path: UPLOAD });
    expect(x.dropped).toBeUndefined();
    expect(x.s?.body.length).toBe(500);
  });

  it("L hash grows nested lengths across the 128 boundary (Upload chunk.charge.email)", async () => {
    const chargeMsg = cat(ld(1, "o".repeat(80)), ld(3, EMAIL), ld(11, "n".repeat(20)));
    const chunk = cat(ld(1, "b"), vi(2, 1), ld(3, chargeMsg));
    const body = Buffer.concat([frame(chunk), frame(chunk)]);
    const x = await probe(D, [body.subarray(0, 3), body.subarray(3, 130), body.subarray(130)], { path: UPLOAD });
    const msgs = messagesOf(x.s!.body);
    expect(msgs.length).toBe(2);
    for (const m of msgs) {
      const d = paymentsSchema().decode("shop.payments.v1.UploadChunk", m) as { charge: Record<string, string> };
      expect(d.charge.email).toMatch(/^hmac:/);
      expect(d.charge.comment).toBe("n".repeat(20));
    }
  });

  for (const ct of ["application/grpc+proto", "Application/GRPC", "application/grpc; charset=utf-8", "application/grpc+PROTO", "application/grpcx", "application/grpc-web", "application/grpc-web-text"]) {
    it(`C content-type ${ct}: no card in the shadow`, async () => {
      const x = await probe(X, frame(cat(ld(1, "ord"), ld(11, `pay ${CARD}`))), { ct });
      if (x.s) expect(x.s.body.includes(Buffer.from(CARD))).toBe(false);
    });
  }
  it("C no content-type", async () => {
    const x = await probe(X, frame(cat(ld(1, "ord"), ld(11, `pay ${CARD}`))), { ct: null });
    if (x.s) expect(x.s.body.includes(Buffer.from(CARD))).toBe(false);
  });

  it("F length past the end, then stream end", async () => {
    const m = cat(ld(11, CARD));
    const f = frame(m);
    f.writeUInt32BE(m.length + 10, 1);
    const x = await probe(X, f);
    if (x.s) expect(x.s.body.includes(Buffer.from(CARD))).toBe(false);
  });
  it("F trailing partial prefix after a good message", async () => {
    const x = await probe(X, Buffer.concat([frame(cat(ld(11, CARD))), Buffer.from([0, 0])]));
    if (x.s) expect(x.s.body.includes(Buffer.from(CARD))).toBe(false);
  });
  it("F grpc-encoding gzip with flag 0; grpc-encoding 'Identity' with flag 1", async () => {
    let x = await probe(X, frame(cat(ld(11, CARD))), { headers: { "grpc-encoding": "gzip" } });
    if (x.s) expect(x.s.body.includes(Buffer.from(CARD))).toBe(false);
    x = await probe(X, frame(cat(ld(11, CARD)), 1), { headers: { "grpc-encoding": "Identity" } });
    if (x.s) expect(x.s.body.includes(Buffer.from(CARD))).toBe(false);
  });

  it("M secrets in -bin metadata under other names (authorization-bin, grpc-trace-bin)", async () => {
    const x = await probe(D, frame(cat(ld(1, "ord"))), { headers: { "authorization-bin": Buffer.from("Bearer sekrit-tok").toString("base64"), "x-user-bin": Buffer.from(`{"email":"${EMAIL}","card":"${CARD}"}`).toString("base64") } });
    for (const [k, v] of x.s?.headers ?? []) if (k.endsWith("-bin")) expect(Buffer.from(v, "base64").toString("latin1")).not.toMatch(/sekrit|4111|alice@/);
  });
});
