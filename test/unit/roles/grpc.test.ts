// gRPC calls in the mirror role, through the emulator: the framed body is walked
// message by message whatever the chunking and the slicing, fails closed on
// compressed or broken frames and on rules without a method's schema, keeps
// te: trailers on the copy, counts the shadow's answers by grpc-status, and does
// not mirror a stream too long in bytes or in time.
import { describe, it, expect } from "vitest";
import { loadFilter, drainRedaction, header } from "../../support/filter.js";
import { frame, concat, message, chunks, GRPC_HEADERS } from "../../support/grpc-frames.js";
import type { HeaderList, ProxyWasmHost } from "../../../harness/emulator/index.js";
import { presentRequestHeaders } from "../../../harness/emulator/request-headers.js";

const PATH = "/shop.v1.Orders/Create";
// Detectors only: messages are walked without a schema (no rule names a field).
const DETECT = { role: "mirror", shadows: [{ name: "v2", cluster: "shadow" }], redact: { detectors: ["card", "email"] } };
const QUEUED = { ...DETECT, limits: { redaction_inline_bytes: 0 } };

// Three messages (one empty) holding no secret: the copy is byte-identical.
const BODY = concat(frame(message("Zoë", 7, "blue")), frame(new Uint8Array(0)), frame(message("x".repeat(130), 1, "")));

interface Call {
  headers?: HeaderList;
  parts: Uint8Array[];
  trailers?: HeaderList;
  path?: string;
}

/** One gRPC request as Envoy hands it over HTTP/2 (no content-length), body in the given chunks. */
function grpcCall(host: ProxyWasmHost, c: Call) {
  const before = host.calls.length;
  const stream = host.newStream();
  stream.requestHeaders([[":method", "POST"], [":path", c.path ?? PATH], [":authority", "orders:50051"], [":scheme", "http"], ...(c.headers ?? GRPC_HEADERS)], false);
  c.parts.forEach((p, i) => stream.requestBody(p, i === c.parts.length - 1 && !c.trailers));
  if (c.parts.length === 0 && !c.trailers) stream.requestBody(new Uint8Array(0), true);
  if (c.trailers) stream.requestTrailers(c.trailers);
  drainRedaction(host);
  stream.responseHeaders([[":status", "200"], ["content-type", "application/grpc"]], false);
  stream.responseTrailers([["grpc-status", "0"]]);
  stream.complete();
  const call = host.calls.length > before ? host.calls[host.calls.length - 1] : undefined;
  return { stream, call };
}

const dropped = (h: HeaderList) => header(h, "x-mirrorshade-body-dropped");

describe("gRPC framing (mirror role)", () => {
  it("walks a body split at every byte, whole or in slices, into a byte-identical copy", async () => {
    for (const policy of [DETECT, QUEUED]) {
      const { host, ok } = await loadFilter(policy);
      expect(ok).toBe(true);
      for (let at = 0; at <= BODY.length; at++) {
        const { call, stream } = grpcCall(host, { parts: [BODY.subarray(0, at), BODY.subarray(at)] });
        expect(dropped(call!.headers)).toBeUndefined();
        expect(Buffer.from(call!.body).equals(Buffer.from(BODY))).toBe(true);
        expect(Buffer.from(stream.upstreamRequest.body).equals(Buffer.from(BODY))).toBe(true);
      }
    }
  });

  it.each([1, 2, 3, 4, 5, 6, 7])("walks a body fed in %i-byte chunks", async (n) => {
    const { host } = await loadFilter(QUEUED);
    const { call } = grpcCall(host, { parts: chunks(BODY, [n]), trailers: [["x-end", "1"]] });
    expect(Buffer.from(call!.body).equals(Buffer.from(BODY))).toBe(true);
    expect(host.metric("mirrorshade.redact.body_unscannable.invalid_grpc_frame")).toBe(0n);
  });

  it("frames scanned from the queue in one-byte steps (a clock that jumps at every look) make the same copy", async () => {
    let t = 1_700_000_000_000_000_000n;
    const { host } = await loadFilter(QUEUED, { now: () => (t += 1_000_000n) });
    const { call } = grpcCall(host, { parts: chunks(BODY, [3, 1, 7]) });
    expect(Buffer.from(call!.body).equals(Buffer.from(BODY))).toBe(true);
  });

  it.each([
    ["the compressed flag set", concat(frame(message("a", 1, "b")), frame(message("c", 2, "d"), 1)), "compressed"],
    ["a flag byte other than 0 or 1", concat(frame(message("a", 1, "b")), frame("zz", 2)), "invalid_grpc_frame"],
    ["a prefix cut short", concat(frame(message("a", 1, "b")), new Uint8Array([0, 0, 0])), "invalid_grpc_frame"],
    ["a message cut short", frame(message("abc", 1, "def")).subarray(0, 12), "invalid_grpc_frame"],
    ["a length past the end", concat(frame(message("ab", 1, "c")), new Uint8Array([0, 0xff, 0xff, 0xff, 0xff, 1])), "invalid_grpc_frame"],
  ])("%s: the copy goes without its body, flagged and counted", async (_n, body, reason) => {
    for (const policy of [DETECT, QUEUED]) {
      const { host } = await loadFilter(policy);
      const { call, stream } = grpcCall(host, { parts: chunks(body, [2, 5]) });
      expect(dropped(call!.headers)).toBe(reason);
      expect(call!.body.length).toBe(0);
      expect(host.metric(`mirrorshade.redact.body_unscannable.${reason}`)).toBe(1n);
      // The primary's body is never touched.
      expect(Buffer.from(stream.upstreamRequest.body).equals(Buffer.from(body))).toBe(true);
    }
  });

  it("on_unscannable skip: a broken frame means no copy at all", async () => {
    const { host } = await loadFilter({ ...DETECT, redact: { ...DETECT.redact, body: { on_unscannable: "skip" } } });
    const { call } = grpcCall(host, { parts: [frame("abc", 1)] });
    expect(call).toBeUndefined();
    expect(host.metric("mirrorshade.skipped.unscannable_body")).toBe(1n);
  });
});

describe("gRPC body plans", () => {
  it.each([
    ["grpc-encoding gzip", [["content-type", "application/grpc"], ["grpc-encoding", "gzip"]], "compressed"],
    ["content-encoding gzip", [["content-type", "application/grpc"], ["content-encoding", "gzip"]], "compressed"],
    ["application/grpc+json (framed JSON: not walked)", [["content-type", "application/grpc+json"]], "unsupported_type"],
    ["application/grpc+thrift", [["content-type", "application/grpc+thrift"]], "unsupported_type"],
    ["grpc-encoding identity", [["content-type", "application/grpc"], ["grpc-encoding", "identity"]], undefined],
    ["application/grpc+proto with a parameter", [["content-type", "Application/GRPC+proto; v=1"]], undefined],
  ] as [string, HeaderList, string | undefined][])("%s", async (_n, headers, reason) => {
    const { host } = await loadFilter(DETECT);
    const body = frame(message("a", 1, "b"));
    const { call } = grpcCall(host, { headers, parts: [body] });
    expect(dropped(call!.headers)).toBe(reason);
    expect(call!.body.length).toBe(reason ? 0 : body.length);
    if (reason) expect(host.metric(`mirrorshade.redact.body_unscannable.${reason}`)).toBe(1n);
  });

  it.each([
    ["redact.json rules", { json: { mask: ["$.card.number"] } }],
    ["redact.keep", { keep: { json: ["$.id"] } }],
  ])("%s without a descriptor that knows the method: unknown_grpc_method at headers time", async (_n, redact) => {
    const { host } = await loadFilter({ ...DETECT, redact });
    const { call } = grpcCall(host, { parts: [frame(message("a", 1, "b"))] });
    expect(dropped(call!.headers)).toBe("unknown_grpc_method");
    expect(call!.body.length).toBe(0);
    expect(host.metric("mirrorshade.redact.body_unscannable.unknown_grpc_method")).toBe(1n);
  });
});

describe("gRPC copy headers", () => {
  const META: HeaderList = [["grpc-timeout", "5S"], ["grpc-encoding", "identity"], ["grpc-accept-encoding", "identity,gzip"], ["content-type", "application/grpc"]];
  it.each([
    ["trailers", "trailers"],
    [" Trailers ", "Trailers"],
  ])("te %j is kept with gRPC's metadata", async (te) => {
    for (const policy of [DETECT, { ...DETECT, redact: { keep: { headers: ["x-user"] }, detectors: ["card"] } }]) {
      const { host } = await loadFilter(policy);
      const { call } = grpcCall(host, { headers: [...META, ["te", te]], parts: [] });
      expect(header(call!.headers, "te")?.trim().toLowerCase()).toBe("trailers");
      expect(header(call!.headers, "grpc-timeout")).toBe("5S");
      expect(header(call!.headers, "grpc-encoding")).toBe("identity");
      expect(header(call!.headers, "grpc-accept-encoding")).toBe("identity,gzip");
      expect(header(call!.headers, "content-type")).toBe("application/grpc");
    }
  });

  it("what Envoy hands the filter from a gRPC client (h2): te trailers reaches the copy", async () => {
    const { host } = await loadFilter(DETECT);
    const sent: HeaderList = [["content-type", "application/grpc"], ["TE", "  trailers "], ["grpc-timeout", "100m"], ["user-agent", "grpc-node-js/1.14.7"]];
    const { call } = grpcCall(host, { headers: presentRequestHeaders(sent, "h2"), parts: [frame(message("a", 1, "b"))] });
    expect(header(call!.headers, "te")).toBe("trailers");
    expect(header(call!.headers, "grpc-timeout")).toBe("100m");
  });

  it.each(["gzip", "trailers, deflate", "trailersx"])("te %j is dropped (hop-by-hop)", async (te) => {
    const { host } = await loadFilter(DETECT);
    const { call } = grpcCall(host, { headers: [...META, ["te", te]], parts: [] });
    expect(header(call!.headers, "te")).toBeUndefined();
  });
});

describe("gRPC answers", () => {
  const reply = async (answer: { headers: HeaderList; trailers?: HeaderList; fromEnvoy?: boolean }, grpc = true) => {
    const { host } = await loadFilter(DETECT);
    const headers: HeaderList = grpc ? GRPC_HEADERS : [["content-type", "application/json"]];
    const { call } = grpcCall(host, { headers, parts: [frame(message("a", 1, "b"))] });
    host.respondToCall(call!.token, answer);
    return host;
  };
  const grpcCounts = (host: ProxyWasmHost) =>
    [...host.metrics.keys()].filter((k) => k.includes("grpc.") && (host.metric(k) ?? 0n) > 0n).sort();

  it.each([
    ["grpc-status in the trailers", { headers: [[":status", "200"]], trailers: [["grpc-status", "0"]] }, "ok"],
    ["a trailers-only answer", { headers: [[":status", "200"], ["grpc-status", "14"], ["grpc-message", "down"]] }, "unavailable"],
    ["the trailers' status over the headers'", { headers: [[":status", "200"], ["grpc-status", "0"]], trailers: [["grpc-status", "3"]] }, "invalid_argument"],
    ["a grpc-status that is no code", { headers: [[":status", "200"]], trailers: [["grpc-status", "99"]] }, "unknown"],
    ["HTTP 404 without grpc-status", { headers: [[":status", "404"]] }, "unimplemented"],
    ["HTTP 400", { headers: [[":status", "400"]] }, "internal"],
    ["HTTP 401", { headers: [[":status", "401"]] }, "unauthenticated"],
    ["HTTP 403", { headers: [[":status", "403"]] }, "permission_denied"],
    ["HTTP 429", { headers: [[":status", "429"]] }, "unavailable"],
    ["HTTP 503 from the shadow", { headers: [[":status", "503"]] }, "unavailable"],
    ["HTTP 200 without grpc-status", { headers: [[":status", "200"]] }, "unknown"],
  ] as [string, { headers: HeaderList; trailers?: HeaderList }, string][])("%s", async (_n, answer, name) => {
    const host = await reply(answer);
    expect(grpcCounts(host)).toEqual([`mirrorshade.shadow.grpc.${name}`, `mirrorshade.shadows.v2.grpc.${name}`]);
    expect(host.metric("mirrorshade.shadow.failures")).toBe(0n);
  });

  it("Envoy's own local reply is a failure, not a gRPC status", async () => {
    const host = await reply({ headers: [[":status", "503"], ["content-type", "text/plain"]], fromEnvoy: true });
    expect(grpcCounts(host)).toEqual([]);
    expect(host.metric("mirrorshade.shadow.failures")).toBe(1n);
  });

  it("a copy that is not gRPC is counted by HTTP status only", async () => {
    const host = await reply({ headers: [[":status", "200"], ["grpc-status", "0"]] }, false);
    expect(grpcCounts(host)).toEqual([]);
    expect(host.metric("mirrorshade.shadow.responses.2xx")).toBe(1n);
  });
});

describe("gRPC streams too long to copy whole", () => {
  const TWO = (a: object, b: object) => ({ role: "mirror", redact: { detectors: ["card"] }, shadows: [{ name: "a", cluster: "sa", ...a }, { name: "b", cluster: "sb", ...b }] });

  it("over a shadow's max_body_bytes: not mirrored without its body, counted; other shadows still get it", async () => {
    const { host } = await loadFilter(TWO({ max_body_bytes: 16, on_body_too_large: "headers_only" }, {}));
    const body = concat(frame(message("abcdefgh", 1, "ijkl")), frame(message("m", 2, "n")));
    grpcCall(host, { parts: chunks(body, [4]) });
    expect(host.calls.map((c) => c.cluster)).toEqual(["sb"]);
    expect(host.metric("mirrorshade.skipped.stream_too_long")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.a.skipped.stream_too_long")).toBe(1n);
    expect(host.metric("mirrorshade.shadows.b.skipped.stream_too_long")).toBe(0n);
    expect(host.metric("mirrorshade.mirrored_without_body")).toBe(0n);
  });

  it("announced by content-length: skipped at headers time, nothing collected", async () => {
    const { host } = await loadFilter(TWO({ max_body_bytes: 16 }, { max_body_bytes: 16 }));
    const body = frame(message("abcdefghijklmnop", 1, "q"));
    grpcCall(host, { headers: [...GRPC_HEADERS, ["content-length", String(body.length)]], parts: chunks(body, [3]) });
    expect(host.calls.length).toBe(0);
    expect(host.metric("mirrorshade.skipped.stream_too_long")).toBe(2n);
    expect(host.metric("mirrorshade.skipped.body_too_large")).toBe(0n);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });

  it("without a redact section too", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "s", max_body_bytes: 8 } });
    grpcCall(host, { parts: [frame(message("abcdefgh", 1, "ijkl"))] });
    expect(host.calls.length).toBe(0);
    expect(host.metric("mirrorshade.skipped.stream_too_long")).toBe(1n);
  });

  it("a body that is not gRPC over the limit keeps its behaviour (headers-only copy)", async () => {
    const { host } = await loadFilter(TWO({ max_body_bytes: 4, on_body_too_large: "headers_only" }, {}));
    grpcCall(host, { headers: [["content-type", "text/plain"]], parts: [new TextEncoder().encode("plain text, twenty+ bytes")] });
    expect(host.calls.length).toBe(2);
    expect(host.metric("mirrorshade.skipped.stream_too_long")).toBe(0n);
    expect(host.metric("mirrorshade.mirrored_without_body")).toBe(1n);
  });

  it("not ended within a shadow's timeout_ms: not mirrored to it, checked at each chunk and at the end", async () => {
    let t = 1_000_000_000_000n;
    const { host } = await loadFilter(TWO({ timeout_ms: 100 }, { timeout_ms: 1000 }), { now: () => t });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", PATH], [":authority", "o"], ...GRPC_HEADERS], false);
    stream.requestBody(frame(message("a", 1, "b")), false);
    t += 500_000_000n; // 500 ms later: over a's 100 ms, within b's 1000 ms
    stream.requestBody(frame(message("c", 2, "d")), false);
    expect(host.metric("mirrorshade.shadows.a.skipped.stream_too_long")).toBe(1n);
    stream.requestBody(new Uint8Array(0), true);
    drainRedaction(host);
    expect(host.calls.map((c) => c.cluster)).toEqual(["sb"]);
    stream.complete();

    // An idle stream is let go at its end.
    const idle = host.newStream();
    idle.requestHeaders([[":method", "POST"], [":path", PATH], [":authority", "o"], ...GRPC_HEADERS], false);
    idle.requestBody(frame(message("a", 1, "b")), false);
    t += 2_000_000_000n;
    idle.requestTrailers([["x-end", "1"]]);
    drainRedaction(host);
    idle.complete();
    expect(host.calls.length).toBe(1);
    expect(host.metric("mirrorshade.skipped.stream_too_long")).toBe(3n);
    expect(host.metric("mirrorshade.shadows.b.skipped.stream_too_long")).toBe(1n);
  });

  it("a request that is not gRPC is not bounded in time", async () => {
    let t = 1_000_000_000_000n;
    const { host } = await loadFilter(TWO({ timeout_ms: 100 }, {}), { now: () => t });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/"], [":authority", "o"], ["content-type", "text/plain"]], false);
    t += 5_000_000_000n;
    stream.requestBody("hello", true);
    drainRedaction(host);
    expect(host.calls.length).toBe(2);
    expect(host.metric("mirrorshade.skipped.stream_too_long")).toBe(0n);
  });
});
