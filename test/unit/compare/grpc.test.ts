// Comparison of gRPC answers in the mirror role, through the emulator: grpc-status and
// grpc-message from the trailers (or the headers of a trailers-only answer) on both
// sides, and the messages (framed: 1-byte flag, 4-byte length) by hash without a
// descriptor. Bodies reach the filter in 1..7-byte chunks.
import { describe, it, expect } from "vitest";
import { loadFilter } from "../../support/filter.js";
import type { ProxyWasmHost, HeaderList } from "../../../harness/emulator/index.js";

const POLICY = { role: "mirror", shadow: { cluster: "shadow" }, compare: {} };
const GRPC = [["content-type", "application/grpc"]] as HeaderList;

/** gRPC framing: each message behind a flag byte and a 4-byte big-endian length. */
function frame(messages: Uint8Array[], compressed = false): Uint8Array {
  const out = new Uint8Array(messages.reduce((n, m) => n + 5 + m.length, 0));
  let at = 0;
  for (const m of messages) {
    out[at] = compressed ? 1 : 0;
    new DataView(out.buffer).setUint32(at + 1, m.length);
    out.set(m, at + 5);
    at += 5 + m.length;
  }
  return out;
}

/** One side's answer: messages then trailers, or trailers-only (the status in the headers, nothing else). */
interface GrpcAnswer {
  body?: Uint8Array;
  status?: string;
  message?: string;
  trailersOnly?: boolean;
}

const statusPairs = (a: GrpcAnswer): HeaderList => [
  ...(a.status === undefined ? [] : ([["grpc-status", a.status]] as HeaderList)),
  ...(a.message === undefined ? [] : ([["grpc-message", a.message]] as HeaderList)),
];

/** A gRPC call through the filter; the primary's answer in `chunk`-byte pieces, then the shadow's. */
function call(host: ProxyWasmHost, primary: GrpcAnswer, shadow: GrpcAnswer, chunk = 5, path = "/pay.Payments/Authorize") {
  const stream = host.newStream();
  const request = frame([new Uint8Array([0x0a, 0x02, 0x68, 0x69])]);
  stream.requestHeaders([[":method", "POST"], [":path", path], [":authority", "pay"], ["x-request-id", "g-1"], ["te", "trailers"], ...GRPC], false);
  stream.requestBody(request, true);
  const toShadow = host.calls.at(-1)!;
  if (primary.trailersOnly) {
    stream.responseHeaders([[":status", "200"], ...GRPC, ...statusPairs(primary)], true);
  } else {
    stream.responseHeaders([[":status", "200"], ...GRPC], false);
    const b = primary.body ?? new Uint8Array(0);
    for (let i = 0; i < b.length; i += chunk) stream.responseBody(b.subarray(i, i + chunk), false);
    stream.responseTrailers(statusPairs(primary));
  }
  stream.complete();
  if (shadow.trailersOnly) host.respondToCall(toShadow.token, { headers: [[":status", "200"], ...GRPC, ...statusPairs(shadow)] });
  else host.respondToCall(toShadow.token, { headers: [[":status", "200"], ...GRPC], body: shadow.body, trailers: statusPairs(shadow) });
}

const diffs = (host: ProxyWasmHost) => host.logs.filter((l) => l.message.startsWith("mirrorshade.diff ")).map((l) => JSON.parse(l.message.slice("mirrorshade.diff ".length)));
const paths = (d: { differences: { path: string; kind: string }[] }) => d.differences.map((x) => `${x.path}:${x.kind}`);
const metric = (host: ProxyWasmHost, name: string) => host.metric(`mirrorshade.compare.${name}`) ?? 0n;

const MSG = frame([new Uint8Array([0x0a, 0x08, ...new TextEncoder().encode("accepted"), 0x10, 0x0a])]);
const OTHER = frame([new Uint8Array([0x0a, 0x08, ...new TextEncoder().encode("rejected"), 0x10, 0x0a])]);

describe("compare gRPC: status", () => {
  it.each([1, 2, 3, 5, 7])("equal answers match (%i-byte chunks)", async (chunk) => {
    const { host } = await loadFilter(POLICY);
    call(host, { body: MSG, status: "0" }, { body: MSG, status: "0" }, chunk);
    expect(metric(host, "compared")).toBe(1n);
    expect(metric(host, "matched")).toBe(1n);
    expect(diffs(host)).toEqual([]);
  });

  it.each<[string, GrpcAnswer]>([
    ["from the trailers", { body: MSG, status: "3", message: "bad address" }],
    ["from a trailers-only answer", { trailersOnly: true, status: "3", message: "bad address" }],
  ])("a different grpc-status is a status mismatch at :grpc-status, by code name (shadow's %s)", async (_, shadow) => {
    const { host } = await loadFilter(POLICY);
    const primary = { body: MSG, status: "0" };
    call(host, primary, shadow);
    expect(metric(host, "mismatched.status")).toBe(1n);
    expect(metric(host, "mismatched.grpc_status")).toBe(1n);
    const [d] = diffs(host);
    expect(d).toMatchObject({ route: "/pay.Payments/Authorize", status: [200, 200], grpc_status: ["ok", "invalid_argument"] });
    expect(d.differences[0]).toEqual({ path: ":grpc-status", kind: "value", primary: "ok", shadow: "invalid_argument" });
    expect(d.differences[1]).toMatchObject({ path: ":grpc-message", kind: "value", primary: "" });
    expect(d.differences[1].shadow).toMatch(/^hmac:[0-9a-f]{32}$/);
    // A trailers-only answer has no messages: its body differs from one message.
    expect(paths(d)).toEqual(shadow.trailersOnly ? [":grpc-status:value", ":grpc-message:value", "body:hash"] : [":grpc-status:value", ":grpc-message:value"]);
    expect(d.mismatch).toEqual(shadow.trailersOnly ? ["status", "grpc_status", "body"] : ["status", "grpc_status"]);
  });

  it("the primary's trailers-only answer against the shadow's trailers: equal statuses match", async () => {
    const { host } = await loadFilter(POLICY);
    call(host, { trailersOnly: true, status: "14", message: "down" }, { status: "14", message: "down" });
    expect(metric(host, "matched")).toBe(1n);
    call(host, { trailersOnly: true, status: "14", message: "down" }, { status: "0" });
    const [d] = diffs(host);
    expect(d.differences[0]).toEqual({ path: ":grpc-status", kind: "value", primary: "unavailable", shadow: "ok" });
  });

  it("an answer without grpc-status, or with one that is no code, is named so", async () => {
    const { host } = await loadFilter(POLICY);
    call(host, { body: MSG, status: "0" }, { body: MSG });
    call(host, { body: MSG, status: "0" }, { body: MSG, status: "17" });
    expect(diffs(host).map((d) => d.differences[0].shadow)).toEqual(["none", "invalid"]);
  });

  it("a different grpc-message with the same status: a difference at :grpc-message, hashed", async () => {
    const { host } = await loadFilter(POLICY);
    call(host, { body: MSG, status: "3", message: "card 4539578763621486 refused" }, { body: MSG, status: "3", message: "card 4539578763621486 declined" });
    expect(metric(host, "mismatched.grpc_status")).toBe(1n);
    const [d] = diffs(host);
    expect(paths(d)).toEqual([":grpc-message:value"]);
    expect(d.differences[0].primary).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(d.differences[0].primary).not.toBe(d.differences[0].shadow);
    expect(JSON.stringify(d)).not.toContain("4539578763621486");
  });

  it("ignore_paths \":grpc-message\": messages are not compared, the status still is", async () => {
    const { host } = await loadFilter({ ...POLICY, compare: { ignore_paths: [":grpc-message", "$.ts"] } });
    call(host, { body: MSG, status: "3", message: "one" }, { body: MSG, status: "3", message: "two" });
    expect(metric(host, "matched")).toBe(1n);
    call(host, { body: MSG, status: "3", message: "one" }, { body: MSG, status: "5", message: "two" });
    expect(paths(diffs(host)[0])).toEqual([":grpc-status:value"]);
  });

  it("a call that is not gRPC: trailers are not read for grpc-status", async () => {
    const { host } = await loadFilter(POLICY);
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/api"], [":authority", "pay"]], true);
    const toShadow = host.calls.at(-1)!;
    stream.responseHeaders([[":status", "200"], ["content-type", "text/plain"]], false);
    stream.responseBody("ok", false);
    stream.responseTrailers([["grpc-status", "0"]]);
    stream.complete();
    host.respondToCall(toShadow.token, { headers: [[":status", "200"], ["content-type", "text/plain"]], body: "ok", trailers: [["grpc-status", "3"]] });
    expect(metric(host, "matched")).toBe(1n);
  });
});

describe("compare gRPC: messages without a descriptor", () => {
  it("different messages compare by hash of their bytes", async () => {
    const { host } = await loadFilter(POLICY);
    call(host, { body: MSG, status: "0" }, { body: OTHER, status: "0" }, 3);
    expect(metric(host, "mismatched.body")).toBe(1n);
    expect(metric(host, "mismatched.grpc_status")).toBe(0n);
    const [d] = diffs(host);
    expect(paths(d)).toEqual(["body:hash"]);
    expect(d.differences[0].primary).toMatch(/^hmac:[0-9a-f]{32}$/);
  });

  it("a server stream: every message counts, in order", async () => {
    const { host } = await loadFilter(POLICY);
    const a = new Uint8Array([0x08, 0x01]);
    const b = new Uint8Array([0x08, 0x02]);
    call(host, { body: frame([a, b]), status: "0" }, { body: frame([a, b]), status: "0" }, 1);
    expect(metric(host, "matched")).toBe(1n);
    call(host, { body: frame([a, b]), status: "0" }, { body: frame([b, a]), status: "0" }, 1);
    call(host, { body: frame([a, b]), status: "0" }, { body: frame([a]), status: "0" }, 1);
    expect(metric(host, "mismatched.body")).toBe(2n);
  });
});
