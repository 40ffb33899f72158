// The emulator's machinery: the state of one VM (contexts, memory, the pending
// calls, metrics, shared data), calling module exports the way Envoy does (traps
// fail the VM; deferred actions run once the host event unwinds), and reading and
// writing module memory. ProxyWasmHost (index.ts) is the public face of it; the ABI
// imports (imports/*.ts) and HttpStream (stream.ts) work on it.
import { LogLevel, type HostOptions, type LogEntry, type DispatchedCall, type MetricRecord, type HeaderList, type Outcome } from "./types.js";
import { dec, toBytes, u32 } from "./bytes.js";
import { envoyProvidedImports, isTrap, type AbiVersion } from "./abi.js";
import type { HttpStream, StreamHost } from "./stream.js";

/** @internal A host function as the import object holds it. */
export type AnyFn = (...args: never[]) => unknown;

/** @internal */
export interface RootContext {
  kind: "root";
  id: number;
  configuring: boolean;
}
/** @internal */
export interface VmContext {
  kind: "vm";
  id: 0;
}
/** @internal */
export type Context = RootContext | VmContext | HttpStream;

/** @internal The http call response being delivered (proxy_on_http_call_response reads it). */
export interface ActiveCallResponse {
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList | null;
}

export abstract class HostCore implements StreamHost {
  readonly logs: LogEntry[] = [];
  readonly calls: DispatchedCall[] = [];
  readonly pendingCalls = new Map<number, DispatchedCall>();
  metrics = new Map<string, MetricRecord>();
  sharedData = new Map<string, { value: Uint8Array; cas: number }>();
  readonly sharedQueues = new Map<number, { name: string; vmId: string; items: Uint8Array[] }>();
  vmFailed = false;
  trap?: Error;
  /** Every import the module declares, as "module.name". */
  readonly imports: string[];
  /** Declared imports Envoy would not provide for this ABI version: Envoy refuses to load such a module. */
  readonly envoyMissingImports: string[];
  /** Host functions the module called that this harness only stubs. */
  readonly unimplementedCalls: string[] = [];
  /** Exit codes passed to proc_exit. */
  readonly procExitCalls: number[] = [];
  readonly abiVersion: AbiVersion;
  readonly exportNames: string[];
  readonly rootId: string;
  readonly rootContextId = 1;
  tickPeriodMs = 0;
  started = false;

  // State below is the emulator's own: the ABI imports (imports/*.ts) read and write
  // it, nothing outside harness/emulator/ should.

  /** @internal */ readonly opts: HostOptions;
  protected readonly inFlightFailOpen: boolean;
  protected readonly newStreamsFailOpen: boolean;
  /** @internal */ readonly logLevel: number;
  /** @internal */ readonly now: () => bigint;
  /** @internal */ readonly clusters: Set<string> | null;
  /** @internal */ readonly pluginConfig: Uint8Array;
  /** @internal */ readonly vmConfig: Uint8Array;
  protected instance!: WebAssembly.Instance;
  protected memory: WebAssembly.Memory | null = null;
  protected mallocFn!: (size: number) => number;
  /** @internal */ readonly contexts = new Map<number, Context>();
  protected readonly vmContext: VmContext = { kind: "vm", id: 0 };
  /** @internal */ readonly root: RootContext = { kind: "root", id: 1, configuring: false };
  private current: Context;
  /** @internal */ effectiveId = 0;
  protected nextContextId = 2;
  /** @internal */ nextCallToken = 0;
  /** @internal */ nextCas = 1;
  /** @internal */ nextQueueToken = 1;
  /** @internal */ readonly metricIds = new Map<number, string>();
  /** @internal */ nextMetricId = { counter: 0, gauge: 1, histogram: 2 };
  /** @internal */ callResponse: ActiveCallResponse | null = null;
  /** @internal */ statusCode = 0;
  /** @internal */ statusMessage = "";
  /** @internal */ stopNextIteration = false;
  private topDepth = 0;
  private readonly afterCall: (() => void)[] = [];

  protected constructor(opts: HostOptions, module: WebAssembly.Module) {
    this.opts = opts;
    this.rootId = opts.rootId ?? "mirrorshade";
    if (opts.failurePolicy) {
      this.inFlightFailOpen = false;
      this.newStreamsFailOpen = opts.failurePolicy === "FAIL_OPEN";
    } else {
      this.inFlightFailOpen = this.newStreamsFailOpen = opts.failOpen ?? true;
    }
    this.logLevel = opts.logLevel ?? LogLevel.debug;
    this.now = opts.now ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.clusters = opts.clusters ? new Set(opts.clusters) : null;
    this.pluginConfig = toBytes(opts.pluginConfig);
    this.vmConfig = toBytes(opts.vmConfig);
    this.current = this.vmContext;
    this.contexts.set(this.root.id, this.root);

    this.exportNames = WebAssembly.Module.exports(module).map((e) => e.name);
    const exported = new Set(this.exportNames);
    if (exported.has("proxy_abi_version_0_2_1")) this.abiVersion = "0.2.1";
    else if (exported.has("proxy_abi_version_0_2_0")) this.abiVersion = "0.2.0";
    else if (exported.has("proxy_abi_version_0_1_0")) this.abiVersion = "0.1.0";
    else throw new Error("Missing or unknown Proxy-Wasm ABI version (no proxy_abi_version_* export); Envoy refuses this module");
    if (!exported.has("malloc") && !exported.has("proxy_on_memory_allocate")) {
      throw new Error("Wasm module is missing malloc function (neither malloc nor proxy_on_memory_allocate is exported)");
    }

    const declared = WebAssembly.Module.imports(module);
    this.imports = declared.map((i) => `${i.module}.${i.name}`);
    const provided = envoyProvidedImports(this.abiVersion);
    this.envoyMissingImports = this.imports.filter((n) => !provided.has(n));
  }

  // ---------------------------------------------------------------- internals shared with HttpStream

  /** @internal Run a top-level host event; deferred actions (continue, local reply, queue ready) run once it unwinds. */
  top<T>(f: () => T): T {
    this.topDepth++;
    let result: T;
    try {
      result = f();
    } finally {
      this.topDepth--;
    }
    if (this.topDepth === 0) {
      while (this.afterCall.length > 0) {
        const action = this.afterCall.shift()!;
        this.topDepth++;
        try {
          action();
        } finally {
          this.topDepth--;
        }
      }
    }
    return result;
  }

  /** @internal */
  defer(action: () => void): void {
    this.afterCall.push(action);
  }

  /** @internal Call an export as Envoy does: with `ctx` current and no effective-context override. */
  invoke(ctx: Context, fn: string, args: number[]): Outcome {
    if (this.vmFailed) return { kind: "failed" };
    const f = this.instance.exports[fn];
    if (typeof f !== "function") return { kind: "absent" };
    const savedCurrent = this.current;
    const savedEffective = this.effectiveId;
    this.current = ctx;
    this.effectiveId = 0;
    try {
      const r = (f as (...a: number[]) => unknown)(...args);
      return { kind: "ok", value: typeof r === "number" ? u32(r) : typeof r === "bigint" ? Number(BigInt.asUintN(32, r)) : 0 };
    } catch (e) {
      if (!isTrap(e)) throw e;
      this.failVm(e, fn);
      return { kind: "failed" };
    } finally {
      this.current = savedCurrent;
      this.effectiveId = savedEffective;
    }
  }

  /** @internal Envoy's stopNextIteration flag: set by proxy_send_local_response, consumed by the status conversion. */
  takeStopNextIteration(): boolean {
    const s = this.stopNextIteration;
    this.stopNextIteration = false;
    return s;
  }

  /** @internal The plugin's fail_open_, consulted by CHECK_FAIL on streams that already have a context. */
  get failOpenInFlight(): boolean {
    return this.inFlightFailOpen;
  }

  /** @internal PluginConfig::createContext: with FAIL_OPEN a failed VM means the filter is not added at all. */
  get skipNewStreams(): boolean {
    return this.vmFailed && this.newStreamsFailOpen;
  }

  /** @internal */
  get allowOnHeadersStopIteration(): boolean {
    return this.opts.allowOnHeadersStopIteration ?? false;
  }

  /** @internal */
  get keepForwardedBodies(): boolean {
    return this.opts.keepForwardedBodies ?? true;
  }

  /** @internal */
  releaseContext(id: number): void {
    this.contexts.delete(id);
    if (this.effectiveId === id) this.effectiveId = 0;
  }

  /** @internal */
  hostLog(level: number, message: string): void {
    this.logs.push({ level, message, source: "host" });
  }

  private failVm(e: Error, fn: string): void {
    this.vmFailed = true;
    this.trap = e;
    // Same text as Envoy's V8 runtime (which logs it at error level, not critical).
    this.hostLog(LogLevel.critical, `Function: ${fn} failed: Uncaught ${e.name}: ${e.message}`);
  }

  /** @internal The context host calls act on: the effective context when one was set, else the current one. */
  effective(): Context {
    if (this.effectiveId !== 0) {
      const c = this.contexts.get(this.effectiveId);
      // Like contextOrEffectiveContext(): a context that went away reverts to the real one.
      if (c) return c;
    }
    return this.current;
  }

  // ---------------------------------------------------------------- memory

  // Views of module memory, made again only when the memory grew (its old buffer is then detached):
  // Envoy's host reads and writes the memory in place, so the emulator does not allocate per access either.
  private viewBuffer: ArrayBuffer | null = null;
  private u8: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));

  private bytesView(): Uint8Array | null {
    if (!this.memory) return null;
    const b = this.memory.buffer;
    if (b !== this.viewBuffer) {
      this.viewBuffer = b;
      this.u8 = new Uint8Array(b);
      this.dv = new DataView(b);
    }
    return this.u8;
  }

  /** @internal [ptr, ptr+len) of module memory without copying it, valid until the module runs again; null when out of bounds. */
  view(ptr: number, len: number): Uint8Array | null {
    const m = this.bytesView();
    const p = u32(ptr);
    const l = u32(len);
    if (!m || p + l > m.length) return null;
    return m.subarray(p, p + l);
  }

  /** @internal A copy of [ptr, ptr+len), for what the host keeps. */
  read(ptr: number, len: number): Uint8Array | null {
    const v = this.view(ptr, len);
    return v === null ? null : v.slice();
  }

  /** @internal */
  readStr(ptr: number, len: number): string | null {
    const b = this.view(ptr, len);
    return b === null ? null : dec.decode(b);
  }

  /** @internal */
  write(ptr: number, data: Uint8Array): boolean {
    const m = this.bytesView();
    const p = u32(ptr);
    if (!m || p + data.length > m.length) return false;
    m.set(data, p);
    return true;
  }

  /** @internal */
  writeU32(ptr: number, v: number): boolean {
    const m = this.bytesView();
    const p = u32(ptr);
    if (!m || p + 4 > m.length) return false;
    this.dv.setUint32(p, u32(v), true);
    return true;
  }

  /** @internal */
  writeU64(ptr: number, v: bigint): boolean {
    const m = this.bytesView();
    const p = u32(ptr);
    if (!m || p + 8 > m.length) return false;
    this.dv.setBigUint64(p, BigInt.asUintN(64, v), true);
    return true;
  }

  /** @internal WasmBase::copyToPointerSize: empty values are returned as (0, 0) without allocating. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      ptr = u32(this.mallocFn(data.length));
      if (ptr === 0 || !this.write(ptr, data)) return false;
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.length);
  }

  // ---------------------------------------------------------------- log

  /** @internal A log entry from the module (proxy_log, stdout/stderr), kept when at or above the log level. */
  log(level: number, message: string): void {
    if (level < this.logLevel) return;
    this.logs.push({ level, message, contextId: this.effective().id, source: "wasm" });
  }

  /** @internal Used by HttpStream to create its VM-side context lazily, as Envoy's onCreate does. */
  createVmContext(stream: HttpStream): void {
    this.invoke(stream, "proxy_on_context_create", [stream.id, this.root.id]);
  }
}
