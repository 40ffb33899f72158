// A seeded corpus of requests for the old-build-vs-new-build differential test
// (test/unit/redact/differential.test.ts, issue #15): JSON documents that reach
// everything redaction reads (nested objects and arrays, the example policy's
// paths, names with escapes and non-ASCII, each detector's positive and
// near-miss spellings, labelled fields, numbers of every spelling, \u escapes of
// digits and surrogate pairs), NDJSON, invalid JSON, text, form and query
// bodies, each with its own query string, headers and chunking. Deterministic:
// the same seed gives the same requests on every run.
import { rng } from "./ordinary-corpus.js";

export interface DiffRequest {
  /** What kind of body it is, for reports. */
  kind: string;
  path: string;
  headers: [string, string][];
  body: Uint8Array;
  /** The sizes the body is fed in, in order (they sum to its length). */
  chunks: number[];
}

/** The second policy: the allow-list mode (redact.keep), detector hits hashed. */
export const KEEP_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    keep: {
      headers: ["content-type", "accept", "user-agent", "x-trace"],
      query: ["page", "sort", "currency"],
      json: ["$.id", "$.order.id", "$.items[*].sku", "$.items[*].qty", "$..name", "$.note", "$.card.expiry"],
    },
    json: { mask: ["$..cvv"], hash: ["$..email"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
    detector_action: "hash",
    hash_key: "inline:differential-keep-key-0123456789",
  },
};

type Rand = () => number;

class G {
  constructor(readonly r: Rand) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }
  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  chars(n: number, alphabet: string): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

function ibanCheck(cc: string, bban: string): string {
  const s = (bban + cc + "00").replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let m = 0;
  for (const ch of s) m = (m * 10 + Number(ch)) % 97;
  return String(98 - m).padStart(2, "0");
}

const group = (s: string, sep: string, n = 4) => s.replace(new RegExp(`(.{${n}})(?=.)`, "g"), `$1${sep}`);

/** A card number: Luhn-valid or not, bare or grouped with spaces or dashes. */
function card(g: G): string {
  const prefix = g.pick(["4", "51", "55", "37", "6011", "35", "0", "1", "9"]);
  const len = g.pick([13, 15, 16, 16, 16, 19, 12, 20]);
  const body = prefix + g.digits(Math.max(0, len - prefix.length - 1));
  let n = body + (g.chance(0.7) ? luhnDigit(body) : String((Number(luhnDigit(body)) + g.int(1, 9)) % 10));
  const form = g.int(0, 5);
  if (form === 1) n = group(n, " ");
  else if (form === 2) n = group(n, "-");
  else if (form === 3) n = group(n, g.pick([" - ", "  ", ".", "/"]));
  else if (form === 4) n = g.pick(["card", "PAN", "cc#", "x"]) + n;
  return n;
}

function email(g: G): string {
  const local = g.chars(g.int(1, 8), LOWER) + g.pick(["", ".", "+tag", "_", "-x", "99"]);
  const domain = g.chars(g.int(1, 8), LOWER) + g.pick([".com", ".io", ".co.uk", ".de", "", ".c", "-mail.org"]);
  const form = g.int(0, 9);
  if (form === 0) return `${local}@@${domain}`;
  if (form === 1) return `@${domain}`;
  if (form === 2) return `${local}@`;
  if (form === 3) return `${local} at ${domain}`;
  if (form === 4) return `${local}%40${domain}`;
  if (form === 5) return `${local.toUpperCase()}@${domain.toUpperCase()}`;
  return `${local}@${domain}`;
}

function ssn(g: G): string {
  const area = g.pick([String(g.int(1, 899)).padStart(3, "0"), "000", "666", String(g.int(900, 999))]);
  const grp = g.chance(0.9) ? String(g.int(1, 99)).padStart(2, "0") : "00";
  const ser = g.chance(0.9) ? String(g.int(1, 9999)).padStart(4, "0") : "0000";
  return g.pick([`${area}-${grp}-${ser}`, `${area} ${grp} ${ser}`, `${area}${grp}${ser}`, `${area}-${grp}${ser}`, `${area}-${ser}-${grp}`]);
}

function jwt(g: G): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = b64({ alg: g.pick(["HS256", "RS256", "none"]), typ: "JWT" });
  const claims = b64({ sub: g.chars(g.int(1, 12), ALNUM), iat: 1700000000 + g.int(0, 1e7) });
  const sig = g.chars(g.int(0, 43), B64URL);
  const form = g.int(0, 6);
  if (form === 0) return `${head}.${claims}`;
  if (form === 1) return `eyJ${g.chars(g.int(3, 30), B64URL)}`;
  if (form === 2) return `Bearer ${head}.${claims}.${sig}`;
  if (form === 3) return `${head}.${claims}.${sig}`.replace(/.$/, "=");
  return `${head}.${claims}.${sig}`;
}

function iban(g: G): string {
  const [cc, len] = g.pick([["DE", 22], ["GB", 22], ["FR", 27], ["NL", 18], ["ES", 24], ["CH", 21]] as const);
  const bban = cc === "GB" || cc === "NL" ? g.chars(4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + g.digits(len - 8) : g.digits(len - 4);
  const check = g.chance(0.75) ? ibanCheck(cc, bban) : g.digits(2);
  let s = cc + check + bban;
  if (g.chance(0.3)) s = group(s, " ");
  if (g.chance(0.15)) s = s.toLowerCase();
  return s;
}

function phone(g: G): string {
  const a = `${g.int(2, 9)}${g.digits(2)}`;
  const x = `${g.int(2, 9)}${g.digits(2)}`;
  const l = g.digits(4);
  return g.pick([
    `+1${a}${x}${l}`, `(${a}) ${x}-${l}`, `+1 ${a} ${x} ${l}`, `${a}-${x}-${l}`, `${a}.${x}.${l}`, `${a}${x}${l}`,
    `+44 20 ${g.digits(4)} ${g.digits(4)}`, `+49 30 ${g.digits(8)}`, `${x}-${l}`, `2026-12-${g.digits(2)}`, `1.${g.int(0, 9)}.${g.digits(2)}.${g.digits(3)}`,
    `${g.int(0, 23)}:${g.digits(2)}:${g.digits(2)}`,
  ]);
}

/** A string value: a secret-ish spelling, a near miss, or ordinary text. */
function valueText(g: G): string {
  switch (g.int(0, 12)) {
    case 0: return card(g);
    case 1: return email(g);
    case 2: return ssn(g);
    case 3: return jwt(g);
    case 4: return iban(g);
    case 5: return phone(g);
    case 6: return g.digits(g.int(1, 24));
    case 7: return g.pick(["Zoë Müller", "Straße 1, 8000 Zürich", "日本語テキスト", "emoji 😀 here", "tab\there", "line\nbreak", "quote \" and \\ slash", "\u0000nul", "\u2028sep"]);
    case 8: return `${g.pick(["call", "card", "mail", "ssn:", "tel:", "Phone number:", "SSN No.", "iban"])} ${g.pick([card, email, ssn, phone, iban])(g)}`;
    case 9: return g.chars(g.int(0, 40), ALNUM + " -_.:/");
    default: return g.chars(g.int(0, 16), LOWER);
  }
}

const KEYS = [
  "id", "name", "note", "items", "sku", "qty", "price", "order", "customer", "user", "address", "status", "meta", "tags",
  "card", "number", "cvv", "expiry", "password", "email", "debug", "trace", "token",
  "ssn", "social_security_number", "customerSsn", "phone", "mobilePhone", "tel", "fax", "telephone", "hotel", "tinyint",
  "Email", "EMAIL", "pass word", "zoë", "пароль", "e\"mail", "a\\b", "", "😀", "card.number", "$", "[0]",
];

/** Escapes a string as JSON, choosing among the spellings JSON allows (\u for any char, surrogate pairs, \/). */
function jsonString(g: G, s: string, escapeRate: number): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const u = (c: number) => "\\u" + (g.chance(0.5) ? c.toString(16).padStart(4, "0") : c.toString(16).toUpperCase().padStart(4, "0"));
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (cp < 0x20) out += g.pick(cp === 10 ? ["\\n", u(cp)] : cp === 9 ? ["\\t", u(cp)] : [u(cp)]);
    else if (g.chance(escapeRate)) {
      if (cp > 0xffff) {
        const v = cp - 0x10000;
        out += u(0xd800 + (v >> 10)) + u(0xdc00 + (v & 0x3ff));
      } else out += ch === "/" && g.chance(0.5) ? "\\/" : u(cp);
    } else out += ch;
  }
  return out + '"';
}

function jsonNumber(g: G): string {
  return g.pick([
    "0", "-0", String(g.int(0, 1000)), `-${g.int(1, 99)}.${g.digits(2)}`, `${g.int(1, 9)}e${g.int(0, 20)}`, `${g.int(1, 9)}E-${g.int(1, 9)}`,
    `${g.int(0, 9)}.${g.digits(3)}e+${g.int(0, 30)}`, "4111111111111111", "5555555555554444", g.digits(9).replace(/^0/, "1"),
    `${g.int(2, 9)}${g.digits(9)}`, `1${g.digits(22)}`, "123456789", "4155552671", "0.0", "1.5E+300",
  ]);
}

const ws = (g: G) => (g.chance(0.85) ? "" : g.pick([" ", "\n", "\t", "\r\n", "  "]));

class JsonWriter {
  constructor(private g: G, private escapeRate: number) {}
  key(k: string): string {
    return jsonString(this.g, k, this.escapeRate);
  }
  scalar(depth: number): string {
    const g = this.g;
    const c = g.int(0, 9);
    if (c < 5) return jsonString(g, valueText(g), this.escapeRate);
    if (c < 8) return jsonNumber(g);
    return g.pick(["true", "false", "null"]);
  }
  value(depth: number): string {
    const g = this.g;
    if (depth > 4 || g.chance(0.45)) return this.scalar(depth);
    return g.chance(0.6) ? this.object(depth + 1, g.int(0, 5)) : this.array(depth + 1, g.int(0, 4));
  }
  object(depth: number, n: number, members: [string, () => string][] = []): string {
    const g = this.g;
    const parts = [...members.map(([k, v]) => `${ws(g)}${this.key(k)}${ws(g)}:${ws(g)}${v()}`)];
    for (let i = 0; i < n; i++) {
      const k = g.pick(KEYS);
      parts.splice(g.int(0, parts.length), 0, `${ws(g)}${this.key(k)}${ws(g)}:${ws(g)}${this.memberValue(k, depth)}`);
    }
    return `{${parts.join(",")}${ws(g)}}`;
  }
  array(depth: number, n: number): string {
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(ws(this.g) + this.value(depth));
    return `[${parts.join(",")}${ws(this.g)}]`;
  }
  /** A value fitting what its key names, often (a card under "card", an SSN under "ssn"), else any value. */
  memberValue(k: string, depth: number): string {
    const g = this.g;
    const lk = k.toLowerCase();
    if (g.chance(0.5)) {
      if (lk === "card") return this.object(depth + 1, g.int(0, 2), [["number", () => (g.chance(0.7) ? jsonString(g, card(g), this.escapeRate) : jsonNumber(g))], ["cvv", () => (g.chance(0.5) ? `"${g.digits(3)}"` : String(g.int(100, 999)))], ["expiry", () => `"${g.int(1, 12)}/${g.int(24, 35)}"`]]);
      if (lk.includes("ssn") || lk.includes("social")) return g.chance(0.5) ? jsonString(g, ssn(g), this.escapeRate) : `${g.int(1, 9)}${g.digits(8)}`;
      if (lk.includes("phone") || lk === "tel" || lk === "fax") return g.chance(0.5) ? jsonString(g, phone(g), this.escapeRate) : `${g.int(2, 9)}${g.digits(9)}`;
      if (lk.includes("mail")) return jsonString(g, email(g), this.escapeRate);
      if (lk === "items") return this.array(depth + 1, g.int(0, 4));
    }
    return this.value(depth);
  }
  /** A top-level document shaped like an order, so the example policy's $.card.number and $.debug match. */
  document(): string {
    const g = this.g;
    const members: [string, () => string][] = [];
    if (g.chance(0.6)) members.push(["card", () => this.memberValue("card", 1)]);
    if (g.chance(0.4)) members.push(["debug", () => this.value(1)]);
    if (g.chance(0.5)) members.push(["customer", () => this.object(2, g.int(0, 3), [["email", () => jsonString(g, email(g), this.escapeRate)], ["password", () => this.scalar(2)]])]);
    if (g.chance(0.4)) members.push(["items", () => this.array(2, g.int(1, 4))]);
    if (g.chance(0.3)) members.push(["order", () => this.object(2, g.int(0, 3), [["id", () => jsonNumber(g)]])]);
    return this.object(1, g.int(0, 6), members);
  }
}

/** Ways a JSON text goes wrong. */
function breakJson(g: G, s: string): string {
  const at = g.int(0, Math.max(0, s.length - 1));
  switch (g.int(0, 9)) {
    case 0: return s.slice(0, at);
    case 1: return s.slice(0, at) + g.pick(["}", "]", ",", ":", '"', "\\", "x", "\u0001"]) + s.slice(at);
    case 2: return s.replace(/}$/, ",}");
    case 3: return s + g.pick(["{}", " 1", "x", "\u0000"]);
    case 4: return `"\\x41${s}`;
    case 5: return `{"a":${g.pick(["01", "+1", ".5", "1.", "NaN", "-", "1e", "'x'", "\"\\u12\"", "\"\\ud800\"", "tru", "nul"])}}`;
    case 6: return "[".repeat(g.int(60, 600)) + "]".repeat(g.int(0, 600));
    case 7: return "\ufeff" + s;
    case 8: return `{"unterminated": "${"a".repeat(g.int(0, 40))}`;
    default: return s.slice(0, at) + s.slice(at + 1);
  }
}

function formBody(g: G): string {
  const pairs: string[] = [];
  const enc = (v: string) => (g.chance(0.5) ? encodeURIComponent(v) : v.replace(/ /g, "+").replace(/&/g, "%26"));
  for (let i = g.int(0, 6); i >= 0; i--) {
    const k = g.pick(["password", "token", "session", "email", "card", "note", "ssn", "phone", "page", "q", "pass%77ord", "em%61il", ""]);
    pairs.push(g.chance(0.1) ? k : `${k}=${g.chance(0.1) ? "%zz%" : enc(valueText(g))}`);
  }
  return pairs.join(g.chance(0.9) ? "&" : ";");
}

function textBody(g: G): string {
  const words: string[] = [];
  for (let i = g.int(1, 12); i > 0; i--) words.push(g.chance(0.4) ? valueText(g) : g.pick(["hello", "order", "ssn:", "tel", "card", "ref", "mail me at", "—", "Zürich"]));
  const t = words.join(g.pick([" ", "\n", ", "]));
  return g.chance(0.1) ? JSON.stringify({ note: t }) : t;
}

function queryString(g: G): string {
  if (g.chance(0.3)) return "";
  const pairs: string[] = [];
  for (let i = g.int(0, 4); i >= 0; i--) {
    const k = g.pick(["token", "session", "page", "sort", "currency", "email", "q", "ssn", "TOKEN", "to%6Ben"]);
    pairs.push(`${k}=${encodeURIComponent(valueText(g)).replace(/%20/g, g.chance(0.5) ? "+" : "%20")}`);
  }
  return "?" + pairs.join("&");
}

function pathOf(g: G): string {
  const seg = g.pick(["/orders", "/api/v1/users", `/users/${encodeURIComponent(email(g))}`, `/cards/${card(g).replace(/ /g, "%20")}`, "/", `/a;jsessionid=${g.chars(8, ALNUM)}/b`]);
  return seg + queryString(g);
}

function headersOf(g: G, contentType: string | null, length: number): [string, string][] {
  const h: [string, string][] = [];
  if (contentType) h.push(["content-type", contentType]);
  if (g.chance(0.5)) h.push(["content-length", String(length)]);
  if (g.chance(0.3)) h.push(["authorization", `Bearer ${jwt(g)}`]);
  if (g.chance(0.2)) h.push(["cookie", `sid=${g.chars(12, ALNUM)}; theme=dark`]);
  if (g.chance(0.2)) h.push(["x-api-key", g.chars(24, ALNUM)]);
  if (g.chance(0.2)) h.push(["x-user-email", email(g)]);
  if (g.chance(0.3)) h.push([g.pick(["x-note", "x-trace", "user-agent", "accept", "x-customer-phone", "x-ssn"]), valueText(g).replace(/[\r\n\u0000]/g, " ")]);
  return h;
}

/**
 * Chunk sizes for a body: one chunk, small chunks of 1 to 7 bytes (varying; over
 * a window of 768 bytes somewhere in a longer body, the rest in larger chunks, so
 * the corpus runs in reasonable time), or medium ones.
 */
function chunking(g: G, n: number): number[] {
  const mode = g.int(0, 9);
  const sizes: number[] = [];
  if (n === 0) return sizes;
  if (mode < 3) {
    sizes.push(n);
    return sizes;
  }
  const window = mode < 6 && n > 1536 ? g.int(0, n - 768) : 0;
  let at = 0;
  while (at < n) {
    let s: number;
    if (mode < 6) s = window === 0 && n <= 1536 ? g.int(1, 7) : at >= window && at < window + 768 ? g.int(1, 7) : g.int(100, 2000);
    else s = mode < 9 ? g.int(8, 97) : g.int(1, 700);
    s = Math.min(n - at, s);
    sizes.push(s);
    at += s;
  }
  return sizes;
}

const utf8 = new TextEncoder();

/** `count` requests from `seed`. */
export function differentialCorpus(count: number, seed: number): DiffRequest[] {
  const g = new G(rng(seed));
  const out: DiffRequest[] = [];
  for (let i = 0; i < count; i++) {
    const w = new JsonWriter(g, g.pick([0, 0, 0.05, 0.3, 1]));
    const c = g.int(0, 99);
    let kind: string;
    let type: string | null;
    let text: string;
    if (c < 55) {
      kind = "json";
      type = g.pick(["application/json", "application/json", "application/json; charset=utf-8", "application/vnd.api+json", "text/json", "Application/JSON"]);
      text = g.chance(0.85) ? w.document() : w.value(0);
    } else if (c < 63) {
      kind = "ndjson";
      type = g.pick(["application/x-ndjson", "application/jsonl"]);
      const docs: string[] = [];
      for (let k = g.int(1, 5); k > 0; k--) docs.push(w.document());
      text = docs.join(g.pick(["\n", "\r\n", "\n\n"])) + (g.chance(0.5) ? "\n" : "");
    } else if (c < 73) {
      kind = "invalid json";
      type = g.pick(["application/json", "application/x-ndjson"]);
      text = breakJson(g, w.document());
    } else if (c < 84) {
      kind = "text";
      type = g.pick(["text/plain", "text/plain; charset=utf-8", "text/csv", "application/octet-stream"]);
      text = textBody(g);
    } else if (c < 94) {
      kind = "form";
      type = "application/x-www-form-urlencoded";
      text = formBody(g);
    } else {
      kind = g.chance(0.5) ? "no body" : "no type";
      type = kind === "no body" ? null : null;
      text = kind === "no body" ? "" : w.document();
    }
    const body = utf8.encode(text);
    out.push({ kind, path: pathOf(g), headers: headersOf(g, type, body.length), body, chunks: chunking(g, body.length) });
  }
  return out;
}
