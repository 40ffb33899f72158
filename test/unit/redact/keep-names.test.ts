// The allow-list mode for names (redact.keep, #13): headers not kept are dropped
// (the copy's framing always passes), query and form values whose name is not
// kept are masked keeping their shape, in every spelling; explicit rules win;
// detectors still run over what is kept. Through the compiled filter.
import { describe, it, expect, beforeAll } from "vitest";
import { loadFilter, send as sendOnce, header, text, type TestRequest } from "../../support/filter.js";
import type { ProxyWasmHost } from "../../../harness/emulator/index.js";

function send(h: ProxyWasmHost, req: TestRequest) {
  const x = sendOnce(h, req);
  if (x.call) h.respondToCall(x.call.token, { headers: [[":status", "200"]] });
  return x;
}

const POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    keep: { headers: ["x-request-id", "accept", "authorization"], query: ["page", "q", { name: "Sort", match_case: true }] },
    headers: { drop: ["authorization"] },
    query: { mask: ["q"] },
    detectors: ["card", "email"],
  },
};

let host: ProxyWasmHost;
beforeAll(async () => {
  const loaded = await loadFilter(POLICY);
  expect(loaded.ok).toBe(true);
  host = loaded.host;
});

const FORM: [string, string] = ["content-type", "application/x-www-form-urlencoded"];
/** The stub's shape mask (values.ts maskShape) keeps the length: a masked value is as long, and none of its letters or digits. */
const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));

describe("headers", () => {
  it("only kept headers and the copy's framing pass", () => {
    const { call, stream } = send(host, {
      body: "page=1",
      headers: [
        ["x-request-id", "r-1"],
        ["accept", "text/html"],
        ["X-Api-Key", "k-12345"],
        ["cookie", "sid=secret"],
        ["x_request_id", "r-2"],
        ["x-forwarded-for", "10.0.0.7"],
        ["content-type", "application/x-www-form-urlencoded"],
        ["te", "trailers"],
        ["authorization", "Bearer abc"],
        ["x-note", "4111 1111 1111 1111"],
      ],
    });
    const names = call!.headers.map(([k]) => k);
    for (const gone of ["x-api-key", "X-Api-Key", "cookie", "x-forwarded-for", "x-note", "authorization"]) expect(names).not.toContain(gone);
    expect(header(call!.headers, "x-request-id")).toBe("r-1");
    // '_' is '-' to the applications that read headers as CGI variables: x_request_id is x-request-id.
    expect(header(call!.headers, "x_request_id")).toBe("r-2");
    expect(header(call!.headers, "accept")).toBe("text/html");
    expect(header(call!.headers, "content-type")).toBe("application/x-www-form-urlencoded");
    for (const p of [":method", ":path", ":authority", ":scheme"]) expect(names).toContain(p);
    expect(header(stream.upstreamRequest.headers, "cookie")).toBe("sid=secret");
    expect(host.metric("mirrorshade.redact.keep.headers_dropped")).toBeGreaterThan(0n);
  });

  it("detectors still run over kept headers", () => {
    const { call } = send(host, { headers: [["accept", "mail dave@example.com"]] });
    expect(header(call!.headers, "accept")).not.toContain("dave@example.com");
  });
});

// Names that are not `page` (or `Sort` as written), however close: their values are masked.
const NOT_KEPT = ["token", "PAGE[]", "page[0]", "user[page]", "page%20", "%20page", "page+", "pag", "pages", "page.x", "page;x", "sort", "SORT", "", "p%61ge[]", "x"];
const KEPT = ["page", "PAGE", "Page", "p%61ge", "%50%41%47%45", "Sort"];

describe("query and form values", () => {
  it.each(NOT_KEPT)("the value of %j is masked keeping its shape", (name) => {
    const qs = `${name}=Gh3-x%2By+9&z`;
    for (const out of [
      header(send(host, { path: "/p?" + qs }).call!.headers, ":path")!.slice(3),
      text(send(host, { body: qs, headers: [FORM], chunkSize: 1 }).call!.body),
      text(send(host, { body: qs, headers: [FORM], chunkSize: 4 }).call!.body),
    ]) {
      expect(out.startsWith(`${name}=`)).toBe(true);
      const value = out.slice(name.length + 1, out.indexOf("&"));
      expect(decode(value)).toHaveLength("Gh3-x+y 9".length);
      expect(decode(value)).not.toMatch(/[Gh3y9]/);
    }
  });

  it.each(KEPT)("the value of %j passes", (name) => {
    const qs = `${name}=Gh3-x%2By+9&a=1`;
    const out = header(send(host, { path: "/p?" + qs }).call!.headers, ":path")!.slice(3);
    expect(out.startsWith(`${name}=Gh3-x%2By+9&a=`)).toBe(true);
    expect(text(send(host, { body: qs, headers: [FORM], chunkSize: 3 }).call!.body).startsWith(`${name}=Gh3-x%2By+9&a=`)).toBe(true);
  });

  it.each([
    // An explicit rule wins: q is kept, but masked by the query rule ('*' per character).
    ["q=hello&page=2", "q=*****&page=2"],
    // A kept value still goes through the detectors.
    ["page=4111111111111111", "page=4000000000061111"],
    ["page=2;page=3", "page=2;page=3"],
  ])("%s -> %s", (qs, expected) => {
    expect(header(send(host, { path: "/p?" + qs }).call!.headers, ":path")).toBe("/p?" + expected);
    expect(text(send(host, { body: qs, headers: [FORM], chunkSize: 2 }).call!.body)).toBe(expected);
  });

  // What the shape mask makes of a value is values.ts's (maskShape: digits '1', hex letters 'a', others 'x'): here only
  // that nothing of it is left, at the same length (the secrets avoid the mask's own letters).
  it.each([
    // ';' as a separator: a sub-part not kept is masked too.
    ["page=2;token=Gh3", /^page=2;token=(...)$/, "Gh3"],
    ["page=2;TOKEN=Gh3;page=4", /^page=2;TOKEN=(...);page=4$/, "Gh3"],
    // A name with no value is the data itself: masked when not kept.
    ["4111111111111111&page=1", /^(\d{16})&page=1$/, "4111111111111111"],
    ["page&ghk", /^page&(...)$/, "ghk"],
    // The mask keeps the value's encoding where it did not change a byte ('+', escapes).
    ["t=g+h%2Fk%20m", /^t=(.)\+(.)%2F(.)%20(.)$/, "ghkm"],
  ])("%s: masked where not kept", (qs, shape, secret) => {
    for (const out of [header(send(host, { path: "/p?" + qs }).call!.headers, ":path")!.slice(3), text(send(host, { body: qs, headers: [FORM], chunkSize: 2 }).call!.body)]) {
      const m = out.match(shape);
      expect(m, out).not.toBeNull();
      expect(m!.slice(1).join("")).not.toBe(secret);
      for (const c of new Set(secret.replace(/\d/g, ""))) expect(m!.slice(1).join("")).not.toContain(c);
    }
    expect(host.metric("mirrorshade.redact.keep.query_masked")).toBeGreaterThan(0n);
  });
});

describe("without keep", () => {
  it("headers and values pass as before", async () => {
    const { host: h } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["card"] } });
    const { call } = send(h, { path: "/p?token=abc", headers: [["x-api-key", "k1"]] });
    expect(header(call!.headers, "x-api-key")).toBe("k1");
    expect(header(call!.headers, ":path")).toBe("/p?token=abc");
  });
});
