// Tests for harness/emulator/ against a raw-ABI AssemblyScript fixture (test/fixtures/echo-filter.ts).
// Expectations marked "Envoy 1.40" were checked against a real Envoy running the same fixture.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ProxyWasmHost,
  feedBody,
  parsePairs,
  serializePairs,
  NOT_DELIVERED,
  WasmResult,
  type HeaderList,
  type HostOptions,
} from "../../../../harness/emulator/index.js";
import { projectRoot } from "../../../../harness/paths.js";

const root = projectRoot;
const asc = join(root, "node_modules", ".bin", "asc");
let scratch = "";
let echoWasm: Uint8Array;
let badImportsWasm: Uint8Array;

// asc picks up an asconfig.json from its working directory, so compile from a scratch directory.
function compile(dir: string, source: string, out: string, extra: string[]): Uint8Array {
  execFileSync(asc, [source, "-o", out, "--runtime", "incremental", "--exportRuntime", ...extra], { cwd: dir, stdio: "pipe" });
  return readFileSync(out);
}

beforeAll(() => {
  const dir = (scratch = mkdtempSync(join(tmpdir(), "host-test-")));
  echoWasm = compile(dir, join(root, "test/fixtures/echo-filter.ts"), join(dir, "echo.wasm"), ["--use", "abort="]);
  // Imports Envoy does not provide: proxy_clear_route_cache (0.1.0 only) and AssemblyScript's default env.abort.
  const bad = join(dir, "bad-imports.ts");
  writeFileSync(
    bad,
    `@external("env", "proxy_clear_route_cache") declare function proxy_clear_route_cache(): u32;
@external("env", "proxy_log") declare function proxy_log(level: u32, ptr: usize, len: usize): u32;
export function proxy_abi_version_0_2_0(): void {}
export function malloc(size: usize): usize { const p = __new(size, idof<ArrayBuffer>()); __pin(p); return p; }
export function proxy_on_configure(root: u32, size: u32): u32 {
  const m = String.UTF8.encode("clear_route_cache=" + proxy_clear_route_cache().toString());
  proxy_log(2, changetype<usize>(m), m.byteLength);
  assert(size < 1000, "config too big");
  return 1;
}
`,
  );
  badImportsWasm = compile(dir, bad, join(dir, "bad.wasm"), []);
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const header = (h: HeaderList, name: string) => h.find(([k]) => k === name)?.[1];
const base: HeaderList = [[":method", "POST"], [":path", "/orders"], [":authority", "shop"], [":scheme", "http"]];

async function host(opts: Partial<HostOptions> = {}): Promise<ProxyWasmHost> {
  const h = await ProxyWasmHost.load({ wasm: echoWasm, pluginConfig: '{"role":"mirror","shadow":{"cluster":"shadow"}}', ...opts });
  expect(h.start()).toBe(true);
  return h;
}

function messages(h: ProxyWasmHost): string[] {
  return h.logs.map((l) => l.message);
}

describe("loading and start", () => {
  it("runs vm_start and configure on root context 1 with the configured buffers and properties", async () => {
    const h = await host({ vmConfig: "vm-config" });
    expect(h.abiVersion).toBe("0.2.0");
    expect(messages(h)).toEqual([
      "create 1 parent=0",
      "vm_start root=1 config=vm-config",
      'configure root=1 config={"role":"mirror","shadow":{"cluster":"shadow"}}',
      "property plugin_root_id=mirrorshade status=0",
    ]);
    expect(h.logs[0]).toMatchObject({ level: 2, contextId: 1 });
    expect(h.tickPeriodMs).toBe(1000);
    h.tick();
    expect(messages(h).at(-1)).toBe("tick root=1");
  });

  it("returns false when on_configure rejects the configuration", async () => {
    const h = await ProxyWasmHost.load({ wasm: echoWasm, pluginConfig: "fail" });
    expect(h.start()).toBe(false);
  });

  it("lists declared imports and flags the ones Envoy lacks, stubbing them as Unimplemented", async () => {
    const echo = await host();
    expect(echo.imports).toContain("env.proxy_http_call");
    expect(echo.imports).toContain("wasi_snapshot_preview1.fd_write");
    expect(echo.envoyMissingImports).toEqual([]);

    const bad = await ProxyWasmHost.load({ wasm: badImportsWasm });
    expect(bad.imports).toEqual(expect.arrayContaining(["env.proxy_clear_route_cache", "env.abort", "env.proxy_log"]));
    expect(bad.envoyMissingImports.sort()).toEqual(["env.abort", "env.proxy_clear_route_cache"]);
    expect(bad.start()).toBe(true);
    expect(messages(bad)).toContain(`clear_route_cache=${WasmResult.Unimplemented}`);
    expect(bad.unimplementedCalls).toEqual(["env.proxy_clear_route_cache"]);
    expect(messages(bad)).toContain("unimplemented host function env.proxy_clear_route_cache called");
  });

  it("refuses a module without an ABI version marker, as Envoy does", async () => {
    const noMarker = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    await expect(ProxyWasmHost.load({ wasm: noMarker })).rejects.toThrow(/ABI version/);
  });
});

describe("headers", () => {
  it("reports NotFound for a missing header and lets the filter add headers", async () => {
    const h = await host();
    const s = h.newStream();
    expect(s.id).toBe(2);
    expect(s.requestHeaders(base, true)).toBe(0);
    expect(header(s.upstreamRequest.headers, "x-echo-status")).toBe(String(WasmResult.NotFound));
    expect(header(s.upstreamRequest.headers, "x-echo-missing")).toBe("1");
    expect(s.upstreamRequest.ended).toBe(true);
    expect(s.results).toEqual([{ phase: "request_headers", status: 0, raw: 0, action: "continue" }]);
  });

  it("matches header names case-insensitively and returns the first of duplicate values", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders([...base, ["X-TEST", "first"], ["x-test", "second"]], true);
    // The fixture asks for "X-Test"; Envoy 1.40 answered "first" for the same request.
    expect(header(s.upstreamRequest.headers, "x-echo-status")).toBe("0");
    expect(header(s.upstreamRequest.headers, "x-echo-seen")).toBe("first");
    // Envoy's codec lowercases names before filters see them.
    expect(s.upstreamRequest.headers.filter(([k]) => k === "x-test")).toHaveLength(2);
  });

  it("makes request headers unavailable (BadArgument) once on_request_headers returned Continue", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders(base);
    s.requestBody("abc", true);
    expect(messages(h).find((m) => m.startsWith("request_body"))).toContain(`header_status=${WasmResult.BadArgument}`);
  });

  it("lets on_log read the final request headers", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders(base, true);
    s.responseHeaders([[":status", "200"]], true);
    expect(header(s.downstreamResponse.headers, "x-echo-response")).toBe("1");
    s.complete();
    // Envoy 1.40 order at stream end: on_log, then on_done, then on_delete.
    expect(messages(h).slice(-3)).toEqual(["log 2 path=/orders status=0", "done 2", "delete 2"]);
    expect(h.isLiveContext(2)).toBe(false);
  });
});

describe("bodies", () => {
  it("delivers each chunk once when the filter returns Continue", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders(base);
    expect(feedBody(s, "hello world!", 5)).toEqual([0, 0, 0]);
    const bodies = messages(h).filter((m) => m.startsWith("request_body"));
    expect(bodies.map((m) => m.match(/size=(\d+) eos=(\d) data=(.*?) buffer_status_size=(\d+)/)!.slice(1))).toEqual([
      ["5", "0", "hello", "5"],
      ["5", "0", " worl", "5"],
      ["2", "1", "d!", "2"],
    ]);
    expect(text(s.upstreamRequest.body)).toBe("hello world!");
    expect(s.upstreamRequest.ended).toBe(true);
  });

  it("shows the whole buffered body after StopIterationAndBuffer and forwards it when the filter continues", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders([...base, ["x-echo-body", "buffer"]]);
    expect(s.upstreamRequest.headersSent).toBe(true);
    expect(s.requestBody("hello", false)).toBe(1);
    expect(s.requestBody(" worl", false)).toBe(1);
    expect(s.upstreamRequest.body).toHaveLength(0);
    expect(s.isStopped("request")).toBe(true);
    expect(s.requestBody("d!", true)).toBe(0);
    const sizes = messages(h)
      .filter((m) => m.startsWith("request_body"))
      .map((m) => m.match(/size=(\d+).* data=(.*?) buffer/)!.slice(1));
    expect(sizes).toEqual([["5", "hello"], ["10", "hello worl"], ["12", "hello world!"]]);
    expect(text(s.upstreamRequest.body)).toBe("hello world!");
    expect(s.results.map((r) => r.action)).toEqual(["continue", "stop_buffer", "stop_buffer", "continue"]);
  });

  it("applies proxy_set_buffer_bytes with Envoy's replace / append / prepend rules", async () => {
    const h = await host();
    const run = (mode: string) => {
      const s = h.newStream();
      s.requestHeaders([...base, ["x-echo-body", mode]]);
      feedBody(s, "abcdef", 3);
      return s;
    };
    expect(text(run("upper").upstreamRequest.body)).toBe("ABCDEF");
    expect(text(run("append").upstreamRequest.body)).toBe("abcdef!");
    expect(text(run("prepend").upstreamRequest.body)).toBe(">abc>def");
    const before = h.logs.length;
    expect(text(run("inject").upstreamRequest.body)).toBe("abcdef");
    // Injecting in the middle is not supported by Envoy's Buffer::copyFrom.
    expect(messages(h).slice(before)).toContain(`set=${WasmResult.BadArgument}`);
  });

  it.each([
    ["continue", "", [1, 3, 7]],
    ["buffer", "buffer", [2, 5]],
    ["upper", "upper", [4]],
  ])("with keepForwardedBodies false the filter sees the same chunks and the stream ends alike, only the passed-on bytes are not kept (%s)", async (_name, mode, sizes) => {
    const run = async (keep: boolean) => {
      const h = await host({ keepForwardedBodies: keep });
      const streams = sizes.map((n) => {
        const s = h.newStream();
        s.requestHeaders(mode ? [...base, ["x-echo-body", mode]] : base);
        return { s, codes: feedBody(s, "hello world!", n) };
      });
      return { streams, seen: messages(h).filter((m) => m.startsWith("request_body")) };
    };
    const kept = await run(true);
    const lean = await run(false);
    expect(lean.seen).toEqual(kept.seen);
    for (const [i, { s, codes }] of lean.streams.entries()) {
      const k = kept.streams[i];
      expect(codes).toEqual(k.codes);
      expect(s.results).toEqual(k.s.results);
      expect(s.upstreamRequest.ended).toBe(true);
      expect(k.s.upstreamRequest.body.length).toBeGreaterThan(0);
      expect(s.upstreamRequest.body).toHaveLength(0);
    }
  });

  it("holds body chunks without calling the filter after StopAllIteration", async () => {
    const h = await host();
    const s = h.newStream();
    expect(s.requestHeaders([...base, ["x-echo-mode", "stopall"]])).toBe(4);
    expect(s.requestBody("zz", true)).toBe(NOT_DELIVERED);
    expect(messages(h).some((m) => m.startsWith("request_body"))).toBe(false);
    expect(s.upstreamRequest.headersSent).toBe(false);
  });
});

describe("http calls", () => {
  it("records dispatched calls with their token, cluster, headers, body, timeout and context", async () => {
    const h = await host({ clusters: ["shadow"] });
    const s = h.newStream();
    s.requestHeaders([...base, ["x-echo-mode", "call"]], true);
    expect(h.calls).toHaveLength(1);
    const call = h.calls[0]!;
    // Envoy 1.40 hands out 4, 8, ... (callout ids carry their type in the low two bits).
    expect(call).toMatchObject({ token: 4, cluster: "shadow", timeoutMs: 1500, contextId: 2, trailers: [] });
    expect(text(call.body)).toBe("hello");
    expect(header(call.headers, ":path")).toBe("/mirror");
    expect(header(call.headers, "content-length")).toBe("5");
    expect(header(s.upstreamRequest.headers, "x-echo-call-result")).toBe("0");
    expect(header(s.upstreamRequest.headers, "x-echo-call-token")).toBe("4");
    expect([...h.pendingCalls.keys()]).toEqual([4]);
  });

  it("answers BadArgument for an unknown cluster or a missing :path", async () => {
    const h = await host({ clusters: ["shadow"] });
    const unknown = h.newStream();
    unknown.requestHeaders([...base, ["x-echo-mode", "call"], ["x-echo-cluster", "nope"]], true);
    expect(header(unknown.upstreamRequest.headers, "x-echo-call-result")).toBe(String(WasmResult.BadArgument));
    const noPath = h.newStream();
    noPath.requestHeaders([...base, ["x-echo-mode", "call-bad"]], true);
    expect(header(noPath.upstreamRequest.headers, "x-echo-call-result")).toBe(String(WasmResult.BadArgument));
    expect(h.calls).toHaveLength(0);
  });

  it("delivers a response after the originating stream completed; that stream is no longer a valid effective context", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders([...base, ["x-echo-mode", "call"]], true);
    s.responseHeaders([[":status", "200"]], true);
    s.complete();
    h.respondToCall(4, { headers: [[":status", "202"], ["Content-Type", "text/plain"]], body: "shadow-ok" });
    // Envoy 1.40's router appends x-envoy-upstream-service-time to answers that came from the upstream.
    expect(messages(h).at(-2)).toBe("call_headers :status=202;content-type=text/plain;x-envoy-upstream-service-time=1");
    expect(messages(h).at(-1)).toBe(
      `call_response root=1 token=4 headers=3 body_size=9 trailers=0 status=202 body=shadow-ok code=0 message= origin=2 effective=${WasmResult.BadArgument}`,
    );
    expect(h.logs.at(-1)!.contextId).toBe(1);
    expect(h.pendingCalls.size).toBe(0);
    expect(h.metric("echo_call_responses")).toBe(1n);
  });

  it("reports a failed call with zero headers and BrokenConnection status", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders([...base, ["x-echo-mode", "call"]], true);
    h.respondToCall(4, null);
    expect(messages(h).at(-1)).toMatch(/headers=0 body_size=0 trailers=0 status= body= code=11 message=reset origin=2 effective=0$/);
  });

  it("delivers timeouts and connect failures as Envoy's own local replies", async () => {
    const h = await host();
    h.newStream().requestHeaders([...base, ["x-echo-mode", "call"]], true);
    h.newStream().requestHeaders([...base, ["x-echo-mode", "call"]], true);
    h.timeoutCall(4);
    expect(messages(h).at(-2)).toBe("call_headers :status=504;content-length=24;content-type=text/plain");
    expect(messages(h).at(-1)).toContain("headers=3 body_size=24 trailers=0 status=504 body=upstream request timeout code=0");
    h.connectFailureCall(8);
    expect(messages(h).at(-1)).toContain("status=503 body=upstream connect error or disconnect/reset before headers.");
  });

  it("lets the call response act on a stopped stream through set_effective_context and continue it", async () => {
    const h = await host();
    const s = h.newStream();
    // StopIteration from a headers callback becomes StopAllIterationAndWatermark in Envoy.
    expect(s.requestHeaders([...base, ["x-echo-mode", "call-wait"]], true)).toBe(4);
    expect(s.results[0]).toMatchObject({ raw: 1, status: 4, action: "stop_all_watermark" });
    expect(s.upstreamRequest.headersSent).toBe(false);
    h.respondToCall(4, { headers: [[":status", "200"]], body: "ok" });
    expect(messages(h).at(-1)).toMatch(/effective=0 add=0 continue=0$/);
    expect(s.upstreamRequest.headersSent).toBe(true);
    expect(header(s.upstreamRequest.headers, "x-echo-shadow-status")).toBe("200");
  });
});

describe("held frames", () => {
  it("delivers a body held during StopAllIteration to the filter once it continues, then forwards it", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders([...base, ["x-echo-mode", "call-wait"]]);
    expect(s.requestBody("held", false)).toBe(NOT_DELIVERED);
    expect(s.requestBody(" body", true)).toBe(NOT_DELIVERED);
    h.respondToCall(4, { headers: [[":status", "200"]] });
    // The filter manager restarts iteration at this filter: one callback with everything held.
    expect(messages(h).filter((m) => m.startsWith("request_body"))).toEqual([
      `request_body id=2 size=9 eos=1 data=held body buffer_status_size=9 header_status=${WasmResult.BadArgument}`,
    ]);
    expect(text(s.upstreamRequest.body)).toBe("held body");
    expect(s.upstreamRequest.ended).toBe(true);
  });

  it("passes request trailers through on_request_trailers", async () => {
    const h = await host();
    const s = h.newStream();
    s.requestHeaders(base);
    s.requestBody("x", false);
    expect(s.requestTrailers([["Grpc-Status", "0"]])).toBe(0);
    expect(messages(h).at(-1)).toBe("request_trailers id=2 n=1");
    expect(s.upstreamRequest.trailers).toEqual([["grpc-status", "0"]]);
    expect(s.upstreamRequest.ended).toBe(true);
  });
});

describe("shared data, metrics, logs", () => {
  it("implements shared data with compare-and-swap", async () => {
    const h = await host();
    h.newStream().requestHeaders([...base, ["x-echo-mode", "shared"]], true);
    // Same sequence Envoy 1.40 produced: NotFound, Ok, cas 1, Ok, CasMismatch, value v2 at cas 2.
    expect(messages(h).at(-1)).toBe("shared s1=1 s2=0 c1=1 s3=0 s4=8 value=v2 cas=2");
    expect(text(h.sharedData.get("echo-key")!.value)).toBe("v2");
    expect(h.sharedData.get("echo-key")!.cas).toBe(2);
  });

  it("counts defined metrics", async () => {
    const h = await host();
    h.newStream().requestHeaders(base, true);
    h.newStream().requestHeaders(base, true);
    expect(h.metric("echo_requests")).toBe(2n);
    expect(h.metrics.get("echo_requests")!.type).toBe("counter");
    expect(h.metric("no_such_metric")).toBeUndefined();
  });

  it("captures WASI stdout as info and stderr as error", async () => {
    const h = await host();
    h.newStream().requestHeaders([...base, ["x-echo-mode", "stdout"]], true);
    expect(h.logs).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 2, message: "hello stdout" }),
      expect.objectContaining({ level: 4, message: "hello stderr" }),
    ]));
  });

  it("drops log entries below the configured level", async () => {
    const h = await host({ logLevel: 3 });
    expect(h.logs.filter((l) => l.source === "wasm")).toEqual([]);
  });
});

describe("local responses", () => {
  it("records the local reply, does not forward the request, and runs the reply through on_response_headers", async () => {
    const h = await host();
    const s = h.newStream();
    expect(s.requestHeaders([...base, ["x-echo-mode", "local"]], true)).toBe(4);
    expect(s.localResponse).toMatchObject({ status: 403, details: "denied_by_echo", grpcStatus: -1, headers: [["x-local", "1"]] });
    expect(text(s.localResponse!.body)).toBe("nope");
    expect(s.upstreamRequest.headersSent).toBe(false);
    // As in Envoy 1.40: the filter sees its own reply on the encode path.
    expect(messages(h)).toEqual(expect.arrayContaining(["response_headers id=2 n=4 eos=0 status=403", "response_body id=2 size=4 eos=1 data=nope"]));
    expect(s.downstreamResponse.headers).toEqual([
      [":status", "403"], ["x-local", "1"], ["content-length", "4"], ["content-type", "text/plain"], ["x-echo-response", "1"],
    ]);
    expect(s.responseHeaders([[":status", "200"]])).toBe(NOT_DELIVERED);
  });
});

describe("traps", () => {
  it("fails the VM, logs critically, passes the stream through and stops calling the VM (legacy fail_open)", async () => {
    const h = await host();
    const s = h.newStream();
    const headers: HeaderList = [...base, ["x-echo-mode", "trap"]];
    expect(s.requestHeaders(headers, true)).toBe(0);
    expect(h.vmFailed).toBe(true);
    expect(h.trap).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(h.logs.at(-1)).toMatchObject({ level: 5, message: "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable" });
    // Headers added before the trap stay (same map object in Envoy); nothing else happens.
    expect(s.upstreamRequest.headersSent).toBe(true);
    const logged = h.logs.length;
    expect(s.responseHeaders([[":status", "200"]], true)).toBe(0);
    s.complete();
    const next = h.newStream();
    expect(next.requestHeaders(base, true)).toBe(0);
    expect(next.upstreamRequest.headers).toEqual(base);
    h.tick();
    expect(h.logs.length).toBe(logged);
  });

  it("answers 503 for the trapping stream under failure_policy FAIL_OPEN but skips the filter for new streams", async () => {
    const h = await host({ failurePolicy: "FAIL_OPEN" });
    const s = h.newStream();
    expect(s.requestHeaders([...base, ["x-echo-mode", "trap"]], true)).toBe(4);
    expect(s.localResponse).toMatchObject({ status: 503, details: "wasm_fail_stream", grpcStatus: 14 });
    expect(s.downstreamResponse.headers).toEqual([[":status", "503"]]);
    const next = h.newStream();
    expect(next.requestHeaders(base, true)).toBe(0);
    expect(next.localResponse).toBeUndefined();
  });

  it("answers 503 for every stream with failOpen: false", async () => {
    const h = await host({ failOpen: false });
    h.newStream().requestHeaders([...base, ["x-echo-mode", "trap"]], true);
    const next = h.newStream();
    expect(next.requestHeaders(base, true)).toBe(4);
    expect(next.localResponse?.status).toBe(503);
    expect(next.upstreamRequest.headersSent).toBe(false);
  });

  it("treats proc_exit as Envoy does (returns) unless asked to trap", async () => {
    const lenient = await host();
    lenient.newStream().requestHeaders([...base, ["x-echo-mode", "procexit"]], true);
    expect(lenient.procExitCalls).toEqual([3]);
    expect(lenient.vmFailed).toBe(false);
    const strict = await host({ procExitTraps: true });
    strict.newStream().requestHeaders([...base, ["x-echo-mode", "procexit"]], true);
    expect(strict.vmFailed).toBe(true);
    expect(strict.trap?.name).toBe("ProcExit");
  });
});

describe("contexts and wire format", () => {
  it("round-trips the header map serialization", () => {
    const pairs: HeaderList = [["a", "1"], ["bb", "22"], ["empty", ""]];
    const bytes = serializePairs(pairs);
    expect([...bytes.subarray(0, 4)]).toEqual([3, 0, 0, 0]);
    expect(parsePairs(bytes)).toEqual(pairs);
    expect(serializePairs([])).toHaveLength(0);
  });

  it("numbers streams 2, 3, ... and creates each context with parent 1", async () => {
    const h = await host();
    const a = h.newStream();
    const b = h.newStream();
    a.requestHeaders(base, true);
    b.requestHeaders(base, true);
    expect([a.id, b.id]).toEqual([2, 3]);
    expect(messages(h)).toEqual(expect.arrayContaining(["create 2 parent=1", "create 3 parent=1"]));
    expect(h.memoryBytes()).toBeGreaterThan(0);
  });
});
