// The payments the gRPC e2e tests send, the policies they mirror them with, and
// the checks on what the shadow received: it decodes, the secrets are gone, and
// every field no rule or detector touched is the client's bytes.
import { expect } from "vitest";
import { paymentsSchema, paymentsDescriptorBase64, rawField, fieldPayload, type MethodName } from "../../harness/grpc/index.js";
import { HASH_KEY, hmacToken } from "./grpc-fixture.js";

export const CARD = "4111111111111111";
export const CVV = "987";
export const EMAIL = "alice@example.com";
/** Detector hits in free text: in a comment, a repeated message's note and a map value. */
export const TEXT_CARD = "4242 4242 4242 4242";
export const TEXT_EMAIL = "bob@example.org";

export const ADDRESSES = [
  { name: "Ann Lee", street: "1 Main St", city: "Springfield", postal_code: "01101", country: "US" },
  { name: "Jörg Müller", street: "Müllerstraße 5", city: "Zürich", postal_code: "8001", country: "CH" },
  { name: "Marie Curie", street: "12 Rue de la Paix", city: "Paris", postal_code: "75002", country: "FR" },
  { name: "山田太郎", street: "千代田区1-1", city: "東京都", postal_code: "100-0001", country: "JP" },
  { name: "Ana Ruiz", street: "Calle Mayor 3", city: "Madrid", postal_code: "28013", country: "ES" },
];

export function chargeRequest(i: number, address = ADDRESSES[0]): Record<string, unknown> {
  return {
    order_id: `ord-${i}`,
    card: { number: CARD, cvv: CVV, expiry_month: 12, expiry_year: 2030 },
    email: EMAIL,
    amount_minor: "129900",
    amount: 1299.5,
    currency: "EUR",
    billing_address: address,
    items: [
      { sku: "SKU-RED-1", quantity: 2, unit_price_minor: "49950", note: "gift wrap please" },
      { sku: "SKU-BLU-7", quantity: 1, unit_price_minor: "30000", note: `backup card ${TEXT_CARD}` },
    ],
    labels: { channel: "web", contact: `mail ${TEXT_EMAIL}`, experiment: "checkout-v2" },
    idempotency_key: Buffer.from([0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, i & 0xff]),
    comment: `reach me at ${TEXT_EMAIL}`,
    risk_scores: ["3", "-7", "9007199254740993"],
  };
}

const schema = () => paymentsSchema();
export const encodeCharge = (i: number, address = ADDRESSES[0]) => schema().encode("shop.payments.v1.ChargeRequest", chargeRequest(i, address));
export const encodeChunk = (batch: string, seq: number, i: number) =>
  schema().encode("shop.payments.v1.UploadChunk", { batch_id: batch, sequence: seq, charge: chargeRequest(i) });
export const encodeWatch = (order: string) => schema().encode("shop.payments.v1.WatchRequest", { order_id: order, email: EMAIL, updates: 3 });

/** A Charge whose comment makes the message about `bytes` long (the 4 MB case). */
export function bigCharge(i: number, bytes: number): Buffer {
  const req = chargeRequest(i);
  req.comment = `${"lorem ipsum dolor sit amet ".repeat(Math.ceil(bytes / 27)).slice(0, bytes)} ${TEXT_EMAIL}`;
  return schema().encode("shop.payments.v1.ChargeRequest", req);
}

/** An UploadChunk carrying bigCharge(i, bytes). */
export const bigChunk = (i: number, bytes: number) =>
  schema().encode("shop.payments.v1.UploadChunk", { batch_id: `big-${i}`, sequence: 1, charge: schema().decode("shop.payments.v1.ChargeRequest", bigCharge(i, bytes)) });

const DESCRIPTOR = paymentsDescriptorBase64();

/** Rules by field name (through the descriptor), detectors over every string. */
export function descriptorPolicy(extra: Record<string, unknown> = {}, shadow: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    role: "mirror",
    shadow: { cluster: "shadow", timeout_ms: 5000, ...shadow },
    redact: {
      hash_key: `inline:${HASH_KEY}`,
      grpc: { descriptor_set: DESCRIPTOR },
      json: { mask: ["$..card.number"], drop: ["$..cvv"], hash: ["$..email"] },
      detectors: ["card", "email"],
    },
    ...extra,
  };
}

/** Detectors only, no descriptor: messages walked as `protoc --decode_raw` reads them. */
export function detectorsPolicy(shadow: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...extra,
    role: "mirror",
    shadow: { cluster: "shadow", timeout_ms: 5000, ...shadow },
    redact: { hash_key: `inline:${HASH_KEY}`, detectors: ["card", "email"] },
  };
}

type Obj = Record<string, unknown>;

function noSecret(where: string, bytes: Buffer, secrets: string[]): void {
  for (const s of secrets) expect(bytes.includes(Buffer.from(s)), `${where} still holds ${s}`).toBe(false);
}

/** Strings detectors rewrite: the secret is gone, the text around it is not. */
function scrubbed(value: unknown, secret: string, keep: string): void {
  expect(typeof value).toBe("string");
  expect(value as string).not.toContain(secret);
  expect(value as string).toContain(keep);
}

/**
 * A ChargeRequest as the shadow got it, against the one the client sent: with
 * the descriptor, card number masked, cvv dropped, email hashed; with detectors
 * only, the card number and e-mail rewritten where they stand. Detector hits in
 * text are gone either way; every other field is the client's, bytes and all.
 */
export function expectRedactedCharge(sent: Buffer, got: Buffer, mode: "descriptor" | "detectors"): void {
  const s = schema();
  const want = s.decode("shop.payments.v1.ChargeRequest", sent) as Obj;
  const have = s.decode("shop.payments.v1.ChargeRequest", got) as Obj;
  noSecret("the shadow's message", got, [CARD, EMAIL, TEXT_CARD, TEXT_EMAIL]);
  const wc = want.card as Obj;
  const hc = have.card as Obj;
  if (mode === "descriptor") {
    expect(hc.number).toBe("*".repeat(CARD.length));
    expect(hc.cvv).toBeUndefined();
    expect(have.email).toBe(hmacToken(EMAIL));
  } else {
    expect(hc.number).not.toBe(CARD);
    expect(String(hc.number)).toMatch(/^\d{16}$/);
    expect(hc.cvv).toBe(CVV);
    expect(have.email).not.toBe(EMAIL);
  }
  expect({ ...hc, number: 0, cvv: 0 }).toEqual({ ...wc, number: 0, cvv: 0 });
  scrubbed(have.comment, TEXT_EMAIL, "reach me at");
  const hi = have.items as Obj[];
  const wi = want.items as Obj[];
  expect(hi.length).toBe(wi.length);
  scrubbed(hi[1].note, TEXT_CARD, "backup card");
  expect(hi.map((x) => ({ ...x, note: 0 }))).toEqual(wi.map((x) => ({ ...x, note: 0 })));
  expect(hi[0].note).toBe(wi[0].note);
  const hl = have.labels as Obj;
  scrubbed(hl.contact, TEXT_EMAIL, "mail");
  expect({ ...hl, contact: 0 }).toEqual({ ...(want.labels as Obj), contact: 0 });
  const rest = (o: Obj) => ({ ...o, card: 0, email: 0, comment: 0, items: 0, labels: 0 });
  expect(rest(have)).toEqual(rest(want));
  // order_id, amount_minor, amount, currency, billing_address, idempotency_key, risk_scores: the client's bytes.
  for (const no of [1, 4, 5, 6, 7, 10, 12]) expect(rawField(got, no).equals(rawField(sent, no)), `field ${no} changed`).toBe(true);
}

/** An UploadChunk: its charge redacted as a ChargeRequest, batch_id and sequence unchanged. */
export function expectRedactedChunk(sent: Buffer, got: Buffer, mode: "descriptor" | "detectors"): void {
  expect(rawField(got, 1).equals(rawField(sent, 1))).toBe(true);
  expect(rawField(got, 2).equals(rawField(sent, 2))).toBe(true);
  expectRedactedCharge(fieldPayload(sent, 3), fieldPayload(got, 3), mode);
}

export function expectWatchRedacted(sent: Buffer, got: Buffer, mode: "descriptor" | "detectors"): void {
  const have = schema().decode("shop.payments.v1.WatchRequest", got);
  noSecret("the shadow's Watch request", got, [EMAIL]);
  if (mode === "descriptor") expect(have.email).toBe(hmacToken(EMAIL));
  expect(rawField(got, 1).equals(rawField(sent, 1))).toBe(true);
  expect(rawField(got, 3).equals(rawField(sent, 3))).toBe(true);
}

export const METHOD_TYPES: Record<MethodName, string> = {
  Charge: "shop.payments.v1.ChargeRequest",
  Upload: "shop.payments.v1.UploadChunk",
  Watch: "shop.payments.v1.WatchRequest",
};
