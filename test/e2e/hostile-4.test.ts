// Fourth hostile review (dfd37d4 / b35e572: glued and dotted JWTs by their JOSE header, a raw
// '+' before a number read both ways in form and query values, E.164 after a letter and its
// '+', E.164 grouped by no-break spaces, nested URLs read with a second decoding). Against real
// Envoy, written without reading filter/. `it`: probe groups that held on 0c766d9. `it.fails`:
// a leak or a false positive found on 0c766d9; its comment gives the exact input and what the
// shadow received; a fix flips it.
import { describe, it, expect } from "vitest";
import { runProbes, type Probe } from "./hostile-lib.js";
import { hostileVerdict } from "./hostile-verdict.js";
import { hostileRigs } from "./hostile-rigs.js";
import * as P from "./hostile-pct-probes.js";

const J = P.JWT;
const PH = "4155552671";
const UK = "2079460958";
const b64u = (s: string) => Buffer.from(s).toString("base64url");
const SIG = "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const PAY = b64u('{"sub":"hostile4"}');
const jwt = (header: string) => `${b64u(header)}.${PAY}.${SIG}`;
/** A header value as the bytes of s in UTF-8 (Node writes header strings as latin-1). */
const u8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");
const enc = encodeURIComponent;

const verdict = hostileVerdict({ requireOk: true, shown: 240 });

let seq = 0;
const hdr = (note: string, headers: Record<string, string>, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "GET", path: "/r", headers, secrets });
const pth = (note: string, path: string, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "GET", path, secrets });
const post = (note: string, ct: string, b: string, secrets: string[]): Probe => ({ id: `${++seq}-${note}`, method: "POST", path: "/r", headers: { "content-type": ct }, body: Buffer.from(b), secrets });
const json = (note: string, v: string, secrets: string[]) => post(note, "application/json", JSON.stringify({ note: v }), secrets);
const text = (note: string, v: string, secrets: string[]) => post(note, "text/plain", v, secrets);
/** v, a JS string, as an unruled header value, a query value (encoded), a path segment, a JSON string and a text body. */
const everywhere = (note: string, v: string, secrets: string[]): Probe[] => [
  hdr(`${note}-header`, { "x-note": u8(v) }, secrets),
  pth(`${note}-query`, "/r?v=" + enc(v), secrets),
  pth(`${note}-segment`, "/u/" + enc(v), secrets),
  json(`${note}-json`, v, secrets),
  text(`${note}-text`, v, secrets),
];
/** Percent-decoded ('+' as space where form), JSON-unescaped, up to four times: the text an application finally reads. */
function deep(s: string, plus: boolean): string {
  for (let k = 0; k < 4; k++) {
    let t = plus && k === 0 ? s.replace(/\+/g, " ") : s;
    t = t.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
    t = t.replace(/\\u([0-9a-fA-F]{4})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    if (t === s) break;
    s = t;
  }
  return s;
}
const same = (ps: Probe[]): Probe[] => ps.map((p) => ({ ...p, identical: true }));
/** A raw form body and the same bytes as a query string. */
const formAndQuery = (note: string, q: string, secrets: string[]): Probe[] => [
  post(`${note}-form`, "application/x-www-form-urlencoded", q, secrets),
  pth(`${note}-query`, "/r?" + q, secrets),
];

describe("hostile review 4 (glued JWTs by JOSE header, '+' before numbers, E.164 after letters and NBSP, nested URLs decoded twice)", () => {
  const { use, expectClean } = hostileRigs(verdict, 60);

  const HEADS: Record<string, string> = {
    "alg-late": '{"typ":"JWT","kid":"2026-12-key-0001","x5t":"abc","alg":"RS256"}',
    pretty: '{\n  "alg": "HS256",\n  "typ": "JWT"\n}',
    "pretty-tab": '{\t"alg":\t"HS256"}',
    "pretty-crlf": '{\r\n"typ":"JWT",\r\n"alg":"ES256"\r\n}',
    bom: '\ufeff{"alg":"HS256"}',
    "nested-first": '{"jwk":{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzVgTnCRqUSTBqtlp-0"},"alg":"ES256"}',
    "alg-upper": '{"ALG":"HS256","TYP":"JWT"}',
    "escaped-alg": '{"\\u0061lg":"HS256"}',
    "kid-1k": `{"kid":"${"k".repeat(1100)}","alg":"RS256"}`,
    "kid-3k": `{"typ":"JWT","kid":"${"k".repeat(3000)}","alg":"RS256"}`,
    "leading-space": ' {"alg":"HS256"}',
  };
  const SHAPES: [string, string, string][] = [["bare", "", ""], ["glued", "token-", ""], ["bearer", "Bearer", ""], ["labels", "", ".t.example"]];
  /** The JWT with this header, bare, glued after "token-" and "Bearer", and with host labels after it, in every place. */
  const jwtProbes = (head: string, shapes = SHAPES): Probe[] => {
    const t = jwt(HEADS[head]);
    return shapes.flatMap(([pn, pre, post]) => everywhere(`jwt-${head}-${pn}`, pre + t + post, [t]));
  };
  const plusForms = (list: [string, string, string][]) => list.flatMap(([n, q, s]) => formAndQuery(`plus-${n}`, q, [s]));
  const grouped = (note: string, s: string, parts: string[], sec: string) => everywhere(`${note}`, parts.join(s), [sec]);
  const inner = (v: string) => `https://x.example/k?v=${v}`;
  const lvl2 = (v: string) => `https://a.example/login?next=${enc(inner(v))}`;
  const lvl3 = (v: string) => `https://b.example/sso?return=${enc(lvl2(v))}`;
  /** A URL (nested) in a JSON string, a JSON member name, an NDJSON line, a text body, a form value, a query value, a header and a referer. */
  const nestedPlaces = (n: string, u: string, s: string): Probe[] => [
    post(`${n}-json`, "application/json", JSON.stringify({ return: u }), [s]),
    post(`${n}-name`, "application/json", JSON.stringify({ [u]: 1 }), [s]),
    post(`${n}-ndjson`, "application/x-ndjson", `{"a":1}\n${JSON.stringify({ u })}\n`, [s]),
    post(`${n}-text`, "text/plain", `go to ${u} now`, [s]),
    post(`${n}-form`, "application/x-www-form-urlencoded", `a=1&return=${enc(u)}`, [s]),
    pth(`${n}-query`, `/r?return=${enc(u)}`, [s]),
    hdr(`${n}-header`, { "x-return": u }, [s]),
    hdr(`${n}-referer`, { referer: u }, [s]),
  ];
  const NESTED: [string, string, string][] = [
    ["phone", enc("+14155552671"), PH], ["phone-plus-sp", "%2B1+415+555+2671", PH], ["phone-20", "%2B1%20415%20555%202671", PH],
    ["phone-raw-plus", "+1+415+555+2671", PH], ["card", "4556%207375%208689%209855", P.CARD], ["card-plus", "4556+7375+8689+9855", P.CARD],
    ["email", enc(P.EMAIL), P.EMAIL], ["ssn", "536%2D22%2D8147", "536228147"], ["iban", "DE89+3704+0044+0532+0130+00", P.IBAN], ["jwt", J.replace(/\./g, "%2E"), J],
  ];

  it("JWT look-alikes (host names, words, base64 blobs, file names, versions, minified text, hashes) reach the shadow byte-identical", { timeout: 300_000 }, async () => {
    const looks = [
      "ewok.co.uk.example", "ewan.co.uk", "ewing.com.au", "news.ewok.co.uk", "ewok.co", "ewok.example.co.uk", "eyjafjallajokull.is", "www.eyjafjallajokull.is/eyja.fjalla.jokull",
      "token-ewok.example.org", "Bearereyes.example.net", "eyes.eyJa.eyJb", "v1.eyJ2ZXJzaW9uIjoxfQ.abc", "v1." + b64u('{"v":1}') + "." + b64u('{"w":2}') + ".sig",
      "report." + b64u('{"alg":"HS256"}') + ".pdf", b64u('{"alg":"HS256","typ":"JWT"}'), "id_" + b64u('{"alg":"HS256"}'),
      "x-" + b64u('{"kid":"k1","typ":"JWT"}') + "." + PAY + "." + SIG,
      "img.eyJ1cmwiOiJ4In0.png", ".ewok-btn.ewok-x{color:red}.eyJ{margin:0}", "a.eyJ=b.c;d.eyJe.f(g.h)",
      "sha256-ewogICJ2IjogMQp9.Zm9vYmFy.YmF6", "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC", "ewogICJ2IjogMQp9",
      "app-1.2.3-eyJidWlsZCI6MX0.tar.gz", "chunk.eyJ4IjoxfQ.9f86d081.js", "Xeyjo.Xeyjo.Xeyjo", "BearereyJ", "token-eyJ.x.y",
      "cGF5bG9hZA.eyJhbGciOiJIUzI1NiJ9x", "eyJhbGciOiJIUzI1NiJ9..",
    ];
    const probes: Probe[] = looks.flatMap((v, i) => same(everywhere(`look-${i}`, v, [])));
    ["ewok.co.uk.example", "ewan.co.uk", "news.ewok.co.uk", "eyjafjallajokull.is"].forEach((h, i) => probes.push({ ...hdr(`look-host-${i}`, { "x-forwarded-host": h }, []), identical: true }));
    await expectClean("JWT look-alikes", P.POLICY, probes);
  });

  // FALSE POSITIVE on 0c766d9: three dot-separated labels whose first begins "ew" (as a pretty-printed JOSE
  // header's base64 "ewog..." does) are masked as a JWT, every character but the dots, in header
  // values, x-forwarded-host, query values, path segments, JSON strings and text bodies alike:
  // sent `x-note: ewok.co.uk`, the shadow got `x-note: xxxx.xx.xx`; `/r?v=ewpyc.co.uk` became
  // `/r?v=xxxxx.xx.xx`; `{"note":"ewr.example.com"}` became `{"note":"xxx.xxxxxxx.xxx"}`; likewise
  // `eworld.example.net`, `ewogdGVzdA.co.uk` ("{\n test", no JSON object, no "alg") and
  // `x-forwarded-host: ewok.co.uk`. (`ewan.co.uk`, `ewing.com.au`, `ewok.co`, `news.ewok.co.uk`,
  // `ewok.co.uk.example` stay.) Also masked: `eyJ.eyJ.eyJ` (`xxx.xxx.xxx`: no segment decodes to
  // anything) and a lone JOSE header followed by a host name, `eyJhbGciOiJIUzI1NiJ9.example.com`
  // (`xxxxxxxxxxxxxxxxxxxx.xxxxxxx.xxx`: "example" and "com" are no JSON payload nor signature).
  // Fixed the same day (after 0df12d3): a JWT counts when its header decodes to a JOSE header, or, set
  // apart from what precedes it, starts "eyJ" with 15 characters or more; a JWS payload is JSON ("ey",
  // "ew") or 16 characters at least (filter/redact/jwt.ts jwtAccept).
  it("fixed: host names and words of three labels starting 'ew', 'eyJ.eyJ.eyJ', a JOSE header before a host name stay byte-identical", { timeout: 300_000 }, async () => {
    const looks = ["ewok.co.uk", "ewpyc.co.uk", "ewr.example.com", "eworld.example.net", "ewogdGVzdA.co.uk", "eyJ.eyJ.eyJ", b64u('{"alg":"HS256"}') + ".example.com"];
    const probes: Probe[] = looks.flatMap((v, i) => same(everywhere(`fp-${i}`, v, [])));
    ["ewok.co.uk", "ewr.example.com"].forEach((h, i) => probes.push({ ...hdr(`fp-host-${i}`, { "x-forwarded-host": h }, []), identical: true }));
    await expectClean("JWT false positives", P.POLICY, probes);
  });

  it("held: JWTs with 'alg' late, pretty-printed, BOM, nested JWK, JWE, glued after non-ASCII letters or escapes; '+' look-alikes; E.164 after '+', letters and no-break spaces; nested URLs at two levels; 2,000 nested URLs in one body", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const h of ["alg-late", "pretty", "pretty-tab", "pretty-crlf", "bom", "nested-first"]) probes.push(...jwtProbes(h));
    for (const h of ["escaped-alg", "kid-1k", "kid-3k"]) probes.push(...jwtProbes(h, SHAPES.slice(0, 1)));
    const jwe = `${b64u('{"alg":"RSA-OAEP","enc":"A256GCM"}')}.${b64u("k".repeat(32))}.${b64u("iv12")}.${b64u("cipher")}.${b64u("tag")}`;
    probes.push(...everywhere("jwe-glued", "token-" + jwe, [jwe]));
    probes.push(...everywhere("jwt-after-e-acute", "jeton\u00e9" + J, [J]), ...everywhere("jwt-after-cjk", "令牌" + J, [J]));
    probes.push(pth("jwt-query-glued-pct2d", "/r?t=token%2D" + J, [J]), pth("jwt-query-glued-pct5f", "/r?t=id%5F" + J, [J]));
    probes.push(pth("jwt-query-pct-glued-e", "/r?t=x%65" + J.slice(1), [J]), hdr("jwt-host-pretty", { "x-forwarded-host": jwt(HEADS.pretty) + ".t.example" }, [jwt(HEADS.pretty)]));
    const qs = [
      "amount=+100", "amount=+100.00&currency=EUR", "q=a+b", "q=c%2B%2B+14", "q=c+++14", "sum=10+20+30", "x=+1+2+3", "tz=+05:30", "offset=+0100",
      "ts=2026-12-03T07:44:49+00:00", "date=2026-12-03+10:00:00", "v=1.0.0+build.1234", "q=ISBN+978-3-16-148410-0", "coords=+40.7128,-74.0060",
      "q=+1+415", "q=room+1415+floor+5", "q=+12+34", "q=order+%2B100+shipped", "delta=+42&ratio=+0.5", "q=top+100+songs+of+2026", "score=+3+-+2",
      "q=1+800+flowers", "temp=+21.5C", "q=+++", "q=%2B", "q=+", "q=word+%2B5+more",
    ];
    qs.forEach((q, i) => probes.push(...same(formAndQuery(`plus-look-${i}`, q, []))));
    probes.push(...plusForms([
      ["pct20", "v=+1%20415%20555%202671", PH], ["plus-uk", "v=+44+20+7946+0958", UK], ["plus-us", "v=+1+415+555+2671", PH],
      ["plus-parens", "v=+1+(415)+555-2671", PH], ["plus-dots", "v=+1+415.555.2671", PH], ["plus-dashes", "v=+1-415-555-2671", PH],
      ["after-space", "v=call+me+%2B1+415+555+2671", PH], ["after-space-raw", "v=call+me++1+415+555+2671", PH], ["after-pct20", "v=call%20+1+415+555+2671", PH],
      ["digits-escaped", "v=+%31%34%31%35%35%35%35%32%36%37%31", PH], ["pct2d", "v=+1%2D415%2D555%2D2671", PH], ["nbsp", "v=+1%C2%A0415%C2%A0555%C2%A02671", PH],
      ["fr", "v=+33+1+42+68+53+00", "142685300"], ["de", "v=+49+30+901820", "30901820"], ["second-param", "a=1&b=2&v=+1+415+555+2671", PH],
      ["double-plus", "v=++44+20+7946+0958", UK], ["ext", "v=+1+415+555+2671+ext+12", PH],
    ]));
    probes.push(hdr("plus-referer", { referer: "https://x.example/p?v=+44+20+7946+0958" }, [UK]));
    probes.push(post("plus-nested-json", "application/json", JSON.stringify({ u: "https://x.example/p?v=+44+20+7946+0958" }), [UK]));
    const glued: [string, string][] = [
      ["email", "bob@example.org+14155552671"], ["word", "id+14155552671"], ["pct2b", "x%2B14155552671"], ["pct2b-lower", "x%2b14155552671"],
      ["spaced", "ab+1 415 555 2671"], ["dashed", "x+1-415-555-2671"], ["dotted", "x+1.415.555.2671"], ["uk", "ref+44 20 7946 0958"], ["digit", "v2+14155552671"],
      ["underscore", "a_+14155552671"], ["cjk", "电话+14155552671"],
    ];
    // (The '%2B' spellings are left out of path segments: there they are encoded twice, a gap hostile-3 recorded.)
    for (const [n, v] of glued) probes.push(...everywhere(`glued-${n}`, v, [n === "uk" ? UK : PH]).filter((p) => !(v.includes("%") && p.id.endsWith("segment"))));
    for (const [n, s] of [["nbsp", "\u00a0"], ["en-quad", "\u2000"], ["em-space", "\u2003"], ["figure", "\u2007"], ["thin", "\u2009"], ["hair", "\u200a"], ["nnbsp", "\u202f"]]) {
      probes.push(...grouped(`e164-${n}`, s, ["+1", "415", "555", "2671"], PH), ...grouped(`uk-${n}`, s, ["+44", "20", "7946", "0958"], UK));
    }
    probes.push(...everywhere("e164-mixed", "+1\u00a0415\u2009555\u202f2671", [PH]));
    probes.push(post("e164-nbsp-json-escaped", "application/json", '{"note":"+1\\u00a0415\\u00a0555\\u00a02671"}', [PH]));
    for (const [n, v, s] of NESTED) probes.push(...nestedPlaces(`${n}-l2`, lvl2(v), s));
    for (const [n, v, s] of NESTED.filter(([n]) => ["phone-20", "card", "email", "ssn", "jwt"].includes(n))) probes.push(...nestedPlaces(`${n}-l3`, lvl3(v), s));
    probes.push(post("mixed-plus-json", "application/json", JSON.stringify({ r: "https://a/login?next=https%3A%2F%2Fx%2Fk%3Fv%3D%2B1%2B415%2B555%2B2671" }), [PH]));
    probes.push(post("mixed-2b20-json", "application/json", JSON.stringify({ r: "https://a/login?next=https%3A%2F%2Fx%2Fk%3Fv%3D%252B1%2520415+555%25202671" }), [PH]));
    probes.push(post("fragment-json", "application/json", JSON.stringify({ r: "https://a/login#next=https%3A%2F%2Fx%2Fk%3Fv%3D%252B14155552671" }), [PH]));
    probes.push(post("path-nested-json", "application/json", JSON.stringify({ r: "https://a/go/https%3A%2F%2Fx%2Fk%3Fv%3D%252B14155552671" }), [PH]));
    probes.push(post("relative-json", "application/json", JSON.stringify({ r: "/login?next=%2Fk%3Fv%3D%252B14155552671" }), [PH]));
    probes.push(post("no-scheme-json", "application/json", JSON.stringify({ r: "next=https%3A%2F%2Fx%2Fk%3Fv%3D%252B14155552671" }), [PH]));
    // Many nested strings in one body: the primary gets it as sent (status 200), the copy holds no number.
    const many = Array.from({ length: 2000 }, (_, i) => lvl2(i % 10 ? "%2B1%20415%20555%20" + String(1000 + i) : enc("+14155552671")));
    probes.push(post("many-nested-json", "application/json", JSON.stringify(many), [PH]));
    probes.push(post("many-nested-form", "application/x-www-form-urlencoded", many.map((u, i) => `r${i}=${enc(u)}`).join("&"), [PH]));
    probes.push(post("many-glued-jwt-looks", "text/plain", Array.from({ length: 5000 }, (_, i) => `x${i}.${b64u('{"alg":"HS256"}')}`).join(" "), []));
    await expectClean("held", P.POLICY, probes);
  });

  // LEAK: a glued JWT (after "token-", "Bearer") or one followed by host labels is not found when
  // its header is over about 1 KB (a kid of 740 k's, a base64 header of about 1,020 characters, is
  // masked; 760 k's, about 1,050, is not), names "alg" through a JSON escape, or spells it "ALG"; and a
  // header with a space before its '{' is not found at all, bare or glued. Sent
  // `x-note: token-<b64u('{"kid":"kkk…(1100 k)","alg":"RS256"}')>.<payload>.<sig>` (also 3000 k's,
  // and `Bearer<same>`, `<same>.t.example`): the shadow received it unchanged, as a header value,
  // query value, path segment, JSON string and text body (bare it is masked). Likewise
  // `token-eyJcdTAwNjFsZyI6IkhTMjU2In0.<payload>.<sig>` (`{"\u0061lg":"HS256"}`),
  // `token-eyJBTEciOiJIUzI1NiIsIlRZUCI6IkpXVCJ9.…` (`{"ALG":"HS256","TYP":"JWT"}`: not a JOSE header
  // by RFC 7515, but a bearer token all the same) and `IHsiYWxnIjoiSFMyNTYifQ.<payload>.<sig>`
  // (` {"alg":"HS256"}`), even bare: all unchanged in the copy.
  // Fixed the same day (after 0df12d3): the JOSE header is read up to 8 KB, "alg" case-insensitively and
  // as "\u0061lg". A header with whitespace before its '{' (base64 "IHs..."), bare or glued: fixed after 3d235aa, below.
  it("fixed: glued JWTs with a header over 1 KB, an escaped or upper-case 'alg'", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const h of ["escaped-alg", "kid-1k", "kid-3k"]) probes.push(...jwtProbes(h, SHAPES.slice(1)));
    probes.push(...jwtProbes("alg-upper"));
    await expectClean("JWT leaks fixed", P.POLICY, probes);
  });

  // Fixed after 3d235aa: a run starting "IH" or "IC" (base64url of " {" and "  {") is tried too, and
  // counts only when its header decodes to a JOSE header (detectors.ts spacedJwtHead, jwt.ts joseHeader).
  it("fixed: a JWT whose header starts with a space (base64 'IHs...'), bare or glued", { timeout: 300_000 }, async () => {
    await expectClean("JWT leaks", P.POLICY, jwtProbes("leading-space"));
  });

  // Found as a LEAK on 38d9e33: a raw '+' before a number is read as a plus only at the value's start or after a space:
  // after ';', ',', ':', a tab or a newline, or in a form or query *name*, `+1+415+555+2671` reaches
  // the shadow unchanged. Sent the form body `v=tel:+1+415+555+2671` (and `?v=tel:+1+415+555+2671`),
  // `v=tel,+1+415+555+2671`, `v=tel%09+1+415+555+2671`, `v=tel%0A+1+415+555+2671`,
  // `a=1;v=+1+415+555+2671` (a ';' separator, which the filter honours elsewhere) and
  // `+1+415+555+2671=1`: each copy held the bytes as sent. (docs/leaks.md lists `x%3A+1%20415…` as
  // still open but says a labelled `tel%3A+1%20415…` is found by its label: `tel:+1+415+555+2671` is not.)
  // Fixed after 3d235aa (filter/redact/percent.ts formKeptPlus: a '+' before a digit is kept after a tab
  // or line break and after a raw ';', ',', ':' or '=', which a form encoder escapes; query.ts plusNameHit:
  // a parameter name is read with such a '+' kept too, and the parameter dropped on a hit).
  it("fixed: '+1+415+555+2671' after ';', ',', ':', a tab or a newline, or as a form/query name", { timeout: 300_000 }, async () => {
    const probes = plusForms([
      ["semicolon", "a=1;v=+1+415+555+2671", PH], ["name", "+1+415+555+2671=1", PH], ["after-comma", "v=tel,+1+415+555+2671", PH],
      ["after-tab", "v=tel%09+1+415+555+2671", PH], ["after-nl", "v=tel%0A+1+415+555+2671", PH], ["after-colon", "v=tel:+1+415+555+2671", PH],
    ]);
    await expectClean("'+' leaks", P.POLICY, probes);
  });

  // Found as a LEAK on 38d9e33: a US national number grouped by a no-break space, `(415)\u00a0555-2671`, and by
  // U+2000, U+2003, U+2007, U+2009, U+200A, U+202F (the spaces E.164 now accepts), is not found in
  // any place: `x-note: (415)<NBSP>555-2671`, `?v=(415)%C2%A0555-2671`, `/u/(415)%E2%80%89555-2671`,
  // `{"note":"(415) 555-2671"}` (U+2009) reached the shadow unchanged. And E.164 grouped by
  // characters outside that list is not found: U+200B (zero-width space), U+3000 (ideographic
  // space), U+205F, U+2060 (word joiner), U+00AD (soft hyphen), U+2011 (non-breaking hyphen):
  // `x-note: +1<U+200B>415<U+200B>555<U+200B>2671` and `+44<U+3000>20<U+3000>7946<U+3000>0958`
  // reached the shadow unchanged as header values, query values, path segments, JSON and text.
  // (docs/leaks.md lists national numbers with no-break spaces as still open; the others are new.)
  // Fixed after 3d235aa (filter/redact/compat.ts: compatE164End, compatUsPhoneEnd read these separators
  // where the ASCII matchers found nothing; the mask keeps them).
  it("fixed: '(415) 555-2671' with no-break spaces; E.164 grouped by zero-width, ideographic, word-joiner, soft or non-breaking hyphens", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, s] of [["nbsp", "\u00a0"], ["en-quad", "\u2000"], ["em-space", "\u2003"], ["figure", "\u2007"], ["thin", "\u2009"], ["hair", "\u200a"], ["nnbsp", "\u202f"]])
      probes.push(...everywhere(`national-${n}`, "(415)" + s + "555-2671", [PH]));
    for (const [n, s] of [["zwsp", "\u200b"], ["ideographic", "\u3000"], ["mmsp", "\u205f"], ["word-joiner", "\u2060"], ["soft-hyphen", "\u00ad"], ["nbhyphen", "\u2011"]])
      probes.push(...grouped(`e164-${n}`, s, ["+1", "415", "555", "2671"], PH), ...grouped(`uk-${n}`, s, ["+44", "20", "7946", "0958"], UK));
    await expectClean("spaces", P.POLICY, probes);
  });

  // LEAK: a URL nested three deep (its value encoded three times) is read with two decodings only
  // where the value is spelled with '%2B'/'+': sent `{"return":"https://b.example/sso?return=https%3A%2F%2Fa.example%2Flogin%3Fnext%3Dhttps%253A%252F%252Fx.example%252Fk%253Fv%253D%25252B14155552671"}`
  // (three levels of `+14155552671`), the shadow got it unchanged, likewise as a JSON member name,
  // an NDJSON line, an `x-return` header, a form value and a query value (one level more there);
  // and with the inner value `%2B1+415+555+2671`, `+1+415+555+2671`, `4556+7375+8689+9855` or
  // `DE89+3704+0044+0532+0130+00` at the third level (JSON, name, NDJSON, header): unchanged.
  // (Three levels of `4556%207375%208689%209855`, `%2B1%20415…`, the e-mail, the SSN and the JWT are masked.)
  // docs/leaks.md lists three levels as still open; this pins which spellings pass through.
  it.fails("LEAK: three levels of nesting: '%2B' and '+' spellings of phones, cards and IBANs", { timeout: 300_000 }, async () => {
    const probes: Probe[] = [];
    for (const [n, v, s] of NESTED.filter(([n]) => ["phone", "phone-plus-sp", "phone-raw-plus", "card-plus", "iban"].includes(n))) probes.push(...nestedPlaces(`${n}-l3`, lvl3(v), s));
    await expectClean("three levels", P.POLICY, probes);
  });

  it("hash policy: one value gives one token in every spelling and nesting", { timeout: 300_000 }, async () => {
    const nest = (v: string) => "https://a.example/login?next=" + enc("https://x.example/k?v=" + v);
    // [value, spellings: [note, probe, the decoded text around the value (before, after) as sent]]
    const groups: [string, Probe[]][] = [
      ["phone", [
        pth("h-phone-query", "/r?v=%2B14155552671", []), pth("h-phone-query-raw-plus", "/r?v=+14155552671", []),
        post("h-phone-form", "application/x-www-form-urlencoded", "v=%2B14155552671", []), post("h-phone-form-raw-plus", "application/x-www-form-urlencoded", "v=+14155552671", []),
        json("h-phone-json", "+14155552671", []), hdr("h-phone-header", { "x-note": "+14155552671" }, []), text("h-phone-text", "+14155552671", []),
        post("h-phone-nested", "application/json", JSON.stringify({ note: nest(enc("+14155552671")) }), []),
        hdr("h-phone-referer", { referer: "https://x.example/k?v=%2B14155552671" }, []), pth("h-phone-glued-letter", "/r?v=x%2B14155552671", []),
      ]],
      ["email", [
        pth("h-email-query", "/r?v=bob.pct%40example.org", []), json("h-email-json", P.EMAIL, []), hdr("h-email-header", { "x-note": P.EMAIL }, []),
        post("h-email-nested", "application/json", JSON.stringify({ note: nest(enc(P.EMAIL)) }), []), text("h-email-text", P.EMAIL, []),
      ]],
      ["jwt", [
        hdr("h-jwt-header", { "x-note": J }, []), hdr("h-jwt-header-glued", { "x-note": "token-" + J }, []), hdr("h-jwt-header-bearer", { "x-note": "Bearer" + J }, []),
        json("h-jwt-json", J, []), json("h-jwt-json-glued", "id_" + J, []), pth("h-jwt-query", "/r?v=" + J, []), pth("h-jwt-query-glued", "/r?v=t." + J, []),
        hdr("h-jwt-host", { "x-forwarded-host": J + ".t.example" }, []),
      ]],
    ];
    const rig = await use(P.HASH_POLICY);
    const bad: string[] = [];
    for (const [name, probes] of groups) {
      const res = await runProbes(rig, probes, undefined, 5_000);
      const toks = new Map<string, string[]>();
      for (const o of res) {
        const p = probes.find((x) => x.id === o.id)!;
        const sent = p.headers && !Array.isArray(p.headers) && p.headers["x-note"] !== undefined ? p.headers["x-note"] : p.headers && !Array.isArray(p.headers) && p.headers["x-forwarded-host"] !== undefined ? p.headers["x-forwarded-host"] : p.headers && !Array.isArray(p.headers) && p.headers.referer !== undefined ? p.headers.referer : p.body !== undefined ? String(p.body) : p.path;
        const h = (p.headers && !Array.isArray(p.headers) && ["x-note", "x-forwarded-host", "referer"].find((k) => (p.headers as Record<string, string>)[k] !== undefined)) || undefined;
        const got = !o.shadow ? undefined : h ? o.shadow.headers.find(([k]) => k === h)?.[1] : p.body !== undefined ? o.shadow.body : o.shadow.path;
        if (got === undefined) {
          bad.push(`${o.id}: no copy of the field`);
          continue;
        }
        const a = deep(sent, Boolean(p.body !== undefined && (p.headers as Record<string, string>)["content-type"]?.includes("form")));
        const b = deep(got, false);
        let i = 0;
        while (i < a.length && i < b.length && a[i] === b[i]) i++;
        let j = 0;
        while (j < a.length - i && j < b.length - i && a[a.length - 1 - j] === b[b.length - 1 - j]) j++;
        const tok = b.slice(i, b.length - j).replace(/^(token-|id_|t\.|Bearer|x)/, "");
        if (!/^hmac:/.test(tok)) bad.push(`${o.id}: no hash token where the value was: ${JSON.stringify(b).slice(0, 200)}`);
        toks.set(tok, [...(toks.get(tok) ?? []), o.id]);
      }
      const list = [...toks].map(([t, ids]) => `${JSON.stringify(t)} <- ${ids.join(" ")}`);
      console.log(`${name}: ${toks.size} tokens\n${list.join("\n")}`);
      if (toks.size !== 1) bad.push(`${name}: ${toks.size} tokens: ${list.join(" | ")}`);
    }
    expect(bad).toEqual([]);
  });
});
