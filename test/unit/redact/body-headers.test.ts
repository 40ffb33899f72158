// What the request's headers say about its body, as an application would read
// them: content-encoding is a list (RFC 9110 8.4) and any coding other than
// identity, anywhere in any header, makes the body unscannable (never sent as it
// is); two content-type headers that disagree leave the body's type unknown.
// Through the compiled filter in the emulator, mirror and upstream roles.
import { describe, it, expect } from "vitest";
import { loadFilter, send, header, text } from "../../support/filter.js";
import type { HeaderList } from "../../../harness/emulator/index.js";

const BODY = '{"email":"alice@example.com","n":1}';
const redact = { detectors: ["email"] };

const CASES: [string, HeaderList, string | undefined][] = [
  ["identity alone", [["content-type", "application/json"], ["content-encoding", "identity"]], undefined],
  ["identity in capitals, twice, with a parameter", [["content-type", "application/json"], ["content-encoding", "IDENTITY;q=1, Identity"]], undefined],
  ["an empty content-encoding", [["content-type", "application/json"], ["content-encoding", ""]], undefined],
  ["identity with a parameter, then br", [["content-type", "application/json"], ["content-encoding", "identity;q=1, br"]], "compressed"],
  ["identity, a space before the comma, then br", [["content-type", "application/json"], ["content-encoding", "identity ,br"]], "compressed"],
  ["a tab before gzip", [["content-type", "application/json"], ["content-encoding", "\tgzip"]], "compressed"],
  ["two headers, identity then gzip", [["content-type", "application/json"], ["content-encoding", "identity"], ["content-encoding", "gzip"]], "compressed"],
  ["a coding that only starts like identity", [["content-type", "application/json"], ["content-encoding", "identityx"]], "compressed"],
  ["two content-types that disagree", [["content-type", "text/plain"], ["content-type", "application/json"]], "unsupported_type"],
  ["two content-types that agree (parameters aside)", [["content-type", "application/json"], ["content-type", "application/json; charset=utf-8"]], undefined],
  ["two content-types as Envoy joins them (HTTP/1.1), text first", [["content-type", "text/plain,application/json"]], "unsupported_type"],
  ["a content-type list with the same type twice", [["content-type", "application/json, application/json"]], "unsupported_type"],
  ["a content-type after a tab", [["content-type", "\tapplication/json"]], undefined],
];

describe.each(["mirror", "upstream"])("role %s", (role) => {
  it.each(CASES)("%s", async (_name, headers, dropped) => {
    const policy = role === "mirror" ? { role, shadow: { cluster: "shadow" }, redact } : { role, redact };
    const { host, ok } = await loadFilter(policy);
    expect(ok).toBe(true);
    if (role === "mirror") {
      const { call } = send(host, { headers, body: BODY, chunkSize: 5 });
      expect(call).toBeDefined();
      expect(header(call!.headers, "x-mirrorshade-body-dropped")).toBe(dropped);
      if (dropped) expect(call!.body.length).toBe(0);
      else expect(text(call!.body)).not.toContain("alice@example.com");
    } else {
      // The upstream role rewrites the copy Envoy sends in place.
      const { stream } = send(host, { headers: [["x-shadow-request", "true"], ...headers], body: BODY, chunkSize: 5 });
      const out = text(stream.upstreamRequest.body);
      if (dropped) expect(out).toBe("");
      else expect(out).not.toContain("alice@example.com");
      expect(host.metric(`mirrorshade.redact.body_unscannable.${dropped ?? "compressed"}`)).toBe(dropped ? 1n : 0n);
    }
  });
});
