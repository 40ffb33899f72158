// A corpus of requests with planted secrets, by the class of place or spelling
// that carries them (issue #13), and the checks that say whether a copy leaked
// one. Generated from a seed, so every run sends the same requests, and large:
// each class has many variants of the forms real applications accept. The same
// requests go through `preview` (test/unit/redact/leaks.test.ts) and real Envoy
// (test/e2e/leaks.test.ts); both count leaks per class and altered keep-markers.
import { gzipSync, brotliCompressSync, deflateSync, gunzipSync, brotliDecompressSync, inflateSync } from "node:zlib";
import type { PreviewRequest, PreviewCopy } from "../../harness/preview.js";

/** Something that must not reach the copy. `digits`: its digits must not appear in a row; `alnum`: its letters and digits (any case); `text`: the string, any case, after decoding. */
export interface Secret {
  kind: "digits" | "alnum" | "text";
  value: string;
}

export interface LeakCase {
  id: number;
  cls: string;
  /** What the case tries, for reports. */
  what: string;
  /** "h1": HTTP/1.1 only (Host spellings, duplicate lines); "h2": h2c only (trailers, empty DATA). */
  only?: "h1" | "h2";
  method: string;
  path: string;
  /** Header pairs, in order; "host" is the authority. */
  headers: [string, string][];
  body?: Buffer;
  trailers?: [string, string][];
  /** h2: the request ends with an empty DATA frame carrying END_STREAM. */
  emptyDataEnd?: boolean;
  secrets: Secret[];
  /** Bytes that must reach the copy exactly as sent (the parts no rule or detector should touch). */
  markers: string[];
  /** The copy must keep its body (no x-mirrorshade-body-dropped). */
  bodyKept?: boolean;
  /** The policy this case runs under. */
  policy: "strict" | "keep";
}

export const HASH_KEY = "leak-corpus-hash-key-0123456789";

/** A strict deny-list policy: header, query and JSON rules and all six detectors. */
export const STRICT_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    headers: { drop: ["authorization", "cookie", "proxy-authorization"], mask: ["x-api-key", "x-auth-token"] },
    query: { mask: ["password", "token", "api_key", "secret", "session", "jsessionid"] },
    json: { mask: ["$..password", "$..token", "$..secret", "$..api_key", "$..cvv"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
  },
  limits: { redaction_bytes_per_second: 67108864 },
};

/** The allow-list mode for a PCI-scoped checkout: only what is named passes. */
export const KEEP_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    keep: {
      headers: ["content-type", "accept", "user-agent", "x-corpus-id", "x-request-id"],
      query: ["page", "sort", "currency"],
      json: ["$.order.id", "$.order.currency", "$.order.items[*].sku", "$.order.items[*].qty"],
    },
    json: { mask: ["$..cvv"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
  },
  limits: { redaction_bytes_per_second: 67108864 },
};

// ------------------------------------------------------------------ values

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(private r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  alnum(n: number, alphabet = "abcdefghijkmnpqrstuvwxyz23456789"): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  digits(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String(this.int(10));
    return s;
  }
  /** A Luhn-valid card number of a common brand and length, random in the middle. */
  card(): string {
    const brand = this.pick([["4", 16], ["51", 16], ["55", 16], ["37", 15], ["6011", 16], ["4", 13], ["35", 16]] as const);
    const body = brand[0] + this.digits(brand[1] - brand[0].length - 1);
    return body + luhnDigit(body);
  }
  /** An SSN the SSA could issue (area not 000, 666 or 9xx; group and serial not zero). */
  ssn(): string {
    let area = 0;
    while (area === 0 || area === 666) area = 1 + this.int(899);
    return `${String(area).padStart(3, "0")}-${String(1 + this.int(99)).padStart(2, "0")}-${String(1 + this.int(9999)).padStart(4, "0")}`;
  }
  email(): string {
    return `${this.alnum(4)}.${this.alnum(6)}${this.digits(2)}@${this.alnum(7)}-mail.${this.pick(["io", "com", "de", "co.uk"])}`;
  }
  jwt(): string {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: this.alnum(10), iat: 1700000000 + this.int(1e7) })}.${Buffer.from(this.alnum(32)).toString("base64url")}`;
  }
  iban(): string {
    const [cc, len] = this.pick([["DE", 22], ["GB", 22], ["FR", 27], ["NL", 18], ["ES", 24]] as const);
    const bban = cc === "GB" || cc === "NL" ? this.alnum(4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") + this.digits(len - 8) : this.digits(len - 4);
    return cc + ibanCheck(cc, bban) + bban;
  }
  /** A US number in a form the phone detector documents. */
  phone(): string {
    const n = `${2 + this.int(8)}${this.digits(2)}`;
    const x = `${2 + this.int(8)}${this.digits(2)}`;
    const l = this.digits(4);
    return this.pick([`+1${n}${x}${l}`, `(${n}) ${x}-${l}`, `+1 ${n} ${x} ${l}`, `${n}-${x}-${l}`]);
  }
  /** A value a password or token rule must catch: distinctive, no detector would see it. */
  token(prefix = "tk"): string {
    return `${prefix}-${this.alnum(12)}`;
  }
}

function luhnDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
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

const digitsOf = (s: string) => s.replace(/\D/g, "");
const pct = (s: string) => [...Buffer.from(s)].map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
const fullWidth = (s: string) => s.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));

// ------------------------------------------------------------------ the corpus

type Draft = Omit<LeakCase, "id" | "method" | "policy" | "markers" | "headers"> & Partial<Pick<LeakCase, "method" | "policy" | "markers" | "headers">>;

const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const JSON_TYPE: [string, string] = ["content-type", "application/json"];

/** Every class of place and spelling, `perClass` variants of each (some classes have fixed forms times the variants). */
export function leakCorpus(perClass = 12, seed = 13): LeakCase[] {
  const g = new Gen(rng(seed));
  const drafts: Draft[] = [];
  const add = (d: Draft) => drafts.push(d);
  const detectorValues = (): [string, string, Secret][] => {
    const card = g.card();
    const email = g.email();
    const ssn = g.ssn();
    const jwt = g.jwt();
    const iban = g.iban();
    const phone = g.phone();
    return [
      ["card", card, { kind: "digits", value: card }],
      ["email", email, { kind: "text", value: email.split("@")[0] }],
      ["ssn", ssn, { kind: "digits", value: ssn }],
      ["jwt", jwt, { kind: "text", value: jwt.split(".")[2] }],
      ["iban", iban, { kind: "alnum", value: iban }],
      ["phone", phone, { kind: "digits", value: phone }],
    ];
  };

  for (let v = 0; v < perClass; v++) {
    // ---- the path: every detector in a segment, as written and percent-encoded, and matrix parameters
    for (const [name, value, secret] of detectorValues()) {
      add({ cls: "path", what: `${name} in a segment`, path: `/users/${value.replace(/ /g, "%20")}/orders`, secrets: [secret] });
      add({ cls: "path", what: `${name} percent-encoded in a segment`, path: `/v1/${pct(value)}/x`, secrets: [secret] });
    }
    const jsession = g.token("js");
    add({ cls: "path", what: "jsessionid matrix parameter", path: `/cart;jsessionid=${jsession}/items`, secrets: [{ kind: "text", value: jsession }] });
    const card = g.card();
    add({ cls: "path", what: "card in a matrix parameter", path: `/pay;card=${card};v=1`, secrets: [{ kind: "digits", value: card }] });
    const bearer = g.jwt();
    add({ cls: "path", what: "bearer JWT as the last segment", path: `/auth/callback/${bearer}`, secrets: [{ kind: "text", value: bearer.split(".")[2] }] });

    // ---- the authority: host labels and userinfo
    const hostCard = g.card();
    add({ cls: "authority", what: "card as a host label", path: "/", headers: [["host", `${hostCard}.tenant.example`]], secrets: [{ kind: "digits", value: hostCard }] });
    const pw = g.token("Pa55");
    add({ cls: "authority", what: "userinfo", only: "h1", path: "/", headers: [["host", `alice:${pw}@api.test`]], secrets: [{ kind: "text", value: pw }] });
    const hostSsn = g.ssn();
    add({ cls: "authority", what: "ssn as a host label", path: "/", headers: [["host", `u-${hostSsn}.svc.example:8080`]], secrets: [{ kind: "digits", value: hostSsn }] });

    // ---- names: JSON keys and header names
    for (const [name, value, secret] of detectorValues()) {
      if (name === "jwt") continue;
      add({ cls: "names", what: `${name} as a JSON key`, path: "/k", headers: [JSON_TYPE], body: json({ users: { [value]: { plan: "pro" } } }), secrets: [secret] });
    }
    const nameCard = g.card();
    add({ cls: "names", what: "card in a header name", path: "/h", headers: [[`x-${nameCard}`, "1"]], secrets: [{ kind: "digits", value: nameCard }] });
    const namePhone = digitsOf(g.phone());
    add({ cls: "names", what: "phone digits in a header name", path: "/h", headers: [[`x-callback-+${namePhone}`, "yes"]], secrets: [{ kind: "digits", value: namePhone }] });

    // ---- URLs inside other headers
    for (const h of ["referer", "x-original-url", "x-forwarded-uri", "x-original-uri", "location", "x-envoy-original-path"]) {
      const t = g.token("tk");
      const e = g.email();
      const base = h.startsWith("x-") ? "" : "https://shop.example";
      add({ cls: "url-headers", what: `token query in ${h}`, path: "/", headers: [[h, `${base}/reset?token=${t}&lang=en`]], secrets: [{ kind: "text", value: t }] });
      add({ cls: "url-headers", what: `email in ${h}'s path`, path: "/", headers: [[h, `${base}/u/${e}/profile`]], secrets: [{ kind: "text", value: e.split("@")[0] }] });
    }
    const op = g.token("pw");
    add({ cls: "url-headers", what: "userinfo in origin", path: "/", headers: [["origin", `https://bob:${op}@shop.example`]], secrets: [{ kind: "text", value: op }] });

    // ---- trailers (h2)
    const tt = g.token("tr");
    add({ cls: "trailers", what: "a masked header as a trailer", only: "h2", method: "POST", path: "/t", headers: [["content-type", "text/plain"]], body: Buffer.from("hello"), trailers: [["x-api-key", tt]], secrets: [{ kind: "text", value: tt }] });
    const tc = g.card();
    add({ cls: "trailers", what: "a card in a trailer", only: "h2", method: "POST", path: "/t", headers: [["content-type", "text/plain"]], body: Buffer.from("hello"), trailers: [["x-note", `card ${tc}`]], secrets: [{ kind: "digits", value: tc }] });

    // ---- compressed bodies posing as identity
    const zpw = g.token("zp");
    const raw = json({ password: zpw, note: "x" });
    const codings: [string, Buffer][] = [
      ["identity;q=1, br", brotliCompressSync(raw)],
      ["identity ,br", brotliCompressSync(raw)],
      ["IDENTITY, gzip", gzipSync(raw)],
      ["identity;foo=bar , deflate", deflateSync(raw)],
      ["gzip", gzipSync(raw)],
      [" , br", brotliCompressSync(raw)],
    ];
    const [coding, compressed] = codings[v % codings.length];
    add({ cls: "compressed", what: `content-encoding: ${coding}`, method: "POST", path: "/z", headers: [JSON_TYPE, ["content-encoding", coding]], body: compressed, secrets: [{ kind: "text", value: zpw }] });

    // ---- JSON numbers that denote a card
    const nc = g.card();
    const numberForms = [`${nc}e0`, `${nc}.0`, `${nc[0]}.${nc.slice(1)}e${nc.length - 1}`, `${nc}0E-1`, `-${nc}`, `${nc}.000e+0`, `${nc}E+00`, `0.${nc}e${nc.length}`];
    const nf = numberForms[v % numberForms.length];
    add({ cls: "json-numbers", what: `card as ${nf.replace(nc, "<card>")}`, method: "POST", path: "/n", headers: [JSON_TYPE], body: Buffer.from(`{"pan":${nf},"amount":12.5}`), secrets: [{ kind: "digits", value: nc }], markers: ['"amount":12.5'] });

    // ---- names by case and Unicode
    const spellings = ["PASSWORD", "Password", "pa\u017f\u017fword", "PassWord", "pa\u017fsword", "TOKEN", "To\u212aen", "SECRET", "Api_Key", "API_KEY"];
    const sp = spellings[v % spellings.length];
    const cs = g.token("cs");
    add({ cls: "name-case", what: `JSON member ${sp}`, method: "POST", path: "/c", headers: [JSON_TYPE], body: json({ user: { [sp]: cs } }), secrets: [{ kind: "text", value: cs }] });
    const cq = g.token("cq");
    add({ cls: "name-case", what: `query name ${sp}`, path: `/c?${encodeURIComponent(sp)}=${cq}&x=1`, secrets: [{ kind: "text", value: cq }] });
    const cf = g.token("cf");
    add({ cls: "name-case", what: `form name ${sp}`, method: "POST", path: "/c", headers: [["content-type", "application/x-www-form-urlencoded"]], body: Buffer.from(`${encodeURIComponent(sp)}=${cf}&x=1`), secrets: [{ kind: "text", value: cf }] });
    const ce = g.token("ce");
    add({ cls: "name-case", what: `JSON member ${sp} written with \\u escapes`, method: "POST", path: "/c", headers: [JSON_TYPE], body: Buffer.from(`{"${[...sp].map((c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")).join("")}":"${ce}"}`), secrets: [{ kind: "text", value: ce }] });

    // ---- form and query names the way frameworks bind them
    const forms = ["password[]", "user[password]", "user%5Bpassword%5D", "a=1;password", "password%20", "user.password", "password[0]", "user[][token]", "%70assword", "pass%77ord"];
    const fw = forms[v % forms.length];
    const fq = g.token("fq");
    add({ cls: "framework-names", what: `query ${fw}`, path: `/f?${fw}=${fq}&page=2`, secrets: [{ kind: "text", value: fq }] });
    const fb = g.token("fb");
    add({ cls: "framework-names", what: `form ${fw}`, method: "POST", path: "/f", headers: [["content-type", "application/x-www-form-urlencoded"]], body: Buffer.from(`page=2&${fw}=${fb}`), secrets: [{ kind: "text", value: fb }] });

    // ---- JSON under other media types
    const types = ["text/json", "text/plain", "text/html", "text/x-json", "application/x-json", "application/jsonl", "application/x-ndjson", "text/plain; charset=utf-8"];
    const ty = types[v % types.length];
    const mt = g.token("mt");
    const doc = ty.includes("nd") || ty.includes("jsonl") ? `{"a":1}\n{"user":{"password":"${mt}"}}\n` : JSON.stringify({ user: { password: mt } });
    add({ cls: "media-types", what: `JSON as ${ty}`, method: "POST", path: "/m", headers: [["content-type", ty]], body: Buffer.from(doc), secrets: [{ kind: "text", value: mt }] });
    const xt = g.token("xm");
    add({ cls: "media-types", what: `XML with a password element (${v % 2 ? "text" : "application"}/xml)`, method: "POST", path: "/m", headers: [["content-type", v % 2 ? "text/xml" : "application/xml"]], body: Buffer.from(`<?xml version="1.0"?><user><name>a</name><password>${xt}</password></user>`), secrets: [{ kind: "text", value: xt }] });

    // ---- detector formats
    const fc = g.card();
    const groups = (sep: string) => (fc.length === 16 ? fc.match(/.{4}/g)!.join(sep) : fc.slice(0, 4) + sep + fc.slice(4, 10) + sep + fc.slice(10));
    const cardForms: [string, string][] = [
      ["dots", groups(".")], ["slashes", groups("/")], ["no-break spaces", groups("\u00a0")], ["tabs", groups("\t")],
      ["underscores", groups("_")], ["full-width digits", fullWidth(fc)], ["narrow no-break spaces", groups("\u202f")], ["spaces", groups(" ")],
    ];
    const [cfName, cfValue] = cardForms[v % cardForms.length];
    add({ cls: "detector-formats", what: `card grouped with ${cfName}`, method: "POST", path: "/d", headers: [["content-type", "text/plain; charset=utf-8"]], body: Buffer.from(`paid with ${cfValue} today`), secrets: [{ kind: "digits", value: fc }] });
    add({ cls: "detector-formats", what: `card grouped with ${cfName} in JSON`, method: "POST", path: "/d", headers: [JSON_TYPE], body: json({ note: `card ${cfValue}` }), secrets: [{ kind: "digits", value: fc }] });
    const bare = digitsOf(g.ssn());
    const ssnLabels = [`ssn: ${bare}`, `SSN=${bare}`, `ssn#${bare}`, `Social Security Number ${bare}`, `ssn ${bare}`];
    add({ cls: "detector-formats", what: `labelled bare SSN (${ssnLabels[v % ssnLabels.length].replace(bare, "<n>")})`, method: "POST", path: "/d", headers: [["content-type", "text/plain"]], body: Buffer.from(`applicant ${ssnLabels[v % ssnLabels.length]} ok`), secrets: [{ kind: "digits", value: bare }] });
    add({ cls: "detector-formats", what: "bare SSN under an ssn JSON key", method: "POST", path: "/d", headers: [JSON_TYPE], body: json({ applicant: { ssn: bare } }), secrets: [{ kind: "digits", value: bare }] });
    const nat = `${2 + g.int(8)}${g.digits(2)}${2 + g.int(8)}${g.digits(6)}`;
    const phoneLabels = [`phone: ${nat}`, `tel:${nat}`, `Phone ${nat}`, `mobile=${nat}`];
    add({ cls: "detector-formats", what: `labelled national phone (${phoneLabels[v % phoneLabels.length].replace(nat, "<n>")})`, method: "POST", path: "/d", headers: [["content-type", "text/plain"]], body: Buffer.from(`call ${phoneLabels[v % phoneLabels.length]} please`), secrets: [{ kind: "digits", value: nat }] });
    add({ cls: "detector-formats", what: "national phone under a phone JSON key", method: "POST", path: "/d", headers: [JSON_TYPE], body: json({ contact: { phone: nat } }), secrets: [{ kind: "digits", value: nat }] });
    const ib = g.iban();
    const ibanForms = [ib.toLowerCase(), ib.match(/.{1,4}/g)!.join(" "), ib.toLowerCase().match(/.{1,4}/g)!.join(" "), ib.slice(0, 2).toLowerCase() + ib.slice(2)];
    add({ cls: "detector-formats", what: `IBAN ${["lower-case", "spaced", "lower-case spaced", "lower-case country"][v % 4]}`, method: "POST", path: "/d", headers: [["content-type", "text/plain"]], body: Buffer.from(`iban ${ibanForms[v % 4]} thanks`), secrets: [{ kind: "alnum", value: ib }] });
    const local = g.alnum(9);
    const emailForms = [`"${local} x"@mail.example`, `${local}%40mail.example`, `"${local}"@mail.example`, `${local}%2Btag@mail.example`];
    add({ cls: "detector-formats", what: `email ${["quoted with a space", "percent-encoded @", "quoted", "percent-encoded +"][v % 4]}`, method: "POST", path: "/d", headers: [["content-type", "text/plain"]], body: Buffer.from(`write to ${emailForms[v % 4]} now`), secrets: [{ kind: "text", value: local }] });

    // ---- what must stay: escapes around a hit, '+' around a finding, empty DATA frames
    const ec = g.card();
    add({ cls: "keep-markers", what: "card in a JSON string with \\/ escapes", method: "POST", path: "/e", headers: [JSON_TYPE], body: Buffer.from(`{"url":"https:\\/\\/shop.example\\/a","note":"card ${ec} at https:\\/\\/x.example\\/"}`), secrets: [{ kind: "digits", value: ec }], markers: ["https:\\/\\/shop.example\\/a", "https:\\/\\/x.example\\/"], bodyKept: true });
    const ec2 = g.card();
    add({ cls: "keep-markers", what: "card in a JSON string with a \\u00eb escape", method: "POST", path: "/e", headers: [JSON_TYPE], body: Buffer.from(`{"note":"Zo\\u00eb paid ${ec2}"}`), secrets: [{ kind: "digits", value: ec2 }], markers: ["Zo\\u00eb paid "], bodyKept: true });
    const qe = g.email();
    add({ cls: "keep-markers", what: "'+' around an email in a query value", path: `/s?q=write+to+${encodeURIComponent(qe)}+now&lang=en`, secrets: [{ kind: "text", value: qe.split("@")[0] }], markers: ["q=write+to+", "+now&lang=en"] });
    add({ cls: "keep-markers", what: "h2 request ending with an empty DATA frame", only: "h2", method: "POST", path: "/empty", headers: [JSON_TYPE], body: json({ ok: v }), emptyDataEnd: true, secrets: [], markers: [`{"ok":${v}}`], bodyKept: true });

    // ---- what the hostile review found (#13): lenient JSON, structured text, spaced JOSE headers, glued cards, names as data
    const lj = g.token("lj");
    const lenient = [`{"password":"${lj}"} x`, `{"password":"${lj}","n":NaN}`, `{"password":"${lj}",}`, `{"password":"${lj}"/*c*/}`, `{'password':'${lj}'}`, `\uFEFF{"password":"${lj}"}]`];
    add({ cls: "review", what: `lenient JSON as text/plain (${v % lenient.length})`, method: "POST", path: "/r", headers: [["content-type", "text/plain"]], body: Buffer.from(lenient[v % lenient.length].replace("\\uFEFF", "\uFEFF")), secrets: [{ kind: "text", value: lj }] });
    const yt = g.token("ym");
    add({ cls: "review", what: "YAML with a password key", method: "POST", path: "/r", headers: [["content-type", g.pick(["text/yaml", "text/x-yaml", "text/csv"])]], body: Buffer.from(`user: bob\npassword: ${yt}\n`), secrets: [{ kind: "text", value: yt }] });
    const b64 = (o: string) => Buffer.from(o).toString("base64url");
    const sig = b64(g.alnum(24));
    const spaced = `${b64(g.pick(['{ "alg": "HS256" }', '{\n  "alg": "HS256"\n}', '{\r\n"alg":"HS256"}', '{\t"alg":"HS256"}']))}.${b64('{ "sub": "' + g.alnum(6) + '" }')}.${sig}`;
    add({ cls: "review", what: "JWT with a spaced or pretty-printed JOSE header", path: "/r", headers: [["x-id-token", spaced]], secrets: [{ kind: "text", value: sig }] });
    const gc = g.card();
    add({ cls: "review", what: "card glued to letters", path: `/cards/${g.pick(["card", "pan", "PAN", "cc"])}${gc}${g.pick(["", "x", "abc"])}`, secrets: [{ kind: "digits", value: gc }] });
    const qn = g.pick([g.card(), g.email()]);
    add({ cls: "review", what: "a query name that is data", path: `/a?${encodeURIComponent(qn)}${v % 2 ? "=1" : ""}`, secrets: [qn.includes("@") ? { kind: "text", value: qn.split("@")[0] } : { kind: "digits", value: qn }] });
    const pj = g.jwt();
    add({ cls: "review", what: "a JWT and a card after percent escapes in a JSON string", method: "POST", path: "/r", headers: [JSON_TYPE], body: json({ next: `https://x.example/cb?auth=Bearer%20${pj}&pan%3D${gc}` }), secrets: [{ kind: "text", value: pj.split(".")[2] }, { kind: "digits", value: gc }] });
    const fc2 = g.card();
    add({ cls: "review", what: "a card as a JSON number with a fraction", method: "POST", path: "/r", headers: [JSON_TYPE], body: Buffer.from(`{"n":${fc2}.${g.pick(["2", "000000000000000000001", "5e0"])}}`), secrets: [{ kind: "digits", value: fc2 }] });
    const kt = g.token("kx");
    add({ cls: "review", policy: "keep", what: "plain text under the allow-list", method: "POST", path: "/k", headers: [["content-type", g.pick(["text/plain", "text/csv", "text/yaml"])]], body: Buffer.from(`customer note: my password is ${kt} please`), secrets: [{ kind: "text", value: kt }] });
    add({ cls: "review", policy: "keep", what: "lenient JSON under the allow-list", method: "POST", path: "/k", headers: [["content-type", "text/plain"]], body: Buffer.from(`{"name":"${kt}x"} x`), secrets: [{ kind: "text", value: kt + "x" }] });

    // ---- the allow-list mode: only the named paths pass, whatever the other fields are called
    const kc = g.card();
    const kname = g.token("nm");
    const kaddr = g.token("ad");
    const ktok = g.token("kt");
    const sku = `SKU-${g.alnum(6)}`;
    const oid = `ord_${g.alnum(10)}`;
    const extra = g.pick(["pan", "ccnum", "x", "data", "c", "kartennummer"]);
    add({
      cls: "keep",
      policy: "keep",
      what: `checkout with the card under "${extra}"`,
      method: "POST",
      path: `/checkout?page=1&auth=${ktok}`,
      headers: [JSON_TYPE, ["x-session-secret", ktok + "h"], ["x-request-id", `req-${v}`]],
      body: json({ order: { id: oid, currency: "EUR", items: [{ sku, qty: 2, note: kname }] }, payment: { [extra]: kc, holder: kname, cvv: "123" }, shipping: { address: kaddr } }),
      secrets: [{ kind: "digits", value: kc }, { kind: "text", value: kname }, { kind: "text", value: kaddr }, { kind: "text", value: ktok }],
      markers: [`"id":"${oid}"`, `"sku":"${sku}"`, '"qty":2', '"currency":"EUR"', "page=1"],
      bodyKept: true,
    });
    const kf = g.token("kf");
    add({
      cls: "keep",
      policy: "keep",
      what: "form body with an unlisted field",
      method: "POST",
      path: "/checkout",
      headers: [["content-type", "application/x-www-form-urlencoded"]],
      body: Buffer.from(`currency=EUR&${g.pick(["nm", "holder", "q", "f"])}=${kf}`),
      secrets: [{ kind: "text", value: kf }],
      markers: ["currency=EUR"],
      bodyKept: true,
    });
  }
  return drafts.map((d, i) => ({ method: "GET", headers: [], markers: [], policy: "strict", ...d, id: i }));
}

// ------------------------------------------------------------------ checks

/** The copy as the shadow received it. */
export interface ReceivedCopy {
  path: string;
  headers: [string, string][];
  body: Buffer;
  trailers?: [string, string][];
}

/** A case as a `preview` request, with more headers after its own (an id to find its copy by). */
export function previewRequestOf(c: LeakCase, more: [string, string][] = []): PreviewRequest {
  return { method: c.method, path: c.path, headers: [...c.headers, ...more], ...(c.body ? { bodyBase64: c.body.toString("base64") } : {}) };
}

/** A `preview` copy as the shadow would have received it. */
export function receivedOf(copy: PreviewCopy): ReceivedCopy {
  return { path: copy.path, headers: copy.headers, body: copy.bodyBase64 !== undefined ? Buffer.from(copy.bodyBase64, "base64") : Buffer.from(copy.body ?? "") };
}

function pctDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

function jsonUnescape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\\(.)/g, "$1");
}

function bodyViews(b: Buffer): string[] {
  const out = [b.toString("utf8"), b.toString("latin1")];
  for (const f of [gunzipSync, inflateSync, brotliDecompressSync]) {
    try {
      out.push(f(b).toString("utf8"));
    } catch {
      // not this coding
    }
  }
  return out;
}

/** Every reading of the copy an application (or an attacker) might make. */
function views(c: ReceivedCopy): string[] {
  const parts = [c.path, ...c.headers.flat(), ...(c.trailers ?? []).flat(), ...bodyViews(c.body)];
  const out: string[] = [];
  for (const p of parts) {
    const decoded = pctDecode(p);
    for (const v of [p, decoded, jsonUnescape(p), jsonUnescape(decoded)]) out.push(v.normalize("NFKC"));
  }
  return out;
}

/** The secrets of a case found in a copy, by value. */
export function leaked(c: LeakCase, copy: ReceivedCopy): string[] {
  const vs = views(copy);
  const digitStream = vs.map((v) => v.replace(/\D/g, "")).join("|");
  const alnumStream = vs.map((v) => v.replace(/[^0-9A-Za-z]/g, "").toUpperCase()).join("|");
  const text = vs.join("\n").toLowerCase();
  const out: string[] = [];
  for (const s of c.secrets) {
    const hit =
      s.kind === "digits" ? digitStream.includes(digitsOf(s.value))
      : s.kind === "alnum" ? alnumStream.includes(s.value.replace(/[^0-9A-Za-z]/g, "").toUpperCase())
      : text.includes(s.value.toLowerCase());
    if (hit) out.push(s.value);
  }
  return out;
}

/** Markers of a case that did not reach the copy byte for byte, and whether its body was dropped when it must not be. */
export function altered(c: LeakCase, copy: ReceivedCopy): string[] {
  const raw = copy.path + "\n" + copy.body.toString("utf8");
  const out = c.markers.filter((m) => !raw.includes(m));
  if (c.bodyKept && copy.headers.some(([k]) => k === "x-mirrorshade-body-dropped")) out.push("body dropped: " + copy.headers.find(([k]) => k === "x-mirrorshade-body-dropped")![1]);
  return out;
}

export interface ClassTally {
  cases: number;
  secrets: number;
  leaked: number;
  markers: number;
  altered: number;
  examples: string[];
}

/** Per class: secrets planted and leaked, markers sent and altered, with a few examples of what went wrong. */
export function tally(results: { c: LeakCase; copy: ReceivedCopy | null }[]): Map<string, ClassTally> {
  const out = new Map<string, ClassTally>();
  for (const { c, copy } of results) {
    const t = out.get(c.cls) ?? { cases: 0, secrets: 0, leaked: 0, markers: 0, altered: 0, examples: [] };
    out.set(c.cls, t);
    t.cases++;
    t.secrets += c.secrets.length;
    t.markers += c.markers.length + (c.bodyKept ? 1 : 0);
    if (copy === null) continue; // no copy went: nothing leaked, nothing kept
    const l = leaked(c, copy);
    const a = altered(c, copy);
    t.leaked += l.length;
    t.altered += a.length;
    if ((l.length || a.length) && t.examples.length < 6) t.examples.push(`#${c.id} ${c.what}: ${[...l.map((x) => "leaked " + x), ...a.map((x) => "altered " + x)].join("; ")}`);
  }
  return out;
}

export function formatTally(title: string, t: Map<string, ClassTally>): string {
  const rows = [...t].map(([cls, x]) => `${cls.padEnd(18)} ${String(x.cases).padStart(5)} ${String(x.secrets).padStart(7)} ${String(x.leaked).padStart(6)} ${String(x.markers).padStart(7)} ${String(x.altered).padStart(7)}`);
  const ex = [...t].flatMap(([, x]) => x.examples).map((e) => "  " + e);
  return [title, `${"class".padEnd(18)} ${"cases".padStart(5)} ${"secrets".padStart(7)} ${"leaked".padStart(6)} ${"markers".padStart(7)} ${"altered".padStart(7)}`, ...rows, ...ex].join("\n");
}
