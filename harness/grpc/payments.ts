// What the test Payments service answers, as plain functions of the decoded
// request: v1 (the primary) accepts every charge; v2 (the shadow, the version
// being migrated to) can be told to reject billing addresses with non-ASCII
// characters (INVALID_ARGUMENT) or to be unavailable. Answers are deterministic
// (the same call gets the same bytes back), but v1 and v2 differ in `id` and
// `processed_at`, the noise a comparison has to ignore.
import { status as Status } from "@grpc/grpc-js";

export type Version = 1 | 2;

export interface PaymentsBehaviour {
  /** Answer every call with UNAVAILABLE before any message or header (a trailers-only answer). */
  unavailable: boolean;
  /** v2's regression: INVALID_ARGUMENT for a billing address with a non-ASCII character. */
  rejectInternational: boolean;
  /** Delay before answering, in ms. */
  delayMs: number;
}

export interface Refusal {
  code: Status;
  details: string;
}

export const DEFAULT_BEHAVIOUR: PaymentsBehaviour = { unavailable: false, rejectInternational: false, delayMs: 0 };

type Obj = Record<string, unknown>;

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** Whether any field of the billing address holds a character outside ASCII. */
export function isInternational(charge: Obj): boolean {
  const a = (charge.billing_address ?? {}) as Obj;
  return Object.values(a).some((v) => typeof v === "string" && /[^\x00-\x7f]/.test(v));
}

/** The status a call gets instead of an answer, if any. */
export function refusal(b: PaymentsBehaviour, charges: Obj[]): Refusal | null {
  if (b.unavailable) return { code: Status.UNAVAILABLE, details: "payments v2 is draining" };
  if (b.rejectInternational && charges.some(isInternational)) {
    return { code: Status.INVALID_ARGUMENT, details: "billing_address must be ASCII" };
  }
  return null;
}

export function chargeAnswer(version: Version, charge: Obj): Obj {
  return {
    id: `v${version}-ch-${str(charge.order_id)}`,
    status: "ACCEPTED",
    amount_minor: charge.amount_minor ?? "0",
    processed_at: `2026-12-02T00:00:0${version}Z`,
    message: "charged",
  };
}

export function uploadAnswer(version: Version, chunks: Obj[]): Obj {
  return { id: `v${version}-batch-${str(chunks[0]?.batch_id)}`, status: "ACCEPTED", received: chunks.length };
}

export function watchEvents(version: Version, watch: Obj): Obj[] {
  const n = typeof watch.updates === "number" && watch.updates > 0 ? Math.min(watch.updates, 100) : 3;
  const out: Obj[] = [];
  for (let i = 1; i <= n; i++) {
    out.push({ id: `v${version}-ev-${str(watch.order_id)}-${i}`, status: i === n ? "ACCEPTED" : "PENDING", sequence: i, detail: `update ${i} of ${n}` });
  }
  return out;
}
