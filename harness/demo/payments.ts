// The demo's applications: payments v1 (the primary) and v2 (the shadow, with the
// international-address bug), each charging cards at a payment gateway through
// the egress proxy and forwarding only W3C baggage on that call, as
// OpenTelemetry-instrumented apps do.
import { createServer, request, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import type { RecordedRequest } from "../net/upstreams.js";

/** Where the apps' calls to the payment gateway go: the egress proxy, with the gateway's name as Host. */
export const GATEWAY_HOST = "api.gateway.example";
export const CHARGE_PATH = "/v1/charges";

export interface Charge {
  /** The gateway's (or the guard's) answer. */
  status: number;
  body: string;
  /** x-mirrorshade-guard on the answer: "blocked" when the guard answered with its stub. */
  guard?: string;
}

export interface PaymentService {
  version: 1 | 2;
  port: number;
  /** Every request received, as received. */
  requests: RecordedRequest[];
  /** Every call this service made to the gateway, with its answer. */
  charges: Charge[];
  /** v2: the country check is fixed (every country accepted). */
  fixed: boolean;
  close(): Promise<void>;
}

interface Payment {
  amount?: number;
  currency?: string;
  card?: { number?: string };
  address?: { country?: string };
}

function charge(egressPort: number, baggage: string | undefined, payment: Payment): Promise<Charge> {
  const digits = (payment.card?.number ?? "").replace(/\D/g, "");
  const body = JSON.stringify({ amount: payment.amount, currency: payment.currency, card_last4: digits.slice(-4) });
  return new Promise((resolve) => {
    const call = request(
      {
        host: "127.0.0.1",
        port: egressPort,
        path: CHARGE_PATH,
        method: "POST",
        headers: { host: GATEWAY_HOST, "content-type": "application/json", ...(baggage ? { baggage } : {}) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const guard = res.headers["x-mirrorshade-guard"];
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), guard: typeof guard === "string" ? guard : undefined });
        });
      },
    );
    call.on("error", (e) => resolve({ status: 0, body: e.message }));
    call.end(body);
  });
}

/**
 * POST /api/payments: charges the card, answers 201 with the payment. v2 declines every
 * address whose country is not "US" (422), before charging: the regression to find.
 * Both stamp a fresh payment_id and time on every answer (noise the comparison ignores).
 */
export async function startPaymentService(version: 1 | 2, egressPort: number): Promise<PaymentService> {
  const requests: RecordedRequest[] = [];
  const charges: Charge[] = [];
  const svc: PaymentService = { version, port: 0, requests, charges, fixed: false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers, body, trailers: [], receivedAt: Date.now() });
      let payment: Payment;
      try {
        payment = JSON.parse(body.toString() || "{}") as Payment;
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end('{"status":"invalid","error":"body is not JSON"}');
        return;
      }
      const created = new Date().toISOString();
      const country = payment.address?.country ?? "";
      const answer = (status: number, o: object) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(o));
      if (version === 2 && !svc.fixed && country !== "US") {
        answer(422, { status: "declined", error: "address.country: unsupported", created });
        return;
      }
      const baggage = req.headers.baggage;
      const c = await charge(egressPort, typeof baggage === "string" ? baggage : undefined, payment);
      charges.push(c);
      let chargeStatus = "failed";
      try {
        chargeStatus = (JSON.parse(c.body) as { status?: string }).status ?? "failed";
      } catch {
        /* the gateway did not answer JSON */
      }
      const digits = (payment.card?.number ?? "").replace(/\D/g, "");
      answer(c.status === 200 && chargeStatus === "succeeded" ? 201 : 502, {
        status: chargeStatus === "succeeded" ? "approved" : "failed",
        payment_id: `pay_${randomUUID().slice(0, 8)}`,
        amount: payment.amount,
        currency: payment.currency,
        card_last4: digits.slice(-4),
        created,
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  svc.port = typeof a === "object" && a ? a.port : 0;
  svc.close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return svc;
}
