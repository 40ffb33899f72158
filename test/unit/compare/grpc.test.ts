// Comparison of gRPC answers in the mirror role, through the emulator: grpc-status and
// grpc-message from the trailers (or the headers of a trailers-only answer) on both
// sides, and the messages (framed: 1-byte flag, 4-byte length) by hash without a
// descriptor. Bodies reach the filter in 1..7-byte chunks.
import { describe, it, expect } from "vitest";
import { loadFilter } from "../../support/filter.js";
import { GRPC, frame, call, diffs, paths, metric, type GrpcAnswer } from "../../support/grpc-compare.js";

const POLICY = { role: "mirror", shadow: { cluster: "shadow" }, compare: {} };
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

describe("compare gRPC: noise cancellation", () => {
  it("the second primary's status is read from its trailers too: a status both primaries agree on is no noise", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, compare: { noise: { cluster: "primary-2", percent: 100 } } });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/pay.Payments/Authorize"], [":authority", "pay"], ["te", "trailers"], ...GRPC], false);
    stream.requestBody(MSG, true);
    const [toShadow, toSecond] = host.calls.slice(-2);
    expect(toSecond.cluster).toBe("primary-2");
    stream.responseHeaders([[":status", "200"], ...GRPC], false);
    stream.responseBody(MSG, false);
    stream.responseTrailers([["grpc-status", "0"]]);
    stream.complete();
    host.respondToCall(toSecond.token, { headers: [[":status", "200"], ...GRPC], body: MSG, trailers: [["grpc-status", "0"]] });
    host.respondToCall(toShadow.token, { headers: [[":status", "200"], ...GRPC], body: MSG, trailers: [["grpc-status", "3"]] });
    expect(metric(host, "noise_suppressed")).toBe(0n);
    expect(paths(diffs(host)[0])).toEqual([":grpc-status:value"]);
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
