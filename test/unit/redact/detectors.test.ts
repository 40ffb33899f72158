// The values layer of redaction (filter/redact/{hmac,detectors,values}.ts),
// driven through the AssemblyScript entry test/fixtures/redact-values.ts.
// Offsets are UTF-8 byte offsets, as the filter sees them.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createHash, createHmac } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// A bound that only a superlinear scan can break: a quadratic scan of 1 MB runs for hours, a linear
// one for well under a second; generous enough for a loaded shared machine (a 3 s bound failed under load).
const QUADRATIC_MS = 60_000;

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const wasmPath = join(root, "build", "fixtures", "redact-values.wasm");

interface Fixture {
  memory: WebAssembly.Memory;
  input(slot: number, n: number): number;
  resultPtr(): number;
  resultLen(): number;
  scan(enabled: number): number;
  mask(start: number, end: number, detector: number): void;
  maskValue(): void;
  hashToken(): void;
  sha(): void;
  hmac(): void;
  prepareKey(): void;
  hmacPrepared(): void;
  hmacPrepared4(a: number, b: number, c: number, d: number): void;
  tokenPrepared(): void;
  redact(enabled: number, hash: number, base: number): number;
  editCount(): number;
  editStart(i: number): number;
  editEnd(i: number): number;
  count(i: number): number;
  bitOf(): number;
  detectorCount(): number;
  detectorName(i: number): void;
}

let fx: Fixture;

beforeAll(() => {
  mkdirSync(dirname(wasmPath), { recursive: true });
  // The fixtures' own asconfig: the project's one would add the filter's entries to the build.
  execFileSync(
    join(root, "node_modules", ".bin", "asc"),
    [join(root, "test", "fixtures", "redact-values.ts"), "-o", wasmPath, "--config", join(root, "test", "fixtures", "asconfig.json"), "--runtime", "incremental", "--debug"],
    { cwd: root, stdio: "pipe" },
  );
  const mod = new WebAssembly.Module(readFileSync(wasmPath));
  const imports: Record<string, Record<string, (...args: number[]) => never>> = {};
  for (const imp of WebAssembly.Module.imports(mod)) {
    // Only env.abort is expected; reaching any import is a failure (in Envoy an abort kills the VM).
    (imports[imp.module] ??= {})[imp.name] = (...args: number[]) => {
      throw new Error(`${imp.module}.${imp.name} called (${imp.name === "abort" ? asString(args[0]) + " at " + asString(args[1]) + ":" + args[2] : args.join(",")})`);
    };
  }
  expect(WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`)).toEqual(["env.abort"]);
  fx = new WebAssembly.Instance(mod, imports).exports as unknown as Fixture;
}, 120_000);

function asString(ptr: number): string {
  if (!ptr) return "";
  const bytes = new Uint32Array(fx.memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(fx.memory.buffer, ptr, bytes >>> 1));
}

const enc = new TextEncoder();
const bytesOf = (s: string | Uint8Array) => (typeof s === "string" ? enc.encode(s) : s);

function put(slot: number, data: string | Uint8Array): void {
  const b = bytesOf(data);
  const p = fx.input(slot, b.length);
  new Uint8Array(fx.memory.buffer, p, b.length).set(b);
}

function result(): Uint8Array {
  return new Uint8Array(fx.memory.buffer, fx.resultPtr(), fx.resultLen()).slice();
}

const resultText = () => Buffer.from(result()).toString("latin1");
const resultHex = () => Buffer.from(result()).toString("hex");

const CARD = 1, EMAIL = 2, SSN = 4, JWT = 8, IBAN = 16, PHONE = 32, ALL = 63;
const NAMES = ["card", "email", "ssn", "jwt", "iban", "phone"];
const nameOf = (bit: number) => NAMES[31 - Math.clz32(bit)];

interface Found {
  start: number;
  end: number;
  detector: number;
}

function scanBytes(text: string | Uint8Array, enabled = ALL): Found[] {
  put(0, text);
  const n = fx.scan(enabled);
  const r = new Int32Array(result().buffer);
  const out: Found[] = [];
  for (let i = 0; i < n; i++) out.push({ start: r[i * 3], end: r[i * 3 + 1], detector: r[i * 3 + 2] });
  return out;
}

/** Findings as [detector name, matched text]. */
function scan(text: string, enabled = ALL): [string, string][] {
  const b = enc.encode(text);
  return scanBytes(b, enabled).map((f) => [nameOf(f.detector), Buffer.from(b.subarray(f.start, f.end)).toString("utf8")]);
}

function mask(value: string, detector: number): string {
  put(0, value);
  put(1, "");
  fx.mask(0, enc.encode(value).length, detector);
  return Buffer.from(result()).toString("utf8");
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d < 5 ? d * 2 : d * 2 - 9;
    sum += d;
  }
  return sum % 10 === 0;
}

const JWT_HS256 =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const JWT_NONE = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjMifQ.";

describe("detector names", () => {
  it("maps names to bits and back", () => {
    expect(fx.detectorCount()).toBe(6);
    NAMES.forEach((name, i) => {
      fx.detectorName(i);
      expect(resultText()).toBe(name);
      put(0, name);
      expect(fx.bitOf()).toBe(1 << i);
    });
    for (const unknown of ["", "CARD", "cards", "e-mail", "phone ", "ñ"]) {
      put(0, unknown);
      expect(fx.bitOf(), unknown).toBe(0);
    }
  });
});

describe("card", () => {
  it.each([
    ["4111111111111111"],
    ["5555 5555 5555 4444"],
    ["378282246310005"],
    ["3782 822463 10005"],
    ["6011-1111-1111-1117"],
    ["4111 1111 1111 1111"],
    ["4111-1111-1111-1111"],
    ["6011000990139424"],
    ["4222222222222"],
  ])("finds %s", (card) => {
    expect(scan(card)).toEqual([["card", card]]);
    expect(scan(`pay with ${card}, thanks`)).toEqual([["card", card]]);
    expect(scan(`{"pan":"${card}"}`)).toEqual([["card", card]]);
    expect(scan(`card=${card}&x=1`)).toEqual([["card", card]]);
  });

  // Separators NFKC folds to '-', '.' or '/' (hostile review 3): unicode dashes, the minus sign, full-width and small forms.
  it.each([
    ["\u2010", "hyphen"], ["\u2011", "non-breaking hyphen"], ["\u2012", "figure dash"], ["\u2013", "en dash"], ["\u2014", "em dash"],
    ["\u2212", "minus sign"], ["\uff0d", "full-width hyphen-minus"], ["\uff0e", "full-width full stop"], ["\uff0f", "full-width solidus"], ["\ufe63", "small hyphen-minus"],
  ])("finds a card grouped by %s (%s)", (sep) => {
    const card = ["4556", "7375", "8689", "9855"].join(sep);
    expect(scan(card)).toEqual([["card", card]]);
    expect(scan(`pay ${card} now`)).toEqual([["card", card]]);
  });

  it.each([
    ["bob.pct\uff20example.org", "full-width at"],
    ["bob.pct\ufe6bexample.org", "small commercial at"],
  ])("finds the e-mail %s (%s): an '@' once NFKC-folded", (email) => {
    expect(scan(email)).toEqual([["email", email]]);
    expect(scan(`mail ${email} now`)).toEqual([["email", email]]);
  });

  it("keeps a full-width at as written in the mask", () => {
    expect(mask("bob.pct\uff20example.org", EMAIL)).toBe("*******\uff20*******.org");
  });

  it.each([["東京\uff20渋谷"], ["\uff20home"], ["a\uff20b"]])("does not take %s for an e-mail (no dotted domain)", (text) => {
    expect(scan(text)).toEqual([]);
  });

  it("finds a card grouped by lone 0xA0 bytes (latin-1's no-break space, as Node reads header bytes)", () => {
    const b = Buffer.concat([Buffer.from("x "), Buffer.from("4556"), Buffer.from([0xa0]), Buffer.from("7375"), Buffer.from([0xa0]), Buffer.from("8689"), Buffer.from([0xa0]), Buffer.from("9855 y")]);
    const found = scanBytes(new Uint8Array(b));
    expect(found.map((f) => [f.start, f.end])).toEqual([[2, 21]]);
  });

  it("does not read a card across one full-width full stop (a decimal, as with '.')", () => {
    expect(scan("45567375\uff0e86899855")).toEqual([]);
  });

  it.each([
    ["card4539578763621486", "4539578763621486"],
    ["PAN4539578763621486", "4539578763621486"],
    ["x4111111111111111", "4111111111111111"],
    ["4111111111111111abc", "4111111111111111"],
    ["/cards/card4539578763621486/x", "4539578763621486"],
    // Full-width digits (U+FF10..), which the card detector reads elsewhere, glued to letters too.
    ["ORD\uff14\uff15\uff15\uff16\uff17\uff13\uff17\uff15\uff18\uff16\uff18\uff19\uff19\uff18\uff15\uff15", "\uff14\uff15\uff15\uff16\uff17\uff13\uff17\uff15\uff18\uff16\uff18\uff19\uff19\uff18\uff15\uff15"],
    ["ref ORD\uff14\uff15\uff15\uff16\uff17\uff13\uff17\uff15\uff18\uff16\uff18\uff19\uff19\uff18\uff15\uff15 paid", "\uff14\uff15\uff15\uff16\uff17\uff13\uff17\uff15\uff18\uff16\uff18\uff19\uff19\uff18\uff15\uff15"],
  ])("finds the card glued to letters in %s", (text, card) => {
    expect(scan(text, CARD)).toEqual([["card", card]]);
  });

  it.each([
    ["4111111111111112", "Luhn-invalid 16 digits"],
    ["4111 1111 1111 1112", "Luhn-invalid, grouped"],
    ["411111111111", "12 digits"],
    ["41111111111111111111", "20 digits (no 13-19 digit window is cut out of a longer run)"],
    ["99994111111111111111", "a valid card at the end of a longer digit run"],
    ["a4111111111111111b2c3d4e5f6a7b8c9", "digits inside a hex string of 24 or more (a hash)"],
    ["deadbeef4111111111111111cafe", "a card-like run inside a hex token"],
    ["4111  1111 1111 1111", "double space"],
    ["41 11 11 11 11 11 11 11", "groups of two"],
    ["1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 2", "single digits"],
    ["0.4111111111111111", "the fraction of a decimal"],
    ["{\"lat\":37.4111111111111111}", "the fraction of a JSON number"],
    ["4111111111111111.25", "the integer part of a decimal"],
  ])("does not find %s (%s)", (text) => {
    expect(scan(text, CARD)).toEqual([]);
  });

  it("a sentence-ending dot is not a decimal point", () => {
    expect(scan("my card is 4111111111111111. Thanks")).toEqual([["card", "4111111111111111"]]);
  });

  it("mixed separators are one card (#13: a form that strips non-digits takes it)", () => {
    expect(scan("4111-1111 1111-1111", CARD)).toEqual([["card", "4111-1111 1111-1111"]]);
  });

  it("a valid card followed by another number in the same grouping is still found", () => {
    expect(scan("4111 1111 1111 1111 2024", CARD)).toEqual([["card", "4111 1111 1111 1111"]]);
  });

  it("Luhn-invalid runs are not reported as anything else", () => {
    expect(scan("4111111111111112")).toEqual([]);
  });
});

describe("email", () => {
  it.each([
    ["john.doe@example.com"],
    ["jane+newsletter@example.com"],
    ["ops-team_1%x@mail.eu.example.co.uk"],
    ["a@b.io"],
    ["user@xn--80ak6aa92e.xn--p1ai"],
    ["JOHN@EXAMPLE.ORG"],
  ])("finds %s", (email) => {
    expect(scan(email)).toEqual([["email", email]]);
    expect(scan(`Contact: <${email}>.`)).toEqual([["email", email]]);
    expect(scan(`{"email":"${email}"}`)).toEqual([["email", email]]);
  });

  it.each([
    ["john@localhost", "single-label domain"],
    ["john@example.c", "one-letter TLD"],
    ["john@example.c0m", "TLD with a digit"],
    ["@example.com", "no local part"],
    ["john.@example.com", "local part ends with a dot"],
    ["john@-example.com", "label starts with a dash"],
    ["john@example-.com", "label ends with a dash"],
    ["john@", "no domain"],
    ["john@.com", "empty label"],
    ["a @ b.com", "spaces around @"],
    ["+@0.\u0080", "a TLD of one character in two bytes (a property test's find)"],
    ["john@example.\u00a9\u00ae", "a TLD of signs, not letters"],
    ["john@example.\u044f", "a one-letter Cyrillic TLD"],
  ])("does not find %s (%s)", (text) => {
    expect(scan(text, EMAIL)).toEqual([]);
  });

  it.each([
    ["write to john@example.com.", "john@example.com"],
    ["(john@example.com)", "john@example.com"],
    ["..john@example.com", "john@example.com"],
    ["a..b@example.com", "b@example.com"],
    ["john@example.com.x1", "john@example.com"],
    ["mailto:john@example.com?subject=hi", "john@example.com"],
  ])("in %s finds %s", (text, email) => {
    expect(scan(text)).toEqual([["email", email]]);
  });

  it("non-ASCII local part and domain are whole, with exact byte offsets", () => {
    const text = "Zoë schreibt an zoë@exämple.de ☕";
    const f = scanBytes(text);
    // "Zoë schreibt an " is 17 bytes (ë is 2); "zoë@exämple.de" is 16.
    expect(f).toEqual([{ start: 17, end: 33, detector: EMAIL }]);
    expect(scan(text)).toEqual([["email", "zoë@exämple.de"]]);
    expect(scan("用户@例子.广告")).toEqual([["email", "用户@例子.广告"]]);
    expect(scan("ivan@пример.рф")).toEqual([["email", "ivan@пример.рф"]]);
  });
});

describe("ssn", () => {
  it.each([["123-45-6789"], ["123 45 6789"], ["078-05-1120"], ["899-99-9999"], ["665-01-0001"]])("finds %s", (ssn) => {
    expect(scan(ssn)).toEqual([["ssn", ssn]]);
    expect(scan(`SSN: ${ssn}.`)).toEqual([["ssn", ssn]]);
  });

  it.each([
    ["000-12-3456", "area 000"],
    ["666-12-3456", "area 666"],
    ["900-12-3456", "area 900"],
    ["999-12-3456", "area 999"],
    ["123-00-4567", "group 00"],
    ["123-45-0000", "serial 0000"],
    ["123456789", "bare 9 digits"],
    ["123-45 6789", "mixed separators"],
    ["123-45-67890", "longer serial"],
    ["1123-45-6789", "longer area"],
    ["123-45-6789-01", "part of a longer dashed number"],
    ["99-123-45-6789", "part of a longer dashed number"],
    ["a123-45-6789", "letter before"],
    ["123.45.6789", "dots"],
  ])("does not find %s (%s)", (text) => {
    expect(scan(text, SSN)).toEqual([]);
  });
});

describe("jwt", () => {
  it("finds a signed JWT", () => {
    expect(scan(JWT_HS256)).toEqual([["jwt", JWT_HS256]]);
    expect(scan(`Authorization: Bearer ${JWT_HS256}`)).toEqual([["jwt", JWT_HS256]]);
    expect(scan(`{"token":"${JWT_HS256}"}`)).toEqual([["jwt", JWT_HS256]]);
    expect(scan(`?access_token=${JWT_HS256}&x=1`)).toEqual([["jwt", JWT_HS256]]);
  });

  it("finds an unsigned (alg none) JWT with its empty signature", () => {
    expect(scan(JWT_NONE)).toEqual([["jwt", JWT_NONE]]);
    expect(scan(`token ${JWT_NONE} end`)).toEqual([["jwt", JWT_NONE]]);
  });

  it("leaves a sentence-ending dot out", () => {
    expect(scan(`the token is ${JWT_HS256}.`)).toEqual([["jwt", JWT_HS256]]);
  });

  it("finds a five-part JWE", () => {
    const jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ";
    expect(scan(jwe)).toEqual([["jwt", jwe]]);
  });

  it.each([
    ["eyJhbGciOiJIUzI1NiJ9", "one segment"],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", "two segments"],
    ["abc.def.ghi", "no eyJ header"],
    ["eyJhbGciOiJIUzI1NiJ9.e.sig", "one-character payload"],
    ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.s", "one-character signature"],
    // Glued or followed by more labels, only a header that decodes to a JOSE header ('{' ... '"alg"') counts:
    // words and host names start like the pretty-printed headers ("ew" + o-r, 0-3, k-n).
    ["txwewpyc.co.uk", "a host label glued before 'ewp' (pretty-header-like)"],
    ["q-ewn.co.uk", "after '-', no JOSE header"],
    ["ewok.co.uk.example", "four segments, no JOSE header"],
    ["sewordsmithingcompany.co.uk", "a long label glued before 'ewo'"],
    ["xeyJ4eHgiOiJ5In0.eyJzdWIiOiIxIn0.sig", "inside a word, a header without alg ({\"xxx\":\"y\"})"],
    // Hostile review 4: set apart, only a header that is a JOSE header or a classic "eyJ" one of 15+ characters counts,
    // and a JWS payload is JSON or 16 characters at least.
    ["ewok.co.uk", "three labels starting like a pretty-printed header"],
    ["ewr.example.com", "a host name"],
    ["eyJ.eyJ.eyJ", "short segments"],
    ["eyJhbGciOiJIUzI1NiJ9.example.com", "a lone JOSE header before a host name"],
  ])("does not find %s (%s)", (text) => {
    expect(scan(text, JWT)).toEqual([]);
  });

  it.each([
    ["x", "a letter"],
    ["0", "a digit"],
    ["token-", "'-'"],
    ["id_", "'_'"],
    ["t.", "'.'"],
    ["Bearer", "a word"],
  ])("finds a JWT glued after %s (%s): its header names alg", (pre) => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
    expect(scan(pre + jwt, JWT)).toEqual([["jwt", jwt]]);
    expect(scan(`{"t":"${pre}${jwt}"}`, JWT)).toEqual([["jwt", jwt]]);
  });

  it.each([
    ['{"\\u0061lg":"HS256"}', "an escaped alg"],
    ['{"ALG":"HS256","TYP":"JWT"}', "an upper-case ALG"],
    [`{"kid":"${"k".repeat(3000)}","alg":"RS256"}`, "a header of 4 KB"],
  ])("finds a glued JWT whose header is %s (%s)", (header) => {
    const jwt = `${Buffer.from(header).toString("base64url")}.eyJzdWIiOiIxIn0.sig`;
    expect(scan("token-" + jwt, JWT)).toEqual([["jwt", jwt]]);
  });

  it("finds the JWS of a run with more dotted labels after it (a host), when its header is a JOSE header", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
    expect(scan(jwt + ".more", JWT)).toEqual([["jwt", jwt]]);
    expect(scan(jwt + ".t.example", JWT)).toEqual([["jwt", jwt]]);
  });
});

describe("iban", () => {
  it.each([["GB82 WEST 1234 5698 7654 32"], ["GB82WEST12345698765432"], ["DE89370400440532013000"], ["DE89 3704 0044 0532 0130 00"], ["NL91ABNA0417164300"], ["FR1420041010050500013M02606"]])(
    "finds %s",
    (iban) => {
      expect(scan(iban)).toEqual([["iban", iban]]);
      expect(scan(`IBAN: ${iban}.`)).toEqual([["iban", iban]]);
    },
  );

  it("lower case counts with a registered country and its length (#13)", () => {
    expect(scan("gb82west12345698765432", IBAN)).toEqual([["iban", "gb82west12345698765432"]]);
  });

  it("stops at the number in printed form, before a following uppercase word", () => {
    expect(scan("IBAN GB82 WEST 1234 5698 7654 32 OK")).toEqual([["iban", "GB82 WEST 1234 5698 7654 32"]]);
  });

  it.each([
    ["GB83 WEST 1234 5698 7654 32", "wrong check digits"],
    ["DE89370400440532013001", "wrong last digit"],
    ["DE88370400440532013000", "wrong check digits"],
    ["gb83west12345698765432", "lower case, wrong check digits"],
    ["GB82WEST1234", "too short"],
    ["XGB82WEST12345698765432", "inside a word"],
    ["GB82WEST12345698765432x", "letters after"],
    ["GB82 WEST12 345698765432", "broken grouping"],
  ])("does not find %s (%s)", (text) => {
    expect(scan(text, IBAN)).toEqual([]);
  });
});

describe("phone", () => {
  it.each([
    ["+14155552671"],
    ["+44 20 7946 0958"],
    ["(415) 555-2671"],
    ["415-555-2671"],
    ["415.555.2671"],
    ["+1 (415) 555-2671"],
    ["+1-415-555-2671"],
    ["1-415-555-2671"],
    ["+44 (0) 20 7946 0958"],
    ["+33 1 23 45 67 89"],
    ["(415)555-2671"],
  ])("finds %s", (phone) => {
    expect(scan(phone)).toEqual([["phone", phone]]);
    expect(scan(`call ${phone}.`)).toEqual([["phone", phone]]);
    expect(scan(`{"phone":"${phone}"}`)).toEqual([["phone", phone]]);
  });

  // An extension glued to the number (x, ext, ext.; 1 to 6 digits): the number is found, the extension left.
  it.each([
    ["415-555-2671x123", "415-555-2671"],
    ["(415) 555-2671x5", "(415) 555-2671"],
    ["+14155552671ext5", "+14155552671"],
    ["415.555.2671X22", "415.555.2671"],
    ["+44 20 7946 0958ext.12", "+44 20 7946 0958"],
  ])("finds %s with its extension glued, as %s", (text, phone) => {
    expect(scan(text)).toEqual([["phone", phone]]);
    expect(scan(`call ${text} today`)).toEqual([["phone", phone]]);
  });

  it("finds an E.164 number glued by its '+' to the number before it", () => {
    expect(scan("+14155552671+14155550100")).toEqual([["phone", "+14155552671"], ["phone", "+14155550100"]]);
    expect(scan("1.5e+10 2024-01-15T10:20:30+01:00 12345+678", PHONE)).toEqual([]);
  });

  it.each([
    ["415-555-2671x", "x without digits"],
    ["415-555-2671x1234567", "7 digits after x"],
    ["415-555-2671xa", "a letter after x"],
    ["415-555-2671ex5", "ex is no extension"],
    ["415-555-2671ext", "ext without digits"],
    ["415-555-2671x12b", "a letter after the extension"],
  ])("does not find %s (%s)", (text) => {
    expect(scan(text, PHONE)).toEqual([]);
  });

  it.each([
    ["2024-01-15", "date"],
    ["2024-01-15T10:20:30+01:00", "ISO timestamp with offset"],
    ["2024-01-15T10:20:30.123Z", "ISO timestamp"],
    ["10:20:30 +0100", "time zone offset"],
    ["12345", "plain number"],
    ["4155552671", "bare 10 digits"],
    ["version 1.2.3.4", "version"],
    ["192.168.100.200", "IP address"],
    ["+1234567", "7 digits"],
    ["+1234567890123456", "16 digits"],
    ["+0123456789", "country code 0"],
    ["415-555-26712", "longer last group"],
    ["415-555-2671-22", "part of a longer dashed number"],
    ["415-555.2671", "mixed separators"],
    ["123-456-7890", "not a NANP area code"],
    ["415-155-2671", "not a NANP exchange"],
    ["x415-555-2671", "letter before"],
    ["+1 415 555 2671x", "letter after"],
    ["1.5e+10", "exponent"],
  ])("does not find %s (%s)", (text) => {
    expect(scan(text, PHONE)).toEqual([]);
  });
});

describe("overlaps and several findings", () => {
  it("a Luhn-valid digit run after '+' is a card, not a phone", () => {
    expect(scanBytes("+378282246310005")).toEqual([{ start: 1, end: 16, detector: CARD }]);
    expect(scanBytes("+378282246310005", PHONE)).toEqual([{ start: 0, end: 16, detector: PHONE }]);
  });

  it("an email whose local part is a card number is an email", () => {
    expect(scan("4111111111111111@example.com")).toEqual([["email", "4111111111111111@example.com"]]);
    expect(scan("4111111111111111@example.com", CARD)).toEqual([["card", "4111111111111111"]]);
  });

  it("an IBAN is not cut into a card", () => {
    // The 16 digits after DE89 are Luhn-valid on their own.
    expect(luhnValid("3704004405320130")).toBe(false);
    expect(scan("DE89 3704 0044 0532 0130 00")).toEqual([["iban", "DE89 3704 0044 0532 0130 00"]]);
  });

  it("reports each finding of a mixed text in order", () => {
    const text =
      `Name: Ann, card 4111-1111-1111-1111, mail ann.lee+x@example.org, ssn 123-45-6789, ` +
      `call +1 415 555 2671 or (415) 555-2671; IBAN DE89370400440532013000; token ${JWT_HS256}; ` +
      `order 12345 on 2024-01-15, v1.2.3.4`;
    expect(scan(text)).toEqual([
      ["card", "4111-1111-1111-1111"],
      ["email", "ann.lee+x@example.org"],
      ["ssn", "123-45-6789"],
      ["phone", "+1 415 555 2671"],
      ["phone", "(415) 555-2671"],
      ["iban", "DE89370400440532013000"],
      ["jwt", JWT_HS256],
    ]);
    expect(scan(text, SSN | IBAN)).toEqual([
      ["ssn", "123-45-6789"],
      ["iban", "DE89370400440532013000"],
    ]);
    expect(scan(text, 0)).toEqual([]);
  });

  it("gives exact byte offsets next to non-ASCII text", () => {
    const text = "Zoë's card 4111 1111 1111 1111 ☕ und zoë@example.com — 📞 +49 30 901820";
    const b = enc.encode(text);
    const found = scanBytes(b);
    expect(found[0]).toEqual({ start: 12, end: 31, detector: CARD });
    const at = (s: string) => enc.encode(text.slice(0, text.indexOf(s))).length;
    expect(found).toEqual([
      { start: 12, end: 31, detector: CARD },
      { start: at("zoë@"), end: at("zoë@") + enc.encode("zoë@example.com").length, detector: EMAIL },
      { start: at("+49"), end: b.length, detector: PHONE },
    ]);
  });

  it("is empty for empty input and no detectors", () => {
    expect(scanBytes("")).toEqual([]);
    expect(scanBytes("4111111111111111", 0)).toEqual([]);
    expect(scanBytes("4111111111111111", 64)).toEqual([]);
  });
});

describe("masks", () => {
  it.each([
    ["4111 1111 1111 1111", "4000 0000 0006 1111"],
    ["4111111111111111", "4000000000061111"],
    ["5555-5555-5555-4444", "5000-0000-0005-4444"],
    ["378282246310005", "300000000020005"],
  ])("card %s -> %s", (card, masked) => {
    expect(mask(card, CARD)).toBe(masked);
  });

  it.each([["4111 1111 1111 1111"], ["5555 5555 5555 4444"], ["378282246310005"], ["6011-1111-1111-1117"], ["4222222222222"], ["3782 822463 10005"], ["6011000990139424"]])(
    "card mask of %s keeps length, separators, first digit and last four, and is Luhn-valid",
    (card) => {
      const m = mask(card, CARD);
      expect(m).toHaveLength(card.length);
      expect(m.replace(/\d/g, "9")).toBe(card.replace(/\d/g, "9"));
      const digits = m.replace(/\D/g, "");
      const orig = card.replace(/\D/g, "");
      expect(digits[0]).toBe(orig[0]);
      expect(digits.slice(-4)).toBe(orig.slice(-4));
      expect(digits.slice(1, -4)).not.toBe(orig.slice(1, -4));
      expect(digits.slice(1, -5)).toMatch(/^0+$/);
      expect(luhnValid(digits)).toBe(true);
      // Still a card to the detector: a shadow's validation takes the same path.
      expect(scan(m)).toEqual([["card", m]]);
    },
  );

  it.each([
    ["john.doe@example.com", "********@*******.com"],
    ["jane+tag@mail.example.co.uk", "********@****.*******.**.uk"],
    ["a@b.io", "*@*.io"],
    ["zoë@exämple.de", "****@********.de"],
  ])("email %s -> %s", (email, masked) => {
    expect(mask(email, EMAIL)).toBe(masked);
  });

  it.each([
    ["123-45-6789", "***-**-6789"],
    ["123 45 6789", "*** ** 6789"],
  ])("ssn %s -> %s", (ssn, masked) => {
    expect(mask(ssn, SSN)).toBe(masked);
  });

  it("jwt: every character an x, dots kept", () => {
    const m = mask(JWT_HS256, JWT);
    expect(m).toBe(JWT_HS256.replace(/[^.]/g, "x"));
    expect(mask(JWT_NONE, JWT)).toBe(JWT_NONE.replace(/[^.]/g, "x"));
  });

  it.each([
    ["GB82 WEST 1234 5698 7654 32", "GBXX XXXX XXXX XXXX XX54 32"],
    ["DE89370400440532013000", "DEXXXXXXXXXXXXXXXX3000"],
  ])("iban %s -> %s", (iban, masked) => {
    expect(mask(iban, IBAN)).toBe(masked);
  });

  it.each([
    ["+14155552671", "+00000000071"],
    ["+44 20 7946 0958", "+00 00 0000 0058"],
    ["(415) 555-2671", "(000) 000-0071"],
    ["415.555.2671", "000.000.0071"],
    ["+1 (415) 555-2671", "+0 (000) 000-0071"],
  ])("phone %s -> %s", (phone, masked) => {
    expect(mask(phone, PHONE)).toBe(masked);
  });

  it("masks with an unknown detector keep the byte length and hide everything", () => {
    expect(mask("secret", 0)).toBe("******");
    expect(mask("zoë", 999)).toBe("****");
  });

  it("an empty or inverted finding gives an empty mask", () => {
    put(0, "4111111111111111");
    put(1, "");
    fx.mask(5, 5, CARD);
    expect(fx.resultLen()).toBe(0);
    fx.mask(9, 3, CARD);
    expect(fx.resultLen()).toBe(0);
    fx.mask(-4, 3, CARD);
    expect(fx.resultLen()).toBe(0);
  });

  it.each([
    ["hello", 5],
    ["héllo", 5],
    ["☕☕", 2],
    ["📞", 1],
    ["", 0],
  ])("maskValue(%s) is one '*' per code point", (value, n) => {
    put(0, value);
    fx.maskValue();
    expect(resultText()).toBe("*".repeat(n));
  });

  it("maskValue counts each byte of an invalid sequence once", () => {
    for (const [bytes, n] of [
      [[0xff, 0x80, 0x41], 3],
      [[0xe2, 0x98], 1],
      [[0xe2, 0x98, 0x41], 2],
      [[0x80, 0x80], 2],
      [[0xf0, 0x9f, 0x93, 0x9e, 0x9e], 2],
    ] as [number[], number][]) {
      put(0, Uint8Array.from(bytes));
      fx.maskValue();
      expect(resultText(), bytes.join(",")).toBe("*".repeat(n));
    }
  });
});

describe("hash tokens", () => {
  const token = (key: string | Uint8Array, value: string | Uint8Array) => {
    put(0, value);
    put(1, key);
    fx.hashToken();
    return resultText();
  };
  const expected = (key: string | Uint8Array, value: string | Uint8Array) =>
    "hmac:" + createHmac("sha256", bytesOf(key)).update(bytesOf(value)).digest().subarray(0, 16).toString("hex");

  it("is hmac: and the first 16 bytes of HMAC-SHA256 in lowercase hex", () => {
    const t = token("k3y", "john@example.com");
    expect(t).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(t).toBe(expected("k3y", "john@example.com"));
  });

  it("is deterministic, and differs by key and by value", () => {
    const a = token("key-a", "4111111111111111");
    expect(token("key-a", "4111111111111111")).toBe(a);
    expect(token("key-b", "4111111111111111")).not.toBe(a);
    expect(token("key-a", "4111111111111112")).not.toBe(a);
  });

  it("works with an empty key and an empty value", () => {
    expect(token("", "x")).toBe(expected("", "x"));
    expect(token("", "")).toBe(expected("", ""));
    expect(token("long key ".repeat(20), "zoë ☕")).toBe(expected("long key ".repeat(20), "zoë ☕"));
  });
});

describe("sha256 and HMAC-SHA256", () => {
  const sha = (data: string | Uint8Array) => {
    put(0, data);
    fx.sha();
    return resultHex();
  };
  const hmac = (key: string | Uint8Array, data: string | Uint8Array) => {
    put(0, data);
    put(1, key);
    fx.hmac();
    return resultHex();
  };
  const fill = (b: number, n: number) => new Uint8Array(n).fill(b);

  it.each([
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
    ["a".repeat(1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"],
  ])("NIST SHA-256 vector %#", (msg, digest) => {
    expect(sha(msg)).toBe(digest);
  });

  it("four values at once (macInto4, one per SIMD lane) give the MACs node:crypto does, for every length up to 55 and keys short and long", () => {
    for (const key of [enc.encode("bench-key-0123456789abcdef"), fill(0xaa, 131), new Uint8Array(0)]) {
      put(1, key);
      fx.prepareKey();
      for (let n = 0; n <= 55; n++) {
        // Four different lengths per call, so every lane sees every length.
        const lens = [n, (n + 17) % 56, (n + 31) % 56, (n * 7 + 3) % 56];
        const values = lens.map((l, j) => Uint8Array.from({ length: l }, (_, i) => (i * 29 + j * 101 + l) & 0xff));
        const all = new Uint8Array(lens.reduce((a, b) => a + b, 0));
        let at = 0;
        for (const v of values) {
          all.set(v, at);
          at += v.length;
        }
        put(0, all);
        fx.hmacPrepared4(lens[0], lens[1], lens[2], lens[3]);
        const got = resultHex();
        const want = values.map((v) => createHmac("sha256", key).update(v).digest("hex")).join("");
        expect(got, `lengths ${lens.join(",")}`).toBe(want);
      }
    }
  });

  it("agrees with node:crypto at every padding boundary", () => {
    for (let n = 0; n <= 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 0xff);
      expect(sha(data), `length ${n}`).toBe(createHash("sha256").update(data).digest("hex"));
    }
  });

  it.each([
    [1, fill(0x0b, 20), enc.encode("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [2, enc.encode("Jefe"), enc.encode("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    [3, fill(0xaa, 20), fill(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
    [4, Uint8Array.from({ length: 25 }, (_, i) => i + 1), fill(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
    [6, fill(0xaa, 131), enc.encode("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
    [
      7,
      fill(0xaa, 131),
      enc.encode("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ])("RFC 4231 test case %i", (_n, key, data, mac) => {
    expect(hmac(key, data)).toBe(mac);
  });

  it("a key prepared once agrees with node:crypto for value after value, at every padding boundary", () => {
    // The policy's hash_key is prepared at configure time (its inner and outer states) and reused
    // for every value: each value's HMAC must come out as if the key were fresh.
    for (const kl of [16, 32, 64, 100]) {
      const key = Uint8Array.from({ length: kl }, (_, i) => (i * 29 + kl) & 0xff);
      put(1, key);
      fx.prepareKey();
      for (const dl of [0, 1, 31, 32, 33, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 200, 55, 64, 0]) {
        const data = Uint8Array.from({ length: dl }, (_, i) => (i * 17 + dl + kl) & 0xff);
        const mac = createHmac("sha256", key).update(data).digest();
        put(0, data);
        fx.hmacPrepared();
        expect(resultHex(), `key ${kl} data ${dl}`).toBe(mac.toString("hex"));
        fx.tokenPrepared();
        expect(resultText(), `token, key ${kl} data ${dl}`).toBe("hmac:" + mac.subarray(0, 16).toString("hex"));
      }
    }
  });

  it("HMAC agrees with node:crypto for keys around the block size", () => {
    for (const kl of [0, 1, 32, 63, 64, 65, 128, 200]) {
      const key = Uint8Array.from({ length: kl }, (_, i) => (i * 7 + kl) & 0xff);
      for (const dl of [0, 55, 64, 119, 120, 1000]) {
        const data = Uint8Array.from({ length: dl }, (_, i) => (i * 13) & 0xff);
        expect(hmac(key, data), `key ${kl} data ${dl}`).toBe(createHmac("sha256", key).update(data).digest("hex"));
      }
    }
  });
});

describe("scanEdits", () => {
  const text = "card 4111 1111 1111 1111, mail john.doe@example.com, ssn 123-45-6789, call 415-555-2671";

  function redact(t: string | Uint8Array, enabled: number, hash: boolean, base = 0, key = "") {
    put(0, t);
    put(1, key);
    const hits = fx.redact(enabled, hash ? 1 : 0, base);
    const edits = Array.from({ length: fx.editCount() }, (_, i) => [fx.editStart(i), fx.editEnd(i)]);
    const counts = Array.from({ length: 6 }, (_, i) => fx.count(i));
    return { hits, edits, counts, out: Buffer.from(result()).toString("utf8") };
  }

  it("masks every finding in place", () => {
    const r = redact(text, ALL, false);
    expect(r.out).toBe("card 4000 0000 0006 1111, mail ********@*******.com, ssn ***-**-6789, call 000-000-0071");
    expect(r.hits).toBe(CARD | EMAIL | SSN | PHONE);
    expect(r.counts).toEqual([1, 1, 1, 0, 0, 1]);
    expect(r.out).toHaveLength(text.length);
  });

  it("hashes every finding when asked", () => {
    const r = redact(text, ALL, true, 0, "secret");
    const tok = (v: string) => "hmac:" + createHmac("sha256", "secret").update(v).digest().subarray(0, 16).toString("hex");
    expect(r.out).toBe(
      `card ${tok("4111 1111 1111 1111")}, mail ${tok("john.doe@example.com")}, ssn ${tok("123-45-6789")}, call ${tok("415-555-2671")}`,
    );
  });

  it("shifts edit offsets by baseOffset and counts per detector", () => {
    const r = redact("a 4111111111111111 b 5555555555554444 c x@y.io", CARD | EMAIL, false, 100);
    expect(r.edits).toEqual([
      [102, 118],
      [121, 137],
      [140, 146],
    ]);
    expect(r.counts).toEqual([2, 1, 0, 0, 0, 0]);
    expect(r.hits).toBe(CARD | EMAIL);
  });

  it("only runs the enabled detectors", () => {
    const r = redact(text, EMAIL, false);
    expect(r.out).toBe("card 4111 1111 1111 1111, mail ********@*******.com, ssn 123-45-6789, call 415-555-2671");
    expect(r.hits).toBe(EMAIL);
    expect(redact(text, 0, false)).toMatchObject({ hits: 0, out: text, edits: [] });
  });

  it("keeps the rest of a UTF-8 text byte-identical and valid", () => {
    const t = "Zoë's card 4111 1111 1111 1111 ☕, mail zoë@exämple.de — 📞 +49 30 901820.";
    const r = redact(t, ALL, false);
    expect(r.out).toBe("Zoë's card 4000 0000 0006 1111 ☕, mail ****@********.de — 📞 +00 00 000020.");
  });
});

describe("arbitrary input", () => {
  // mulberry32: the same buffers on every run, so a failure reproduces.
  function rng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  // Bytes that make detectors start and run, so random buffers reach deep into the matchers.
  const alphabet = enc.encode("0123456789012345678901234567890123456789 -.+()@eyJ_ABGRDEXWNLabcxyzmo.-@ \u00e9\u2615");
  const pieces = ["4111 1111 1111 1111", "4111111111111111", "eyJhbGciOiJub25lIn0.", "a@b.co", "@example.com", "GB82 WEST ", "+44 20 ", "(415) 555-", "123-45-", "..", "xn--"];

  function randomBuffer(next: () => number): Uint8Array {
    const len = Math.floor(next() * 201);
    const out: number[] = [];
    while (out.length < len) {
      const r = next();
      if (r < 0.35) out.push(Math.floor(next() * 256));
      else if (r < 0.9) out.push(alphabet[Math.floor(next() * alphabet.length)]);
      else out.push(...enc.encode(pieces[Math.floor(next() * pieces.length)]));
    }
    return Uint8Array.from(out.slice(0, len));
  }

  function checkFindings(b: Uint8Array, found: Found[], label: string) {
    let last = 0;
    for (const f of found) {
      expect([1, 2, 4, 8, 16, 32], label).toContain(f.detector);
      expect(f.start, label).toBeGreaterThanOrEqual(last);
      expect(f.end, label).toBeGreaterThan(f.start);
      expect(f.end, label).toBeLessThanOrEqual(b.length);
      // Every cut has an ASCII byte on one side, so no multi-byte sequence is split.
      for (const x of [f.start, f.end]) if (x > 0 && x < b.length) expect(b[x - 1] < 0x80 || b[x] < 0x80, `${label} cut at ${x}`).toBe(true);
      last = f.end;
    }
  }

  it("10 000 random buffers: no trap, findings in bounds, ordered, non-overlapping", () => {
    const next = rng(0x5eed);
    let total = 0;
    for (let iter = 0; iter < 10_000; iter++) {
      const b = randomBuffer(next);
      const label = `buffer ${iter}: ${Buffer.from(b).toString("hex")}`;
      const enabled = iter % 10 === 0 ? Math.floor(next() * 64) : ALL;
      const found = scanBytes(b, enabled);
      total += found.length;
      checkFindings(b, found, label);
      for (const f of found) expect(enabled & f.detector, label).toBe(f.detector);
      if (iter % 4 === 0) {
        // Masks keep the byte length, so a masked copy is exactly as long as the original.
        put(1, "");
        expect(fx.redact(enabled, 0, 0), label).toBe(found.reduce((m, f) => m | f.detector, 0));
        expect(fx.resultLen(), label).toBe(b.length);
        fx.redact(enabled, 1, 7);
        expect(fx.resultLen(), label).toBe(b.length + found.reduce((s, f) => s + 37 - (f.end - f.start), 0));
        put(0, b);
        fx.maskValue();
        put(0, b);
        fx.sha();
      }
    }
    // The generator has to actually exercise the detectors.
    expect(total).toBeGreaterThan(2000);
  });

  it("random valid UTF-8 around findings stays valid after masking", () => {
    const next = rng(42);
    const chars = ["a", "Z", " ", ".", "é", "ß", "☕", "📞", "中", "\u00a0", "-", "@", "1", "+"];
    const values = ["4111 1111 1111 1111", "zoë@exämple.de", "123-45-6789", JWT_NONE, "GB82 WEST 1234 5698 7654 32", "+44 20 7946 0958", "(415) 555-2671"];
    const strict = new TextDecoder("utf-8", { fatal: true });
    for (let iter = 0; iter < 2000; iter++) {
      let s = "";
      const n = Math.floor(next() * 12);
      for (let i = 0; i < n; i++) s += next() < 0.2 ? values[Math.floor(next() * values.length)] : chars[Math.floor(next() * chars.length)];
      const b = enc.encode(s);
      checkFindings(b, scanBytes(b), s);
      put(0, b);
      put(1, "");
      fx.redact(ALL, 0, 0);
      expect(() => strict.decode(result()), s).not.toThrow();
    }
  });

  it("stays linear on adversarial input", () => {
    const mb = 1 << 20;
    const cases = [
      "a.".repeat(mb / 2),
      "a@".repeat(mb / 2),
      "a.b@c".repeat(mb / 5),
      "eyJa.".repeat(mb / 5),
      "eyJ".repeat(mb / 3),
      "1 ".repeat(mb / 2),
      "111 ".repeat(mb / 4),
      "GB82 ".repeat(mb / 5),
      "+1 ".repeat(mb / 3),
      "9".repeat(mb),
      "@".repeat(mb),
    ];
    for (const c of cases) {
      const t0 = performance.now();
      const found = scanBytes(c);
      const ms = performance.now() - t0;
      expect(ms, `${c.slice(0, 10)}… took ${ms.toFixed(0)} ms`).toBeLessThan(QUADRATIC_MS);
      for (const f of found) expect(f.end).toBeLessThanOrEqual(c.length);
    }
  }, 300_000);
});
