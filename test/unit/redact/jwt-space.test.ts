// A JWT whose JOSE header has whitespace before its '{' (base64url "IHs…", "ICB7…"), the leak
// test/e2e/hostile-4.test.ts recorded against real Envoy, closed (filter/redact/detectors.ts
// spacedJwtHead, jwt.ts joseHeader; docs/leaks.md). Through the compiled filter in the emulator,
// bodies whole and in chunks of 1 to 7 bytes: bare, glued after "token-" and "Bearer", and with
// host labels after it, in a JSON string, a text body, a query value and a header, the token is
// masked and every other byte kept; base64 that starts "IH" or "IC" without a JOSE header (words,
// blobs, a space-led JSON object without "alg") reaches the copy unchanged.
import { describe, it, expect } from "vitest";
import { preview, type PreviewRequest } from "../../../harness/preview.js";
import { FILTER_WASM } from "../../../harness/paths.js";

const policy = JSON.stringify({ role: "mirror", shadow: { cluster: "shadow" }, redact: { headers: { drop: ["authorization"] }, detectors: ["card", "email", "ssn", "jwt", "iban", "phone"] } });
const b64u = (s: string) => Buffer.from(s).toString("base64url");
const SIG = "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const jwt = (head: string, payload = '{"sub":"hostile4"}') => `${b64u(head)}.${b64u(payload)}.${SIG}`;
const xs = (t: string) => t.split(".").map((p) => "x".repeat(p.length)).join(".");
type Place = "json" | "text" | "query" | "header";
const PLACES: Place[] = ["json", "text", "query", "header"];

const TOKENS = [
  jwt(' {"alg":"HS256"}'), jwt('  {"alg":"RS256","typ":"JWT"}'), jwt(' {"typ":"JWT","alg":"ES256"}', "a".repeat(20)),
  // Led by a tab ("CX"), two tabs ("CQ"), a line feed ("Cn"), a CR ("DX"), CRLF ("DQ"), a space and a tab ("IA") (hostile-5).
  jwt('\t{"alg":"HS256"}'), jwt('\t\t{"alg":"HS256"}'), jwt('\n{"alg":"HS256"}'), jwt('\r{"alg":"HS256"}'), jwt('\r\n{"alg":"HS256"}'), jwt(' \t{"alg":"HS256"}'),
];
/** A short payload that is no JSON ('{}' is "e30") under a JOSE header, with a MAC-long or an empty signature: a token where no host labels follow (jwt.ts jwtAccept). */
const SHORT_PAYLOAD = [`${b64u('{"alg":"HS256"}')}.e30.${SIG}`, `${b64u('{"alg":"none"}')}.e30.`, `${b64u('{"alg":"none"}')}.${b64u("hi")}.`];
const SHAPES: [string, string][] = [["", ""], ["token-", ""], ["Bearer", ""], ["", ".t.example"]];
const MASKED: [string, string][] = [
  ...TOKENS.flatMap((t) => SHAPES.map(([pre, post]): [string, string] => [pre + t + post, pre + xs(t) + post])),
  ...SHORT_PAYLOAD.flatMap((t) => SHAPES.slice(0, 3).map(([pre, post]): [string, string] => [pre + t + post, pre + xs(t) + post])),
];
const UNCHANGED = [
  "IHsgIH0.ICB9.eyJhIjoxfQ", // ' { }' and '  }': no "alg"
  `${b64u(' {"typ":"JWT"}')}.${b64u('{"sub":"x"}')}.${SIG}`, // a space-led JSON header without "alg"
  "IHateMondays.ICanSee.IHopeSo", "IHS.ICD.IHT", "ICBC.IHG.example.com", "IHsx", "ICB7ICB7ICB7.ICB7.ICB7",
  "CXoffice.CQuery.Cnote", "DXB.DQ.example.org", "IAmHere.IOwe.you", `${b64u("\t{}")}.${b64u("\n{}")}.x`,
  // A lone JOSE header before a host name: a short last label, no token.
  `${b64u('{"alg":"HS256"}')}.example.com`,
];

function request(place: Place, v: string): PreviewRequest {
  if (place === "json") return { method: "POST", path: "/r", headers: { "content-type": "application/json" }, body: JSON.stringify({ note: v }) };
  if (place === "text") return { method: "POST", path: "/r", headers: { "content-type": "text/plain" }, body: `see ${v} now` };
  if (place === "query") return { method: "GET", path: `/r?v=${encodeURIComponent(v)}`, headers: {} };
  return { method: "GET", path: "/r", headers: { "x-note": v } };
}

function carried(place: Place, c: { path: string; body?: string | null; headers: [string, string][] }): string {
  if (place === "json") return (JSON.parse(c.body ?? "{}") as { note?: string }).note ?? "(no note)";
  if (place === "text") return (c.body ?? "").replace(/^see /, "").replace(/ now$/, "");
  if (place === "query") return decodeURIComponent(c.path.replace(/^\/r\?v=/, ""));
  return c.headers.find(([k]) => k === "x-note")?.[1] ?? "(no header)";
}

async function copies(values: string[], chunkSize: number): Promise<string[][]> {
  const rows = values.flatMap((v) => PLACES.map((place) => ({ place, v })));
  const results = await preview({ wasm: FILTER_WASM, policy, requests: rows.map((r) => request(r.place, r.v)), chunkSize });
  return values.map((_, i) => PLACES.map((place, k) => {
    const c = results[i * PLACES.length + k].copies[0];
    return c ? carried(place, c) : "(no copy)";
  }));
}

describe("closed leak: a JWT whose header has whitespace before its '{'", () => {
  it.each([0, 1, 3, 7])("is masked bare, glued and before host labels, the rest byte for byte (chunks of %i; 0: whole)", async (chunk) => {
    const got = await copies(MASKED.map(([v]) => v), chunk);
    expect(got).toEqual(MASKED.map(([, want]) => PLACES.map(() => want)));
  });

  it.each([0, 1, 7])("look-alikes starting 'IH' or 'IC' pass unchanged (chunks of %i)", async (chunk) => {
    const got = await copies(UNCHANGED, chunk);
    expect(got).toEqual(UNCHANGED.map((v) => PLACES.map(() => v)));
  });
});
