// Bodies are scanned by what they are, not only by what they say (#13,
// docs/hardening.md "Bodies by what they are"): JSON under any JSON-family type
// or sent as text or as a form gets the JSON rules; ndjson is JSON; XML is
// unscannable while rules name fields; a text body holding an "=" gets the
// query rules. Through the compiled filter in the emulator, bodies in chunks of
// 1 to 64 bytes, scanned at once and in one-byte slices.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFilter, send, header } from "../../support/filter.js";
import { projectRoot } from "../../../harness/paths.js";

const KEY = "0123456789abcdef0123456789abcdef";
const EXAMPLE = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));
const env = { MIRRORSHADE_HASH_KEY: KEY };
// Only detectors: no rule names a field.
const DETECTORS_ONLY = { role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["card", "email"] } };

const PW = JSON.stringify({ user: "bob", password: "hunter2" });
const BOM = "\ufeff";
// The copy's bytes as they are: a BOM is not stripped.
const text = (b: Uint8Array) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(b);
type Expect = { dropped?: string; kept?: string[]; gone?: string[]; same?: boolean; json?: boolean };

// name, policy, content-type, body, what the copy must be
const CASES: [string, object, string, string, Expect][] = [
  ["application/json", EXAMPLE, "application/json", PW, { gone: ["hunter2"], kept: ['"user":"bob"'] }],
  ["text/json", EXAMPLE, "text/json", PW, { gone: ["hunter2"], kept: ['"user":"bob"'] }],
  ["text/x-json", EXAMPLE, "text/x-json", PW, { gone: ["hunter2"] }],
  ["application/x-json", EXAMPLE, "application/x-json", PW, { gone: ["hunter2"] }],
  ["application/vnd.api+json", EXAMPLE, "application/vnd.api+json", PW, { gone: ["hunter2"] }],
  ["text/json, invalid: dropped as JSON is", EXAMPLE, "text/json", '{"password":"hunter2"', { dropped: "invalid_json" }],
  ["application/x-ndjson, one line", EXAMPLE, "application/x-ndjson", PW + "\n", { gone: ["hunter2"] }],
  ["application/jsonl, invalid: dropped", EXAMPLE, "application/jsonl", '{"password":"hunter2"', { dropped: "invalid_json" }],
  ["JSON sent as text/plain", EXAMPLE, "text/plain", PW, { gone: ["hunter2"], kept: ['"user":"bob"'] , json: true}],
  ["JSON sent as text/plain; charset=utf-8 after whitespace", EXAMPLE, "text/plain; charset=utf-8", "\n \t" + PW, { gone: ["hunter2"], kept: ["\n \t{"] , json: true}],
  ["JSON after a BOM sent as text/plain: the BOM stays", EXAMPLE, "text/plain", BOM + PW, { gone: ["hunter2"], kept: [BOM + '{"user"'] , json: true}],
  ["a JSON array sent as text/html", EXAMPLE, "text/html", "[" + PW + "]", { gone: ["hunter2"] , json: true}],
  ["JSON sent as text/csv: CSV names columns, dropped while rules name fields", EXAMPLE, "text/csv", PW, { dropped: "unsupported_type" }],
  ["YAML while rules name fields", EXAMPLE, "text/yaml", "password: hunter2\n", { dropped: "unsupported_type" }],
  ["YAML with detectors only: the detectors", DETECTORS_ONLY, "text/x-yaml", "mail: bob@example.org\n", { gone: ["bob@example.org"], kept: ["mail: "] }],
  ["JSON sent as a form", EXAMPLE, "application/x-www-form-urlencoded", PW, { gone: ["hunter2"], kept: ['"user":"bob"'] , json: true}],
  ["XML sent as a form with field rules: unscannable", EXAMPLE, "application/x-www-form-urlencoded", '<u password="hunter2"/>', { dropped: "unsupported_type" }],
  ["XML sent as a form, detectors only: a form", DETECTORS_ONLY, "application/x-www-form-urlencoded", "<m>=bob@example.org", { gone: ["bob@example.org"], kept: ["<m>="] }],
  ["a form is still a form", EXAMPLE, "application/x-www-form-urlencoded", "token=t0k3n&x=1", { gone: ["t0k3n"], kept: ["x=1"] }],
  ["a form sent as text/plain gets the query rules", EXAMPLE, "text/plain", "token=t0k3n&x=1&session=s3ss", { gone: ["t0k3n", "s3ss"], kept: ["x=1"] }],
  ["a form sent as text/plain: detectors too", EXAMPLE, "text/plain", "note=alice%40example.com&mail=bob@example.org", { gone: ["alice%40example.com", "bob@example.org"] }],
  ["text that only starts like JSON: dropped while rules name fields (lenient parsers read it)", EXAMPLE, "text/plain", "{not json} mail bob@example.org", { dropped: "invalid_json" }],
  ["JSON with trailing data (Go's Decoder, Jackson read the first value)", EXAMPLE, "text/plain", PW + " x", { dropped: "invalid_json" }],
  ["JSON with NaN (Python)", EXAMPLE, "application/x-www-form-urlencoded", '{"password":"hunter2","n":NaN}', { dropped: "invalid_json" }],
  ["text that only starts like JSON, detectors only: the detectors", DETECTORS_ONLY, "text/plain", "{not json} mail bob@example.org", { gone: ["bob@example.org"], kept: ["{not json} mail "] }],
  ["text with spaces and '=': the query rules and the detectors", EXAMPLE, "text/plain", "see the note below\n&token=t0k3n&x=mail bob@example.org", { gone: ["t0k3n", "bob@example.org"], kept: ["see the note below\n&"] }],
  ["plain text is unchanged", EXAMPLE, "text/plain", "hello world", { same: true }],
  ["text/xml with field rules: unscannable", EXAMPLE, "text/xml", "<u><password>hunter2</password></u>", { dropped: "unsupported_type" }],
  ["application/xml with field rules: unscannable", EXAMPLE, "application/xml", "<password>hunter2</password>", { dropped: "unsupported_type" }],
  ["application/soap+xml with field rules: unscannable", EXAMPLE, "application/soap+xml", "<password>hunter2</password>", { dropped: "unsupported_type" }],
  ["XML sent as text/plain with field rules: unscannable", EXAMPLE, "text/plain", "  <password>hunter2</password>", { dropped: "unsupported_type" }],
  ["HTML with field rules: unscannable", EXAMPLE, "text/html", "<p>hi</p>", { dropped: "unsupported_type" }],
  ["text/xml, detectors only: scanned as text", DETECTORS_ONLY, "text/xml", "<m>bob@example.org</m>", { gone: ["bob@example.org"], kept: ["<m>"] }],
  ["application/xml, detectors only: scanned as text", DETECTORS_ONLY, "application/xml", "<m>bob@example.org</m>", { gone: ["bob@example.org"], kept: ["<m>"] }],
  ["multipart/form-data: unscannable", EXAMPLE, "multipart/form-data; boundary=x", "--x\r\ncontent-disposition: form-data; name=password\r\n\r\nhunter2\r\n--x--\r\n", { dropped: "unsupported_type" }],
  ["application/octet-stream that is JSON: unscannable", EXAMPLE, "application/octet-stream", PW, { dropped: "unsupported_type" }],
  ["JSON as text/plain with a NUL after it: dropped", EXAMPLE, "text/plain", PW + "\u0000", { dropped: "invalid_json" }],
];

/** A clock that jumps a millisecond at every look: every slice takes one byte. */
function jumpingClock() {
  let t = 1_700_000_000_000_000_000n;
  return () => (t += 1_000_000n);
}

async function copyOf(policy: object, type: string, body: string, chunkSize: number, sliced: boolean) {
  const config = sliced ? { ...policy, limits: { redaction_inline_bytes: 0 } } : policy;
  const { host, ok } = await loadFilter(config, { env, now: sliced ? jumpingClock() : undefined });
  expect(ok).toBe(true);
  const { call } = send(host, { headers: [["content-type", type]], body, chunkSize });
  expect(call).toBeDefined();
  return { body: text(call!.body), dropped: header(call!.headers, "x-mirrorshade-body-dropped") };
}

describe.each([1, 7, 64])("chunks of %i bytes", (chunkSize) => {
  it.each(CASES)("%s", async (_name, policy, type, body, want) => {
    const whole = await copyOf(policy, type, body, chunkSize, false);
    expect(whole.dropped).toBe(want.dropped);
    if (want.dropped) expect(whole.body).toBe("");
    for (const s of want.gone ?? []) expect(whole.body).not.toContain(s);
    for (const s of want.kept ?? []) expect(whole.body).toContain(s);
    if (want.same) expect(whole.body).toBe(body);
    // Scanned as JSON: the copy still parses.
    if (want.json) JSON.parse(whole.body.replace(BOM, ""));
    // In one-byte slices from the tick: the same copy.
    if (chunkSize === 7) {
      const sliced = await copyOf(policy, type, body, chunkSize, true);
      expect(sliced).toEqual(whole);
    }
  });
});
