// Secrets spelled with percent escapes in a JSON string or a text body (a URL's
// query kept encoded, as encodeURIComponent writes it): the detectors read the
// text's decoded view too (filter/redact/percent.ts), the replacement is written
// back in the client's spelling, and every other byte reaches the copy as sent.
// Through the compiled filter in the emulator, bodies whole and in 1, 3 and 7
// byte chunks; the same spellings through real Envoy in test/e2e/hostile-15-redact.test.ts.
import { describe, it, expect } from "vitest";
import { preview } from "../../../harness/preview.js";
import { FILTER_WASM } from "../../../harness/paths.js";

const KEY = "inline:0123456789abcdef0123456789abcdef";
const policy = (action: "mask" | "hash") =>
  JSON.stringify({ role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["card", "email", "ssn", "jwt", "iban", "phone"], detector_action: action, hash_key: KEY } });

const JSON_CT = "application/json";
const TEXT_CT = "text/plain";

// [name, content type, body, the copy's body under "mask"]
const MASKED: [string, string, string, string][] = [
  ["E.164 after %2B", JSON_CT, `{"cb":"https://x.example/sms?to=%2B14155552671&x=1"}`, `{"cb":"https://x.example/sms?to=%2B00000000071&x=1"}`],
  ["card grouped by %20", JSON_CT, `{"cb":"https://x.example/pay?pan=4556%207375%208689%209855"}`, `{"cb":"https://x.example/pay?pan=4000%200000%200009%209855"}`],
  ["card grouped by +", JSON_CT, `{"cb":"https://x.example/pay?pan=4556+7375+8689+9855"}`, `{"cb":"https://x.example/pay?pan=4000+0000+0009+9855"}`],
  ["SSN dashed by %2D", JSON_CT, `{"cb":"/k?ssn=536%2D22%2D8147"}`, `{"cb":"/k?ssn=***%2D**%2D8147"}`],
  ["e-mail with %40 and %2E", JSON_CT, `{"cb":"/k?e=bob%40example%2Eorg"}`, `{"cb":"/k?e=***%40*******%2Eorg"}`],
  ["lower-case escapes", JSON_CT, `{"cb":"/k?to=%2b14155552671"}`, `{"cb":"/k?to=%2b00000000071"}`],
  ["digits escaped too", JSON_CT, `{"cb":"/k?to=%2B%31%34155552671"}`, `{"cb":"/k?to=%2B%30%30000000071"}`],
  ["a JSON escape in the same string", JSON_CT, `{"cb":"/k?to=%2B14155552671\\n\\u0041"}`, `{"cb":"/k?to=%2B00000000071\\n\\u0041"}`],
  ["in a member name", JSON_CT, `{"/k?to=%2B14155552671":1}`, `{"/k?to=%2B00000000071":1}`],
  ["text body", TEXT_CT, `GET https://x.example/pay?pan=4556%207375%208689%209855 ok`, `GET https://x.example/pay?pan=4000%200000%200009%209855 ok`],
  ["'+' raw before encoded spaces (encodeURI)", JSON_CT, `{"cb":"+1%20415%20555%202671"}`, `{"cb":"+0%20000%20000%200071"}`],
  ["a label before '+'-spaced digits", JSON_CT, `{"cb":"ssn%3A+536+22+8147"}`, `{"cb":"ssn%3A+***+**+8147"}`],
  ["a raw finding beside it stays found", JSON_CT, `{"cb":"bob@example.org /k?to=%2B14155552671"}`, `{"cb":"***@*******.org /k?to=%2B00000000071"}`],
];

// Look-alikes and text without escapes: the copy is the body as sent.
const UNCHANGED: [string, string, string][] = [
  ["escapes around no secret", JSON_CT, `{"cb":"/search?q=red%20shoes&size=42"}`],
  // A letter and its '+' before an E.164 number is masked since test/unit/redact/plus-leaks.test.ts; a '+0' starts none.
  ["bare digits after '+' with no E.164 country code", JSON_CT, `{"cb":"a+04155552671"}`],
  ["a malformed escape", JSON_CT, `{"cb":"/k?to=%G214155552671"}`],
  ["a plus between words", TEXT_CT, `one+two+three`],
];

async function copies(action: "mask" | "hash", cases: { ct: string; body: string }[], chunkSize: number): Promise<string[]> {
  const results = await preview({
    wasm: FILTER_WASM,
    policy: policy(action),
    requests: cases.map((c) => ({ method: "POST", path: "/x", headers: { "content-type": c.ct }, body: c.body })),
    chunkSize,
  });
  return results.map((r) => (r.copies[0] ? r.copies[0].body ?? "(no body)" : "(no copy)"));
}

describe("percent-encoded secrets in JSON strings and text bodies", () => {
  it.each([0, 1, 3, 7])("are masked in the client's spelling, the rest byte for byte (chunks of %i; 0: whole)", async (chunk) => {
    const got = await copies("mask", MASKED.map(([, ct, body]) => ({ ct, body })), chunk);
    expect(got.map((b, i) => [MASKED[i][0], b])).toEqual(MASKED.map(([name, , , want]) => [name, want]));
  });

  it.each([0, 3])("look-alikes pass unchanged (chunks of %i)", async (chunk) => {
    const got = await copies("mask", UNCHANGED.map(([, ct, body]) => ({ ct, body })), chunk);
    expect(got.map((b, i) => [UNCHANGED[i][0], b])).toEqual(UNCHANGED.map(([name, , body]) => [name, body]));
  });

  it("hashed: the token is the decoded value's, the same as for the value written plainly", async () => {
    const [encoded, plain] = await copies("hash", [
      { ct: JSON_CT, body: `{"cb":"/k?e=bob%40example%2Eorg"}` },
      { ct: JSON_CT, body: `{"cb":"bob@example.org"}` },
    ], 0);
    const token = /hmac:[0-9a-f]{32}/.exec(plain)?.[0];
    expect(token).toBeDefined();
    expect(encoded).toBe(`{"cb":"/k?e=${token}"}`);
  });

  it("a long body with many encoded secrets is redacted whole, in slices", async () => {
    const item = (i: number) => `{"i":${i},"cb":"https://x.example/sms?to=%2B1415555${String(2000 + i).padStart(4, "0")}"}`;
    const body = "[" + Array.from({ length: 600 }, (_, i) => item(i)).join(",") + "]";
    const [copy] = await copies("mask", [{ ct: JSON_CT, body }], 7);
    expect(copy.length).toBe(body.length);
    expect(copy).not.toMatch(/%2B1415555/);
    expect(copy.match(/%2B000000000\d\d/g)?.length).toBe(600);
  });
});
