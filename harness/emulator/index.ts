// The proxy-wasm host emulator: runs a filter module in Node's WebAssembly engine
// with the host side of the proxy-wasm ABI (0.1.0 / 0.2.0 / 0.2.1) modelled on
// Envoy (proxy-wasm-cpp-host src/exports.cc + envoy source/extensions/common/wasm/
// context.cc), so unit tests and CLI commands exercise the filter without an Envoy
// process. Where Envoy's behaviour is surprising it is copied on purpose and the
// reason is noted next to it (in imports/*.ts and stream.ts).
//
// This file is the interface: import everything from here.
//   ProxyWasmHost (below)  one VM with the plugin loaded: lifecycle, calls, what it logged and counted
//   HttpStream (stream.ts) one HTTP stream through the filter: headers, body, trailers per side
//   types.ts               result codes, buffer/map types, statuses, HostOptions, the records read back
//   pairs.ts               header map (de)serialization as the ABI carries it
//   abi.ts                 the host functions Envoy provides per ABI version
//   request-headers.ts     the request headers as Envoy's codecs hand them to a filter (merges, cookies)
// Internals: core.ts (VM state, calling exports, module memory), imports/ (one file
// per ABI area), direction.ts, bytes.ts.
import { readFileSync } from "node:fs";
import type { CallResponse, HostOptions } from "./types.js";
import { WasmResult } from "./types.js";
import { enc, toBytes } from "./bytes.js";
import { lowerPairs } from "./pairs.js";
import { HostCore } from "./core.js";
import { HttpStream } from "./stream.js";
import { buildImports } from "./imports/index.js";

export * from "./types.js";
export { serializePairs, parsePairs } from "./pairs.js";
export { ProcExit, envoyProvidedImports, type AbiVersion } from "./abi.js";
export { HttpStream, feedBody } from "./stream.js";
export { presentRequestHeaders, MERGED_REQUEST_HEADERS, REMOVED_REQUEST_HEADERS, type Protocol } from "./request-headers.js";

/**
 * One VM with the plugin loaded, as Envoy runs it for one filter (root context 1).
 * What the plugin did is read back from the fields inherited from HostCore:
 * logs, calls / pendingCalls (proxy_http_call), metrics, sharedData, sharedQueues,
 * vmFailed / trap, imports / envoyMissingImports, unimplementedCalls, procExitCalls,
 * abiVersion, exportNames, rootId, rootContextId, tickPeriodMs, started.
 */
export class ProxyWasmHost extends HostCore {
  private constructor(opts: HostOptions, module: WebAssembly.Module) {
    super(opts, module);
  }

  /** Compiles and instantiates the module (its start section runs); checks the ABI version and malloc export as Envoy does. */
  static async load(opts: HostOptions): Promise<ProxyWasmHost> {
    const bytes = typeof opts.wasm === "string" ? readFileSync(opts.wasm) : opts.wasm;
    const module = await WebAssembly.compile(new Uint8Array(bytes));
    const host = new ProxyWasmHost(opts, module);
    const importObject = buildImports(host, module);
    // A trap in the module's start section rejects here: Envoy also fails to load such a module.
    host.instance = await WebAssembly.instantiate(module, importObject);
    const mem = host.instance.exports.memory;
    if (!(mem instanceof WebAssembly.Memory)) throw new Error("module does not export its memory");
    host.memory = mem;
    // Envoy prefers malloc and falls back to proxy_on_memory_allocate (WasmBase::getFunctions).
    const alloc = host.instance.exports.malloc ?? host.instance.exports.proxy_on_memory_allocate;
    if (typeof alloc !== "function") throw new Error("malloc export is not a function");
    host.mallocFn = alloc as (size: number) => number;
    return host;
  }

  /** Executes _initialize/_start, proxy_on_context_create(root), proxy_on_vm_start, proxy_on_configure; false if the plugin refused or trapped (never throws on a trap). */
  start(): boolean {
    if (this.started) throw new Error("start() was already called");
    this.started = true;
    return this.top(() => {
      const ex = this.instance.exports;
      if (typeof ex._initialize === "function") {
        if (this.invoke(this.vmContext, "_initialize", []).kind === "failed") return false;
        const main = typeof ex.main === "function" ? "main" : typeof ex.__main_void === "function" ? "__main_void" : null;
        if (main && this.invoke(this.vmContext, main, main === "main" ? [0, 0] : []).kind === "failed") return false;
      } else if (typeof ex._start === "function") {
        if (this.invoke(this.vmContext, "_start", []).kind === "failed") return false;
      }
      if (this.invoke(this.root, "proxy_on_context_create", [this.root.id, 0]).kind === "failed") return false;
      const vmStart = this.invoke(this.root, "proxy_on_vm_start", [this.root.id, this.vmConfig.length]);
      if (vmStart.kind === "failed" || (vmStart.kind === "ok" && vmStart.value === 0)) return false;
      this.root.configuring = true;
      const conf = this.invoke(this.root, "proxy_on_configure", [this.root.id, this.pluginConfig.length]);
      this.root.configuring = false;
      if (conf.kind === "failed") return false;
      return conf.kind === "absent" || conf.value !== 0;
    });
  }

  /** A new HTTP stream; proxy_on_context_create runs lazily, with its first callback (see HttpStream). */
  newStream(): HttpStream {
    if (!this.started) throw new Error("call start() before newStream()");
    const s = new HttpStream(this, this.nextContextId++);
    this.contexts.set(s.id, s);
    return s;
  }

  /** Executes proxy_on_tick on the root context. */
  tick(): void {
    this.top(() => {
      this.invoke(this.root, "proxy_on_tick", [this.root.id]);
    });
  }

  /**
   * Executes proxy_on_http_call_response on the root context. Delivers an http call response to proxy_on_http_call_response on the root context, or a failure (null: 0 headers,
   * 0 body, as Envoy's onHttpCallFailure for a reset or an over-limit response). Timeouts and connect failures are
   * not failures in Envoy: use timeoutCall / connectFailureCall.
   */
  respondToCall(token: number, resp: CallResponse | null): void {
    const call = this.pendingCalls.get(token);
    if (!call) throw new Error(`no pending http call with token ${token}`);
    this.pendingCalls.delete(token);
    this.top(() => {
      if (resp === null) {
        // Envoy leaves status_code_ at BrokenConnection afterwards; a later success does not reset it.
        this.statusCode = WasmResult.BrokenConnection;
        this.statusMessage = "reset";
        this.invoke(this.root, "proxy_on_http_call_response", [this.root.id, token, 0, 0, 0]);
        this.statusMessage = "";
        return;
      }
      const trailers = resp.trailers && resp.trailers.length > 0 ? lowerPairs(resp.trailers) : null;
      const headers = lowerPairs(resp.headers);
      if (!resp.fromEnvoy && !headers.some(([k]) => k === "x-envoy-upstream-service-time")) {
        headers.push(["x-envoy-upstream-service-time", "1"]);
      }
      this.callResponse = { headers, body: toBytes(resp.body), trailers };
      this.invoke(this.root, "proxy_on_http_call_response", [
        this.root.id,
        token,
        this.callResponse.headers.length,
        this.callResponse.body.length,
        trailers ? trailers.length : 0,
      ]);
      this.callResponse = null;
    });
  }

  /** Executes proxy_on_http_call_response with an answer generated by Envoy itself; Envoy 1.40 sends exactly :status, content-length, content-type. */
  envoyReplyToCall(token: number, status: number, body: string): void {
    this.respondToCall(token, {
      headers: [[":status", String(status)], ["content-length", String(enc.encode(body).length)], ["content-type", "text/plain"]],
      body,
      fromEnvoy: true,
    });
  }

  /** Executes proxy_on_http_call_response with what the call gets when its timeout fires (Envoy 1.40: a 504 local reply, not a failure callback). */
  timeoutCall(token: number): void {
    this.envoyReplyToCall(token, 504, "upstream request timeout");
  }

  /** Executes proxy_on_http_call_response with what the call gets when the upstream refuses the connection (Envoy 1.40: a 503 local reply). */
  connectFailureCall(token: number): void {
    this.envoyReplyToCall(token, 503, "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure");
  }

  /** A metric's value by name (with or without the "wasmcustom." prefix); executes nothing in the plugin. */
  metric(name: string): bigint | undefined {
    const m = this.metrics.get(name) ?? this.metrics.get(name.replace(/^wasmcustom\./, ""));
    return m?.value;
  }

  /** Size of the module's linear memory, in bytes; executes nothing in the plugin. */
  memoryBytes(): number {
    return this.memory ? this.memory.buffer.byteLength : 0;
  }

  /** Whether a context id is live (created and not yet deleted); executes nothing in the plugin. */
  isLiveContext(id: number): boolean {
    return this.contexts.has(id);
  }
}
