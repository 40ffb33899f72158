// capture / compare.capture through the emulator: which answers are captured, that
// a capture carries the copy exactly as the shadow received it (headers and body,
// bodies fed in chunks of 1 to 7 bytes and whole), the answers' headers redacted,
// the rate budget, the size bound, a capture cluster that cannot be called, and
// that nothing is held once a call's fate is known.
import { describe, it, expect } from "vitest";
import { loadFilter, drainRedaction } from "../../support/filter.js";
import type { ProxyWasmHost, HeaderList, DispatchedCall } from "../../../harness/emulator/index.js";
import { decodeFrame, type RawHeaders } from "../../../harness/capture/frame.js";

const CARD = "4539578763621486";
const EMAIL = "hank.hill@example.com";
const TOKEN = "sk_live_9f8e7d6c5b4a";
const SECRETS = [CARD, "539578763621", EMAIL, "hank.hill", TOKEN, "Bearer abc.def"];

const REDACT = { detectors: ["card", "email"], headers: { drop: ["authorization"] }, query: { mask: ["token"] } };
const base = (capture: object, more: object = {}) => ({ role: "mirror", shadow: { cluster: "shadow" }, redact: REDACT, capture: { cluster: "capture", ...capture }, ...more });

const BODY = JSON.stringify({ card: CARD, email: EMAIL, note: `pay ${CARD} now`, amount: 12.5, items: [{ sku: "a-1" }] });

type Shadow = { status: string; headers?: HeaderList; trailers?: HeaderList } | "reset" | "timeout" | "connect";

function answer(host: ProxyWasmHost, call: DispatchedCall, s: Shadow) {
  if (s === "reset") host.respondToCall(call.token, null);
  else if (s === "timeout") host.timeoutCall(call.token);
  else if (s === "connect") host.connectFailureCall(call.token);
  else host.respondToCall(call.token, { headers: [[":status", s.status], ["content-type", "application/json"], ...(s.headers ?? [])], body: "{}", trailers: s.trailers });
}

/** One request with its body in chunks; the primary answers (before or after the shadow), the shadow as told. */
function exchange(host: ProxyWasmHost, shadow: Shadow, o: { chunk?: number; primaryFirst?: boolean; body?: string; primaryHeaders?: HeaderList; primaryBody?: string } = {}) {
  const before = host.calls.length;
  const stream = host.newStream();
  const body = new TextEncoder().encode(o.body ?? BODY);
  stream.requestHeaders([
    [":method", "POST"], [":path", `/pay?token=${TOKEN}&user=${EMAIL}&page=2`], [":authority", "payments"], [":scheme", "http"],
    ["authorization", "Bearer abc.def"], ["x-customer", EMAIL], ["content-type", "application/json"],
  ], false);
  const size = o.chunk ?? body.length;
  for (let i = 0; i < body.length; i += size) stream.requestBody(body.subarray(i, Math.min(body.length, i + size)), i + size >= body.length);
  drainRedaction(host);
  const call = host.calls.slice(before).find((c) => c.cluster === "shadow")!;
  const primary = () => {
    stream.responseHeaders([[":status", "200"], ["content-type", "application/json"], ["set-cookie", `session=${TOKEN}`], ["x-echo", EMAIL], ...(o.primaryHeaders ?? [])], o.primaryBody === undefined);
    if (o.primaryBody !== undefined) stream.responseBody(o.primaryBody, true);
  };
  if (o.primaryFirst ?? true) primary();
  answer(host, call, shadow);
  if (!(o.primaryFirst ?? true)) primary();
  stream.complete();
  return call;
}

const captures = (host: ProxyWasmHost) => host.calls.filter((c) => c.cluster === "capture");
const str = (m: RawHeaders) => m.map(([k, v]) => [k.toString(), v.toString()]);
const allText = (c: DispatchedCall) => Buffer.from(c.body).toString("latin1") + JSON.stringify(c.headers);

describe("capture: which answers are captured", () => {
  const cases: [string, object, Shadow, string | null][] = [
    ["a 5xx from the shadow", {}, { status: "500" }, "shadow_error/status_5xx"],
    ["a 2xx", {}, { status: "200" }, null],
    ["a 4xx (the shadow's answer, not a failure)", {}, { status: "404" }, null],
    ["no answer (reset)", {}, "reset", "shadow_error/reset"],
    ["Envoy's local 503 (connect failure)", {}, "connect", "shadow_error/local_reply"],
    ["a timeout (Envoy's local 504)", {}, "timeout", "timeout/timeout"],
    ["a 5xx with on: [timeout]", { on: ["timeout"] }, { status: "503" }, null],
    ["a timeout with on: [shadow_error]", { on: ["shadow_error"] }, "timeout", null],
    ["a timeout with on: [timeout]", { on: ["timeout"] }, "timeout", "timeout/timeout"],
  ];
  it.each(cases)("%s", async (_name, capture, shadow, want) => {
    for (const chunk of [1, 3, 7, undefined]) {
      const { host } = await loadFilter(base({ rate_limit_per_second: 1000, ...capture }));
      const call = exchange(host, shadow, { chunk });
      const got = captures(host);
      if (want === null) {
        expect(got).toHaveLength(0);
        expect(host.metric("mirrorshade.capture.captured")).toBe(0n);
        continue;
      }
      expect(got).toHaveLength(1);
      expect(host.metric("mirrorshade.capture.captured")).toBe(1n);
      const c = got[0];
      expect(header(c.headers, ":path")).toBe("/captures");
      expect(header(c.headers, "content-type")).toBe("application/x-mirrorshade-capture");
      const f = decodeFrame(Buffer.from(c.body));
      expect(`${f.meta.reason}/${f.meta.detail}`).toBe(want);
      expect(f.meta.shadow).toBe("shadow");
      // Exactly what the shadow received: its header map and its body, byte for byte.
      // (The host adds content-length to a call, as Envoy does.)
      expect(str(f.request.headers)).toEqual(call.headers.filter(([k]) => k !== "content-length"));
      expect(Buffer.compare(f.request.body, Buffer.from(call.body))).toBe(0);
      for (const s of SECRETS) expect(allText(c), s).not.toContain(s);
      // The primary answered first: its status and headers are there, redacted, without cookies.
      expect(f.primary).not.toBeNull();
      expect(str(f.primary!.headers)).toContainEqual([":status", "200"]);
      expect(str(f.primary!.headers).map(([k]) => k)).not.toContain("set-cookie");
      if (shadow === "reset") expect(f.shadow).toBeNull();
      else expect(str(f.shadow!.headers).find(([k]) => k === ":status")![1]).toBe(typeof shadow === "string" ? (shadow === "timeout" ? "504" : "503") : (shadow as { status: string }).status);
      // Nothing is held once the capture went.
      expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
    }
  });
});

const header = (h: HeaderList, name: string) => h.find(([k]) => k === name)?.[1];

describe("capture: the answers' headers are an allow-list (capture.answer_headers)", () => {
  // Hostile review #16: the primary's answer can carry credentials the shadow never saw, under
  // any name (x-auth-token, refresh, authentication-info...): only the listed names travel.
  const issued: HeaderList = [["x-auth-token", "opaque-tok-1"], ["refresh", "0; url=/cb?token=opaque-tok-2"], ["authentication-info", 'nextnonce="opaque-tok-3"'], ["x-request-id", "r-1"]];
  it.each([
    ["the default list", {}, [":status", "content-type"], ["x-auth-token", "refresh", "authentication-info", "x-request-id", "x-echo", "set-cookie"]],
    ["a list naming x-request-id (case aside)", { answer_headers: [":status", "X-Request-Id"] }, [":status", "x-request-id"], ["content-type", "x-auth-token", "refresh", "authentication-info"]],
    ["a list naming set-cookie: cookies still never travel", { answer_headers: [":status", "set-cookie"] }, [":status"], ["set-cookie", "x-auth-token"]],
  ] as [string, object, string[], string[]][])("%s", async (_name, capture, kept, left) => {
    const { host } = await loadFilter(base({ rate_limit_per_second: 1000, ...capture }));
    exchange(host, { status: "500" }, { primaryHeaders: issued });
    const f = decodeFrame(Buffer.from(captures(host)[0].body));
    const names = str(f.primary!.headers).map(([k]) => k);
    for (const k of kept) expect(names, k).toContain(k);
    for (const k of left) expect(names, k).not.toContain(k);
    for (const t of ["opaque-tok-1", "opaque-tok-2", "opaque-tok-3"]) expect(allText(captures(host)[0]), t).not.toContain(t);
  });
});

describe("capture: bounds", () => {
  it("the primary's answer is left out when it was not known yet (the shadow failed first)", async () => {
    const { host } = await loadFilter(base({}));
    exchange(host, { status: "500" }, { primaryFirst: false });
    const f = decodeFrame(Buffer.from(captures(host)[0].body));
    expect(f.primary).toBeNull();
  });

  it("says when the copy went and how long until the shadow's answer (the host's clock)", async () => {
    let t = 1_700_000_000_000n * 1_000_000n;
    const { host } = await loadFilter(base({}), { now: () => t });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "GET"], [":path", "/a"], [":authority", "payments"]], true);
    const call = host.calls.find((c) => c.cluster === "shadow")!;
    t += 250_000_000n;
    host.timeoutCall(call.token);
    const f = decodeFrame(Buffer.from(captures(host)[0].body));
    expect(f.meta).toMatchObject({ started_ms: 1_700_000_000_000, elapsed_ms: 250 });
  });

  it("at most rate_limit_per_second captures (a token bucket; the clock stands still here)", async () => {
    const { host } = await loadFilter(base({ rate_limit_per_second: 2 }), { now: () => 1_000_000_000n });
    for (let i = 0; i < 5; i++) exchange(host, { status: "500" });
    expect(captures(host)).toHaveLength(2);
    expect(host.metric("mirrorshade.capture.captured")).toBe(2n);
    expect(host.metric("mirrorshade.capture.skipped.budget")).toBe(3n);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });

  it("a copy whose body is over max_body_bytes is not kept and not captured (too_large)", async () => {
    const { host } = await loadFilter(base({ max_body_bytes: 16 }));
    exchange(host, { status: "500" });
    expect(captures(host)).toHaveLength(0);
    expect(host.metric("mirrorshade.capture.skipped.too_large")).toBe(1n);
    expect(host.metric("mirrorshade.capture.skipped.budget")).toBe(0n);
  });

  it("a capture cluster the host does not know: dispatch_failed, the mirror goes on", async () => {
    const { host } = await loadFilter(base({}), { clusters: ["shadow"] });
    exchange(host, { status: "500" });
    expect(host.metric("mirrorshade.capture.skipped.dispatch_failed")).toBe(1n);
    expect(host.metric("mirrorshade.mirrored")).toBe(1n);
  });

  it("the capture cluster's own answers are counted as capture.sink_failed, never as a shadow's", async () => {
    const { host } = await loadFilter(base({}));
    exchange(host, { status: "500" });
    const fivexx = host.metric("mirrorshade.shadow.5xx");
    host.respondToCall(captures(host)[0].token, { headers: [[":status", "500"]] });
    expect(host.metric("mirrorshade.capture.sink_failed")).toBe(1n);
    expect(host.metric("mirrorshade.shadow.5xx")).toBe(fivexx);
  });

  it("headers-only copies (body over the shadow's max_body_bytes) are captured without a body", async () => {
    const { host } = await loadFilter(base({}, { shadow: { cluster: "shadow", max_body_bytes: 8, on_body_too_large: "headers_only" } }));
    const call = exchange(host, { status: "500" });
    expect(call.body.length).toBe(0);
    const f = decodeFrame(Buffer.from(captures(host)[0].body));
    expect(f.request.body.length).toBe(0);
    expect(str(f.request.headers)).toEqual(call.headers.filter(([k]) => k !== "content-length"));
  });
});

describe("compare.capture: mismatches", () => {
  const policy = { role: "mirror", shadow: { cluster: "shadow" }, redact: REDACT, compare: { capture: { cluster: "capture" } } };
  const table: [string, boolean, string, string, boolean][] = [
    ["a body that differs, the primary first", true, '{"a":1}', '{"a":2}', true],
    ["a body that differs, the shadow first", false, '{"a":1}', '{"a":2}', true],
    ["equal answers", true, '{"a":1}', '{"a":1}', false],
    ["equal answers, the shadow first", false, '{"a":1}', '{"a":1}', false],
  ];
  it.each(table)("%s", async (_n, primaryFirst, primaryBody, shadowBody, want) => {
    for (const chunk of [1, 7, undefined]) {
      const { host } = await loadFilter(policy);
      const stream = host.newStream();
      const body = new TextEncoder().encode(BODY);
      stream.requestHeaders([[":method", "POST"], [":path", "/pay"], [":authority", "payments"], ["content-type", "application/json"]], false);
      const size = chunk ?? body.length;
      for (let i = 0; i < body.length; i += size) stream.requestBody(body.subarray(i, Math.min(body.length, i + size)), i + size >= body.length);
      drainRedaction(host);
      const call = host.calls.find((c) => c.cluster === "shadow")!;
      const primary = () => {
        stream.responseHeaders([[":status", "200"], ["content-type", "application/json"]], false);
        stream.responseBody(primaryBody, true);
      };
      if (primaryFirst) primary();
      host.respondToCall(call.token, { headers: [[":status", "200"], ["content-type", "application/json"]], body: shadowBody });
      if (!primaryFirst) primary();
      stream.complete();
      const got = captures(host);
      expect(host.metric("mirrorshade.compare.mismatched")).toBe(want ? 1n : 0n);
      expect(got).toHaveLength(want ? 1 : 0);
      if (want) {
        const f = decodeFrame(Buffer.from(got[0].body));
        expect(f.meta.reason).toBe("mismatch");
        expect(Buffer.compare(f.request.body, Buffer.from(call.body))).toBe(0);
        // The verdict needs both answers: the primary's is always there.
        expect(str(f.primary!.headers)).toContainEqual([":status", "200"]);
        expect(str(f.shadow!.headers)).toContainEqual([":status", "200"]);
        for (const s of SECRETS) expect(allText(got[0])).not.toContain(s);
      }
      expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
    }
  });

  it("a shadow 5xx is captured once (as shadow_error, not again as a mismatch)", async () => {
    const { host } = await loadFilter(policy);
    exchange(host, { status: "500" }, { primaryFirst: true, primaryBody: "{}" });
    const got = captures(host);
    expect(got).toHaveLength(1);
    expect(decodeFrame(Buffer.from(got[0].body)).meta.reason).toBe("shadow_error");
  });

  it("without capture nothing is kept: the copy's body is let go at dispatch", async () => {
    const { host } = await loadFilter({ role: "mirror", shadow: { cluster: "shadow" }, redact: REDACT });
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/pay"], [":authority", "payments"], ["content-type", "application/json"]], false);
    stream.requestBody(BODY, true);
    drainRedaction(host);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
    expect(captures(host)).toHaveLength(0);
  });

  it("while a call is out, its copy is held (counted in buffered_bytes), and let go with its answer", async () => {
    const { host } = await loadFilter(base({}));
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/pay"], [":authority", "payments"], ["content-type", "application/json"]], false);
    stream.requestBody(BODY, true);
    drainRedaction(host);
    expect(host.metric("mirrorshade.buffered_bytes")! > 0n).toBe(true);
    host.respondToCall(host.calls.find((c) => c.cluster === "shadow")!.token, { headers: [[":status", "200"]] });
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });
});

describe("capture: gRPC", () => {
  const GRPC_POLICY = { role: "mirror", shadow: { cluster: "shadow" }, capture: { cluster: "capture" } };
  const table: [string, { headers: HeaderList; trailers?: HeaderList }, string | null][] = [
    ["grpc-status 13 in the trailers", { headers: [[":status", "200"], ["content-type", "application/grpc"]], trailers: [["grpc-status", "13"], ["grpc-message", "boom"]] }, "grpc_status"],
    ["a trailers-only answer with grpc-status 14", { headers: [[":status", "200"], ["content-type", "application/grpc"], ["grpc-status", "14"]] }, "grpc_status"],
    ["grpc-status 0", { headers: [[":status", "200"], ["content-type", "application/grpc"]], trailers: [["grpc-status", "0"]] }, null],
  ];
  it.each(table)("%s", async (_n, shadow, want) => {
    const { host } = await loadFilter(GRPC_POLICY);
    const stream = host.newStream();
    stream.requestHeaders([[":method", "POST"], [":path", "/pay.Payments/Authorize"], [":authority", "pay"], ["te", "trailers"], ["content-type", "application/grpc"]], false);
    const msg = new Uint8Array([0, 0, 0, 0, 4, 0x0a, 0x02, 0x68, 0x69]);
    for (let i = 0; i < msg.length; i += 2) stream.requestBody(msg.subarray(i, i + 2), i + 2 >= msg.length);
    drainRedaction(host);
    const call = host.calls.find((c) => c.cluster === "shadow")!;
    host.respondToCall(call.token, { headers: shadow.headers, body: new Uint8Array(0), trailers: shadow.trailers });
    stream.complete();
    const got = captures(host);
    expect(got).toHaveLength(want ? 1 : 0);
    if (!want) return;
    const f = decodeFrame(Buffer.from(got[0].body));
    expect(f.meta).toMatchObject({ reason: "shadow_error", detail: want, grpc: true });
    expect(Buffer.compare(f.request.body, Buffer.from(call.body))).toBe(0);
    const status = [...str(f.shadow!.headers), ...str(f.shadow!.trailers)].find(([k]) => k === "grpc-status")![1];
    expect(status).toBe(shadow.trailers ? "13" : "14");
  });
});

describe("capture: copies in flight together", () => {
  it("each capture carries its own copy when several calls are out at once (bodies rewritten by redaction and not)", async () => {
    const { host } = await loadFilter(base({ rate_limit_per_second: 1000 }));
    const sent: DispatchedCall[] = [];
    const bodies = [BODY, JSON.stringify({ plain: "nothing to redact", n: 1 }), JSON.stringify({ email: EMAIL, n: 2 })];
    for (const b of bodies) {
      const before = host.calls.length;
      const s = host.newStream();
      s.requestHeaders([[":method", "POST"], [":path", "/pay"], [":authority", "payments"], ["content-type", "application/json"]], false);
      for (let i = 0; i < b.length; i += 5) s.requestBody(b.slice(i, i + 5), i + 5 >= b.length);
      drainRedaction(host);
      s.responseHeaders([[":status", "200"]], true);
      s.complete();
      sent.push(host.calls.slice(before).find((c) => c.cluster === "shadow")!);
    }
    for (const c of [...sent].reverse()) host.respondToCall(c.token, { headers: [[":status", "502"]] });
    const got = captures(host).map((c) => decodeFrame(Buffer.from(c.body)));
    expect(got).toHaveLength(3);
    for (const [i, c] of [...sent].reverse().entries()) expect(Buffer.compare(got[i].request.body, Buffer.from(c.body))).toBe(0);
    expect(host.metric("mirrorshade.buffered_bytes")).toBe(0n);
  });
});
