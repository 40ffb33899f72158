// #13's JSON spellings through the compiled filter in the emulator, bodies in
// chunks of 1 to 7 bytes: detectors over member names; a hit in a string with
// escapes masked in place (escapes elsewhere kept); numbers read by value;
// the allow-list mode (redact.keep) masking every string and number not kept.
// Every copy must parse as JSON, and what nothing selected stays byte for byte.
import { describe, it, expect } from "vitest";
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { loadFilter, send, header, text } from "../../support/filter.js";

const KEY = "0123456789abcdef0123456789abcdef";
const env = { MIRRORSHADE_HASH_KEY: KEY };
const token = (v: string) => "hmac:" + createHmac("sha256", KEY).update(v).digest().subarray(0, 16).toString("hex");
const DETECTORS = ["card", "email", "ssn", "jwt", "iban", "phone"];
const base = (redact: object) => ({ role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: DETECTORS, hash_key: "env:MIRRORSHADE_HASH_KEY", ...redact } });
const MASK = base({});
const HASH = base({ detector_action: "hash" });

async function copies(policy: object, body: string) {
  const { host, ok } = await loadFilter(policy, { env });
  expect(ok).toBe(true);
  const out: string[] = [];
  for (const chunkSize of [1, 2, 3, 5, 7, body.length]) {
    const { call } = send(host, { headers: [["content-type", "application/json"]], body, chunkSize });
    expect(call).toBeDefined();
    expect(header(call!.headers, "x-mirrorshade-body-dropped")).toBeUndefined();
    out.push(text(call!.body));
  }
  // Chunking never matters.
  for (const c of out) expect(c).toBe(out[0]);
  expect(() => JSON.parse(out[0])).not.toThrow();
  return { copy: out[0], host };
}

const luhn = (digits: string) => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
};

describe("member names are scanned", () => {
  it.each([
    ['{"zq.alice77@mailhost.io": 1, "ok": 2}', '{"**********@********.io": 1, "ok": 2}'],
    ['{"4111111111111111":"x"}', '{"4000000000061111":"x"}'],
    ['{"by \\u0061lice@mailhost.io":true}', '{"by *****@********.io":true}'],
    ['{"note \\/ bob@ex.io \\/":null}', '{"note \\/ ***@**.io \\/":null}'],
    ['{"a":{"carol@ex.io":[1,"carol@ex.io"]}}', '{"a":{"*****@**.io":[1,"*****@**.io"]}}'],
  ])("%s", async (body, expected) => {
    expect((await copies(MASK, body)).copy).toBe(expected);
  });

  it("two names that mask alike both stay (valid JSON; a parser keeps one, as for the client's own duplicates)", async () => {
    const { copy } = await copies(MASK, '{"ann@ex.io":1,"bob@ex.io":2}');
    expect(copy).toBe('{"***@**.io":1,"***@**.io":2}');
  });

  it("with detector_action hash a hit in a name becomes its token, so names stay distinct", async () => {
    const { copy } = await copies(HASH, '{"ann@ex.io":1,"id bob@ex.io":2}');
    expect(copy).toBe(`{"${token("ann@ex.io")}":1,"id ${token("bob@ex.io")}":2}`);
  });

  it("a name whose member a rule drops goes with it; a masked member keeps its name, scanned", async () => {
    const policy = base({ json: { drop: ["$['x@ex.io']"], mask: ["$['y@ex.io']"] } });
    const { copy } = await copies(policy, '{"x@ex.io":"a","y@ex.io":"b","z":"c"}');
    expect(copy).toBe('{"*@**.io":"*","z":"c"}');
  });
});

describe("a hit in a string with escapes is masked in place", () => {
  it.each([
    // \/ from PHP and \u00eb from .NET outside the hit stay as written.
    ['{"n":"Zo\\u00eb \\/ 4111 1111 1111 1111 \\/"}', '{"n":"Zo\\u00eb \\/ 4000 0000 0006 1111 \\/"}'],
    // An escaped digit the mask changes becomes the masked digit; one it keeps keeps its escape.
    [`{"n":"4\\u0031${"1".repeat(13)}\\u0031"}`, `{"n":"4${"0".repeat(10)}6111\\u0031"}`],
    ['{"n":"\\u0034111111111111111"}', '{"n":"\\u0034000000000061111"}'],
    ['{"e":"\\"zq.alice77\\u0040mailhost.io\\""}', '{"e":"\\"**********\\u0040********.io\\""}'],
    ['{"e":"a\\tb@ex.io\\n"}', '{"e":"a\\t*@**.io\\n"}'],
  ])("%s", async (body, expected) => {
    const { copy } = await copies(MASK, body);
    expect(copy).toBe(expected);
  });

  it("decodes to the masked value of the decoded string", async () => {
    const { copy } = await copies(MASK, '{"n":"card 4\\u0031\\u00311\\u0020\\u0031111 1111 1111 end"}');
    expect(JSON.parse(copy).n).toBe("card 4000 0000 0006 1111 end");
  });

  it("a hash replaces the hit's raw range with the token of the decoded hit", async () => {
    const { copy } = await copies(HASH, '{"e":"\\/ to a\\u0040ex.io \\/"}');
    expect(copy).toBe(`{"e":"\\/ to ${token("a@ex.io")} \\/"}`);
  });
});

describe("numbers are read by value", () => {
  const CARD = "4111111111111111";
  it.each([
    "4111111111111111e0", "4111111111111111.0", "4.111111111111111e15", "41111111111111110E-1", "-4111111111111111",
    "4111111111111111.000e+0", "0.4111111111111111e16", "411111111111111100e-2", "4111111111111111E+00",
    // A fraction is dropped by a float64 parser or Jackson binding a long: the integer part is the card.
    "4111111111111111.5", "4111111111111111.000000000000000000001", "41111111111111.112e2",
  ])("%s is the card and is masked, still a number", async (n) => {
    const body = `{"a":${n},"b":"keep"}`;
    const { copy } = await copies(MASK, body);
    const v = JSON.parse(copy);
    expect(typeof v.a).toBe("number");
    const digits = BigInt(Math.round(Math.abs(v.a))).toString();
    expect(Math.abs(v.a)).not.toBe(Number(CARD));
    expect(digits).toHaveLength(16);
    expect(luhn(digits)).toBe(true);
    expect(copy.length).toBe(body.length);
    expect(copy.endsWith(',"b":"keep"}')).toBe(true);
  });

  it.each([
    "4111111111111112.5", "4111111111111111e-3", "4111111111111111e9", "1e999999", "-1e-999999", "4111111111111112e0", "0.0e5", "123.45",
  ])("%s stays as written", async (n) => {
    const body = `[${n}]`;
    expect((await copies(MASK, body)).copy).toBe(body);
  });

  it("an exponent never makes a long digit string (bounded work)", async () => {
    const body = `[1${"0".repeat(20000)}e-20000, 4.111111111111111e9999999999999999999]`;
    expect((await copies(MASK, body)).copy).toBe(body);
  });

  it("a short spelling too small for its masked integer gets the integer itself", async () => {
    // 42e14 is 4200000000000000, a Luhn-valid Visa-shaped number.
    const { copy } = await copies(MASK, "[42e14]");
    const digits = String(JSON.parse(copy)[0]);
    expect(copy).toBe(`[${digits}]`);
    expect(digits).toHaveLength(16);
    expect(digits).not.toBe("4200000000000000");
    expect(luhn(digits)).toBe(true);
  });
});

describe("allow-list mode (redact.keep)", () => {
  const KEEP = base({ keep: { json: ["$.order.id", "$.meta", "$.items[*].sku"] }, json: { mask: ["$.meta.secret"] } });
  const body = '{"order":{"id":"A-17","name":"Zoë Müller","total":19.99},"meta":{"v":2,"note":"call 4111 1111 1111 1111","secret":"s3"},' +
    '"items":[{"sku":"K-1","qty":3},{"sku":"K-2","qty":-1.5e3}],"flags":[true,false,null],"esc":"g\\"h\\u00e9"}';

  it("masks every string and number not kept, keeping shape; keeps the rest byte for byte", async () => {
    const { copy, host } = await copies(KEEP, body);
    const v = JSON.parse(copy);
    // Kept: byte for byte, but the detectors still run over kept values.
    expect(copy).toContain('"id":"A-17"');
    expect(copy).toContain('"sku":"K-1"');
    expect(copy).toContain('"v":2');
    expect(v.meta.note).toBe("call 4000 0000 0006 1111");
    // Explicit rules win over keep.
    expect(v.meta.secret).toBe("**");
    // Not kept: masked, same type, same length; keys, true/false/null stay.
    expect(v.order.name).not.toBe("Zoë Müller");
    expect(typeof v.order.total).toBe("number");
    expect(copy).not.toContain("19.99");
    expect(typeof v.items[0].qty).toBe("number");
    expect(typeof v.items[1].qty).toBe("number");
    expect(copy).not.toContain("-1.5e3");
    expect(v.flags).toEqual([true, false, null]);
    expect(Object.keys(v)).toEqual(["order", "meta", "items", "flags", "esc"]);
    expect(typeof v.esc).toBe("string");
    expect(v.esc).not.toContain("g");
    expect(v.esc).not.toContain("h");
    // Counted as a stat.
    expect(host.metric("mirrorshade.redact.json.keep_masked")).toBeGreaterThan(0n);
  });

  it("a keep path that names nothing masks everything", async () => {
    const { copy } = await copies(base({ keep: { json: ["$.nothing"] } }), '{"a":"xy","b":[1,"z"]}');
    const v = JSON.parse(copy);
    expect(v.a).not.toBe("xy");
    expect(v.a).toHaveLength(2);
    expect(v.b[1]).not.toBe("z");
    expect(typeof v.b[0]).toBe("number");
  });

  it("without keep nothing is masked by it", async () => {
    const { copy } = await copies(MASK, '{"a":"xy","b":[1,"z"]}');
    expect(copy).toBe('{"a":"xy","b":[1,"z"]}');
  });
});

describe("properties", () => {
  const word = fc.stringMatching(/^[a-z]{1,6}$/);
  const secret = fc.constantFrom("zq.alice77@mailhost.io", "4111111111111111", "4111 1111 1111 1111", "bob@ex.io");
  const esc = (s: string) => [...s].map((ch, i) => (i % 3 === 1 ? "\\u" + ch.codePointAt(0)!.toString(16).padStart(4, "0") : ch === "/" ? "\\/" : ch)).join("");
  const strTok = fc.tuple(word, fc.option(secret), fc.boolean()).map(([w, s, e]) => {
    const v = s ? `${w} ${s} ${w}` : w;
    return { raw: JSON.stringify(v).slice(1, -1), escaped: e ? esc(v) : JSON.stringify(v).slice(1, -1), secret: !!s };
  });

  it("the copy parses, and members whose name and value hold no secret stay byte for byte", async () => {
    const { host } = await loadFilter(MASK, { env });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(strTok, strTok), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 }), async (members, chunkSize) => {
      const parts = members.map(([k, v], i) => `"${k.escaped}${i}":"${v.escaped}"`);
      const body = "{" + parts.join(",") + "}";
      const { call } = send(host, { headers: [["content-type", "application/json"]], body, chunkSize });
      const copy = text(call!.body);
      expect(() => JSON.parse(copy)).not.toThrow();
      members.forEach(([k, v], i) => {
        if (!k.secret && !v.secret) expect(copy).toContain(parts[i]);
      });
      for (const s of ["zq.alice77@mailhost.io", "4111111111111111", "4111 1111 1111 1111", "bob@ex.io"]) {
        expect(JSON.stringify(JSON.parse(copy))).not.toContain(s);
      }
    }), { numRuns: 60 });
  });
});
