// Probes for the hostile review of the percent-decoded view (hostile-pct.test.ts):
// secrets spelled the way URL encoders, form encoders and JSON writers spell them.
import type { Probe } from "./hostile-lib.js";

export const POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    headers: { drop: ["authorization", "cookie"], mask: ["x-api-key"] },
    query: { mask: ["token", "session"] },
    json: { mask: ["$.card.number", "$..cvv", "$..password"], hash: ["$..email"], drop: ["$.debug"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
    hash_key: "inline:0123456789abcdef0123456789abcdef",
  },
};
export const HASH_POLICY = { ...POLICY, redact: { ...POLICY.redact, detector_action: "hash" } };
export const KEEP = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    keep: { headers: ["accept", "user-agent", "x-pid", "content-type"], query: ["page", "next", "q"], json: ["$.order.id", "$.order.note", "$.order.items[*].sku"] },
    json: { mask: ["$..cvv"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
  },
};

const b64u = (s: string) => Buffer.from(s).toString("base64url");
export const JWT = `${b64u('{"alg":"HS256","typ":"JWT"}')}.${b64u('{"sub":"hostilepct"}')}.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`;
export const CARD = "4556737586899855";
export const PHONE = "+14155552671";
export const SSN = "536-22-8147";
export const EMAIL = "bob.pct@example.org";
export const IBAN = "DE89370400440532013000";

/** Every byte as %XX (upper or lower case hex). */
export const pctAll = (s: string, lower = false) =>
  [...Buffer.from(s)].map((b) => "%" + b.toString(16).padStart(2, "0")[lower ? "toLowerCase" : "toUpperCase"]()).join("");
/** Only the bytes pred selects as %XX. */
export const pctSome = (s: string, pred: (c: string) => boolean, lower = false) =>
  [...s].map((c) => (pred(c) ? pctAll(c, lower) : c)).join("");
/** JSON \u escape of the characters pred selects. */
export const jesc = (s: string, pred: (c: string) => boolean = () => true) =>
  [...s].map((c) => (pred(c) ? "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0") : c)).join("");
export const fw = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
const isDigit = (c: string) => /[0-9]/.test(c);

/** Pieces of 1 to 7 bytes (cycled), as many small chunked writes. */
export function pieces(body: string | Buffer, max = 7): Buffer[] {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < b.length; k++) {
    const n = 1 + (k % max);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

let seq = 0;
/** Where a probe's planted value sits in what was sent (body or path): every byte outside it must reach the copy as sent. */
export const spans = new Map<string, { in: "body" | "path"; value: string }>();

/** One body probe sent whole, in 1-7 byte chunks over HTTP/1.1 chunked, and (h2) in 1-7 byte DATA frames over h2c. */
export function body(note: string, b: string, secrets: string[], ct = "application/json", opts: { h2?: boolean; identical?: boolean; span?: string } = {}): Probe[] {
  const id = `${++seq}-${note}`;
  const headers = { "content-type": ct };
  const out: Probe[] = [
    { id, method: "POST", path: "/r", headers, body: b, secrets, identical: opts.identical },
    { id: `${id}-chunked`, method: "POST", path: "/r", headers, chunks: pieces(b), pauseMs: 0, secrets, identical: opts.identical },
  ];
  if (opts.h2) out.push({ id: `${id}-h2`, transport: "h2", method: "POST", path: "/r", headers, chunks: pieces(b), pauseMs: 0, secrets, identical: opts.identical });
  if (opts.span !== undefined) for (const p of out) spans.set(p.id, { in: "body", value: opts.span });
  return out;
}
export function get(note: string, path: string, secrets: string[], headers: Record<string, string> = {}, span?: string): Probe[] {
  const id = `${++seq}-${note}`;
  if (span !== undefined) spans.set(id, { in: "path", value: span });
  return [{ id, method: "GET", path, headers, secrets }];
}

/** A URL whose query carries v as written. */
export const url = (v: string) => `https://x.example/k?a=1&v=${v}&z=2`;

/** The places a URL-encoded value travels in: [name, probes for (note, value, secret)]. */
export type Place = (note: string, v: string, sec: string) => Probe[];
export const BODY_PLACES: Record<string, Place> = {
  "json-string": (n, v, s) => body(`js-${n}`, JSON.stringify({ callback: url(v) }), [s], "application/json", { h2: true, span: v }),
  "json-u0025": (n, v, s) => body(`ju-${n}`, `{"callback":"${url(v).replace(/%/g, "\\u0025")}"}`, [s], "application/json", { span: v.replace(/%/g, "\\u0025") }),
  "json-solidus": (n, v, s) => body(`jsl-${n}`, `{"callback":"${url(v).replace(/\//g, "\\/")}"}`, [s], "application/json", { span: v }),
  "json-name": (n, v, s) => body(`jn-${n}`, `{"${url(v)}":1}`, [s], "application/json", { span: v }),
  text: (n, v, s) => body(`tx-${n}`, `see ${url(v)} ok`, [s], "text/plain", { h2: true, span: v }),
  ndjson: (n, v, s) => body(`nd-${n}`, `{"a":1}\n{"u":"${url(v)}"}\n`, [s], "application/x-ndjson", { span: v }),
  form: (n, v, s) => body(`fd-${n}`, `a=1&v=${v}&z=2`, [s], "application/x-www-form-urlencoded", { span: v }),
  query: (n, v, s) => get(`qd-${n}`, `/r?a=1&v=${v}&z=2`, [s], {}, v),
};
/** The secrets' URL spellings: [note, query value as written in the URL, secret to look for]. */
export function urlSpellings(): [string, string, string][] {
  const cardSp = "4556 7375 8689 9855";
  return [
    ["phone-2b-lower", "%2b14155552671", "4155552671"],
    ["phone-all-escaped", pctAll(PHONE), "4155552671"],
    ["phone-all-escaped-lower", pctAll(PHONE, true), "4155552671"],
    ["phone-spaced-20", "%2B1%20415%20555%202671", "4155552671"],
    ["phone-spaced-plus", "%2B1+415+555+2671", "4155552671"],
    ["phone-national-parens", "%28415%29%20555%2D2671", "4155552671"],
    ["phone-national-parens-lower", "%28415%29%20555%2d2671", "4155552671"],
    ["phone-ext", "%2B14155552671ext5", "4155552671"],
    ["phone-ext-x", "415%2D555%2D2671x123", "4155552671"],
    ["card-digits-escaped", pctAll(CARD), CARD],
    ["card-some-digits-escaped", pctSome(CARD, (c) => c === "5"), CARD],
    ["card-20-lower", "4556%207375%208689%209855", CARD],
    ["card-2d", "4556%2D7375%2D8689%2D9855", CARD],
    ["card-2d-lower", "4556%2d7375%2d8689%2d9855", CARD],
    ["card-2e", "4556%2E7375%2E8689%2E9855", CARD],
    ["card-2f", "4556%2F7375%2F8689%2F9855", CARD],
    ["card-5f", "4556%5F7375%5F8689%5F9855", CARD],
    ["card-09", "4556%097375%098689%099855", CARD],
    ["card-nbsp-escaped", "4556%C2%A07375%C2%A08689%C2%A09855", CARD],
    ["card-nbsp-escaped-lower", "4556%c2%a07375%c2%a08689%c2%a09855", CARD],
    ["card-ideo-space-escaped", "4556%E3%80%807375%E3%80%808689%E3%80%809855", CARD],
    ["card-fullwidth-escaped", pctAll(fw(CARD)), CARD],
    ["card-fullwidth-escaped-lower", pctAll(fw(CARD), true), CARD],
    ["card-plus-all", cardSp.replace(/ /g, "+"), CARD],
    ["card-glued-letters", "ORD" + pctAll(CARD), CARD],
    ["card-glued-letters-sp", "ORD4556%207375%208689%209855", CARD],
    ["ssn-lower", "536%2d22%2d8147", "536228147"],
    ["ssn-all", pctAll(SSN), "536228147"],
    ["email-lower", "bob.pct%40example%2eorg", EMAIL],
    ["email-all", pctAll(EMAIL), EMAIL],
    ["email-all-lower", pctAll(EMAIL, true), EMAIL],
    ["email-domain-escaped", "bob.pct@" + pctAll("example.org"), EMAIL],
    ["email-local-escaped", pctAll("bob.pct") + "@example.org", EMAIL],
    ["email-plus-tag", "bob.pct%2Btag%40example.org", "bob.pct+tag@example.org"],
    ["jwt-dots", JWT.replace(/\./g, "%2E"), JWT],
    ["jwt-dots-lower", JWT.replace(/\./g, "%2e"), JWT],
    ["jwt-first-escaped", "%65" + JWT.slice(1), JWT],
    ["jwt-bearer", "Bearer%20" + JWT, JWT],
    ["jwt-bearer-plus", "Bearer+" + JWT, JWT],
    ["iban-20", "DE89%203704%200044%200532%200130%2000", IBAN],
    ["iban-plus", "DE89+3704+0044+0532+0130+00", IBAN],
    ["iban-lower-20", "de89%203704%200044%200532%200130%2000", IBAN],
    ["iban-letters-escaped", "%44%45" + IBAN.slice(2), IBAN],
  ];
}
