// The leaks test/e2e/hostile-pct.test.ts and hostile-pct2.test.ts recorded against real
// Envoy, closed (docs/leaks.md): an E.164 number after a letter and its '+'; a raw '+'
// before an encoded number in a form or query value; digits grouped by no-break spaces
// (U+202F, U+00A0); two encodeURI-spelled numbers glued by '+'; a URL kept encoded inside
// a URL's query in a JSON string, a member name, an NDJSON line or a header. Through the
// compiled filter in the emulator, bodies whole and in chunks of 1 to 7 bytes: each
// spelling is masked in the client's spelling, every other byte as sent, and look-alikes
// of each fix reach the copy unchanged.
import { describe, it, expect } from "vitest";
import { preview, type PreviewRequest } from "../../../harness/preview.js";
import { FILTER_WASM } from "../../../harness/paths.js";

const KEY = "inline:0123456789abcdef0123456789abcdef";
const policy = (action: "mask" | "hash") =>
  JSON.stringify({ role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["card", "email", "ssn", "jwt", "iban", "phone"], detector_action: action, hash_key: KEY } });

type Place = "json" | "text" | "ndjson" | "form" | "query" | "header";
const CT: Record<Place, string> = { json: "application/json", text: "text/plain", ndjson: "application/x-ndjson", form: "application/x-www-form-urlencoded", query: "", header: "" };
const J = (o: object) => JSON.stringify(o);
/** A login URL whose `next` is a URL whose query carries v (the inner URL encoded once more, as a redirect writes it). */
const nested = (v: string) => `https://a.example/login?next=${encodeURIComponent(`https://x.example/k?a=1&v=${v}&z=2`)}`;
const NNBSP = "\u202f";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

// [name, place, what is sent (body, query string or x-callback-url value), what the copy carries there]
const MASKED: [string, Place, string, string][] = [
  // an E.164 number after a letter and its '+' (the '+' separates it)
  ["e-mail then '+' and a number", "json", J({ c: "https://x/k?v=bob.pct@example.org+14155552671&z=2" }), J({ c: "https://x/k?v=*******@*******.org+00000000071&z=2" })],
  ["e-mail then %2B and a number", "json", J({ c: "https://x/k?v=bob.pct@example.org%2B14155552671&z=2" }), J({ c: "https://x/k?v=*******@*******.org%2B00000000071&z=2" })],
  ["an invalid escape's letter before %2B", "json", J({ c: "https://x/k?v=%2G%2B14155552671&z=2" }), J({ c: "https://x/k?v=%2G%2B00000000071&z=2" })],
  ["a word then '+' and a number, text", "text", "call ref+14155552671 now", "call ref+00000000071 now"],
  // no-break spaces between the groups
  ["U+202F escaped, JSON", "json", J({ c: "+1%E2%80%AF415%E2%80%AF555%E2%80%AF2671" }), J({ c: "+0%E2%80%AF000%E2%80%AF000%E2%80%AF0071" })],
  ["U+202F as written, JSON", "json", J({ c: `+1${NNBSP}415${NNBSP}555${NNBSP}2671` }), J({ c: `+0${NNBSP}000${NNBSP}000${NNBSP}0071` })],
  ["U+00A0 as written, text", "text", "tel +44\u00a020\u00a07946\u00a00958 ok", "tel +00\u00a000\u00a00000\u00a00058 ok"],
  // a raw '+' before an encoded number in a form or query value
  ["encodeURI number, form", "form", "a=1&v=+1%20415%20555%202671&z=2", "a=1&v=+0%20000%20000%200071&z=2"],
  ["encodeURI number, query", "query", "a=1&v=+1%20415%20555%202671&z=2", "a=1&v=+0%20000%20000%200071&z=2"],
  ["UK encodeURI number, form", "form", "v=+44%2020%207946%200958", "v=+00%2000%200000%200058"],
  ["escaped digit, query", "query", "v=+1415555%32671", "v=+0000000%30071"],
  ["every digit escaped, form", "form", "v=+%31%34%31%35%35%35%35%32%36%37%31&z=2", "v=+%30%30%30%30%30%30%30%30%30%37%31&z=2"],
  ["U+202F escaped, form", "form", "v=+1%E2%80%AF415%E2%80%AF555%E2%80%AF2671", "v=+0%E2%80%AF000%E2%80%AF000%E2%80%AF0071"],
  ["U+202F escaped, query", "query", "v=+1%E2%80%AF415%E2%80%AF555%E2%80%AF2671&z=2", "v=+0%E2%80%AF000%E2%80%AF000%E2%80%AF0071&z=2"],
  ["spaces as '+', the plus kept, form", "form", "note=+44+20+7946+0958", "note=+00+00+0000+0058"],
  ["after a spaced word, form", "form", "q=call++14155552671", "q=call++00000000071"],
  ["labelled: the form reading's mask stays", "query", "phone=+1+415+555+2671", "phone=+0+000+000+0071"],
  // after a raw ';', ',', ':' or '=', a tab or a line break (hostile-4), and in a parameter name (dropped)
  ["after ';', form", "form", "a=1;v=+1+415+555+2671", "a=1;v=+0+000+000+0071"],
  ["after ':', query", "query", "v=tel:+1+415+555+2671&z=2", "v=tel:+0+000+000+0071&z=2"],
  ["after ',', form", "form", "v=tel,+44+20+7946+0958", "v=tel,+00+00+0000+0058"],
  ["after a tab, query", "query", "v=tel%09+1+415+555+2671", "v=tel%09+0+000+000+0071"],
  ["after a newline, form", "form", "v=tel%0A+1+415+555+2671", "v=tel%0A+0+000+000+0071"],
  ["after '=' in a value, form", "form", "v=x=+1+415+555+2671", "v=x=+0+000+000+0071"],
  ["as a parameter name, form", "form", "+1+415+555+2671=1&a=2", "a=2"],
  ["as a parameter name, query", "query", "a=2&+44+20+7946+0958=1", "a=2"],
  // two encodeURI-spelled numbers glued by '+'
  ["glued encodeURI numbers, JSON", "json", J({ c: encodeURI("+1 415 555 2671") + encodeURI("+1 415 555 0100") }), J({ c: "+0%20000%20000%200071+0%20000%20000%200000" })],
  ["glued encodeURI numbers, text", "text", `x ${encodeURI("+1 415 555 2671")}${encodeURI("+44 20 7946 0958")} y`, "x +0%20000%20000%200071+00%2000%200000%200058 y"],
  // a URL kept encoded inside a URL's query
  ["nested phone, JSON string", "json", J({ return: nested("%2B14155552671") }), J({ return: nested("%2B00000000071") })],
  ["nested spaced phone, JSON string", "json", J({ return: nested("%2B1%20415%20555%202671") }), J({ return: nested("%2B0%20000%20000%200071") })],
  ["nested card, JSON string", "json", J({ return: nested("4556%207375%208689%209855") }), J({ return: nested("4000%200000%200009%209855") })],
  ["nested encodeURI phone ('+' raw inside), JSON string", "json", J({ return: nested("+1%20415%20555%202671") }), J({ return: nested("+0%20000%20000%200071") })],
  ["nested '+'-grouped card, JSON string", "json", J({ return: nested("4556+7375+8689+9855") }), J({ return: nested("4000+0000+0009+9855") })],
  ["nested SSN, member name", "json", J({ [nested("536%2D22%2D8147")]: 1 }), J({ [nested("***%2D**%2D8147")]: 1 })],
  ["nested IBAN, NDJSON line", "ndjson", `{"a":1}\n${J({ u: nested("DE89%203704%200044%200532%200130%2000") })}\n`, `{"a":1}\n${J({ u: nested("DEXX%20XXXX%20XXXX%20XXXX%20XX30%2000") })}\n`],
  ["nested phone, x-callback-url", "header", nested("%2B1%20415%20555%202671"), nested("%2B0%20000%20000%200071")],
  ["nested JWT dots, x-callback-url", "header", nested(JWT.replace(/\./g, "%2E")), nested(JWT.split(".").map((s) => "x".repeat(s.length)).join("%2E"))],
];

// Look-alikes of each fix: the copy carries them as sent.
const UNCHANGED: [string, Place, string][] = [
  ["a letter, '+' and a leading 0", "json", J({ c: "ref+04155552671" })],
  ["a letter, '+' and 7 digits", "json", J({ c: "ref+1415555" })],
  ["base64 with '+' before digits", "json", J({ c: "q2l+Zm9v+1234/YmFy+42==" })],
  ["sums", "text", "1+2+3+4+5+6+7+8+9+10+11+12+13+14+15+16"],
  ["a label's space before a near miss, form", "form", "q=ssn%3A+5127462210872&r=SSN+No.+658-3503-81"],
  ["a label's space before a near miss, query", "query", "q=tel%3A+923-8864-78&p=Phone+number%3A+2026-12-57"],
  ["an escaped ':' or ',' before '+' and digits stays a space, form", "form", "q=x%3A+1+415+555+2671&r=y%2C+44+20+7946+0958"],
  ["'+' after a raw ',' or ':' before few digits, query", "query", "tz=10:+05:30&l=1,+2,+3&v=a;+12+34"],
  ["a name with '+' and few digits, form", "form", "a+1+2=3&q=+1+415"],
  ["'+' as spaces between words and digits, form", "form", "q=size+42+or+43&n=1+2+3"],
  ["'+0' after a label, JSON", "json", J({ q: "SSN+No.+0657+8270+1826+5907" })],
  ["U+202F between short groups", "json", J({ c: `+1${NNBSP}415${NNBSP}55` })],
  ["a nested URL without secrets", "json", J({ u: nested("red%2520shoes&n=42") })],
  ["a nested URL without secrets, header", "header", nested("red%20shoes")],
  ["a nested URL with '+' sums", "json", J({ u: nested("1+2+3+4+5+6+7+8+9+10") })],
  ["a JSON string with %2B and no number", "json", J({ c: "a%2Bb%2B1%2B2" })],
];

interface Row {
  place: Place;
  sent: string;
}

async function copies(action: "mask" | "hash", rows: Row[], chunkSize: number): Promise<string[]> {
  const results = await preview({
    wasm: FILTER_WASM,
    policy: policy(action),
    requests: rows.map((r): PreviewRequest =>
      r.place === "query" ? { method: "GET", path: `/r?${r.sent}`, headers: {} }
      : r.place === "header" ? { method: "GET", path: "/r", headers: { "x-callback-url": r.sent } }
      : { method: "POST", path: "/r", headers: { "content-type": CT[r.place] }, body: r.sent },
    ),
    chunkSize,
  });
  return results.map((res, i) => {
    const c = res.copies[0];
    if (!c) return "(no copy)";
    const place = rows[i].place;
    if (place === "query") return c.path.replace(/^\/r\?/, "");
    if (place === "header") return c.headers.find(([k]) => k === "x-callback-url")?.[1] ?? "(no header)";
    return c.body ?? "(no body)";
  });
}

describe("closed leaks of the percent views: '+' before E.164 numbers, no-break spaces, nested URLs", () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7])("are masked in the client's spelling, the rest byte for byte (chunks of %i; 0: whole)", async (chunk) => {
    const got = await copies("mask", MASKED.map(([, place, sent]) => ({ place, sent })), chunk);
    expect(got.map((b, i) => [MASKED[i][0], b])).toEqual(MASKED.map(([name, , , want]) => [name, want]));
  });

  it.each([0, 1, 3, 7])("look-alikes pass unchanged (chunks of %i)", async (chunk) => {
    const got = await copies("mask", UNCHANGED.map(([, place, sent]) => ({ place, sent })), chunk);
    expect(got.map((b, i) => [UNCHANGED[i][0], b])).toEqual(UNCHANGED.map(([name, , sent]) => [name, sent]));
  });

  it("hashed: one token per number whatever its spelling or place", async () => {
    const rows: Row[] = [
      { place: "json", sent: J({ c: "+1 415 555 2671" }) },
      { place: "form", sent: "v=+1%20415%20555%202671" },
      { place: "query", sent: "v=+1%20415%20555%202671" },
      { place: "header", sent: nested("%2B1%20415%20555%202671") },
      { place: "json", sent: J({ c: encodeURI("+1 415 555 0100") + encodeURI("+1 415 555 2671") }) },
      { place: "json", sent: J({ return: nested("%2B1%20415%20555%202671") }) },
    ];
    const got = await copies("hash", rows, 3);
    const tokens = got.map((c) => c.match(/hmac:[0-9a-f]{32}/g) ?? []);
    expect(tokens.map((t) => t.length)).toEqual([1, 1, 1, 1, 2, 1]);
    // the glued pair's second number is the one the others hold
    expect(new Set([tokens[0][0], tokens[1][0], tokens[2][0], tokens[3][0], tokens[4][1], tokens[5][0]]).size).toBe(1);
    expect(tokens[4][0]).not.toBe(tokens[4][1]);
  });
});
