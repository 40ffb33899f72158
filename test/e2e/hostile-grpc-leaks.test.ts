// Hostile gRPC review (#14): each case sends a hand-built call through real
// Envoy with a security-minded policy and checks that no secret reaches the
// shadow (raw bytes, and as protobufjs/grpc-js decodes them), and that the
// primary got the client's bytes.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { e2eBackends } from "./backends.js";
import { startGrpcRig, printGrpcLogsAfterFailures, type GrpcRig } from "./grpc-fixture.js";
import { PATH, UPLOAD, ld, vi, cat, frame, descriptorPolicy, detectorsPolicy, send, shadowCall, decodeCharge, messagesOf, tag, varint } from "./hostile-grpc-lib.js";

const CARD = "4111111111111111";
const EMAIL = "alice@example.com";
// Rule-only secrets (no detector sees them): only the field rules can hide them.
const NUM = "NUM-5599-MARK"; // card.number (mask)
const CVV = "CVV-7731"; // card.cvv (drop)
const MAIL = "mail-3141-mark"; // email (hash)

function card(number: string, cvv: string): Buffer {
  return cat(ld(1, number), ld(2, cvv));
}

describe.each(e2eBackends())("hostile gRPC, envoy as %s", (backend) => {
  let D: GrpcRig; // descriptor + rules + six detectors
  let X: GrpcRig; // six detectors, no descriptor
  beforeAll(async () => {
    [D, X] = await Promise.all([startGrpcRig({ backend, config: descriptorPolicy() }), startGrpcRig({ backend, config: detectorsPolicy() })]);
  }, 60_000);
  afterAll(async () => {
    await D?.close();
    await X?.close();
  });
  printGrpcLogsAfterFailures(() => [D, X]);

  /** Sends `body`, returns what the shadow received; checks the primary got the body byte for byte. */
  async function probe(r: GrpcRig, body: Buffer | Buffer[], o: { path?: string; headers?: Record<string, string>; trailers?: Record<string, string>; ct?: string | null } = {}) {
    r.clear();
    const whole = Buffer.isBuffer(body) ? body : Buffer.concat(body);
    const ans = await send(r.port, o.path ?? PATH, body, o.headers, { trailers: o.trailers, ct: o.ct });
    const [p] = await r.primary.waitFor(1, 5000).catch(() => [null]);
    const s = await shadowCall(r.shadow);
    const dropped = s ? r.shadow.header(s, "x-mirrorshade-body-dropped") : undefined;
    const msgs = s ? messagesOf(s.body) : [];
    if (process.env.MIRRORSHADE_HOSTILE_LOG) console.log(
      JSON.stringify({
        ans,
        primarySame: p ? p.body.equals(whole) : "no primary call",
        shadow: s ? { dropped, bodyHex: s.body.toString("hex").slice(0, 400), decoded: msgs.map((m) => decodeCharge(m)), headers: s.headers.filter(([k]) => k.startsWith("x-") && !k.startsWith("x-envoy") && k !== "x-request-id" && k !== "x-forwarded-proto") } : null,
      }),
    );
    if (p) expect(p.body.equals(whole), "primary body").toBe(true);
    return { s, dropped, msgs, ans };
  }
  const noneOf = (s: { s: { body: Buffer; headers: [string, string][] } | null }, secrets: string[]) => {
    if (!s.s) return;
    const all = Buffer.concat([s.s.body, Buffer.from(JSON.stringify(s.s.headers))]);
    for (const x of secrets) expect(all.includes(Buffer.from(x)), `shadow holds ${x}`).toBe(false);
  };

  // ---------------- descriptor mode: the field rules ----------------
  it("D0 sanity: rules hide the rule-only markers", async () => {
    const m = cat(ld(1, "ord-1"), ld(2, card(NUM, CVV)), ld(3, MAIL));
    const r = await probe(D, frame(m));
    noneOf(r, [NUM, CVV, MAIL]);
  });

  it("D1 card message given twice (decoders merge): number in the first, cvv in the second", async () => {
    const m = cat(ld(1, "ord-1"), ld(2, ld(1, NUM)), ld(2, ld(2, CVV)));
    noneOf(await probe(D, frame(m)), [NUM, CVV]);
  });

  it("D2 non-minimal varints: cvv tag as 2 bytes, card length as 3 bytes", async () => {
    const c = cat(ld(1, NUM, { tagBytes: 2 }), ld(2, CVV, { tagBytes: 3, lenBytes: 2 }));
    const m = cat(ld(1, "ord-1"), ld(2, c, { lenBytes: 3 }), ld(3, MAIL, { tagBytes: 2 }));
    const r = await probe(D, frame(m));
    noneOf(r, [NUM, CVV, MAIL]);
    for (const x of r.msgs) expect(typeof decodeCharge(x), "shadow message decodes").toBe("object");
  });

  it("D3 wire-type confusion: card (field 2) tagged as varint; protobufjs reads it as the Card", async () => {
    // protobufjs (grpc-js' usual decoder) ignores the wire type of a known field:
    // tag 0x10 then a length then Card bytes is read as card{number, cvv}.
    const c = card(NUM, "8181"); // "8181" also parses as fields of a message (7: varint '1' twice)
    const m = cat(ld(1, "ord-1"), ld(2, c, { wire: 0 }));
    const r = await probe(D, frame(m));
    noneOf(r, [NUM]);
    for (const x of r.msgs) {
      const d = decodeCharge(x);
      if (typeof d === "object" && d.card) expect((d.card as Record<string, string>).cvv ?? "", "cvv as the shadow decodes it").toBe("");
    }
  });

  it("D4 wire-type confusion inside Card: cvv tagged fixed32-less varint (0x10)", async () => {
    // Card{ number (ok), tag(2, varint) len "8181" } -> protobufjs: cvv = "8181"
    const c = cat(ld(1, "0000"), tag(2, 0), varint(4), Buffer.from("8181"));
    const m = cat(ld(1, "ord-1"), ld(2, c));
    const r = await probe(D, frame(m));
    for (const x of r.msgs) {
      const d = decodeCharge(x);
      if (typeof d === "object" && d.card) expect((d.card as Record<string, string>).cvv ?? "", "cvv as the shadow decodes it").toBe("");
    }
  });

  it("D5 cvv as a map key (labels{cvv: ...})", async () => {
    const m = cat(ld(1, "ord-1"), ld(9, cat(ld(1, "cvv"), ld(2, CVV))), ld(9, cat(ld(1, "email"), ld(2, MAIL))));
    noneOf(await probe(D, frame(m)), [CVV, MAIL]);
  });

  it("D6 card number and e-mail in a bytes field (idempotency_key)", async () => {
    const m = cat(ld(1, "ord-1"), ld(10, `${CARD} ${EMAIL}`));
    noneOf(await probe(D, frame(m)), [CARD, EMAIL]);
  });

  it("D7 invalid UTF-8 next to a card in a string field (protobufjs accepts it)", async () => {
    const m = cat(ld(1, "ord-1"), ld(11, Buffer.concat([Buffer.from(`card ${CARD}`), Buffer.from([0xff]), Buffer.from(` ${EMAIL}`)])));
    noneOf(await probe(D, frame(m)), [CARD, EMAIL]);
  });

  it("D8 secrets in -bin metadata (grpc-js base64-decodes them)", async () => {
    const r = await probe(D, frame(cat(ld(1, "ord-1"))), {
      headers: { "x-card-bin": Buffer.from(CARD).toString("base64"), "x-email-bin": Buffer.from(EMAIL).toString("base64").replace(/=+$/, "") },
    });
    if (r.s) {
      const cardHdr = r.s.headers.find(([k]) => k === "x-card-bin")?.[1];
      const mailHdr = r.s.headers.find(([k]) => k === "x-email-bin")?.[1];
      if (cardHdr) expect(Buffer.from(cardHdr, "base64").toString("latin1")).not.toContain(CARD);
      if (mailHdr) expect(Buffer.from(mailHdr, "base64").toString("latin1")).not.toContain(EMAIL);
    }
  });

  it("D9 secrets in request trailers", async () => {
    const r = await probe(D, frame(cat(ld(1, "ord-1"))), { trailers: { "x-card": CARD, "x-email": EMAIL, authorization: "Bearer sekrit-tok-1" } });
    noneOf(r, [CARD, EMAIL, "sekrit-tok-1"]);
  });

  it("D10 Upload stream: cvv nested in chunk.charge.card, 3 messages in one DATA frame, prefix split", async () => {
    const chunk = (i: number) => cat(ld(1, "batch"), vi(2, i), ld(3, cat(ld(1, `o${i}`), ld(2, card(NUM, CVV)), ld(3, MAIL))));
    const all = Buffer.concat([frame(chunk(1)), frame(chunk(2)), frame(chunk(3))]);
    const cut = frame(chunk(1)).length + 2;
    noneOf(await probe(D, [all.subarray(0, cut), all.subarray(cut)], { path: UPLOAD }), [NUM, CVV, MAIL]);
  });

  it("D11 card as a group (wire types 3/4) holding the Card fields", async () => {
    const m = cat(ld(1, "ord-1"), tag(2, 3), ld(1, NUM), ld(2, CVV), tag(2, 4));
    noneOf(await probe(D, frame(m)), [NUM, CVV]);
  });

  it("D12 unknown field holding a Card-shaped message", async () => {
    const m = cat(ld(1, "ord-1"), ld(99, cat(ld(2, card(NUM, CVV)), ld(3, `x ${CARD} ${EMAIL}`))));
    noneOf(await probe(D, frame(m)), [CARD, EMAIL]);
  });

  // ---------------- detectors only ----------------
  it("X1 a card whose digits parse as protobuf fields (tags '5','1','0'), in a string field", async () => {
    // "5424214242424202": '5' = field 6 fixed32 (4 bytes), '1' = field 6 fixed64 (8 bytes), '0' = field 6 varint.
    const c = "5424214242424202";
    const m = cat(ld(1, "ord-1"), ld(11, c));
    noneOf(await probe(X, frame(m)), [c]);
  });

  it("X2 an e-mail whose letters parse as protobuf fields", async () => {
    // 'a' = field 12 fixed64 ("lice@exa"), 'm' = field 13 fixed32 ("ple."), 'h' = field 13 varint ('k')
    const e = "alice@example.hk";
    const m = cat(ld(1, "ord-1"), ld(3, e));
    noneOf(await probe(X, frame(m)), [e]);
  });

  it("X3 the same card and e-mail with the descriptor (string fields known)", async () => {
    const m = cat(ld(1, "ord-1"), ld(11, "5424214242424202"), ld(3, "alice@example.hk"));
    noneOf(await probe(D, frame(m)), ["5424214242424202", "alice@example.hk"]);
  });

  it("X4 -bin metadata, detectors only", async () => {
    const r = await probe(X, frame(cat(ld(1, "ord-1"))), { headers: { "x-card-bin": Buffer.from(CARD).toString("base64") } });
    const h = r.s?.headers.find(([k]) => k === "x-card-bin")?.[1];
    if (h) expect(Buffer.from(h, "base64").toString("latin1")).not.toContain(CARD);
  });

  it("X5 invalid UTF-8 next to a card, detectors only", async () => {
    const m = cat(ld(1, "ord-1"), ld(11, Buffer.concat([Buffer.from(CARD), Buffer.from([0xc3])])));
    noneOf(await probe(X, frame(m)), [CARD]);
  });

  it("X6 very deep nesting (3000 levels) with a card at the bottom: primary fine, no leak", async () => {
    let inner = ld(1, CARD);
    for (let i = 0; i < 3000; i++) inner = ld(1, inner);
    const r = await probe(X, frame(cat(ld(11, inner))));
    expect(r.ans.grpcStatus, "primary answered").not.toBeNull();
    noneOf(r, [CARD]);
  });

  it("X7 framing: compressed flag 2 (grpc-js reads it as uncompressed)", async () => {
    noneOf(await probe(X, frame(cat(ld(1, "ord-1"), ld(11, CARD)), 2)), [CARD]);
  });

  it("X8 framing: flag 0x80 (grpc-web trailer frame) under grpc-web content type", async () => {
    noneOf(await probe(X, Buffer.concat([frame(cat(ld(11, CARD))), frame(Buffer.from(`x-card: ${CARD}\r\n`), 0x80)]), { ct: "application/grpc-web+proto" }), [CARD]);
  });
});
