// An HTTP/2 request whose body ends with an empty DATA frame (END_STREAM on a
// frame of no bytes, as node's http2, curl and gRPC clients send it): Envoy calls
// the filter's body callback with size 0 and end_of_stream. Without a
// content-length the filter cannot know at headers time that a body of an
// unscannable type is empty: an empty one must go as it is (no body-dropped
// header), a non-empty one is still dropped. Through the compiled filter in the
// emulator, chunk sizes from 1 byte up.
import { describe, it, expect } from "vitest";
import { loadFilter, header, text, drainRedaction } from "../../support/filter.js";
import type { HeaderList } from "../../../harness/emulator/index.js";

const POLICY = { role: "mirror", shadow: { cluster: "shadow" }, redact: { json: { mask: ["$..password"] }, detectors: ["email"] } };

// name, headers, the body's chunks (an empty DATA frame with END_STREAM follows them), the body-dropped value expected
const CASES: [string, HeaderList, string[], string | undefined][] = [
  ["no content-type, only an empty DATA frame", [], [], undefined],
  ["an unknown type, only an empty DATA frame", [["content-type", "application/octet-stream"]], [], undefined],
  ["a compressed body, only an empty DATA frame", [["content-type", "application/json"], ["content-encoding", "gzip"]], [], undefined],
  ["JSON, only an empty DATA frame", [["content-type", "application/json"]], [], undefined],
  ["JSON, then an empty DATA frame", [["content-type", "application/json"]], ['{"password":"pw","e":"alice@example.com"}'], undefined],
  ["text, then an empty DATA frame", [["content-type", "text/plain"]], ["mail alice@example.com"], undefined],
  ["no content-type, bytes, then an empty DATA frame", [], ["abc"], "unsupported_type"],
  ["an unknown type, bytes, then an empty DATA frame", [["content-type", "application/octet-stream"]], ["\u0000\u0001"], "unsupported_type"],
  ["compressed, bytes, then an empty DATA frame", [["content-type", "application/json"], ["content-encoding", "br"]], ["xyz"], "compressed"],
  ["an unknown type, empty frames, then bytes", [["content-type", "application/octet-stream"]], ["", "", "abc"], "unsupported_type"],
];

async function exchange(headers: HeaderList, chunks: string[], chunkSize: number, trailers: boolean) {
  const { host, ok } = await loadFilter(POLICY);
  expect(ok).toBe(true);
  const stream = host.newStream();
  stream.requestHeaders([[":method", "POST"], [":path", "/h2"], [":authority", "orders.example"], [":scheme", "http"], ...headers], false);
  for (const c of chunks) {
    if (c.length === 0) stream.requestBody("", false);
    for (let i = 0; i < c.length; i += chunkSize) stream.requestBody(c.slice(i, i + chunkSize), false);
  }
  if (trailers) stream.requestTrailers([["x-checksum", "1"]]);
  else stream.requestBody("", true);
  drainRedaction(host);
  stream.responseHeaders([[":status", "200"]], true);
  stream.complete();
  return { host, stream, call: host.calls[host.calls.length - 1] };
}

describe.each([1, 3, 7, 64])("chunks of %i bytes", (chunkSize) => {
  it.each(CASES)("%s", async (_name, headers, chunks, dropped) => {
    for (const trailers of [false, true]) {
      const { host, stream, call } = await exchange(headers, chunks, chunkSize, trailers);
      expect(call).toBeDefined();
      expect(header(call.headers, "x-mirrorshade-body-dropped")).toBe(dropped);
      const sent = chunks.join("");
      expect(text(stream.upstreamRequest.body)).toBe(sent);
      if (dropped) {
        expect(call.body.length).toBe(0);
        expect(host.metric(`mirrorshade.redact.body_unscannable.${dropped}`)).toBe(1n);
      } else {
        expect(text(call.body)).not.toContain("alice@example.com");
        expect(text(call.body)).not.toContain('"pw"');
        for (const reason of ["unsupported_type", "compressed"]) expect(host.metric(`mirrorshade.redact.body_unscannable.${reason}`)).toBe(0n);
      }
    }
  });
});
