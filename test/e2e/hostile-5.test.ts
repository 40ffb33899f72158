// Fifth hostile review (43211c3: NFKC compatibility forms, phone groups split by invisible and
// format characters, a raw '+' after ; , : tab newline and in names, JWT headers with spaces
// before '{', short JWTs, labelled long phone numbers, percent escapes inside words). Against real
// Envoy, written without reading filter/. `it`: probe groups that held on 43211c3. `it.fails`: a
// leak or a false positive found on 43211c3; its comment gives the exact input and what the shadow
// received; a fix flips it.
//
// The verdict is hostile-4's plus one more reading: every Unicode decimal digit (\p{Nd}: Arabic-Indic,
// Devanagari, Thai, ...; what Python int(), Java Character.digit and .NET's char.GetNumericValue
// accept) read as its ASCII digit, and the IDNA full stops (U+3002, U+FF61) read as '.', soft hyphens
// and zero-width characters removed (UTS #46 maps them to nothing), after percent-decoding, JSON
// unescaping and NFKC.
import { describe, it, expect } from "vitest";
import { findLeaks, type Probe, type Outcome } from "./hostile-lib.js";
import { hostileVerdict } from "./hostile-verdict.js";
import { hostileRigs } from "./hostile-rigs.js";
import { startGrpcRig, printGrpcLogsAfterFailures, type GrpcRig } from "./grpc-fixture.js";
import { send, shadowCall, ld, cat, frame, PATH, descriptorPolicy, detectorsPolicy } from "./hostile-grpc-lib.js";
import * as P from "./hostile-pct-probes.js";

const PH = "4155552671";
const UK = "2079460958";
const SSN = "536-22-8147";
const CARD = P.CARD;
const EMAIL = P.EMAIL;
const b64u = (s: string) => Buffer.from(s).toString("base64url");
const SIG = "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const PAY = b64u('{"sub":"hostile5"}');
const jwt = (header: string, pay = PAY, sig = SIG) => `${b64u(header)}.${pay}.${sig}`;
/** A header value as the bytes of s in UTF-8 (Node writes header strings as latin-1). */
const u8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const enc = encodeURIComponent;

// ---- the extra reading: Unicode decimal digits and IDNA dots ----
const isNd = (cp: number) => cp >= 0 && /\p{Nd}/u.test(String.fromCodePoint(cp));
function foldNd(s: string): string {
  return s
    .normalize("NFKC")
    .replace(/\p{Nd}/gu, (c) => {
      const cp = c.codePointAt(0)!;
      let k = 0;
      while (k < 9 && isNd(cp - k - 1)) k++;
      return String(k % 10);
    })
    .replace(/[\u3002\uff61]/g, ".")
    .replace(/[\u00ad\u200b\u2060\ufeff\u034f\u180b-\u180e\ufe00-\ufe0f\u200c\u200d]/g, "");
}
function pctDecode(s: string, plus: boolean): string {
  if (plus) s = s.replace(/\+/g, " ");
  return s.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
    try {
      return decodeURIComponent(m);
    } catch {
      return m;
    }
  });
}
const jsonUnescape = (s: string) => s.replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
function foldedFields(o: Outcome): string[] {
  const sh = o.shadow!;
  const f = [sh.path, ...sh.headers.flatMap(([k, v]) => [k, v]), sh.body];
  const all = [...f, ...f.map((x) => Buffer.from(x, "latin1").toString("utf8"))];
  const out: string[] = [];
  for (const x of all) for (const v of [x, pctDecode(x, false), pctDecode(x, true), jsonUnescape(pctDecode(x, false))]) out.push(foldNd(v));
  return out;
}
const base = hostileVerdict({ requireOk: true, shown: 240 });
const NOISE = /^(x-pid|x-envoy|x-request-id|x-forwarded-proto|content-length|x-shadow-request)$/;
function verdict(probes: Probe[], res: Outcome[]): string[] {
  const bad = base(probes, res);
  const byId = new Map(probes.map((p) => [p.id, p]));
  for (const o of res) {
    if (!o.shadow) continue;
    if (bad.some((b) => b.startsWith(o.id + ":"))) continue;
    const leaks = findLeaks(foldedFields(o), byId.get(o.id)!.secrets);
    if (leaks.length)
      bad.push(`${o.id}: ${leaks.join(",")} reached the shadow (read as Unicode digits): path ${o.shadow.path} headers ${JSON.stringify(o.shadow.headers.filter(([k]) => !NOISE.test(k)))} body ${o.shadow.body.slice(0, 240)}`);
  }
  return bad;
}

let seq = 0;
const hdr = (note: string, headers: Record<string, string>, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "GET", path: "/r", headers, secrets });
const pth = (note: string, path: string, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "GET", path, secrets });
const post = (note: string, ct: string, b: string, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "POST", path: "/r", headers: { "content-type": ct }, body: Buffer.from(b), secrets });
const json = (note: string, v: string, secrets: string[], key = "note") => post(note, "application/json", JSON.stringify({ [key]: v }), secrets);
const text = (note: string, v: string, secrets: string[]) => post(note, "text/plain", v, secrets);
const form = (note: string, v: string, secrets: string[], key = "note") => post(note, "application/x-www-form-urlencoded", `a=1&${key}=${enc(v)}`, secrets);
/** v as an unruled header value, a query value (encoded), a path segment, a JSON string, a text body and a form value. */
const everywhere = (note: string, v: string, secrets: string[]): Probe[] => [
  hdr(`${note}-header`, { "x-note": u8(v) }, secrets),
  pth(`${note}-query`, "/r?v=" + enc(v), secrets),
  pth(`${note}-segment`, "/u/" + enc(v), secrets),
  json(`${note}-json`, v, secrets),
  text(`${note}-text`, v, secrets),
  form(`${note}-form`, v, secrets),
];
const same = (ps: Probe[]): Probe[] => ps.map((p) => ({ ...p, identical: true }));
const formAndQuery = (note: string, q: string, secrets: string[]): Probe[] => [
  post(`${note}-form`, "application/x-www-form-urlencoded", q, secrets),
  pth(`${note}-query`, "/r?" + q.replace(/["'<>]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()), secrets),
];

/** Digits mapped to another set: zero's code point, or a table of ten. */
const digitsFrom = (zero: number | string[]) => (s: string) =>
  s.replace(/[0-9]/g, (d) => (typeof zero === "number" ? String.fromCodePoint(zero + Number(d)) : zero[Number(d)]));
const SUPER = ["\u2070", "\u00b9", "\u00b2", "\u00b3", "\u2074", "\u2075", "\u2076", "\u2077", "\u2078", "\u2079"];
const CIRCLED = ["\u24ea", ...Array.from({ length: 9 }, (_, i) => String.fromCodePoint(0x2460 + i))];
// (parenthesized and full-stop digits have no zero; the planted values have none)
const PAREN = ["?", ...Array.from({ length: 9 }, (_, i) => String.fromCodePoint(0x2474 + i))];
const FULLSTOP = ["?", ...Array.from({ length: 9 }, (_, i) => String.fromCodePoint(0x2488 + i))];
const NFKC_DIGITS: [string, (s: string) => string][] = [
  ["superscript", digitsFrom(SUPER)], ["subscript", digitsFrom(0x2080)], ["circled", digitsFrom(CIRCLED)], ["parenthesized", digitsFrom(PAREN)],
  ["digit-full-stop", digitsFrom(FULLSTOP)], ["math-sans-bold", digitsFrom(0x1d7ec)], ["segmented", digitsFrom(0x1fbf0)],
];
const ND_DIGITS: [string, (s: string) => string][] = [
  ["arabic-indic", digitsFrom(0x660)], ["ext-arabic-indic", digitsFrom(0x6f0)], ["devanagari", digitsFrom(0x966)], ["bengali", digitsFrom(0x9e6)],
  ["thai", digitsFrom(0xe50)], ["nko", digitsFrom(0x7c0)], ["myanmar", digitsFrom(0x1040)], ["mongolian", digitsFrom(0x1810)], ["tamil", digitsFrom(0xbe6)],
];
/** Full-width for every other digit: ASCII and full-width mixed in one number. */
const mixFw = (s: string) => { let k = 0; return s.replace(/[0-9]/g, (d) => (k++ % 2 ? P.fw(d) : d)); };
const fwHalf = (s: string) => { const i = Math.floor(s.length / 2); return s.slice(0, i) + P.fw(s.slice(i)); };

/** The numbers to spell: [note, text, secret]. */
const NUMBERS: [string, string, string][] = [
  ["ssn", SSN, SSN], ["e164", "+1 415 555 2671", PH], ["national", "(415) 555-2671", PH], ["card", "4556 7375 8689 9855", CARD],
];

const E = (local: string, dom: string, tld = "org", at = "@", dot = ".") => `${local}${at}${dom}${dot}${tld}`;
const INVIS: [string, string][] = [
  ["zwnj", "\u200c"], ["zwj", "\u200d"], ["bom", "\ufeff"], ["mvs", "\u180e"], ["lrm", "\u200e"], ["rlm", "\u200f"], ["lre", "\u202a"], ["rle", "\u202b"],
  ["pdf", "\u202c"], ["lro", "\u202d"], ["rlo", "\u202e"], ["lri", "\u2066"], ["rli", "\u2067"], ["fsi", "\u2068"], ["pdi", "\u2069"], ["alm", "\u061c"],
  ["cgj", "\u034f"], ["inv-times", "\u2062"], ["inv-sep", "\u2063"], ["inv-plus", "\u2064"], ["vs16", "\ufe0f"], ["hangul-filler", "\u3164"],
];
/** The separators hostile-4 had fixed (E.164 grouped by them), here in every form. */
const FIXED_SEPS: [string, string][] = [["zwsp", "\u200b"], ["word-joiner", "\u2060"], ["soft-hyphen", "\u00ad"], ["ideographic", "\u3000"], ["nbhyphen", "\u2011"]];
const invisForms = (n: string, x: string): Probe[] => [
  ...everywhere(`${n}-e164`, ["+1", "415", "555", "2671"].join(x), [PH]),
  ...everywhere(`${n}-e164-every-digit`, "+" + [..."14155552671"].join(x), [PH]),
  ...everywhere(`${n}-national`, "(415)" + x + "555-" + x + "2671", [PH]),
  ...everywhere(`${n}-ssn`, ["536", "22", "8147"].join(x), [SSN]),
  ...everywhere(`${n}-ssn-dash`, "536-" + x + "22-" + x + "8147", [SSN]),
  ...everywhere(`${n}-card`, ["4556", "7375", "8689", "9855"].join(x), [CARD]),
  ...everywhere(`${n}-card-in-group`, "45" + x + "56 7375 8689 9855", [CARD]),
];
const plusForms = (list: [string, string, string][]) => list.flatMap(([n, q, s]) => formAndQuery(`plus-${n}`, q, [s]));
const HEADS: Record<string, string> = {
  tab: '\t{"alg":"HS256"}', lf: '\n{"alg":"HS256"}', crlf: '\r\n{"alg":"HS256"}', cr: '\r{"alg":"HS256"}', "three-spaces": '   {"alg":"HS256"}',
  "four-spaces": '    {"alg":"HS256","typ":"JWT"}', "space-tab": ' \t{"alg":"RS256"}', "lf-spaces": '\n  {"alg":"ES256"}', "bom-space": '\ufeff {"alg":"HS256"}',
  "space-bom": ' \ufeff{"alg":"HS256"}', "brace-space": '{ "alg": "HS256" }', "brace-space-typ": '{ "typ": "JWT", "alg": "HS256" }',
  "eight-spaces": '        {"alg":"HS256"}', "tab-tab": '\t\t{"alg":"HS256"}', "space-lf": ' \n{"alg":"HS256"}',
};
const SHAPES: [string, string, string][] = [["bare", "", ""], ["glued", "token-", ""], ["bearer", "Bearer ", ""], ["labels", "", ".t.example"]];
const jwtProbes = (head: string): Probe[] => {
  const t = jwt(HEADS[head]);
  return SHAPES.flatMap(([pn, pre, post]) => everywhere(`jwt-${head}-${pn}`, pre + t + post, [t]));
};
const H256 = b64u('{"alg":"HS256"}');
const shortProbes = (toks: [string, string][]): Probe[] =>
  toks.flatMap(([n, t]) => [["bare", ""], ["glued", "token-"], ["bearer", "Bearer "]].flatMap(([pn, pre]) => everywhere(`short-${n}-${pn}`, pre + t, [t])));
const PHONE_KEYS = ["phone", "tel", "mobile", "phoneNumber", "msisdn", "cell"];
const labelled = (vals: [string, string, string][], opts: { text?: boolean; number?: boolean } = {}): Probe[] => {
  const probes: Probe[] = [];
  for (const [n, v, s] of vals) {
    for (const key of PHONE_KEYS) probes.push(json(`lab-${n}-${key}-json`, v, [s], key), form(`lab-${n}-${key}-form`, v, [s], key), pth(`lab-${n}-${key}-query`, `/r?${key}=${enc(v)}`, [s]));
    if (opts.text !== false) probes.push(text(`lab-${n}-text`, `phone: ${v}`, [s]), text(`lab-${n}-text-tel`, `tel ${v}`, [s]), hdr(`lab-${n}-header`, { "x-phone": v }, [s]));
    if (opts.number) probes.push(post(`lab-${n}-json-number`, "application/json", `{"phone":${v.replace(/\D/g, "").replace(/^0+/, "")}}`, [s]));
  }
  return probes;
};

describe("hostile review 5 (NFKC and Unicode digits, invisible separators, '+' after punctuation, spaced JWT headers, short JWTs, labelled long phones, escapes in words)", () => {
  const { expectClean } = hostileRigs(verdict, Number(process.env.H5_SHOWN ?? 80));

  // ---- 1. compatibility forms ----
  it("mixed ASCII and full-width digits in E.164, national numbers and cards; full-width SSN with full-width dashes; '＋' before mixed digits; ideographic-space groups; sans-serif bold digits", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, v, s] of NUMBERS.filter(([n]) => n !== "ssn")) probes.push(...everywhere(`mixfw-${n}`, mixFw(v), [s]), ...everywhere(`fwhalf-${n}`, fwHalf(v), [s]));
    probes.push(...everywhere("fw-ssn-fwdash", P.fw("536") + "\uff0d" + P.fw("22") + "\uff0d" + P.fw("8147"), [SSN]));
    probes.push(...everywhere("fw-e164-fwplus-mixed", "\uff0b1 415 ５５５ 2671", [PH]));
    probes.push(...everywhere("fw-e164-ideographic", "\uff0b\uff11\u3000\uff14\uff11\uff15\u3000\uff15\uff15\uff15\u3000\uff12\uff16\uff17\uff11", [PH]));
    probes.push(...everywhere("fw-card-fwspace", P.fw("4556") + "\u3000" + P.fw("7375") + "\u3000" + P.fw("8689") + "\u3000" + P.fw("9855"), [CARD]));
    for (const [n, v, s] of NUMBERS) probes.push(...everywhere(`math-sans-bold-${n}`, digitsFrom(0x1d7ec)(v), [s]));
    await expectClean("mixed full-width", P.POLICY, probes);
  });

  // LEAK: an SSN whose digits mix ASCII and full-width (or mathematical) forms, and a national number
  // in full-width parentheses and hyphen, reach the shadow unchanged in every place (header value,
  // query value, path segment, JSON string, text body, form value): sent `5３6-２2-8１4７`,
  // `536-2２-８１４７` (ASCII then full-width), `5𝟑6-22-𝟖147` (U+1D7D1, U+1D7F4) and
  // `（４１５）５５５－２６７１`; e.g. `{"note":"5３6-２2-8１4７"}` arrived as sent, `x-note:` likewise.
  // (All-full-width SSNs, and mixed E.164, national and card numbers, are masked: held above.)
  it.fails("LEAK: mixed ASCII/full-width SSNs, a math digit in an SSN, a national number in full-width parentheses", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      ...everywhere("mixfw-ssn", mixFw(SSN), [SSN]), ...everywhere("fwhalf-ssn", fwHalf(SSN), [SSN]),
      ...everywhere("math-mixed-ssn", "5\u{1d7d1}6-22-\u{1d7f4}147", [SSN]), ...everywhere("fw-national-fwparens", "\uff08４１５\uff09５５５\uff0d２６７１", [PH]),
    ];
    await expectClean("mixed full-width SSN", P.POLICY, probes);
  });

  // LEAK: digits NFKC folds to ASCII other than full-width and mathematical ones are not read, in
  // any number, in any place: superscripts (`⁵³⁶-²²-⁸¹⁴⁷`, `+¹ ⁴¹⁵ ⁵⁵⁵ ²⁶⁷¹`),
  // subscripts (U+2080-2089), circled (`⑤③⑥-②②-⑧①④⑦`), parenthesized (`⑸⑶⑹-⑵⑵-⑻⑴⑷⑺`), digits with a
  // full stop (U+2488-2490), segmented digits (U+1FBF0-1FBF9), as SSNs, E.164 (`+` then the digits
  // spaced), `(415) 555-2671` and `4556 7375 8689 9855`: every copy held them as sent (header,
  // query, path segment, JSON, text, form). E.g. `{"note":"⑤③⑥-②②-⑧①④⑦"}` arrived unchanged.
  it.fails("LEAK: superscript, subscript, circled, parenthesized, full-stop and segmented digits in SSNs, phones and cards", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [dn, f] of NFKC_DIGITS.filter(([n]) => n !== "math-sans-bold")) for (const [n, v, s] of NUMBERS) probes.push(...everywhere(`${dn}-${n}`, f(v), [s]));
    await expectClean("NFKC digits", P.POLICY, probes);
  });

  // LEAK (docs/leaks.md lists "digits of other scripts" as a limit; recorded here because Python
  // int(), Java Character.digit and .NET read them as digits): an SSN, E.164, a national number and
  // a card in Arabic-Indic (`٥٣٦-٢٢-٨١٤٧`), extended Arabic-Indic (U+06F0), Devanagari, Bengali,
  // Thai, NKo, Myanmar, Mongolian and Tamil digits reach the shadow unchanged in every place.
  it.fails("LEAK: Unicode decimal digits of other scripts (Arabic-Indic, Devanagari, Thai, ...) in SSNs, phones and cards", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [dn, f] of ND_DIGITS) for (const [n, v, s] of NUMBERS) probes.push(...everywhere(`${dn}-${n}`, f(v), [s]));
    await expectClean("Nd digits", P.POLICY, probes);
  });

  // LEAK: '+' forms NFKC folds to '+' other than U+FF0B: superscript plus U+207A (`⁺14155552671`),
  // subscript plus U+208A, small plus U+FE62 (`﹢44 20 7946 0958`): unchanged in every place.
  it.fails("LEAK: E.164 after a superscript, subscript or small plus", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, plus] of [["sup-plus", "\u207a"], ["sub-plus", "\u208a"], ["small-plus", "\ufe62"]])
      probes.push(...everywhere(`${n}-e164`, plus + "14155552671", [PH]), ...everywhere(`${n}-uk`, plus + "44 20 7946 0958", [UK]));
    await expectClean("compat +", P.POLICY, probes);
  });

  it("e-mails with full-width or mathematical letters, '﹫', '＠' and '．', a soft hyphen or zero-width space in the domain", { timeout: 300_000 }, async () => {
    const emails: [string, string][] = [
      ["fw-letters-domain", E("bob.pct", "ｅｘａｍｐｌｅ", "ｏｒｇ")], ["fw-letters-local", E("ｂｏｂ.ｐｃｔ", "example")],
      ["math-letters-domain", E("bob.pct", "\u{1d41e}\u{1d431}\u{1d41a}\u{1d426}\u{1d429}\u{1d425}\u{1d41e}")],
      ["small-at", E("bob.pct", "example", "org", "\ufe6b")], ["fw-at-fw-stop", E("bob.pct", "example", "org", "\uff20", "\uff0e")],
      ["soft-hyphen-domain", E("bob.pct", "exam\u00adple")], ["zwsp-domain", E("bob.pct", "exam\u200bple")],
    ];
    await expectClean("compat e-mail", P.POLICY, emails.flatMap(([n, v]) => everywhere(`email-${n}`, v, [EMAIL])));
  });

  // LEAK: an e-mail whose domain's dot is U+FE52 (small full stop, NFKC '.'), U+2024 (one dot leader,
  // NFKC '.'), U+3002 or U+FF61 (ideographic full stops, which IDNA/UTS #46 maps to '.'):
  // `bob.pct@example﹒org`, `bob.pct@example․org`, `bob.pct@example。org`, `bob.pct@example｡org`
  // reached the shadow unchanged in every place (`{"note":"bob.pct@example﹒org"}`).
  it.fails("LEAK: e-mail domains dotted by U+FE52, U+2024, U+3002 or U+FF61", { timeout: 300_000 }, async () => {
    const emails: [string, string][] = [
      ["small-stop", E("bob.pct", "example", "org", "@", "\ufe52")], ["one-dot-leader", E("bob.pct", "example", "org", "@", "\u2024")],
      ["ideographic-stop", E("bob.pct", "example", "org", "@", "\u3002")], ["halfwidth-ideo-stop", E("bob.pct", "example", "org", "@", "\uff61")],
    ];
    await expectClean("compat dots", P.POLICY, emails.flatMap(([n, v]) => everywhere(`email-${n}`, v, [EMAIL])));
  });

  // ---- 2. invisible and format characters ----
  it("the separators fixed after 3d235aa (U+200B, U+2060, U+00AD, U+3000, U+2011) between E.164 groups, after each E.164 digit, between SSN groups, after a national number's ')'; U+3000 and U+2011 between card groups", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, x] of FIXED_SEPS) probes.push(...everywhere(`${n}-e164`, ["+1", "415", "555", "2671"].join(x), [PH]));
    for (const [n, x] of FIXED_SEPS) probes.push(...invisForms(n, x).filter((p) => /-(e164-every-digit|ssn)-(header|query|segment|json|text|form)$/.test(p.id)));
    for (const [n, x] of FIXED_SEPS) probes.push(...everywhere(`${n}-national-one`, "(415)" + x + "555-2671", [PH]));
    for (const [n, x] of FIXED_SEPS.filter(([n]) => n === "ideographic" || n === "nbhyphen")) probes.push(...everywhere(`${n}-card`, ["4556", "7375", "8689", "9855"].join(x), [CARD]));
    await expectClean("fixed separators", P.POLICY, probes);
  });

  // LEAK: every one of these 22 invisible or format characters, put between a number's groups
  // (`+1<X>415<X>555<X>2671`, `536<X>22<X>8147`, `4556<X>7375<X>8689<X>9855`), after each
  // digit (`+1<X>4<X>1<X>5…`), after the dashes (`536-<X>22-<X>8147`, `(415)<X>555-<X>2671`) or
  // inside a card's first group (`45<X>56 7375 8689 9855`), hides the number in every place:
  // U+200C ZWNJ, U+200D ZWJ, U+FEFF, U+180E, U+200E LRM, U+200F RLM, U+202A-U+202E, U+2066-U+2069,
  // U+061C ALM, U+034F CGJ, U+2062-U+2064 invisible operators, U+FE0F VS16, U+3164 Hangul filler.
  // E.g. `x-note: +1<U+200C>415<U+200C>555<U+200C>2671` and `?v=4556%E2%80%8C7375%E2%80%8C8689%E2%80%8C9855`
  // arrived unchanged; `{"note":"536\u200c22\u200c8147"}` (raw U+200C) too.
  it.fails("LEAK: phones, SSNs and cards split by ZWNJ, ZWJ, BOM, MVS, bidi marks and isolates, ALM, CGJ, invisible operators, VS16, Hangul filler", { timeout: 600_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, x] of INVIS) probes.push(...invisForms(n, x));
    await expectClean("invisible separators", P.POLICY, probes);
  });

  // LEAK: the separators hostile-4 had fixed (U+200B, U+2060, U+00AD, U+3000, U+2011) hide a number
  // where they follow a dash (`(415)<X>555-<X>2671`, `536-<X>22-<X>8147`), split a card's group
  // (`45<X>56 7375 8689 9855`), or, for U+200B, U+2060 and U+00AD, group a card
  // (`4556<U+200B>7375<U+200B>8689<U+200B>9855`): unchanged in every place.
  it.fails("LEAK: U+200B, U+2060, U+00AD, U+3000, U+2011 after a dash, inside a card group, or (zero-width, word joiner, soft hyphen) between card groups", { timeout: 600_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, x] of FIXED_SEPS) probes.push(...invisForms(n, x).filter((p) => /-(national|ssn-dash|card-in-group)-(header|query|segment|json|text|form)$/.test(p.id)));
    for (const [n, x] of FIXED_SEPS.filter(([n]) => n !== "ideographic" && n !== "nbhyphen")) probes.push(...everywhere(`${n}-card`, ["4556", "7375", "8689", "9855"].join(x), [CARD]));
    await expectClean("fixed separators elsewhere", P.POLICY, probes);
  });

  // ---- 3. a raw '+' ----
  it("a raw '+' before a number after CR, CRLF, ';', ':', '=', a tab; in names after ';' or ':'", { timeout: 300_000 }, async () => {
    const list: [string, string, string][] = [
      ["cr", "v=tel%0D+1+415+555+2671", PH], ["crlf", "v=tel%0D%0A+1+415+555+2671", PH], ["semi-uk", "a=1;v=+44+20+7946+0958", UK], ["colon-uk", "v=tel:+44+20+7946+0958", UK],
      ["eq-uk", "v=x=+44+20+7946+0958", UK], ["double-colon", "v=tel::+1+415+555+2671", PH], ["colon-space", "v=tel:%20+1+415+555+2671", PH],
      ["colon-plus-space", "v=tel:++1+415+555+2671", PH], ["semi-only", "v=;+1+415+555+2671", PH], ["name-colon", "tel:+1+415+555+2671=1", PH],
      ["name-semi", "a;+1+415+555+2671=1", PH], ["name-only", "+1+415+555+2671", PH], ["name-uk", "+44+20+7946+0958=x", UK], ["tab-uk", "v=tel%09+44+20+7946+0958", UK],
      ["comma-nospace", "v=a,+14155552671", PH], ["colon-dots", "v=tel:+1.415.555.2671", PH],
    ];
    await expectClean("'+' held", P.POLICY, plusForms(list));
  });

  // LEAK: a raw '+' before a number after any other character a form encoder escapes is read as a
  // space, and `1 415 555 2671` (no '+', no punctuation) is not a number the filter reads: the form
  // bodies `v=(+1+415+555+2671)`, `v=[+1+415+555+2671]`, `v="+1+415+555+2671"`, `v='+1+415+555+2671'`,
  // `v=a|+1+415+555+2671`, `v=tel/+1+415+555+2671`, `v={+1+415+555+2671}`, `v=<+1+415+555+2671>`,
  // `v=!+1…`, `v=*+1…`, `v=~+1…`, `v=me@+1…`, `v=tel%0B+1…` (VT), `v=tel%0C+1…` (FF), `v=tel%00+1…`,
  // `v=tel%C2%A0+1…` (NBSP) and the name `(+1+415+555+2671)=1`, and the same as query strings
  // (`?v=%22+1+415+555+2671%22`), reached the shadow byte for byte as sent.
  // After the review (c0abdab+): '+' after VT, FF, NUL, NBSP and raw ( [ { < " ' | / ! * ~ @ is kept
  // (percent.ts isOpener): 31 of the 36 probes are clean; 5 still leak (the verdict lists them).
  it.fails("LEAK: a raw '+' before a number after ( [ { < \" ' | / ! * ~ @, VT, FF, NUL, NBSP, and in a name after '('", { timeout: 300_000 }, async () => {
    const list: [string, string, string][] = [
      ["paren", "v=(+1+415+555+2671)", PH], ["bracket", "v=[+1+415+555+2671]", PH], ["quote", "v=%22+1+415+555+2671%22", PH], ["raw-quote", 'v="+1+415+555+2671"', PH],
      ["apos", "v='+1+415+555+2671'", PH], ["pipe", "v=a|+1+415+555+2671", PH], ["slash", "v=tel/+1+415+555+2671", PH], ["brace", "v={+1+415+555+2671}", PH],
      ["lt", "v=<+1+415+555+2671>", PH], ["bang", "v=!+1+415+555+2671", PH], ["star", "v=*+1+415+555+2671", PH], ["tilde", "v=~+1+415+555+2671", PH],
      ["at", "v=me@+1+415+555+2671", PH], ["vt", "v=tel%0B+1+415+555+2671", PH], ["ff", "v=tel%0C+1+415+555+2671", PH],
      ["nul", "v=tel%00+1+415+555+2671", PH], ["nbsp", "v=tel%C2%A0+1+415+555+2671", PH], ["name-paren", "(+1+415+555+2671)=1", PH],
    ];
    await expectClean("'+' after punctuation", P.POLICY, plusForms(list));
  });

  // ---- 4. JWT headers with whitespace before '{' ----
  it("JWTs whose header has three, four or eight spaces, a line break then spaces, a BOM then a space, or a space after '{'", { timeout: 600_000 }, async () => {
    const probes: Probe[] = [];
    for (const h of ["three-spaces", "four-spaces", "eight-spaces", "lf-spaces", "bom-space", "brace-space", "brace-space-typ"]) probes.push(...jwtProbes(h));
    await expectClean("spaced JWT heads held", P.POLICY, probes);
  });

  // LEAK: a JWT whose header starts with a tab, a line feed, a CR, CRLF, a space then a tab, or a space
  // then a BOM, two tabs, or a space then a line feed before its '{' (base64url `CXsi…`, `Cnsi…`, `DXsi…`,
  // `DQp7…`, `IAl7…`, `IO-7v3si…`, `CQl7…`, `IAp7…`) is not
  // found, bare, after `token-`, after `Bearer `, or before host labels, in every place: e.g.
  // `{"note":"CXsiYWxnIjoiSFMyNTYifQ.eyJzdWIiOiJob3N0aWxlNSJ9.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}`
  // (header `\t{"alg":"HS256"}`) arrived unchanged; `x-auth: Bearer CXsi…` too. (JSON.parse, which
  // jose libraries use, accepts each of these headers.)
  // After the review: headers led by a tab, two tabs, LF, CR, CRLF, a space and a tab or LF are found
  // (detectors.ts spacedJwtHead, prefilter.ts); a space then a BOM still leaks, so the group stays open.
  it.fails("LEAK: JWT headers led by a tab, a line break, CR, a space then a tab, a space then a BOM", { timeout: 600_000 }, async () => {
    const probes: Probe[] = [];
    for (const h of ["tab", "lf", "crlf", "cr", "space-tab", "space-bom", "tab-tab", "space-lf"]) probes.push(...jwtProbes(h));
    probes.push(hdr("jwt-tab-authorization-like", { "x-auth": "Bearer " + jwt(HEADS.tab) }, [jwt(HEADS.tab)]));
    await expectClean("spaced JWT heads", P.POLICY, probes);
  });

  // ---- 5. short JWTs, labelled long phones, 00 ----
  it("unsecured JWTs (alg none, empty signature) and a short signature", { timeout: 300_000 }, async () => {
    const toks: [string, string][] = [
      ["none", `${b64u('{"alg":"none"}')}.${b64u('{"sub":"admin"}')}.`], ["none-typ", `${b64u('{"alg":"none","typ":"JWT"}')}.${b64u('{"sub":"a"}')}.`],
      ["short-sig", `${H256}.${PAY}.abc`],
    ];
    await expectClean("short JWTs held", P.POLICY, shortProbes(toks));
  });

  // LEAK: a JWS whose payload is `{}` (`e30`) or short and not JSON is not found, even with a full
  // HS256 signature: `eyJhbGciOiJIUzI1NiJ9.e30.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U` (bare,
  // `token-…`, `Bearer …`), `eyJhbGciOiJub25lIn0.e30.` (alg none, `{}`), `eyJhbGciOiJIUzI1NiJ9.aGk.<sig>`
  // (payload "hi"), `eyJhbGciOiJIUzI1NiJ9.MQ.<sig>` (payload "1"), `eyJhbGciOiJ4In0.e30.<sig>` and
  // `eyJhbGciOiJ4In0.e30.xy` (`{"alg":"x"}`): unchanged in every place (`{"note":"eyJhbGciOiJIUzI1NiJ9.e30.dozj…"}`).
  // After the review: a short non-JSON payload counts when the header is a JOSE header and the
  // signature is empty or 16+ characters (jwt.ts jwtAccept): 90 of the 108 probes are clean; 18 still leak.
  it.fails("LEAK: JWTs with an empty '{}' or a short non-JSON payload", { timeout: 300_000 }, async () => {
    const toks: [string, string][] = [
      ["empty-payload", `${H256}.e30.${SIG}`], ["empty-payload-none", `${b64u('{"alg":"none"}')}.e30.`], ["short-payload", `${H256}.${b64u("hi")}.${SIG}`],
      ["payload-num", `${H256}.MQ.${SIG}`], ["tiny-head", `${b64u('{"alg":"x"}')}.e30.${SIG}`], ["tiny-head-short-sig", `${b64u('{"alg":"x"}')}.e30.xy`],
    ];
    await expectClean("short JWTs", P.POLICY, shortProbes(toks));
  });

  it("labelled phone numbers: 00-prefixed international, 11-digit US, dashed and spaced forms (JSON, form, query, text, x-phone)", { timeout: 300_000 }, async () => {
    const vals: [string, string, string][] = [
      ["uk-00", "00442079460958", UK], ["us-11", "14155552671", PH], ["us-00", "0014155552671", PH], ["uk-00-spaced", "0044 20 7946 0958", UK],
      ["us-1-dashed", "1-415-555-2671", PH], ["us-1-parens", "1 (415) 555-2671", PH], ["uk-0-national", "020 7946 0958", UK], ["uk-00-dashed", "0044-20-7946-0958", UK],
      ["de-00", "00493090182345", "3090182345"],
    ];
    const probes = labelled(vals);
    probes.push(post("lab-us-11-json-number", "application/json", `{"phone":14155552671}`, [PH]));
    await expectClean("labelled phones held", P.POLICY, probes);
  });

  // LEAK: a labelled phone number of 12 digits or more without '+' or 00 (`442079460958`,
  // `01114155552671` with the US exit code 011) is not masked under `phone`, `tel`, `mobile`,
  // `phoneNumber`, `msisdn` or `cell` (JSON string, form value, query value), after `phone: ` or `tel `
  // in a text body, or in `x-phone`: `{"phone":"442079460958"}` arrived unchanged. Nor are labelled
  // JSON numbers of 12 digits or more: `{"phone":442079460958}`, `{"phone":493090182345}`,
  // `{"phone":1114155552671}` (11 digits, `{"phone":14155552671}`, are masked).
  // Fixed after the review: a labelled number of 12-15 digits without its '+', and 9-16 after "011" (labels.ts labelledPhoneEnd).
  it("fixed: labelled phone numbers of 12+ digits (no '+'), 011-prefixed, and labelled JSON numbers of 12+ digits", { timeout: 300_000 }, async () => {
    const probes = labelled([["uk-12", "442079460958", UK], ["us-011", "01114155552671", PH]]);
    for (const [n, v, s] of [["uk", "442079460958", UK], ["de", "493090182345", "3090182345"], ["us-011", "1114155552671", PH]] as const)
      probes.push(post(`lab-${n}-json-number`, "application/json", `{"phone":${v}}`, [s]));
    await expectClean("labelled long phones", P.POLICY, probes);
  });

  // LEAK (unlabelled: arguably the documented limit for bare national numbers, but these carry an ITU
  // exit code): `call 0044 20 7946 0958 now`, `call 00 1 415 555 2671`, `dial 011 44 20 7946 0958` reach
  // the shadow unchanged in every place.
  it.fails("LEAK: unlabelled international numbers written with 00 or 011", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, v, s] of [["uk-00", "call 0044 20 7946 0958 now", UK], ["us-00", "call 00 1 415 555 2671", PH], ["us-011", "dial 011 44 20 7946 0958", UK]] as const)
      probes.push(...everywhere(`unlab-${n}`, v, [s]));
    await expectClean("00 / 011", P.POLICY, probes);
  });

  // ---- 6. percent escapes inside words ----
  it("percent escapes inside words before numbers, e-mails and JWTs (header, JSON, text, path segment, query, form)", { timeout: 300_000 }, async () => {
    const J = P.JWT;
    const vals: [string, string, string][] = [
      ["pan-eq", `pan%3D${CARD}`, CARD], ["pan-eq-lower", `pan%3d${CARD}`, CARD], ["x-sp-ssn", "x%20536-22-8147", SSN], ["ssn-colon-bare", "ssn%3A536228147", SSN],
      ["tel-eq-national", "tel%3D4155552671", PH], ["phone-eq-plus", "phone%3D%2B14155552671", PH], ["id-us-card", `id%5F${CARD}`, CARD], ["ref-dash-card", `ref%2D${CARD}`, CARD],
      ["comma-ssn", "a%2C536-22-8147", SSN], ["nbsp-ssn", "x%C2%A0536-22-8147", SSN], ["zwsp-ssn", "x%E2%80%8B536-22-8147", SSN], ["token-eq-jwt", `token%3D${J}`, J],
      ["bearer-sp-jwt", `Bearer%20${J}`, J], ["email-eq", `e%3D${EMAIL}`, EMAIL], ["e164-colon", "tel%3A%2B1%20415%20555%202671", PH], ["card-pct-groups", "pan%3D4556%2D7375%2D8689%2D9855", CARD],
      ["ssn-pct-digits", "x%20%35%33%36-22-8147", SSN], ["amp-eq", `a%26pan%3D${CARD}`, CARD], ["slash-card", `p%2F${CARD}`, CARD], ["plus-e164", "x%2B14155552671", PH],
    ];
    const probes: Probe[] = [];
    for (const [n, v, s] of vals) {
      probes.push(hdr(`esc-${n}-header`, { "x-note": v }, [s]), json(`esc-${n}-json`, v, [s]), text(`esc-${n}-text`, v, [s]), pth(`esc-${n}-segment`, "/u/" + v, [s]));
      probes.push(pth(`esc-${n}-query`, "/r?v=" + enc(v), [s]), post(`esc-${n}-form`, "application/x-www-form-urlencoded", "a=1&v=" + enc(v), [s]));
    }
    await expectClean("escapes in words", P.POLICY, probes);
  });


  // ---- more separators, labels, escapes, IBANs ----
  const DASHES: [string, string][] = [["u2010", "\u2010"], ["en", "\u2013"], ["em", "\u2014"], ["minus", "\u2212"], ["fw-hyphen", "\uff0d"], ["small-hyphen", "\ufe63"], ["u2012", "\u2012"]];
  const dashForms = (n: string, d: string): Probe[] => [
    ...everywhere(`dash-${n}-ssn`, ["536", "22", "8147"].join(d), [SSN]), ...everywhere(`dash-${n}-e164`, ["+1", "415", "555", "2671"].join(d), [PH]),
    ...everywhere(`dash-${n}-national`, "(415) 555" + d + "2671", [PH]), ...everywhere(`dash-${n}-national-dashed`, ["415", "555", "2671"].join(d), [PH]),
  ];
  const heldDash = (p: Probe) => /^\d+-dash-(u2010|minus|fw-hyphen)-(ssn|e164|national)-(header|query|segment|json|text|form)$/.test(p.id);
  it("SSNs, E.164 and '(415) 555-2671' with U+2010, U+2212 or U+FF0D for '-'; JSON-escaped full-width SSN and U+200B; U+3000, U+202F, U+2009 in SSNs and cards; JWTs after CJK, full-width or Arabic text, NBSP, U+200B; e-mail look-ups", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, d] of DASHES) probes.push(...dashForms(n, d).filter(heldDash));
    probes.push(post("jesc-fw-ssn", "application/json", '{"note":"' + P.jesc(P.fw(SSN), (c) => c !== "-") + '"}', [SSN]));
    probes.push(post("jesc-zwsp-e164", "application/json", '{"note":"+1\\u200b415\\u200b555\\u200b2671"}', [PH]));
    probes.push(...everywhere("fw-ssn-ideo", P.fw("536") + "\u3000" + P.fw("22") + "\u3000" + P.fw("8147"), [SSN]), ...everywhere("ascii-card-ideo", "4556\u30007375\u30008689\u30009855", [CARD]));
    probes.push(...everywhere("ascii-ssn-ideo", "536\u300022\u30008147", [SSN]), ...everywhere("ascii-ssn-nnbsp", "536\u202f22\u202f8147", [SSN]), ...everywhere("ascii-ssn-thin", "536\u200922\u20098147", [SSN]));
    for (const [n, pre] of [["cjk", "認証"], ["fw-letters", "ｔｏｋｅｎ"], ["arabic", "رمز"], ["fw-colon", "token："], ["nbsp", "token\u00a0"], ["zwsp", "token\u200b"]])
      probes.push(...everywhere(`jwt-after-${n}`, pre + P.JWT, [P.JWT]));
    probes.push(...everywhere("email-fw-dot-local", "bob\uff0epct@example.org", ["pct@example.org"]), ...everywhere("email-zwsp-at", "bob.pct\u200b@example.org", [EMAIL]));
    await expectClean("more held", P.POLICY, probes);
  });

  // LEAK: an en dash (U+2013, what word processors turn '-' into), an em dash (U+2014), a figure dash
  // (U+2012) or a small hyphen (U+FE63) for '-' hides an SSN, an E.164 number and a national number:
  // `536–22–8147`, `+1–415–555–2671`, `(415) 555–2671`, `415–555–2671` (and with U+2014, U+2012, U+FE63)
  // reached the shadow unchanged in every place; so did `415‐555‐2671`, `415−555−2671` and
  // `415－555－2671` (U+2010, U+2212, U+FF0D: the same dashes in SSNs, E.164 and `(415) 555‐2671` are masked).
  it.fails("LEAK: en, em and figure dashes and small hyphens in SSNs and phones; U+2010, U+2212, U+FF0D in '415-555-2671'", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, d] of DASHES) probes.push(...dashForms(n, d).filter((p) => !heldDash(p)));
    await expectClean("dashes", P.POLICY, probes);
  });

  // LEAK: a labelled bare SSN or national number in full-width digits: `{"ssn":"５３６２２８１４７"}`,
  // `{"phone":"４１５５５５２６７１"}`, `{"phone":"１４１５５５５２６７１"}` arrived unchanged (the ASCII
  // spellings are masked by their label); and JSON escapes of the compatibility forms that leak as
  // written: `{"note":"5\uff136-22-8147"}`, `{"note":"+1\u200c415\u200c555\u200c2671"}` unchanged.
  it.fails("LEAK: labelled bare full-width SSNs and phone numbers; JSON-escaped mixed SSN and ZWNJ", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      json("lab-fw-ssn", P.fw("536228147"), [SSN], "ssn"), json("lab-fw-phone", P.fw("4155552671"), [PH], "phone"), json("lab-fw-e164-noplus", P.fw("14155552671"), [PH], "phone"),
      form("lab-fw-ssn-form", P.fw("536228147"), [SSN], "ssn"), text("lab-fw-ssn-text", "ssn: " + P.fw("536228147"), [SSN]),
      post("jesc-mixed-ssn", "application/json", '{"note":"5\\uff136-22-8147"}', [SSN]), post("jesc-zwnj-e164", "application/json", '{"note":"+1\\u200c415\\u200c555\\u200c2671"}', [PH]),
    ];
    await expectClean("labelled full-width", P.POLICY, probes);
  });

  // LEAK: IBANs in compatibility forms: full-width letters and digits (`ＤＥ８９ ３７０４ …`), full-width
  // digits after ASCII `DE`, circled digits, and groups split by U+200C: unchanged in every place.
  it.fails("LEAK: IBANs in full-width or circled digits, or grouped by ZWNJ", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      ...everywhere("iban-fw", P.fw("DE89 3704 0044 0532 0130 00").replace(/[A-Z]/g, (c) => String.fromCharCode(0xff21 + c.charCodeAt(0) - 65)), [P.IBAN]),
      ...everywhere("iban-fw-digits", "DE" + P.fw("89 3704 0044 0532 0130 00"), [P.IBAN]), ...everywhere("iban-zwnj", "DE89\u200c3704\u200c0044\u200c0532\u200c0130\u200c00", [P.IBAN]),
      ...everywhere("iban-circled", "DE" + digitsFrom(CIRCLED)("89 3704 0044 0532 0130 00"), [P.IBAN]),
    ];
    await expectClean("IBAN compat", P.POLICY, probes);
  });


  // LEAK: a label spelled in full-width letters (NFKC folds it to `ssn`, `phone`) does not label the
  // bare number after it: `ＳＳＮ：５３６２２８１４７`, `ｓｓｎ: 536228147`, `ｐｈｏｎｅ: 4155552671` in every
  // place, `{"ｓｓｎ":"536228147"}`, `{"ｐｈｏｎｅ":"4155552671"}`, `?%EF%BD%93%EF%BD%93%EF%BD%8E=536228147`
  // and the same form body reached the shadow unchanged.
  it.fails("LEAK: full-width labels ('ＳＳＮ：', 'ｐｈｏｎｅ:', a full-width JSON key or query name) before bare SSNs and phone numbers", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    probes.push(...everywhere("fwlabel-ssn-text", "ＳＳＮ：５３６２２８１４７", [SSN]), ...everywhere("fwlabel-ssn-ascii-digits", "ｓｓｎ: 536228147", [SSN]), ...everywhere("fwlabel-phone", "ｐｈｏｎｅ: 4155552671", [PH]));
    probes.push(post("fwkey-ssn", "application/json", JSON.stringify({ "ｓｓｎ": "536228147" }), [SSN]), post("fwkey-phone", "application/json", JSON.stringify({ "ｐｈｏｎｅ": "4155552671" }), [PH]));
    probes.push(pth("fwkey-ssn-query", "/r?" + enc("ｓｓｎ") + "=536228147", [SSN]), post("fwkey-ssn-form", "application/x-www-form-urlencoded", enc("ｓｓｎ") + "=536228147", [SSN]));
    await expectClean("full-width labels", P.POLICY, probes);
  });

  it("hash policy: full-width, mixed and mathematical numbers, the fixed separators, spaced JWT heads, 'tel:+1+…', '＠'/'．' e-mails are hashed", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, v, s] of NUMBERS) probes.push(...everywhere(`h-mixfw-${n}`, n === "ssn" ? P.fw(v) : mixFw(v), [s]), ...everywhere(`h-math-${n}`, digitsFrom(0x1d7ce)(v), [s]));
    for (const [n, x] of FIXED_SEPS) probes.push(...everywhere(`h-${n}-e164`, ["+1", "415", "555", "2671"].join(x), [PH]));
    for (const h of ["three-spaces", "brace-space"]) probes.push(...everywhere(`h-jwt-${h}`, "token-" + jwt(HEADS[h]), [jwt(HEADS[h])]));
    probes.push(...formAndQuery("h-plus-colon", "v=tel:+1+415+555+2671", [PH]), ...everywhere("h-email-fw", "bob.pct\uff20example\uff0eorg", [EMAIL]));
    await expectClean("hash", P.HASH_POLICY, probes);
  });

  it("full-width, zero-width and math numbers, spaced JWTs and 'tel:+1+…' in 1-7 byte chunks (HTTP/1.1 and h2); 100-200 KB bodies of full-width, zero-width, 'IHs', 'tel:+…' and math digits: primary as sent, no secret in the copy", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    const big = (unit: string, n: number) => Array.from({ length: n }, () => unit).join(" ");
    probes.push(...P.body("chunk-fw-ssn", JSON.stringify({ note: "x " + P.fw(SSN) + " y" }), [SSN], "application/json", { h2: true }));
    probes.push(...P.body("chunk-fwplus", "call \uff0b1\u200b415\u200b555\u200b2671 now", [PH], "text/plain", { h2: true }));
    probes.push(...P.body("chunk-math-card", "pan " + digitsFrom(0x1d7ce)("4556 7375 8689 9855"), [CARD], "text/plain", { h2: true }));
    probes.push(...P.body("chunk-spaced-jwt", "t=" + jwt(HEADS["three-spaces"]), [jwt(HEADS["three-spaces"])], "text/plain", { h2: true }));
    probes.push(...P.body("chunk-plus-colon", "a=1&v=tel:+1+415+555+2671&b=2", [PH], "application/x-www-form-urlencoded", { h2: true }));
    probes.push(...P.body("chunk-nbsp-ssn", JSON.stringify({ note: "536\u00a022\u00a08147" }), [SSN], "application/json", { h2: true }));
    probes.push(post("big-fw-ssn", "text/plain", big(P.fw(SSN), 12000), [SSN]), post("big-zwsp-e164", "text/plain", big("+1\u200b415\u200b555\u200b2671", 12000), [PH]));
    probes.push(post("big-ihs", "text/plain", "IHs".repeat(60000), []), post("big-fw-digits", "text/plain", P.fw("1234567890").repeat(20000), []));
    probes.push(post("big-plus-form", "application/x-www-form-urlencoded", Array.from({ length: 8000 }, (_, i) => `v${i}=tel:+1+415+555+${2000 + (i % 1000)}`).join("&"), []));
    probes.push(post("big-json-fw", "application/json", JSON.stringify(Array.from({ length: 6000 }, () => ({ a: P.fw(SSN), b: "\uff0b14155552671" }))), [SSN, PH]));
    probes.push(post("big-math", "text/plain", digitsFrom(0x1d7ce)("4556 7375 8689 9855 ").repeat(8000), [CARD]));
    await expectClean("chunks and big bodies", P.POLICY, probes);
  });

  it("compat forms in query and JSON names, referer and x-original-url; '＋' before math digits; full-width SSN grouped by NBSP; math card grouped by U+3000; '415.555.2671'; '+1 (415) 555 2671' with NBSP; '＋１－４１５－…'", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    const fwSsn = P.fw(SSN);
    probes.push(pth("qname-fw-ssn", "/r?" + enc(fwSsn) + "=1", [SSN]), post("jname-fw-ssn", "application/json", JSON.stringify({ [fwSsn]: 1 }), [SSN]), post("jname-mixfw-card", "application/json", JSON.stringify({ [mixFw("4556 7375 8689 9855")]: 1 }), [CARD]));
    probes.push(hdr("referer-fw-ssn", { referer: "https://x.example/p?ssn=" + enc(fwSsn) }, [SSN]), hdr("xou-zwsp-e164", { "x-original-url": "https://x.example/p?v=" + enc("+1\u200b415\u200b555\u200b2671") }, [PH]));
    probes.push(...everywhere("fwplus-math", "\uff0b" + digitsFrom(0x1d7ce)("14155552671"), [PH]), ...everywhere("fw-ssn-nbsp", P.fw("536") + "\u00a0" + P.fw("22") + "\u00a0" + P.fw("8147"), [SSN]));
    probes.push(...everywhere("math-card-ideo", digitsFrom(0x1d7ce)("4556\u30007375\u30008689\u30009855"), [CARD]));
    probes.push(...everywhere("national-dots", "415.555.2671", [PH]), ...everywhere("e164-parens-nbsp", "+1\u00a0(415)\u00a0555\u00a02671", [PH]), ...everywhere("fw-e164-dashes", "＋１－４１５－５５５－２６７１", [PH]));
    await expectClean("names, URL headers, more compat", P.POLICY, probes);
  });

  // LEAK: `+1 （415） 555-2671` (full-width parentheses around the area code of an E.164 number),
  // `４１５．５５５．２６７１` (full-width digits and full stops; `415.555.2671` is masked), and a space
  // after the plus, `+ 1 415 555 2671`, `+ 44 20 7946 0958` (a typist's spelling; without the '+' it is an
  // unlabelled run of digits, which the filter leaves by design): unchanged in every place.
  it.fails("LEAK: E.164 with full-width parentheses; full-width national number with full-width dots; '+ 1 415 555 2671'", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      ...everywhere("e164-fw-parens", "+1 \uff08415\uff09 555-2671", [PH]), ...everywhere("fw-national-fwdots", "４１５．５５５．２６７１", [PH]),
      ...everywhere("plus-space-us", "+ 1 415 555 2671", [PH]), ...everywhere("plus-space-uk", "+ 44 20 7946 0958", [UK]),
    ];
    await expectClean("more compat leaks", P.POLICY, probes);
  });

  it("words and host names starting 'IC'/'IH' (the spaced-JWT prefixes), lone spaced JOSE headers, unpunctuated national-number look-alikes grouped by NBSP or U+3000 (as the ASCII spelling, kept), full-width ids stay byte-identical", { timeout: 300_000 }, async () => {
    const looks = ["ICANN.co.uk", "IHOP.example.com", "ICICI.bank.in", "ICBC.com.cn", "IHG.hotels.example", "ICBM.mil.example", "IHsiYWxnIjoiSFMyNTYifQ", "ICAgeyJhbGciOiJIUzI1NiJ9",
      "415 555 2671", "415\u00a0555\u00a02671", "４１５　５５５　２６７１", "部屋 ４１５　５５５　２６７１","ｉｄ ４５５６７３７５", "１２３４　５６７８　９０１２"];
    const probes: Probe[] = looks.flatMap((v, i) => same(everywhere(`fp6-${i}`, v, [])));
    ["ICANN.co.uk", "IHOP.example.com"].forEach((h, i) => probes.push({ ...hdr(`fp6-host-${i}`, { "x-forwarded-host": h }, []), identical: true }));
    await expectClean("IC/IH and unpunctuated look-alikes", P.POLICY, probes);
  });

  // ---- false positives ----
  it("international text: CJK and Arabic addresses with full-width and Arabic-Indic digits, prices, dates, emoji, math text, '+' and JWT look-alikes stay byte-identical", { timeout: 300_000 }, async () => {
    const looks = [
      "東京都千代田区丸の内１－９－１", "〒１００－０００５ 東京都千代田区丸の内１丁目９－１", "価格：１２，８００円（税込）", "￥1,280円", "２０２６年１２月３日 １４：３０", "2026年12月3日（木）",
      "北京市朝阳区建国路８８号", "上海市浦东新区世纪大道１００号 ２３楼", "注文番号：１２３４５６７８", "１，２３４，５６７円", "ＪＲ山手線 ３番線", "第３章 第２節",
      "١٢٣ شارع الملك فهد، الرياض ١٢٣٤٥", "السعر ٣٥٫٥٠ ر.س", "تاريخ ٢٠٢٦/١٢/٠٣", "₹१,२३४.५०", "๒๕๖๙", "서울특별시 강남구 테헤란로 １２３",
      "🎉 2026 🎉", "1️⃣2️⃣3️⃣", "👨‍👩‍👧‍👦 family of 4", "x² + y² = z²", "E = mc²", "H₂O and CO₂", "① ② ③ steps", "½ cup, ¼ tsp", "𝟏 + 𝟐 = 𝟑", "∑ᵢ xᵢ² ≤ 10⁶",
      "＋８℃", "１＋１＝２", "Ｃ＋＋", "気温 －３℃ ～ ＋５℃", "\u202b١٢٣\u202c", "שלום 123 עולם", "Ａｐｔ． ４０２", "ｖ１．２．３", "⑴ 準備 ⑵ 実行 ⑶ 確認",
      "tel．なし", "info＠会社", "午前９時～午後５時", "ＴＥＬ：なし", "sale 50％ off", "１９９８－２００６", "第１２３－４５号", "ISO　８６０１",
      "２０２６－１２－０３　１４：３０：００", "〒１５０－８０１０ 東京都渋谷区宇田川町２１－１", "ＮＨＫ放送センター ０時～２４時", "北京时间 ２０２６年１２月３日 ２２：１０",
      "الرقم المرجعي ١٢٣٤٥٦", "订单号：２０２６１２０３００１", "¹²³ footnotes", "x\u200d1\u200d2", "٢٠٢٦-١٢-٠٣ ١٤:٣٠",
    ];
    const probes: Probe[] = looks.flatMap((v, i) => same(everywhere(`intl-${i}`, v, [])));
    const plusLooks = ["v=a;+1", "v=score:+12", "v=tz:+05:30", "v=x=+100", "v=(+5)", "v=lat:+48.8566,lng:+2.3522", "v=temp:+21.5", "v=a,+3,+4", "v=utc%09+01:00", "v=[+1]", "v=\"+20\""];
    plusLooks.forEach((q, i) => probes.push(...same(formAndQuery(`plus-look-${i}`, q, []))));
    const jwtLooks = ["CXsgfQ.e30.x", "Cns.e30.abc", "DQp7.a.b", "ICAg.ICAg.ICAg", "IHs.IHs.IHs", "ICB7fQ", "CXsidGFiIjoxfQ.png", "e30.e30.e30", "eyJ4IjoxfQ.e30.abc"];
    jwtLooks.forEach((v, i) => probes.push(...same(everywhere(`jwt-look-${i}`, v, []))));
    const luhnFix = (body: string) => { for (let d = 0; d < 10; d++) { const n = body + d; let sum = 0; [...n].reverse().forEach((c, i) => { let x = Number(c); if (i % 2) { x *= 2; if (x > 9) x -= 9; } sum += x; }); if (sum % 10 === 0) return n; } return ""; };
    // Luhn-valid epoch milli- and microsecond timestamps (the ASCII ones are kept since #13), in ASCII, full-width and mathematical digits.
    const ts = [luhnFix("173323456789"), luhnFix("176478901234"), luhnFix("173323456789012"), luhnFix("176478901234567"), luhnFix("1733234567890123")];
    ts.forEach((t, i) => probes.push(...same(everywhere(`ts-ascii-${i}`, t, [])), ...same(everywhere(`ts-fw-${i}`, P.fw(t), [])), ...same(everywhere(`ts-math-${i}`, digitsFrom(0x1d7ce)(t), []))));
    await expectClean("international text", P.POLICY, probes);
  });

  describe("gRPC", () => {
    let rig: GrpcRig | undefined;
    printGrpcLogsAfterFailures(() => [rig]);
    type GCase = [string, Buffer, string];
    const run = async (cases: GCase[]): Promise<string[]> => {
      const bad: string[] = [];
      for (const [label, pol] of [["schema", descriptorPolicy()], ["wire", detectorsPolicy()]] as const) {
        rig = await startGrpcRig({ backend: "process", config: pol });
        try {
          for (const [note, field, sec] of cases) {
            rig.clear();
            const body = frame(cat(ld(1, "ord-1"), field));
            const sent = await send(rig.port, PATH, body);
            const [prim] = await rig.primary.waitFor(1, 5000).catch(() => [undefined]);
            if (!prim || !prim.body.equals(body)) bad.push(`${label}/${note}: primary did not get the call as sent (${sent.status}/${sent.grpcStatus})`);
            const c = await shadowCall(rig.shadow, 5000);
            if (!c) {
              bad.push(`${label}/${note}: no copy`);
              continue;
            }
            const got = c.body;
            const fields = [got.toString("latin1"), got.toString("utf8")];
            const leaks = findLeaks([...fields, ...fields.map(foldNd)], [sec]);
            if (leaks.length) bad.push(`${label}/${note}: ${leaks} reached the shadow: message ${JSON.stringify(got.subarray(5).toString("utf8")).slice(0, 200)}`);
          }
        } finally {
          await rig.close();
          rig = undefined;
        }
      }
      console.log(`${cases.length} cases x 2 policies, ${bad.length} bad\n${bad.slice(0, Number(process.env.H5_SHOWN ?? 40)).join("\n")}`);
      return bad;
    };
    const u = (s: string) => Buffer.from(s, "utf8");
    const SSN9 = "536228147";

    it("protobuf strings: mixed full-width cards and phones, sans-serif bold digits, JWT heads with spaces, escapes in words, alg none", { timeout: 300_000 }, async () => {
      const cases: GCase[] = [
        ["mixfw-card", ld(11, u(mixFw("4556 7375 8689 9855"))), CARD], ["mixfw-e164", ld(11, u(mixFw("+1 415 555 2671"))), PH], ["fwhalf-national", ld(11, u(fwHalf("(415) 555-2671"))), PH],
        ["math-sans-bold-ssn", ld(11, u(digitsFrom(0x1d7ec)(SSN))), SSN9], ["math-sans-bold-card", ld(10, u(digitsFrom(0x1d7ec)("4556 7375 8689 9855"))), CARD],
        ["esc-pan", ld(11, `pan%3D${CARD}`), CARD], ["esc-ssn", ld(11, "x%20536-22-8147"), SSN9],
        ["short-none", ld(11, `${b64u('{"alg":"none"}')}.${b64u('{"sub":"admin"}')}.`), `${b64u('{"alg":"none"}')}.${b64u('{"sub":"admin"}')}.`],
      ];
      for (const h of ["three-spaces", "brace-space"]) cases.push([`jwt-${h}`, ld(11, "token-" + jwt(HEADS[h])), jwt(HEADS[h])]);
      expect(await run(cases)).toEqual([]);
    });

    // LEAK (with and without a schema): ChargeRequest.comment (field 11) or the bytes field 10 =
    // `5３6-２2-8１4７`, `⁵³⁶-²²-⁸¹⁴⁷` (and subscript, circled, parenthesized, full-stop, segmented digits
    // as SSNs, `+1 415 555 2671` and `4556 7375 8689 9855`), `+1<U+200C>415<U+200C>555<U+200C>2671`
    // (and the other 21 invisible characters, in SSNs and cards too), `token-` + a JWT whose header starts
    // `\t{`, `\n{`, `\r\n{`, `eyJhbGciOiJIUzI1NiJ9.e30.<sig>`: each reached the shadow's message unchanged.
    it.fails("LEAK: protobuf strings: mixed full-width SSN, NFKC digit forms, invisible separators, tab/newline JWT heads, '{}' payload", { timeout: 300_000 }, async () => {
      const cases: GCase[] = [["mixfw-ssn", ld(11, u(mixFw(SSN))), SSN9], ["empty-payload-jwt", ld(11, `${H256}.e30.${SIG}`), `${H256}.e30.${SIG}`]];
      for (const [dn, f] of NFKC_DIGITS.filter(([n]) => n !== "math-sans-bold")) cases.push([`${dn}-ssn`, ld(11, u(f(SSN))), SSN9], [`${dn}-e164`, ld(11, u(f("+1 415 555 2671"))), PH], [`${dn}-card`, ld(10, u(f("4556 7375 8689 9855"))), CARD]);
      for (const [n, x] of INVIS) cases.push([`${n}-e164`, ld(11, u(["+1", "415", "555", "2671"].join(x))), PH], [`${n}-ssn`, ld(11, u(["536", "22", "8147"].join(x))), SSN9], [`${n}-card`, ld(10, u(["4556", "7375", "8689", "9855"].join(x))), CARD]);
      for (const h of ["tab", "lf", "crlf"]) cases.push([`jwt-${h}`, ld(11, "token-" + jwt(HEADS[h])), jwt(HEADS[h])]);
      expect(await run(cases)).toEqual([]);
    });

    // LEAK (with and without a schema): comment / bytes field = an SSN or a card in Arabic-Indic,
    // extended Arabic-Indic, Devanagari or Bengali digits (`٥٣٦-٢٢-٨١٤٧`): unchanged.
    // LEAK (with and without a schema): comment = `536–22–8147` (en dashes), `+1 （415） 555-2671`,
    // `ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００`: each reached the shadow's message unchanged.
    it.fails("LEAK: protobuf strings: en-dash SSN, full-width parentheses in E.164, full-width IBAN", { timeout: 300_000 }, async () => {
      const cases: GCase[] = [
        ["en-dash-ssn", ld(11, u("536\u201322\u20138147")), SSN9], ["e164-fw-parens", ld(11, u("+1 \uff08415\uff09 555-2671")), PH],
        ["iban-fw", ld(11, u(P.fw("DE89 3704 0044 0532 0130 00").replace(/[A-Z]/g, (c) => String.fromCharCode(0xff21 + c.charCodeAt(0) - 65)))), P.IBAN],
      ];
      expect(await run(cases)).toEqual([]);
    });

    it.fails("LEAK: protobuf strings: Unicode decimal digits of other scripts", { timeout: 300_000 }, async () => {
      const cases: GCase[] = [];
      for (const [dn, f] of ND_DIGITS.slice(0, 4)) cases.push([`${dn}-ssn`, ld(11, u(f(SSN))), SSN9], [`${dn}-card`, ld(10, u(f("4556 7375 8689 9855"))), CARD]);
      expect(await run(cases)).toEqual([]);
    });
  });
});
