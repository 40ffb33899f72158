// Third hostile review (38d9e33: the detectors run only when redact/prefilter.ts says one
// could match, now also for header values without a rule, header names, gRPC / protobuf
// strings and bytes, path segments, the host and URL-valued headers). Against real Envoy,
// written without reading filter/. Every reading of the copy is searched (percent-decoded,
// JSON-unescaped, NFKC, and header bytes read as UTF-8 and as latin-1, as Node reads them).
// `it`: probe groups that held on 38d9e33. `it.fails`: a leak found on 38d9e33; its comment
// gives the exact input and what the shadow received; a fix flips it.
import { describe, it, expect } from "vitest";
import { findLeaks, type Probe } from "./hostile-lib.js";
import { hostileVerdict } from "./hostile-verdict.js";
import { hostileRigs } from "./hostile-rigs.js";
import { startGrpcRig, printGrpcLogsAfterFailures, type GrpcRig } from "./grpc-fixture.js";
import { send, shadowCall, ld, cat, frame, vi, tag, varint, PATH, UPLOAD, descriptorPolicy, detectorsPolicy } from "./hostile-grpc-lib.js";
import * as P from "./hostile-pct-probes.js";

const C = P.CARD;
const E = P.EMAIL;
const J = P.JWT;
const IB = P.IBAN;
const SSN9 = "536228147";
const PH = "4155552671";
const b64u = (s: string) => Buffer.from(s).toString("base64url");
/** A header value or name as the bytes of s in UTF-8 (Node writes header strings as latin-1). */
const u8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const sep = (s: string) => `4556${s}7375${s}8689${s}9855`;
function luhn(prefix: string, n: number): string {
  const s = prefix.padEnd(n - 1, "7");
  for (let d = 0; d < 10; d++) {
    const t = s + d;
    let sum = 0;
    for (let i = 0; i < t.length; i++) {
      let x = Number(t[t.length - 1 - i]);
      if (i % 2) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return t;
  }
  throw new Error("unreachable");
}
const C13 = luhn("4", 13);
const C19 = luhn("4", 19);
/** JWTs whose header does not encode to "eyJ": `{ "alg"` and a pretty-printed `{\n`. */
const JWT_SP = `${b64u('{ "alg":"HS256","typ":"JWT"}')}.${b64u('{"sub":"hostile3"}')}.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`;
const JWT_NL = `${b64u('{\n  "alg": "HS256"\n}')}.${b64u('{"sub":"hostile3"}')}.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U`;
const JWT_NONE = `${b64u('{"alg":"none"}')}.${b64u('{"sub":"hostile3x"}')}.`;

const verdict = hostileVerdict({ shown: 160 });

let seq = 0;
const hdr = (note: string, headers: Record<string, string> | [string, string][], secrets: string[], path = "/r"): Probe => ({ id: `${++seq}-${note}`, method: "GET", path, headers, secrets });
const pth = (note: string, path: string, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "GET", path, secrets });
const json = (note: string, v: string, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "POST", path: "/r", headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify({ note: v })), secrets });
const text = (note: string, v: string, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "POST", path: "/r", headers: { "content-type": "text/plain" }, body: Buffer.from(v), secrets });
/** The same value (JS string) as an unruled header value, a query value, a path segment, a JSON string and a text body. */
const everywhere = (note: string, v: string, sec: string): Probe[] => [
  hdr(`${note}-header`, { "x-note": u8(v) }, [sec]),
  pth(`${note}-query`, "/r?v=" + encodeURIComponent(v), [sec]),
  pth(`${note}-segment`, "/u/" + encodeURIComponent(v), [sec]),
  json(`${note}-json`, v, [sec]),
  text(`${note}-text`, v, [sec]),
];

// ---- gRPC: one message per call, the shadow's whole body searched (also read as UTF-16LE) ----
/** [note, a field after order_id, the secret, or the whole call: its body (in DATA frames as given) and method]. */
type GCase = [string, Buffer, string, { body?: Buffer | Buffer[]; path?: string }?];
async function grpcVerdict(rig: GrpcRig, label: string, cases: GCase[]): Promise<string[]> {
  const bad: string[] = [];
  for (const [note, field, sec, whole] of cases) {
    rig.clear();
    const body = whole?.body ?? frame(cat(ld(1, "ord-1"), field));
    const bytes = Buffer.isBuffer(body) ? body : Buffer.concat(body);
    const sent = await send(rig.port, whole?.path ?? PATH, body);
    const [prim] = await rig.primary.waitFor(1, 5000).catch(() => [undefined]);
    if (!prim || !prim.body.equals(bytes)) bad.push(`${label}/${note}: primary did not get the call as sent (${sent.status}/${sent.grpcStatus})`);
    const c = await shadowCall(rig.shadow, 5000);
    if (!c) {
      bad.push(`${label}/${note}: no copy`);
      continue;
    }
    const got = c.body;
    const leaks = findLeaks([got.toString("latin1"), got.toString("utf8"), got.toString("utf16le"), got.subarray(1).toString("utf16le"), ...c.headers.flatMap(([k, v]) => [k, v])], [sec]);
    if (leaks.length) bad.push(`${label}/${note}: ${leaks} reached the shadow: message ${JSON.stringify(got.subarray(5).toString("latin1")).slice(0, 200)}`);
  }
  return bad;
}

describe("hostile review 3 (prefilter in header values and names, gRPC, path, host, URL headers)", () => {
  const { expectClean } = hostileRigs(verdict, 12);

  it("header values without a rule: every promised spelling, short and long, is redacted", { timeout: 300_000 }, async () => {
    const values: [string, string, string][] = [
      ["card", C, C], ["card-fullwidth", P.fw(C), C], ["card-nbsp", sep("\u00a0"), C], ["card-nnbsp", sep("\u202f"), C], ["card-thin", sep("\u2009"), C],
      ["card-figure", sep("\u2007"), C], ["card-ideographic", sep("\u3000"), C], ["card-dot", sep("."), C], ["card-slash", sep("/"), C], ["card-underscore", sep("_"), C],
      ["card-dash", sep("-"), C], ["card-plus", sep("+"), C], ["card-tab", sep("\t"), C], ["card-mixed-seps", "4556 7375-8689.9855", C], ["card-glued", "ORD" + C + "X", C], ["card-label", "ref:" + C + ";", C],
      ["card-13", C13, C13], ["card-19", C19, C19], ["card-13-spaced", `${C13.slice(0, 4)} ${C13.slice(4, 8)} ${C13.slice(8)}`, C13], ["amex-4-6-5", "3782 822463 10005", "378282246310005"],
      ["card-pct20", "4556%207375%208689%209855", C], ["card-pct-digits", P.pctAll(C), C],
      ["email", E, E], ["email-upper", E.toUpperCase(), E], ["email-pct40", "bob.pct%40example.org", E], ["email-pct2540", "bob.pct%2540example.org", E],
      ["email-pct2e", "bob.pct%40example%2Eorg", E], ["email-all-pct", P.pctAll(E), E], ["email-unicode-local", "bøb.pct@example.org", "bøb.pct@example.org"],
      ["email-idn", "bob.pct@exämple.org", "bob.pct@exämple.org"], ["email-cjk", "用户@例子.广告", "用户@例子.广告"], ["email-mailto", "mailto:" + E, E], ["email-short", "b@e.co", "b@e.co"],
      ["jwt", J, J], ["jwt-space-header", JWT_SP, JWT_SP], ["jwt-newline-header", JWT_NL, JWT_NL], ["jwt-alg-none", JWT_NONE, JWT_NONE], ["jwt-tok", "tok=" + J, J],
      ["jwt-pct65", "%65" + J.slice(1), J], ["jwt-pct2e", J.replace(/\./g, "%2E"), J],
      ["iban", IB, IB], ["iban-lower", IB.toLowerCase(), IB], ["iban-spaced", "DE89 3704 0044 0532 0130 00", IB], ["iban-lower-spaced", "de89 3704 0044 0532 0130 00", IB],
      ["iban-dash", "DE89-3704-0044-0532-0130-00", IB], ["iban-nbsp", "DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", IB], ["iban-mixed", "De89370400440532013000", IB],
      ["iban-gb", "gb82West12345698765432", "GB82WEST12345698765432"], ["iban-pct20", "DE89%203704%200044%200532%200130%2000", IB],
      ["ssn", P.SSN, SSN9], ["ssn-space", "536 22 8147", SSN9], ["ssn-labelled", "ssn: 536228147", SSN9], ["ssn-labelled-eq", "SSN=536228147", SSN9],
      ["phone", P.PHONE, PH], ["phone-spaced", "+1 415 555 2671", PH], ["phone-parens", "(415) 555-2671", PH], ["phone-dots", "415.555.2671", PH],
      ["phone-dashes", "+1-415-555-2671", PH], ["phone-tel", "tel:+14155552671", PH], ["phone-uk", "+44 20 7946 0958", "2079460958"], ["phone-labelled", "phone: 4155552671", PH],
      ["phone-pct2b", "%2B14155552671", PH],
    ];
    const probes: Probe[] = values.map(([n, v, s]) => hdr(n, { "x-note": u8(v) }, [u8(s)]));
    // Around the lengths a prefilter may switch at: the secret at the end and in the middle of 244..1000-byte values, after ASCII, words and full-width filler.
    const fill: [string, (n: number) => string][] = [["a", (n) => "a".repeat(n)], ["words", (n) => "lorem ipsum ".repeat(Math.ceil(n / 12)).slice(0, n)], ["fullwidth", (n) => "ｘ".repeat(Math.ceil(n / 3))]];
    for (const [n, v, s] of values.filter(([n]) => ["card", "card-fullwidth", "card-nnbsp", "email-pct40", "jwt", "iban-lower", "ssn", "ssn-labelled", "phone-parens"].includes(n)))
      for (const len of [244, 250, 255, 256, 257, 300, 1000])
        for (const [fn, f] of fill) {
          probes.push(hdr(`${n}-after-${len}-${fn}`, { "x-note": u8(f(len) + " " + v) }, [u8(s)]));
          if (len === 256 || len === 1000) probes.push(hdr(`${n}-amid-${len}-${fn}`, { "x-note": u8(f(len) + " " + v + " " + f(len)) }, [u8(s)]));
        }
    probes.push(hdr("labelled-name-ssn", { "x-ssn": SSN9 }, [SSN9]), hdr("labelled-name-phone", { "x-user-mobile": PH }, [PH]));
    probes.push(hdr("user-agent", { "user-agent": `App/1.0 (Linux; Android 14; Build/UP1A.231005.007) uid=${C}; ${E}` }, [C, E]));
    probes.push(hdr("callback-url", { "x-callback": `https://x.example/cb?e=bob.pct%40example%2Eorg&c=4556%207375%208689%209855&j=${J}` }, [E, C, J]));
    probes.push(hdr("cookie-like", { "x-session-info": `uid=42; email=bob.pct%40example.org; card=${C}` }, [E, C]));
    probes.push({ ...hdr("h2-email", { "x-note": E }, [E]), transport: "h2" });
    await expectClean("header values", P.POLICY, probes);
  });

  it("header names holding a secret are dropped; the host, referer and URL headers are redacted", { timeout: 300_000 }, async () => {
    const names = ["x-" + C, "x-" + sep("-"), "x-" + sep("."), "x-" + sep("_"), "x-card" + C, "x-" + C13, "x-bob.pct%40example.org", "x-" + IB.toLowerCase(), "x-+14155552671", "x-536-22-8147"];
    const probes: Probe[] = names.map((n, i) => hdr(`name-${i}`, { [n]: "1" }, [n.slice(2).replace("%40", "@").replace(/^card/, "")]));
    probes.push({ ...hdr("h2-name", { ["x-" + C]: "1" }, [C]), transport: "h2" });
    const hosts: [string, string][] = [
      [C + ".t.example", C], [sep("-") + ".t.example", C], [sep(".") + ".t.example", C], [sep("_") + ".t.example", C], [IB.toLowerCase() + ".t.example", IB],
      [IB + ".T.EXAMPLE", IB], ["536-22-8147.t.example", SSN9], [C + ".t.example:8080", C], ["bob.pct%40example.org@t.example", E], ["ord" + C + ".t.example", C],
      [C13 + ".t.example", C13], ["+14155552671.t.example", PH],
    ];
    hosts.forEach(([h, s], i) => probes.push(hdr(`host-${i}`, { host: h }, [s])));
    probes.push({ ...hdr("h2-authority", { ":authority": C + ".t.example" }, [C]), transport: "h2" });
    const refs: [string, string][] = [
      ["https://x.example/u/" + C, C], ["https://x.example/?e=bob.pct%2540example.org", E], ["https://x.example/#" + E, E], ["https://x.example/#e=bob.pct%40example.org", E],
      ["https://bob.pct%40example.org:pw@x.example/", E], ["//x.example/?c=" + C, C], ["/rel?c=4556%207375%208689%209855", C], ["https://" + C + ".x.example/", C],
      ["https://" + J + ".x.example/", J], ["https://x.example/?c=" + P.pctAll(P.fw(C)), C], ["HTTPS://X.EXAMPLE/?c=" + C, C], ["https:\\\\x.example\\u\\" + C, C],
      ["android-app://com.x/https/x.example/u/" + C, C], ["https://x.example/#/pay/" + sep("-"), C], ["https://x.example/?c=" + sep("%E2%80%AF"), C],
      ["https://" + sep(".") + ".x.example/", C], ["https://x.example/?c=" + sep("%2B"), C], ["https://x.example/a;jsessionid=" + J, J], ["https://x.example/?c=4556 7375 8689 9855", C],
      ["https://x.example/?a=1;c=" + C, C], ["x.example/u/" + C, C], ["javascript:alert('" + E + "')", E], ["https://a.example/cb/" + J, J],
    ];
    refs.forEach(([r, s], i) => probes.push(hdr(`referer-${i}`, { referer: r }, [s])));
    probes.push(hdr("x-forwarded-uri", { "x-forwarded-uri": "/u/" + sep("%E2%80%AF") }, [C]), hdr("origin", { origin: "https://" + C + ".x.example" }, [C]));
    probes.push(hdr("x-forwarded-host", { "x-forwarded-host": C + ".t.example" }, [C]), hdr("forwarded", { forwarded: `for=192.0.2.60;host=${C}.t.example;proto=https` }, [C]));
    await expectClean("names, hosts, URL headers", P.POLICY, probes);
  });

  it("path segments and matrix parameters: every promised spelling is redacted", { timeout: 300_000 }, async () => {
    const segs: [string, string][] = [
      [C, C], [P.pctAll(P.fw(C)), C], [sep("%E2%80%AF"), C], [sep("%E2%80%89"), C], [sep("%E3%80%80"), C], [sep("%C2%A0"), C], [sep("%2F"), C], [sep("%2E"), C],
      [sep("."), C], [sep("_"), C], ["ORD" + C, C], [C13, C13], [C + ".json", C], ["x-" + C + "-y", C], ["a".repeat(250) + "_" + C, C],
      ["bob.pct@example.org", E], ["bob.pct%40example.org", E], ["bob.pct%2540example.org", E], ["BOB.PCT%40EXAMPLE.ORG", E],
      [J, J], [JWT_NL, JWT_NL], [IB.toLowerCase(), IB], ["+14155552671", PH], ["536-22-8147", SSN9],
    ];
    const probes = segs.map(([s, sec], i) => pth(`seg-${i}`, "/u/" + s, [sec]));
    probes.push(pth("matrix-card", `/u;card=${C}/x`, [C]), pth("matrix-email", "/u;e=bob.pct%40example.org", [E]));
    for (const len of [256, 300]) for (const [n, v, s] of [["card", C, C], ["email", "bob.pct%40example.org", E], ["iban", IB.toLowerCase(), IB], ["ssn", P.SSN, SSN9]])
      probes.push(pth(`long-${n}-${len}`, "/u/" + "lorem_ipsum_".repeat(Math.ceil(len / 12)).slice(0, len) + "%20" + v, [s]));
    await expectClean("path", P.POLICY, probes);
  });

  it("values that hold nothing sensitive reach the shadow byte-identical (header values and path segments)", { timeout: 300_000 }, async () => {
    let epoch13 = "";
    for (let t = 1764748000000; !epoch13; t++) if (luhn(String(t).slice(0, 12), 13) === String(t)) epoch13 = String(t);
    const plain = [
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "7d444840-9dc0-11d1-b245-5ffdce74fad2", "10.0.19041.1415", "Thu, 03 Dec 2026 07:44:49 GMT",
      "2026-12-03T07:44:49.123456789Z", "2001:db8:85a3::8a2e:370:7334", 'W/"5e8-1733212345678"', "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.86 Safari/537.36", "EUR 1234.56", "order=98765432101234 item=12",
      "bytes=0-1048575", "10001,10002,10003,10004,10005", "4155550199x", "+1.5", "48.858844,2.294351", "the quick brown fox jumps over the lazy dog 2026",
      "@bob.pct on twitter", "@scope/pkg@1.2.3", "SGVsbG8gV29ybGQhIFRoaXMgaXMgYSB0ZXN0Lg==", "978-3-16-148410-0", "1".repeat(300), "a".repeat(255) + "1234", "ｘ".repeat(90),
    ];
    // A 13-digit millisecond timestamp that happens to pass Luhn: not promised either way, logged by the verdict only if it changed.
    const probes: Probe[] = plain.flatMap((v, i) => [
      { ...hdr(`plain-header-${i}`, { "x-note": u8(v) }, []), identical: true },
      { ...pth(`plain-segment-${i}`, "/p/" + encodeURIComponent(v), []), identical: true },
    ]);
    probes.push({ ...hdr("plain-epoch13", { "x-ts": epoch13 }, []), note: "Luhn-valid ms timestamp" });
    await expectClean("non-sensitive", P.POLICY, probes);
  });

  // Found by this review (LEAK on 578be0d), fixed in b35e572: a JWT glued after a base64url
  // character (a letter, a digit, '_', '-') or a '.' was not found, in header values, query values,
  // path segments and JSON strings alike (`x-note: token-eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ…`,
  // `id_eyJ…`, `t.eyJ…`, `xeyJ…`, `0eyJ…`, `BearereyJ…`, `/u/token-eyJ…`, `?t=_eyJ…`, `{"note":"-eyJ…"}`
  // reached the shadow unchanged); nor was a JWT as the host's first labels
  // (`Host: eyJ….eyJ….dozj….t.example`, h1 and h2 :authority, and `x-forwarded-host`): its run
  // had five dotted parts and was no JWE. Now a glued token, or one with labels after it, counts
  // when its header decodes to a JOSE header (a JSON object naming "alg").
  it("fixed: a JWT glued after a letter, digit, '_', '-' or '.', or as the host's first labels, is masked", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const pre of ["token-", "id_", "t.", "x", "0", "_", "-", "Bearer"]) {
      probes.push(hdr(`jwt-after-${pre}-header`, { "x-note": pre + J }, [J]), pth(`jwt-after-${pre}-segment`, "/u/" + pre + J, [J]));
      probes.push(pth(`jwt-after-${pre}-query`, "/r?t=" + pre + J, [J]), json(`jwt-after-${pre}-json`, pre + J, [J]));
    }
    probes.push(
      hdr("host-jwt", { host: J + ".t.example" }, [J]),
      hdr("host-jwt-space-header", { host: JWT_SP + ".t.example" }, [JWT_SP]),
      { ...hdr("authority-jwt", { ":authority": J + ".t.example" }, [J]), transport: "h2" },
      hdr("x-forwarded-host-jwt", { "x-forwarded-host": J + ".t.example" }, [J]),
    );
    await expectClean("glued JWTs, host JWTs", P.POLICY, probes);
  });

  // LEAK: characters that NFKC (and so many applications' normalisation) folds to the ASCII the
  // detectors look for are not folded, though full-width digits are. Sent `x-note: bob.pct＠example.org`
  // (U+FF20): the shadow received it unchanged; the same in a path segment
  // (`/u/bob.pct%EF%BC%A0example.org`), a query, a referer, JSON and text; also `bob.pct﹫example.org`
  // (U+FE6B), `bob.pct@example．org` (U+FF0E), a full-width SSN `５３６-２２-８１４７`, a full-width phone
  // `+１４１５５５５２６７１` and `＋14155552671`, a phone with no-break spaces `+1\u00a0415\u00a0555\u00a02671`,
  // cards separated by U+FF0E, U+FF0D, U+2212, U+2013, U+2010 (`4556−7375−8689−9855`; fixed since, above), and in
  // mathematical bold digits (U+1D7D2…), all unchanged in the copy. Also: single latin-1 NBSP bytes
  // (0xA0, the byte Node's HTTP parser reads as U+00A0) between the groups of a header value
  // (`x-note: 4556\xA07375\xA08689\xA09855`) and `%A0` in a path (`/u/4556%A07375%A08689%A09855`, as
  // servlet containers decoding ISO-8859-1 read it), and a JSON-escaped `\u0040` in a header
  // carrying JSON (`x-note: {"email":"bob.pct\u0040example.org"}`): unchanged in the copy.
  // Found by this review (LEAK on 578be0d), fixed the same day: cards grouped by separators NFKC folds
  // to '-', '.' or '/' (U+2010-U+2014, U+2212, U+FF0D-U+FF0F, U+FE63) and by lone 0xA0 bytes (latin-1's
  // no-break space; `%A0` in a path or query) reached the shadow unchanged (filter/redact/cards.ts cardSepLen).
  it("fixed: cards grouped by unicode dashes, the minus sign, full-width '-', '.', '/', or latin-1 NBSP bytes", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      ...["\u2010", "\u2013", "\u2014", "\u2212", "\uff0d", "\uff0e", "\uff0f", "\ufe63"].flatMap((x) => everywhere(`card-sep-${x.codePointAt(0)!.toString(16)}`, sep(x), C)),
      hdr("latin1-nbsp-card", { "x-note": "4556\xa07375\xa08689\xa09855" }, [C]),
      pth("pct-a0-card-segment", "/u/4556%A07375%A08689%A09855", [C]),
      pth("pct-a0-card-query", "/r?c=4556%A07375%A08689%A09855", [C]),
    ];
    await expectClean("card separators", P.POLICY, probes);
  });

  // Found by this review (LEAK on 578be0d), fixed the same day: an e-mail whose '@' is the full-width or
  // the small commercial at (U+FF20, U+FE6B; NFKC folds both to '@') reached the shadow unchanged.
  it("fixed: e-mails with a full-width or small commercial at", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      ...everywhere("fullwidth-at", "bob.pct\uff20example.org", E),
      ...everywhere("small-at", "bob.pct\ufe6bexample.org", E),
      hdr("referer-fullwidth-at", { referer: "https://x.example/u/bob.pct%EF%BC%A0example.org" }, [E]),
    ];
    await expectClean("wide at signs", P.POLICY, probes);
  });

  // Fixed after 3d235aa (filter/redact/compat.ts; cards.ts digitAt reads mathematical digits; formats.ts
  // emailEnd reads U+FF0E as a domain's dot; prefilter.ts keeps the numeric detectors on for 0xF0): the
  // full-width dot in an e-mail's domain, full-width SSN and phone digits, the full-width plus, a card in
  // mathematical bold digits and latin-1 0xA0 bytes between an SSN's groups are masked, each character
  // kept at its byte length (a full-width digit masked is a full-width '＊' or '０').
  it("fixed: compatibility forms (full-width dot, SSN, phone and plus, mathematical digits), latin-1 NBSP in an SSN", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      ...everywhere("fullwidth-dot-email", "bob.pct@example\uff0eorg", E),
      ...everywhere("fullwidth-ssn", P.fw(P.SSN), SSN9),
      ...everywhere("fullwidth-phone", "+" + P.fw("14155552671"), PH),
      ...everywhere("fullwidth-plus-phone", "\uff0b14155552671", PH),
      ...everywhere("nbsp-phone", "+1\u00a0415\u00a0555\u00a02671", PH),
      ...everywhere("card-math-bold", [...C].map((d) => String.fromCodePoint(0x1d7ce + Number(d))).join(""), C),
      hdr("latin1-nbsp-ssn", { "x-note": "536\xa022\xa08147" }, [SSN9]),
    ];
    await expectClean("compatibility forms", P.POLICY, probes);
  });

  // Still open (LEAK on 3d235aa): a JSON-escaped `\u0040` in a header carrying JSON
  // (`x-note: {"email":"bob.pct\u0040example.org"}`) reaches the shadow unchanged.
  it.fails("LEAK: \\u0040 outside JSON", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [hdr("json-in-header-u0040", { "x-note": '{"email":"bob.pct\\u0040example.org"}' }, [E])];
    await expectClean("compatibility forms", P.POLICY, probes);
  });

  // LEAK: a card next to 8 or more hex letters ([a-f]) is not found anywhere: sent
  // `x-note: deadbeefcafe4556737586899855` (and `aaaaaaaa4556737586899855`, `4556737586899855aaaaaaaa`),
  // the shadow received it unchanged, as a header value, query value, path segment, JSON string
  // and text body (with 1 to 7 hex letters, or `abcdefghij` / `ORDERNUMBER` before it, it is masked).
  // Also an IBAN glued to a letter: `xDE89370400440532013000y` reaches the shadow unchanged.
  it.fails("LEAK: a card glued to a run of hex letters, an IBAN glued to letters", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [
      ...everywhere("card-after-hex", "deadbeefcafe" + C, C),
      ...everywhere("card-after-8a", "aaaaaaaa" + C, C),
      ...everywhere("card-before-8a", C + "aaaaaaaa", C),
      ...everywhere("iban-in-letters", "x" + IB + "y", IB),
    ];
    await expectClean("hex-glued", P.POLICY, probes);
  });

  // LEAK: a second percent-encoding (`%25XX`) is read in query values (and a referer's query)
  // but not in unruled header values, path segments or a referer's path, except for the e-mail's
  // `%2540`. Sent `x-note: 4556%25207375%25208689%25209855`: the shadow received it unchanged
  // (as `?v=4556%25207375…` it became `?v=4000%25200000%25200009%25209855`); likewise
  // `/u/4556%25207375%25208689%25209855`, `referer: https://x.example/u/4556%25207375…`, and in all
  // three `%252B14155552671`, `536%252D22%252D8147`, `DE89%25203704%25200044%25200532%25200130%252000`,
  // the JWT with `%252E` for its dots and the card with every digit as `%25 3X`: unchanged.
  // Likewise '+' between a card's groups is read as a separator in header values and queries
  // (`x-note: 4556+7375+8689+9855` becomes `4000+0000+0009+9855`) but not in a path segment
  // (`/u/4556+7375+8689+9855` unchanged) or a header name (`x-4556+7375+8689+9855: 1` kept).
  it.fails("LEAK: double percent-encoding is decoded in query values only, '+' separators not in segments or names: the secret is kept", { timeout: 300_000 }, async () => {
    const spellings: [string, string, string][] = [
      ["card-2520", "4556%25207375%25208689%25209855", C], ["card-252D", "4556%252D7375%252D8689%252D9855", C], ["phone-252B", "%252B14155552671", PH],
      ["ssn-252D", "536%252D22%252D8147", SSN9], ["iban-2520", "DE89%25203704%25200044%25200532%25200130%252000", IB], ["jwt-252E", J.replace(/\./g, "%252E"), J],
      ["card-digits-25", P.pctAll(C).replace(/%/g, "%25"), C],
    ];
    const probes: Probe[] = spellings.flatMap(([n, v, sec]) => [
      hdr(`${n}-header`, { "x-note": v }, [sec]),
      pth(`${n}-segment`, "/u/" + v, [sec]),
      hdr(`${n}-referer-path`, { referer: "https://x.example/u/" + v }, [sec]),
    ]);
    probes.push(pth("card-plus-segment", "/u/" + sep("+"), [C]), hdr("card-plus-name", { ["x-" + sep("+")]: "1" }, [C]));
    await expectClean("double-encoded", P.POLICY, probes);
  });

  describe("gRPC", () => {
    let rig: GrpcRig | undefined;
    printGrpcLogsAfterFailures(() => [rig]);
    const run = async (cases: GCase[]): Promise<string[]> => {
      const bad: string[] = [];
      for (const [label, pol] of [["schema", descriptorPolicy()], ["wire", detectorsPolicy()]] as const) {
        rig = await startGrpcRig({ backend: "process", config: pol });
        try {
          bad.push(...(await grpcVerdict(rig, label, cases)));
        } finally {
          await rig.close();
          rig = undefined;
        }
      }
      console.log(`${cases.length} cases x 2 policies, ${bad.length} bad\n${bad.slice(0, 12).join("\n")}`);
      return bad;
    };

    it("string and bytes fields, nested, unknown, groups, map keys and values, around 256 bytes, odd wire shapes, split frames, client streams: redacted", { timeout: 300_000 }, async () => {
      const u = (s: string) => Buffer.from(s, "utf8");
      const cases: GCase[] = [
        ["comment-card", ld(11, C), C], ["comment-fullwidth", ld(11, u(P.fw(C))), C], ["comment-nnbsp", ld(11, u(sep("\u202f"))), C], ["email", ld(3, E), E],
        ["comment-jwt", ld(11, J), J], ["comment-jwt-newline", ld(11, JWT_NL), JWT_NL], ["comment-iban-lower", ld(11, IB.toLowerCase()), IB], ["comment-phone", ld(11, P.PHONE), PH],
        ["comment-ssn", ld(11, P.SSN), SSN9], ["comment-pct40", ld(11, "bob.pct%40example.org"), E], ["comment-card-13", ld(11, C13), C13], ["order-id-card", ld(1, C), C],
        ["bytes-card", ld(10, C), C], ["bytes-fffe-card", ld(10, cat(Buffer.from([0xff, 0xfe]), C)), C], ["comment-invalid-utf8-card", ld(11, cat(Buffer.from([0xc3]), " " + C)), C],
        ["bytes-nul-email", ld(10, cat(Buffer.from([0]), E)), E], ["bytes-ff-email", ld(10, cat(Buffer.from([0xff]), E)), E], ["bytes-nested", ld(10, ld(1, C)), C],
        ["unknown-field", ld(99, C), C], ["unknown-nested", ld(98, ld(3, ld(1, E))), E], ["item-note", ld(8, cat(ld(1, "SKU"), ld(4, "ship to " + E))), E],
        ["label-value", ld(9, cat(ld(1, "k"), ld(2, C))), C], ["label-key", ld(9, cat(ld(1, E), ld(2, "v"))), E], ["card-number-spaced", ld(2, ld(1, "4556 7375 8689 9855")), C],
        ...[238, 239, 240, 300].map((n): GCase => [`comment-${n}-then-card`, ld(11, "a".repeat(n) + " " + C), C]),
        ...[238, 239, 240, 300].map((n): GCase => [`comment-${n}-then-email`, ld(11, "lorem ipsum ".repeat(30).slice(0, n) + " " + E), E]),
        ["comment-straddle-256", ld(11, "a ".repeat(124) + " " + C + " zz"), C],
        // Wire shapes: an unknown group holding a string, strings that parse as messages, non-minimal varints, repeated
        // and huge field numbers, a fixed64 and a packed field before the string, the message cut into DATA frames, a client stream.
        ["unknown-group", cat(tag(50, 3), ld(1, C), tag(50, 4)), C], ["comment-parses-as-message", ld(11, cat("\n\x10", C)), C],
        ["comment-message-email", ld(11, ld(1, E)), E], ["packed-then-string", cat(ld(12, cat(varint(1), varint(2))), ld(11, E)), E],
        ["len-5-bytes", ld(11, E, { lenBytes: 5 }), E], ["tag-5-bytes", ld(11, E, { tagBytes: 5 }), E], ["comment-twice", cat(ld(11, "a"), ld(11, E)), E],
        ["field-536870911", ld(536870911, E), E], ["fixed64-then-string", cat(tag(13, 1), Buffer.alloc(8), ld(11, E)), E],
        ["split-at-14", Buffer.alloc(0), C, { body: ((f) => [f.subarray(0, 14), f.subarray(14)])(frame(cat(ld(1, "o"), ld(11, "x " + C + " y")))) }],
        ["split-1-byte", Buffer.alloc(0), E, { body: [...frame(cat(ld(1, "o"), ld(11, "x " + E)))].map((x) => Buffer.from([x])) }],
        // A glued JWT (a leak on 578be0d, fixed in b35e572); a card grouped by latin-1 NBSP bytes (a leak on 578be0d, fixed since).
        ["comment-token-jwt", ld(11, "token-" + J), J], ["comment-id_jwt", ld(11, "id_" + J), J],
        ["comment-latin1-nbsp", ld(11, Buffer.from(sep("\u00a0"), "latin1")), C], ["bytes-latin1-nbsp", ld(10, Buffer.from(sep("\u00a0"), "latin1")), C],
        ["comment-fullwidth-at", ld(11, Buffer.from("bob.pct\uff20example.org", "utf8")), E],
        ["upload-stream", Buffer.alloc(0), E, { path: UPLOAD, body: cat(frame(cat(ld(1, "b"), vi(2, 1), ld(3, cat(ld(1, "o"), ld(11, C))))), frame(cat(ld(1, "b"), vi(2, 2), ld(3, ld(3, E))))) }],
      ];
      expect(await run(cases)).toEqual([]);
    });

    // Fixed after 3d235aa (filter/redact/compat.ts): ChargeRequest.comment (field 11) = `５３６-２２-８１４７`
    // reached the shadow's message unchanged; now masked, with and without a schema.
    it("fixed: full-width SSN in protobuf fields", { timeout: 300_000 }, async () => {
      const u = (s: string) => Buffer.from(s, "utf8");
      const cases: GCase[] = [["comment-fullwidth-ssn", ld(11, u(P.fw(P.SSN))), SSN9], ["bytes-fullwidth-ssn", ld(10, u(P.fw(P.SSN))), SSN9]];
      expect(await run(cases)).toEqual([]);
    });

    // LEAK (gRPC, with and without a schema): the same gaps in protobuf strings and bytes. Sent
    // ChargeRequest.comment (field 11) = `deadbeefcafe4556737586899855`,
    // `{"e":"bob.pct\u0040example.org"}` in comment: each reached the shadow's message unchanged
    // (latin-1 `4556\xA07375\xA08689\xA09855` in comment and idempotency_key too, and `５３６-２２-８１４７`, fixed since:
    // held above). Also idempotency_key = the card in UTF-16LE (`4\0 5\0 5\0 6\0 …`): unchanged.
    it.fails("LEAK: hex-glued card, \\u0040, UTF-16 in protobuf fields", { timeout: 300_000 }, async () => {
      const cases: GCase[] = [
        ["comment-hex-card", ld(11, "deadbeefcafe" + C), C],
        ["comment-json-u0040", ld(11, '{"e":"bob.pct\\u0040example.org"}'), E], ["bytes-utf16le", ld(10, Buffer.from(C, "utf16le")), C],
      ];
      expect(await run(cases)).toEqual([]);
    });
  });
});
