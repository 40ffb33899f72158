// gRPC in the in-place roles, through the emulator: the copy Envoy streams is
// redacted message by message as its chunks pass (every callback Continue), only
// an incomplete message held; a message over the bound, a compressed or broken
// frame empties the rest of the stream; a partial message at the end is never sent.
import { describe, it, expect } from "vitest";
import { loadFilter } from "../../support/filter.js";
import { frame, concat, message, chunks, GRPC_HEADERS } from "../../support/grpc-frames.js";
import type { HeaderList, ProxyWasmHost } from "../../../harness/emulator/index.js";

const UPSTREAM = { role: "upstream", redact: { detectors: ["card", "email"] } };
const MESSAGES = [frame(message("Zoë", 7, "blue")), frame(new Uint8Array(0)), frame(message("y".repeat(40), 3, "z"))];
const BODY = concat(...MESSAGES);

/** Feeds one copy in chunks; what each chunk became as it passed, in order. */
function stream(host: ProxyWasmHost, parts: Uint8Array[], opts: { trailers?: HeaderList; headers?: HeaderList } = {}) {
  const s = host.newStream();
  s.requestHeaders([[":method", "POST"], [":path", "/shop.v1.Orders/Upload"], [":authority", "orders-shadow:50051"], ...(opts.headers ?? GRPC_HEADERS)], false);
  const passed: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const before = s.upstreamRequest.body.length;
    s.requestBody(parts[i], i === parts.length - 1 && !opts.trailers);
    passed.push(s.upstreamRequest.body.length - before);
  }
  if (opts.trailers) s.requestTrailers(opts.trailers);
  s.complete();
  return { s, passed };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("gRPC in place (upstream role)", () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 1000])("messages split across %i-byte chunks pass whole, each as soon as it is complete", async (n) => {
    const { host, ok } = await loadFilter(UPSTREAM);
    expect(ok).toBe(true);
    const parts = chunks(BODY, [n]);
    const { s, passed } = stream(host, parts, { trailers: [["x-end", "1"]] });
    expect(same(s.upstreamRequest.body, BODY)).toBe(true);
    expect(s.results.every((r) => r.action === "continue")).toBe(true);
    // Nothing is held past the chunk that completes a message.
    let fed = 0;
    let sent = 0;
    const ends = MESSAGES.reduce<number[]>((acc, m) => [...acc, (acc.at(-1) ?? 0) + m.length], []);
    for (let i = 0; i < parts.length; i++) {
      fed += parts[i].length;
      sent += passed[i];
      expect(sent).toBe(Math.max(0, ...ends.filter((e) => e <= fed)));
    }
  });

  it("the shadow role streams a recognized copy's messages the same way, bounded by inbound.max_body_bytes", async () => {
    const { host } = await loadFilter({ role: "shadow", redact: { detectors: ["card"] }, inbound: { max_body_bytes: 16 } });
    const big = frame(message("w".repeat(30), 1, ""));
    const { s } = stream(host, chunks(concat(MESSAGES[0], big), [6]));
    expect(same(s.upstreamRequest.body, MESSAGES[0])).toBe(true);
    expect(host.metric("mirrorshade.redact.body_unscannable.too_large")).toBe(1n);
  });

  it("a body split at every byte passes whole", async () => {
    const { host } = await loadFilter(UPSTREAM);
    for (let at = 0; at <= BODY.length; at++) {
      const { s } = stream(host, [BODY.subarray(0, at), BODY.subarray(at)]);
      expect(same(s.upstreamRequest.body, BODY)).toBe(true);
    }
    expect(host.metric("mirrorshade.redact.body_unscannable.invalid_grpc_frame")).toBe(0n);
  });

  it("a message declared longer than max_body_bytes: too_large, the rest of the stream emptied", async () => {
    const { host } = await loadFilter({ ...UPSTREAM, upstream: { max_body_bytes: 32 } });
    const big = frame(message("q".repeat(40), 1, ""));
    const body = concat(MESSAGES[0], big, MESSAGES[0]);
    const { s } = stream(host, chunks(body, [3]));
    expect(same(s.upstreamRequest.body, MESSAGES[0])).toBe(true);
    expect(host.metric("mirrorshade.redact.body_unscannable.too_large")).toBe(1n);
  });

  it.each([
    ["a compressed message", frame(message("a", 1, "b"), 1), "compressed"],
    ["a flag byte other than 0 or 1", frame("ab", 7), "invalid_grpc_frame"],
  ])("%s mid-stream: the messages before it went, the rest is emptied", async (_n, bad, reason) => {
    const { host } = await loadFilter(UPSTREAM);
    const { s } = stream(host, chunks(concat(MESSAGES[0], bad, MESSAGES[2]), [4]));
    expect(same(s.upstreamRequest.body, MESSAGES[0])).toBe(true);
    expect(host.metric(`mirrorshade.redact.body_unscannable.${reason}`)).toBe(1n);
  });

  it.each([
    ["its end", {}],
    ["its trailers", { trailers: [["x-end", "1"]] as HeaderList }],
  ])("a partial message at %s is never sent: invalid_grpc_frame", async (_n, opts) => {
    const { host } = await loadFilter(UPSTREAM);
    const { s } = stream(host, chunks(concat(MESSAGES[0], MESSAGES[2].subarray(0, 9)), [5]), opts);
    expect(same(s.upstreamRequest.body, MESSAGES[0])).toBe(true);
    expect(host.metric("mirrorshade.redact.body_unscannable.invalid_grpc_frame")).toBe(1n);
  });

  it("grpc-encoding gzip: emptied from the start and flagged on the headers", async () => {
    const { host } = await loadFilter(UPSTREAM);
    const { s } = stream(host, [BODY], { headers: [...GRPC_HEADERS, ["grpc-encoding", "gzip"]] });
    expect(s.upstreamRequest.body.length).toBe(0);
    expect(s.upstreamRequest.headers.find(([k]) => k === "x-mirrorshade-body-dropped")?.[1]).toBe("compressed");
  });

  it("rules by field name without a descriptor for the method: emptied and flagged unknown_grpc_method", async () => {
    const { host } = await loadFilter({ role: "upstream", redact: { json: { mask: ["$.card.number"] } } });
    const { s } = stream(host, chunks(BODY, [3]));
    expect(s.upstreamRequest.body.length).toBe(0);
    expect(s.upstreamRequest.headers.find(([k]) => k === "x-mirrorshade-body-dropped")?.[1]).toBe("unknown_grpc_method");
    expect(host.metric("mirrorshade.redact.body_unscannable.unknown_grpc_method")).toBe(1n);
  });

  it("te: trailers and gRPC's metadata stay on the copy", async () => {
    const { host } = await loadFilter(UPSTREAM);
    const { s } = stream(host, [BODY], { headers: [...GRPC_HEADERS, ["grpc-timeout", "1S"]] });
    expect(s.upstreamRequest.headers.find(([k]) => k === "te")?.[1]).toBe("trailers");
    expect(s.upstreamRequest.headers.find(([k]) => k === "grpc-timeout")?.[1]).toBe("1S");
  });

  it("whatever the frames and the chunking, what passes is whole frames of the stream's start, never a partial one", async () => {
    const { host } = await loadFilter({ ...UPSTREAM, upstream: { max_body_bytes: 64 } });
    let x = 99;
    const rnd = (n: number) => Math.floor(((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32) * n);
    for (let k = 0; k < 60; k++) {
      const frames = Array.from({ length: 1 + rnd(5) }, () => {
        const f = frame(message("m".repeat(rnd(70)), rnd(200), "i"));
        const kind = rnd(12);
        if (kind === 0) f[0] = 1; // compressed
        if (kind === 1) f[0] = 2 + rnd(250); // not a flag
        return f;
      });
      let body = concat(...frames);
      if (rnd(4) === 0) body = body.subarray(0, rnd(body.length + 1)); // cut anywhere
      const sizes = Array.from({ length: 4 }, () => 1 + rnd(9));
      const { s } = stream(host, body.length > 0 ? chunks(body, sizes) : [new Uint8Array(0)]);
      const out = s.upstreamRequest.body;
      // The longest run of good frames at the start (flag 0, at most 64 bytes, complete).
      let good = 0;
      for (const f of frames) {
        if (f[0] !== 0 || f.length - 5 > 64 || good + f.length > body.length) break;
        good += f.length;
      }
      expect(Buffer.from(out).equals(Buffer.from(body.subarray(0, good)))).toBe(true);
    }
  });
});

// Found by the hostile review of #14 against real Envoy (test/e2e/hostile-grpc-*.test.ts).
describe("what a gRPC copy carries besides its messages, in place and mirrored", () => {
  const CARD = "4111111111111111";
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  const POLICY = { redact: { headers: { drop: ["authorization"] }, detectors: ["card", "email"] } };

  it.each(["upstream", "shadow"])("%s role: request trailers get the header rules and detectors", async (role) => {
    const { host } = await loadFilter({ role, ...POLICY });
    const trailers: HeaderList = [["x-card", CARD], ["authorization", "Bearer t"], ["x-mirrorshade-body-dropped", "no"], ["x-ok", "1"]];
    const { s } = stream(host, [BODY], { trailers });
    const got = s.upstreamRequest.trailers;
    expect(got.find(([k]) => k === "authorization")).toBeUndefined();
    expect(got.find(([k]) => k === "x-mirrorshade-body-dropped")).toBeUndefined();
    expect(JSON.stringify(got)).not.toContain(CARD);
    expect(got).toContainEqual(["x-ok", "1"]);
  });

  it("a request that is not a copy keeps its trailers as sent (shadow role)", async () => {
    const { host } = await loadFilter({ role: "shadow", ...POLICY });
    const s = host.newStream();
    s.requestHeaders([[":method", "POST"], [":path", "/shop.v1.Orders/Upload"], [":authority", "orders:50051"], ...GRPC_HEADERS], false);
    s.requestBody(BODY, false);
    s.requestTrailers([["authorization", "Bearer t"]]);
    s.complete();
    expect(s.upstreamRequest.trailers).toEqual([["authorization", "Bearer t"]]);
  });

  it.each([
    ["x-card-bin", b64(CARD)],
    ["x-email-bin", b64("alice@example.com").replace(/=+$/, "")],
    ["x-card-bin", Buffer.from(CARD).toString("base64url")],
    ["authorization-bin", b64("Bearer t")],
  ])("binary metadata %s: %s is read decoded (and by the rule of its name without -bin)", async (name, value) => {
    const { host } = await loadFilter({ role: "upstream", ...POLICY });
    const s = host.newStream();
    s.requestHeaders([[":method", "POST"], [":path", "/shop.v1.Orders/Upload"], [":authority", "orders-shadow:50051"], ...GRPC_HEADERS, [name, value], ["x-plain-bin", b64("nothing here")]], false);
    s.requestBody(BODY, true);
    s.complete();
    const sent = s.upstreamRequest.headers;
    expect(sent.find(([k]) => k === name)).toBeUndefined();
    expect(sent).toContainEqual(["x-plain-bin", b64("nothing here")]);
  });
});
