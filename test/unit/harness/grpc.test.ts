// The gRPC test components on their own, without Envoy: the recording server
// sees every header (te, grpc-timeout included) and the message bytes as sent,
// v2's behaviours answer as the e2e tests expect (trailers-only UNAVAILABLE,
// INVALID_ARGUMENT for international addresses), a gzip message sent with
// node:http2 is a valid call, and the shadow-side checker accepts a correctly
// redacted message and refuses one that leaks or changes an untouched field.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { startPaymentsServer, paymentsClient, paymentsSchema, rawGrpcCall, gzipFrame, unframe, wireFields, rawField, frame, type PaymentsServer, type PaymentsClient } from "../../../harness/grpc/index.js";
import { encodeCharge, encodeChunk, encodeWatch, chargeRequest, expectRedactedCharge, ADDRESSES, CARD, EMAIL, TEXT_CARD, TEXT_EMAIL } from "../../e2e/grpc-data.js";
import { hmacToken } from "../../e2e/grpc-fixture.js";

const TYPE = "shop.payments.v1.ChargeRequest";

describe("gRPC harness", () => {
  let server: PaymentsServer;
  let client: PaymentsClient;
  beforeAll(async () => {
    server = await startPaymentsServer({ version: 2 });
    client = paymentsClient(server.port, { authority: "payments.test:50051" });
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  it("records headers as received and each message's bytes as sent, for the three call shapes", async () => {
    server.clear();
    const charge = encodeCharge(1);
    const chunks = [1, 2, 3].map((i) => encodeChunk("b", i, i));
    const watch = encodeWatch("ord-9");
    const a = await client.unary("Charge", charge, { deadlineMs: 5000, metadata: { "x-request-id": "r1" } });
    const b = await client.clientStream("Upload", chunks, { deadlineMs: 5000 });
    const c = await client.serverStream("Watch", watch, { deadlineMs: 5000 });
    expect([a.codeName, b.codeName, c.codeName]).toEqual(["OK", "OK", "OK"]);
    const calls = await server.waitFor(3);
    expect(calls.map((x) => x.method)).toEqual(["Charge", "Upload", "Watch"]);
    expect(calls[0].messages).toEqual([charge]);
    expect(calls[1].messages).toEqual(chunks);
    expect(calls[2].messages).toEqual([watch]);
    expect(unframe(calls[1].body).map((f) => f.message)).toEqual(chunks);
    for (const x of calls) {
      expect(server.header(x, "te")).toBe("trailers");
      expect(server.header(x, "content-type")).toBe("application/grpc");
      expect(server.header(x, "grpc-timeout")).toMatch(/^\d+[mS]$/);
      expect(server.header(x, ":authority")).toBe("payments.test:50051");
    }
    expect(server.header(calls[0], "x-request-id")).toBe("r1");
    expect(paymentsSchema().decode("shop.payments.v1.ChargeResponse", a.messages[0]).id).toBe("v2-ch-ord-1");
    expect(c.messages.length).toBe(3);
  });

  it("v2 refuses international billing addresses with INVALID_ARGUMENT, and answers UNAVAILABLE trailers-only when told", async () => {
    server.clear();
    server.behaviour.rejectInternational = true;
    const codes = [];
    for (const [i, addr] of ADDRESSES.entries()) codes.push((await client.unary("Charge", encodeCharge(i, addr))).codeName);
    expect(codes).toEqual(["OK", "INVALID_ARGUMENT", "OK", "INVALID_ARGUMENT", "OK"]);
    server.behaviour.rejectInternational = false;
    server.behaviour.unavailable = true;
    const raw = await rawGrpcCall(server.port, paymentsSchema().path("Charge"), frame(encodeCharge(1)));
    server.behaviour.unavailable = false;
    expect(raw.grpcStatus).toBe(14);
    expect(raw.trailers).toEqual([]);
    expect(raw.body.length).toBe(0);
    expect(raw.headers.find(([k]) => k === "grpc-status")?.[1]).toBe("14");
  });

  it("a gzip-compressed message sent with node:http2 is a valid call", async () => {
    server.clear();
    const msg = encodeCharge(4);
    const body = gzipFrame(msg);
    const raw = await rawGrpcCall(server.port, paymentsSchema().path("Charge"), body, { "grpc-encoding": "gzip" });
    expect(raw.grpcStatus).toBe(0);
    const [call] = await server.waitFor(1);
    expect(call.body.equals(body)).toBe(true);
    expect(unframe(call.body)[0].compressed).toBe(true);
    expect(call.messages).toEqual([msg]);
  });

  it("wire helpers: top-level fields in order with their raw bytes", () => {
    const msg = encodeCharge(2);
    const fields = wireFields(msg);
    expect(Buffer.concat(fields.map((f) => f.raw)).equals(msg)).toBe(true);
    expect(fields.map((f) => f.no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 9, 9, 10, 11, 12]);
    expect(rawField(msg, 8).length).toBeGreaterThan(0);
  });
});

describe("the shadow-side checker (expectRedactedCharge)", () => {
  const sent = encodeCharge(3);
  function redacted(change: (o: Record<string, unknown>) => void = () => undefined): Buffer {
    const o = structuredClone(chargeRequest(3)) as Record<string, any>;
    o.card.number = "*".repeat(CARD.length);
    delete o.card.cvv;
    o.email = hmacToken(EMAIL);
    o.comment = o.comment.replace(TEXT_EMAIL, "***@*******.***");
    o.items[1].note = o.items[1].note.replace(TEXT_CARD, "4000 0000 0000 4242");
    o.labels.contact = o.labels.contact.replace(TEXT_EMAIL, "***@*******.***");
    change(o);
    return paymentsSchema().encode(TYPE, o);
  }
  it("accepts a correctly redacted message", () => {
    expect(() => expectRedactedCharge(sent, redacted(), "descriptor")).not.toThrow();
  });
  it.each<[string, (o: Record<string, any>) => void]>([
    ["a card number left in", (o) => (o.card.number = CARD)],
    ["the cvv kept", (o) => (o.card.cvv = "987")],
    ["an e-mail left in a map value", (o) => (o.labels.contact = `mail ${TEXT_EMAIL}`)],
    ["an untouched field changed", (o) => (o.amount_minor = "129901")],
    ["an address changed", (o) => (o.billing_address.city = "Springfeld")],
    ["an item's note emptied", (o) => (o.items[0].note = "")],
  ])("refuses %s", (_name, change) => {
    expect(() => expectRedactedCharge(sent, redacted(change), "descriptor")).toThrow();
  });
});
