// The demo's customers and their payments: two payments each, from the US and
// abroad, with test card numbers (Luhn-valid, never real) and e-mail addresses.
import { createHash } from "node:crypto";

export interface Customer {
  user: string;
  country: string;
  city: string;
  line1: string;
  card: string;
  currency: string;
}

export const CUSTOMERS: Customer[] = [
  { user: "alice", country: "US", city: "Springfield", line1: "1 Main St", card: "4111 1111 1111 1111", currency: "USD" },
  { user: "bob", country: "US", city: "Portland", line1: "9 Oak Ave", card: "5555 5555 5555 4444", currency: "USD" },
  { user: "carol", country: "DE", city: "Berlin", line1: "Müllerstraße 5", card: "4242 4242 4242 4242", currency: "EUR" },
  { user: "grace", country: "FR", city: "Paris", line1: "12 Rue de la Paix", card: "4000 0566 5566 5556", currency: "EUR" },
  { user: "dave", country: "US", city: "Austin", line1: "500 Congress Ave", card: "5105 1051 0510 5100", currency: "USD" },
  { user: "yuki", country: "JP", city: "Tokyo", line1: "千代田区1-1", card: "3566 0020 2036 0505", currency: "JPY" },
  { user: "diego", country: "MX", city: "Ciudad de México", line1: "Av. Reforma 222", card: "4012 8888 8888 1881", currency: "MXN" },
  { user: "emma", country: "GB", city: "London", line1: "221B Baker St", card: "4222 2222 2222 2", currency: "GBP" },
];

/** The documented selection: in when sha256(value)[0:4], big-endian, is below percent% of 2^32. */
export const inShare = (user: string, percent: number): boolean => createHash("sha256").update(user).digest().readUInt32BE(0) < (percent / 100) * 2 ** 32;

export interface SentPayment {
  id: string;
  customer: Customer;
  headers: Record<string, string>;
  body: string;
  /** The status the client got. */
  status?: number;
}

/** Two payments per customer, interleaved, each with its x-request-id. */
export function payments(): SentPayment[] {
  const out: SentPayment[] = [];
  for (let round = 0; round < 2; round++) {
    for (const c of CUSTOMERS) {
      const id = `pay-${out.length + 1}`;
      const body = JSON.stringify({
        user: c.user,
        email: `${c.user}@example.com`,
        amount: 1299 + 100 * round,
        currency: c.currency,
        card: { number: c.card, cvc: "123", exp: "09/29" },
        address: { line1: c.line1, city: c.city, country: c.country },
      });
      out.push({
        id,
        customer: c,
        headers: { "content-type": "application/json", "x-user-id": c.user, "x-request-id": id, authorization: `Bearer tok_live_${c.user}` },
        body,
      });
    }
  }
  return out;
}
