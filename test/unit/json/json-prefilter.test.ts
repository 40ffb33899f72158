// The detectors' byte-class prefilter (filter/redact/prefilter.ts) at its edges:
// JSON strings (values and member names) holding just what a finding needs, the
// fewest digits, an '@' spelled "%40", digits only as escapes or full-width,
// must be redacted as the detectors would redact them without a prefilter.
// Bodies go in chunks of 1 to 7 bytes too, so a scan cut into slices is covered.
import { describe, it, expect } from "vitest";
import { loadFilter, send, header, text } from "../../support/filter.js";

const KEY = "0123456789abcdef0123456789abcdef";
const env = { MIRRORSHADE_HASH_KEY: KEY };
const policy = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: { detectors: ["card", "email", "ssn", "jwt", "iban", "phone"], hash_key: "env:MIRRORSHADE_HASH_KEY", json: { mask: ["$..password"] } },
};

async function copy(body: string): Promise<string> {
  const { host, ok } = await loadFilter(policy, { env });
  expect(ok).toBe(true);
  const out: string[] = [];
  for (const chunkSize of [1, 3, 7, body.length]) {
    const { call } = send(host, { headers: [["content-type", "application/json"]], body, chunkSize });
    expect(call).toBeDefined();
    expect(header(call!.headers, "x-mirrorshade-body-dropped")).toBeUndefined();
    out.push(text(call!.body));
  }
  for (const c of out) expect(c).toBe(out[0]);
  return out[0];
}

describe("the prefilter lets through every string a detector finds something in", () => {
  it.each([
    // E.164 needs 8 digits: the fewest the numeric detectors (card, SSN, phone) run on.
    ["E.164, 8 digits", '{"v":"+12345678"}', '{"v":"+00000078"}'],
    ["E.164, 8 digits, as a member name", '{"+12345678":1}', '{"+00000078":1}'],
    // An IBAN whose BBAN is all letters: 2 digits, 15 bytes, the least the IBAN rule lets through.
    ["IBAN, 2 digits, 15 bytes", '{"v":"QQ73ABCDEFGHIJK"}', '{"v":"QQXXXXXXXXXHIJK"}'],
    // "%40" is an '@' (two digits, no '@' byte).
    ["e-mail with %40", '{"v":"x%40example.com"}', '{"v":"*%40*******.com"}'],
    // A JWT's header needs no digit.
    ["JWT, letters only before the first dot", '{"v":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlX2hlcmU"}', '{"v":"xxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxx"}'],
    // Full-width digits are not ASCII digits: the 0xEF byte they start with lets the card detector through.
    // The shortest JWT the detector takes, 12 bytes (prefilter.ts JWT_MIN): a header decoding to '{"alg"', payload "ey", no signature.
    ["JWT, the shortest", '{"v":"eyJhbGci.ey."}', '{"v":"xxxxxxxx.xx."}'],
    ["JWT, the shortest, as a member name", '{"eyJhbGci.ey.":1}', '{"xxxxxxxx.xx.":1}'],
    ["card, full-width digits only", '{"v":"４１１１１１１１１１１１１１１１"}', '{"v":"４００００００００００６１１１１"}'],
    // Every digit an escape: no digit byte, but a backslash, so every detector reads the decoded string.
    ["card, every digit escaped", '{"v":"\\u0034\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031\\u0031"}', '{"v":"\\u003400000000006\\u0031\\u0031\\u0031\\u0031"}'],
    ["e-mail, '@' escaped, in a member name", '{"ann\\u0040ex.io":true}', '{"***\\u0040**.io":true}'],
    ["SSN, 9 digits", '{"v":"536-22-8147"}', '{"v":"***-**-8147"}'],
    ["labelled phone, 10 digits", '{"phone":"2025550143"}', '{"phone":"0000000043"}'],
    // Labelled: 12-15 digits are an international number without its '+'; 16 or more only after "00" or "011" (detectors.ts digitStart skips the others).
    ["labelled phone, 00 and 14 digits", '{"phone":"00442079460958"}', '{"phone":"00000000000058"}'],
    ["labelled phone, 12 digits, no '+'", '{"phone":"442079460958"}', '{"phone":"000000000058"}'],
    ["labelled phone, 011 and 14 digits", '{"phone":"01114155552671"}', '{"phone":"00000000000071"}'],
    ["labelled, 16 digits not 00 or 011: none", '{"phone":"4420794609581234"}', '{"phone":"4420794609581234"}'],
  ])("%s", async (_what, body, expected) => {
    expect(await copy(body)).toBe(expected);
  });

  it.each([
    ["7 digits", '{"v":"+1234567"}'],
    ["an IBAN shape of 14 bytes", '{"v":"QQ73ABCDEFGHIJ"}'],
    ["'e' and 'y' apart", '{"v":"yes, eventually"}'],
  ])("a string that cannot hold a finding stays as it is: %s", async (_what, body) => {
    expect(await copy(body)).toBe(body);
  });
});

describe("an IBAN is looked for only where two letters and two digits meet, wherever that is", () => {
  it.each([
    ["at the start", '{"v":"QQ73ABCDEFGHIJK"}', '{"v":"QQXXXXXXXXXHIJK"}'],
    ["at byte 1", '{"v":"-QQ73ABCDEFGHIJK"}', '{"v":"-QQXXXXXXXXXHIJK"}'],
    ["at byte 2, after a digit", '{"v":"1 QQ73ABCDEFGHIJK"}', '{"v":"1 QQXXXXXXXXXHIJK"}'],
    ["at byte 3, after letters", '{"v":"ab QQ73ABCDEFGHIJK"}', '{"v":"ab QQXXXXXXXXXHIJK"}'],
    ["after a digit pair without letters", '{"v":"12QQ73ABCDEFGHIJK"}', '{"v":"12QQ73ABCDEFGHIJK"}'],
  ])("%s", async (_what, body, expected) => {
    expect(await copy(body)).toBe(expected);
  });
});

// A string of 13 to 19 ASCII digits is decided by the card check alone (redact/digit-string.ts):
// these are what the general scan gives (the same outputs from the build before that path).
describe("a string of digits only: the card check decides it as the full scan would", () => {
  it.each([
    ["13 digits, Luhn-valid", '{"v":"4222222222222"}', '{"v":"4000000042222"}'],
    ["13 digits, not Luhn-valid", '{"v":"4111111111111"}', '{"v":"4111111111111"}'],
    ["16 digits, Luhn-valid, as a member name", '{"4111111111111111":true}', '{"4000000000061111":true}'],
    ["16 digits, not Luhn-valid", '{"v":"4111111111111112"}', '{"v":"4111111111111112"}'],
    ["19 digits, not Luhn-valid", '{"v":"4111111111111111111"}', '{"v":"4111111111111111111"}'],
    ["20 digits: longer than a card", '{"v":"41111111111111111111"}', '{"v":"41111111111111111111"}'],
    ["12 digits: shorter than a card", '{"v":"411111111111"}', '{"v":"411111111111"}'],
    ["16 digits starting with 1 (only UATP's 15 start so)", '{"v":"1000000000000009"}', '{"v":"1000000000000009"}'],
    ["all zeros", '{"v":"0000000000000000"}', '{"v":"0000000000000000"}'],
    ["00 and 16 digits under a phone label: the full scan's", '{"phone":"0041793827164000"}', '{"phone":"0000000000000000"}'],
    ["a Luhn-valid 13 digits under a phone label: a card", '{"tel":"4155552671123"}', '{"tel":"4000000061123"}'],
  ])("%s", async (_what, body, expected) => {
    expect(await copy(body)).toBe(expected);
  });
});
