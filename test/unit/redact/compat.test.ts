// The compatibility-form leaks test/e2e/hostile-3.test.ts and hostile-4.test.ts recorded
// against real Envoy, closed (filter/redact/compat.ts, docs/leaks.md): full-width digits in
// SSNs and phone numbers, the full-width plus before an E.164 number, the full-width full
// stop in an e-mail's domain, mathematical digits in a card, latin-1 0xA0 bytes between an
// SSN's groups, and phone numbers grouped by no-break, zero-width, ideographic spaces, word
// joiners and soft or non-breaking hyphens. Through the compiled filter in the emulator,
// bodies whole and in chunks of 1 to 7 bytes: each is masked in place, every character kept
// at its byte length (a full-width digit stays a full-width character), every other byte as
// sent; and look-alikes (full-width digits in a Japanese address, a price, a date, '＋' in
// text) reach the copy unchanged.
import { describe, it, expect } from "vitest";
import { preview, type PreviewRequest } from "../../../harness/preview.js";
import { FILTER_WASM } from "../../../harness/paths.js";

const KEY = "inline:0123456789abcdef0123456789abcdef";
const policy = (action: "mask" | "hash") =>
  JSON.stringify({ role: "mirror", shadow: { cluster: "shadow" }, redact: { headers: { drop: ["authorization"] }, detectors: ["card", "email", "ssn", "jwt", "iban", "phone"], detector_action: action, hash_key: KEY } });

type Place = "json" | "text" | "query" | "segment" | "header";
const PLACES: Place[] = ["json", "text", "query", "segment", "header"];
const fw = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
/** The digits of s as mathematical digits of the style starting at `base` (bold 0x1d7ce, double-struck 0x1d7d8, sans 0x1d7e2). */
const math = (s: string, base = 0x1d7ce) => s.replace(/[0-9]/g, (d) => String.fromCodePoint(base + Number(d)));

// [name, value, its mask]
const MASKED: [string, string, string][] = [
  ["full-width SSN", fw("536-22-8147"), "＊＊＊-＊＊-" + fw("8147")],
  ["full-width SSN, ASCII area", "536-" + fw("22-8147"), "***-＊＊-" + fw("8147")],
  ["full-width SSN, full-width hyphens", fw("536\uff0d22\uff0d8147"), "＊＊＊\uff0d＊＊\uff0d" + fw("8147")],
  ["SSN in double-struck digits", math("536 22 8147", 0x1d7d8), math("000 00 8147", 0x1d7d8)],
  ["SSN grouped by no-break spaces", "536\u00a022\u00a08147", "***\u00a0**\u00a08147"],
  ["E.164 in full-width digits", "+" + fw("14155552671"), "+" + fw("00000000071")],
  ["E.164 after a full-width plus", "\uff0b14155552671", "\uff0b00000000071"],
  ["E.164 after a full-width plus, after a word", "tel\uff0b14155552671", "tel\uff0b00000000071"],
  ["E.164 full-width, grouped", "\uff0b" + fw("44 20 7946 0958"), "\uff0b" + fw("00 00 0000 0058")],
  ["E.164 in sans-serif digits", "+" + math("14155552671", 0x1d7e2), "+" + math("00000000071", 0x1d7e2)],
  ["E.164 grouped by zero-width spaces", "+1\u200b415\u200b555\u200b2671", "+0\u200b000\u200b000\u200b0071"],
  ["E.164 grouped by ideographic spaces", "+44\u300020\u30007946\u30000958", "+00\u300000\u30000000\u30000058"],
  ["E.164 grouped by word joiners", "+1\u2060415\u2060555\u20602671", "+0\u2060000\u2060000\u20600071"],
  ["E.164 grouped by soft hyphens", "+1\u00ad415\u00ad555\u00ad2671", "+0\u00ad000\u00ad000\u00ad0071"],
  ["E.164 grouped by non-breaking hyphens", "+44\u201120\u20117946\u20110958", "+00\u201100\u20110000\u20110058"],
  ["E.164 grouped by medium mathematical spaces", "+1\u205f415\u205f555\u205f2671", "+0\u205f000\u205f000\u205f0071"],
  ["national number, no-break space", "(415)\u00a0555-2671", "(000)\u00a0000-0071"],
  ["national number, thin spaces", "(415)\u2009555\u20092671", "(000)\u2009000\u20090071"],
  ["national number, full-width digits", "(" + fw("415") + ") " + fw("555-2671"), "(" + fw("000") + ") " + fw("000-0071")],
  ["e-mail with a full-width dot", "bob.pct@example\uff0eorg", "*******@*******\uff0eorg"],
  ["e-mail with full-width dots and at", "bob\uff20mail\uff0eexample\uff0eco\uff0euk", "***\uff20****\uff0e*******\uff0e**\uff0euk"],
  ["card in mathematical bold digits", math("4556737586899855"), math("4000000000099855")],
  ["card in double-struck digits, spaced", math("4556 7375 8689 9855", 0x1d7d8), math("4000 0000 0009 9855", 0x1d7d8)],
];

// Look-alikes: the copy carries them as sent.
const UNCHANGED: [string, string][] = [
  ["a Japanese postal code and address", "〒" + fw("150-0042") + " 東京都渋谷区宇田川町" + fw("15-1")],
  ["a price in full-width digits", "価格 ￥" + fw("1,280") + "（税込）"],
  ["a full-width date", fw("2026-12-03") + " " + fw("10:00")],
  ["a full-width phone-like run too short", "\uff0b" + fw("1415555")],
  ["'＋' in text", "＋ 追加する ＋1 item"],
  ["full-width digits after a full-width plus, a sum", fw("1") + "\uff0b" + fw("2") + "\uff0b" + fw("3")],
  ["an unlabelled full-width 9-digit run", "番号 " + fw("536228147")],
  ["a never-issued SSN area in full-width digits", fw("666-22-8147")],
  ["a full-width SSN shape inside a longer number", fw("123-536-22-8147")],
  ["math digits that fail Luhn", math("4556737586899856")],
  ["a math-digit year", "𝟐𝟎𝟐𝟔 edition"],
  ["emoji and digits", "🎉🎉 party at 8 🥳"],
  ["a full-width dot in a file name", "report\uff0epdf"],
  ["a domain with a full-width dot, no at", "www.example\uff0eorg"],
  ["a zero-width space between short groups", "+1\u200b415\u200b55"],
  ["no-break spaces in a price", "1\u00a0234\u00a0567 €"],
];

function request(place: Place, v: string): PreviewRequest {
  if (place === "json") return { method: "POST", path: "/r", headers: { "content-type": "application/json" }, body: JSON.stringify({ note: v }) };
  if (place === "text") return { method: "POST", path: "/r", headers: { "content-type": "text/plain" }, body: `note: ${v} end` };
  if (place === "query") return { method: "GET", path: `/r?v=${encodeURIComponent(v)}`, headers: {} };
  if (place === "segment") return { method: "GET", path: `/u/${encodeURIComponent(v)}`, headers: {} };
  return { method: "GET", path: "/r", headers: { "x-note": v } };
}

/** What the copy carries where v was sent, read back into a JS string. */
function carried(place: Place, c: { path: string; body?: string | null; headers: [string, string][] }): string {
  if (place === "json") return (JSON.parse(c.body ?? "{}") as { note?: string }).note ?? "(no note)";
  if (place === "text") return (c.body ?? "").replace(/^note: /, "").replace(/ end$/, "");
  if (place === "query") return decodeURIComponent(c.path.replace(/^\/r\?v=/, ""));
  if (place === "segment") return decodeURIComponent(c.path.replace(/^\/u\//, ""));
  return c.headers.find(([k]) => k === "x-note")?.[1] ?? "(no header)";
}

async function copies(action: "mask" | "hash", values: string[], chunkSize: number): Promise<Record<Place, string[]>> {
  const rows = values.flatMap((v) => PLACES.map((place) => ({ place, v })));
  const results = await preview({ wasm: FILTER_WASM, policy: policy(action), requests: rows.map((r) => request(r.place, r.v)), chunkSize });
  const out = { json: [], text: [], query: [], segment: [], header: [] } as Record<Place, string[]>;
  results.forEach((res, i) => {
    const c = res.copies[0];
    out[rows[i].place].push(c ? carried(rows[i].place, c) : "(no copy)");
  });
  return out;
}

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

describe("closed leaks of compatibility forms: full-width and mathematical digits, '＋', '．', latin-1 and Unicode group separators", () => {
  it("the expected masks keep every value's byte length", () => {
    for (const [name, v, want] of MASKED) expect([name, utf8(want)]).toEqual([name, utf8(v)]);
  });

  it.each([0, 1, 2, 3, 5, 7])("are masked in place, each character at its byte length (chunks of %i; 0: whole)", async (chunk) => {
    const got = await copies("mask", MASKED.map(([, v]) => v), chunk);
    for (const place of PLACES) expect(got[place].map((b, i) => [place, MASKED[i][0], b])).toEqual(MASKED.map(([name, , want]) => [place, name, want]));
  });

  it.each([0, 1, 3, 7])("look-alikes pass unchanged (chunks of %i)", async (chunk) => {
    const got = await copies("mask", UNCHANGED.map(([, v]) => v), chunk);
    for (const place of PLACES) expect(got[place].map((b, i) => [place, UNCHANGED[i][0], b])).toEqual(UNCHANGED.map(([name, v]) => [place, name, v]));
  });

  it("hashed: a value in compatibility forms gives the token of its ASCII spelling", async () => {
    const pairs: [string, string][] = [
      [fw("536-22-8147"), "536-22-8147"], ["+" + fw("14155552671"), "+14155552671"], ["\uff0b14155552671", "+14155552671"],
      ["+" + math("14155552671", 0x1d7e2), "+14155552671"], ["bob.pct@example\uff0eorg", "bob.pct@example.org"],
      [math("4556737586899855"), "4556737586899855"], [fw("4556 7375 8689 9855"), "4556 7375 8689 9855"],
    ];
    const got = await copies("hash", pairs.flat(), 0);
    for (const place of PLACES) {
      const toks = got[place].map((b) => b.match(/hmac:[0-9a-f]{32}/)?.[0] ?? `(none: ${b})`);
      for (let i = 0; i < pairs.length; i++) expect([place, pairs[i][1], toks[2 * i]]).toEqual([place, pairs[i][1], toks[2 * i + 1]]);
    }
  });

  it("hashed: each value becomes one token", async () => {
    const got = await copies("hash", MASKED.map(([, v]) => v), 3);
    for (const place of PLACES) expect(got[place].map((b, i) => [MASKED[i][0], /hmac:[0-9a-f]{32}/.test(b)])).toEqual(MASKED.map(([name]) => [name, true]));
  });

  it("the allow-list's shape keeps a card in mathematical or full-width digits a Luhn-valid card of its width (redact/shape.ts)", async () => {
    const keep = JSON.stringify({ role: "mirror", shadow: { cluster: "shadow" }, redact: { keep: { json: ["$.id"] } } });
    const cards = [math("4556737586899855"), math("4556 7375 8689 9855", 0x1d7d8), fw("4556737586899855")];
    for (const chunkSize of [0, 1, 5]) {
      const res = await preview({ wasm: FILTER_WASM, policy: keep, chunkSize, requests: cards.map((c) => ({ method: "POST", path: "/r", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: 1, note: c }) })) });
      res.forEach((r, i) => {
        const body = r.copies[0]?.body ?? "";
        const note = (JSON.parse(body) as { note: string }).note;
        expect(utf8(note)).toBe(utf8(cards[i]));
        expect(note).not.toBe(cards[i]);
        // Read back as ASCII digits (NFKC), it is a card number still: first digit kept, Luhn-valid.
        const digits = [...note.normalize("NFKC")].filter((ch) => /[0-9]/.test(ch)).map(Number);
        expect(digits.length).toBe(16);
        expect(digits[0]).toBe(4);
        const sum = digits.reverse().reduce((a, d, k) => a + (k % 2 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
        expect(sum % 10).toBe(0);
      });
    }
  });
});
