// Host side of the proxy-wasm ABI (0.1.0 / 0.2.0 / 0.2.1), modelled on what Envoy does
// (proxy-wasm-cpp-host src/exports.cc + envoy source/extensions/common/wasm/context.cc).
// It runs a filter module in Node's WebAssembly engine so unit tests and CLI commands can
// exercise it without an Envoy process. Where Envoy's behaviour is surprising it is copied
// on purpose and the reason is noted next to it.
import { readFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";

export type HeaderList = [string, string][];

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
} as const;

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 } as const;

export const FilterHeadersStatus = {
  Continue: 0,
  StopIteration: 1,
  ContinueAndEndStream: 2,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;
export const FilterDataStatus = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
} as const;
export const FilterTrailersStatus = { Continue: 0, StopIteration: 1 } as const;

/** Returned by stream methods when Envoy would not call the filter at all (it stopped all iteration, or the stream already got a local reply). */
export const NOT_DELIVERED = -1;

export type Action =
  | "continue"
  | "stop"
  | "continue_and_end_stream"
  | "stop_all_buffer"
  | "stop_all_watermark"
  | "stop_buffer"
  | "stop_watermark"
  | "stop_no_buffer"
  | "not_delivered";

export type Phase =
  | "request_headers"
  | "request_body"
  | "request_trailers"
  | "response_headers"
  | "response_body"
  | "response_trailers";

export interface StatusRecord {
  phase: Phase;
  /** The status Envoy acts on (after its conversions), or NOT_DELIVERED. */
  status: number;
  action: Action;
  /** What the module returned, when it was called and did not trap. */
  raw?: number;
}

export function headersAction(status: number): Action {
  switch (status) {
    case NOT_DELIVERED: return "not_delivered";
    case 0: return "continue";
    case 1: return "stop";
    case 2: return "continue_and_end_stream";
    case 3: return "stop_all_buffer";
    default: return "stop_all_watermark";
  }
}
export function dataAction(status: number): Action {
  switch (status) {
    case NOT_DELIVERED: return "not_delivered";
    case 0: return "continue";
    case 1: return "stop_buffer";
    case 2: return "stop_watermark";
    default: return "stop_no_buffer";
  }
}
export function trailersAction(status: number): Action {
  if (status === NOT_DELIVERED) return "not_delivered";
  return status === 0 ? "continue" : "stop";
}
export function actionFor(phase: Phase, status: number): Action {
  if (phase.endsWith("headers")) return headersAction(status);
  if (phase.endsWith("body")) return dataAction(status);
  return trailersAction(status);
}

export interface HostOptions {
  wasm: string | Uint8Array;
  rootId?: string;
  pluginConfig?: string | Uint8Array;
  vmConfig?: string | Uint8Array;
  env?: Record<string, string>;
  /** Known upstream clusters for proxy_http_call; unknown ones get BadArgument. Default: any cluster is accepted. */
  clusters?: string[];
  logLevel?: number;
  /** Wall clock in ns (proxy_get_current_time_nanoseconds, clock_time_get realtime). */
  now?: () => bigint;
  /** Extra proxy_get_property answers; a path's NUL-separated segments are joined with ".". */
  properties?: Record<string, Uint8Array | string>;
  /**
   * Envoy's legacy `fail_open` bool (default true here): after a trap, streams already using the VM continue
   * untouched and new streams skip the filter. false = FAIL_CLOSED. Ignored when failurePolicy is set.
   */
  failOpen?: boolean;
  /**
   * Envoy's `failure_policy`, as Envoy 1.40 applies it: FAIL_OPEN only makes *new* streams skip the filter;
   * streams already using the failed VM (including the one that trapped) still get a 503 "wasm_fail_stream",
   * because the in-flight check reads the plugin's fail_open_, which only the legacy bool sets.
   * FAIL_CLOSED: every stream gets the 503.
   */
  failurePolicy?: "FAIL_OPEN" | "FAIL_CLOSED";
  /** proc_exit unwinds and fails the VM. Default false: Envoy only logs it (at trace) and returns to the module. */
  procExitTraps?: boolean;
  /** Envoy's allow_on_headers_stop_iteration; without it StopIteration from a headers callback becomes StopAllIterationAndWatermark. */
  allowOnHeadersStopIteration?: boolean;
  /** Answers for plugin_name / plugin_vm_id (defaults: rootId / ""). */
  pluginName?: string;
  vmId?: string;
}

export interface LogEntry {
  level: number;
  message: string;
  /** Context the entry was logged from (0 = VM context, 1 = root); absent for host-originated entries. */
  contextId?: number;
  source?: "wasm" | "host";
}

export interface DispatchedCall {
  token: number;
  cluster: string;
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList;
  timeoutMs: number;
  /** Effective context when dispatched (stream id, or 1 when dispatched from the root context). */
  contextId: number;
}

export interface LocalResponse {
  status: number;
  details: string;
  body: Uint8Array;
  headers: HeaderList;
  /** As passed by the module, as a signed i32 (-1 = none). */
  grpcStatus: number;
}

export interface MetricRecord {
  type: "counter" | "gauge" | "histogram";
  /** Counter/gauge value; for a histogram the last recorded value. */
  value: bigint;
  records: bigint[];
}

export interface Forwarded {
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList;
  /** Headers have been passed on. */
  headersSent: boolean;
  /** End of stream has been passed on. */
  ended: boolean;
}

export interface CallResponse {
  headers: HeaderList;
  body?: Uint8Array | string;
  trailers?: HeaderList;
  /**
   * The answer is Envoy's own local reply (connect failure, timeout, no healthy upstream). Otherwise it came
   * from the upstream, and Envoy's router appends x-envoy-upstream-service-time (unless the headers have it).
   */
  fromEnvoy?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const EMPTY = new Uint8Array(0);

function toBytes(v: string | Uint8Array | undefined): Uint8Array {
  if (v === undefined) return EMPTY;
  return typeof v === "string" ? enc.encode(v) : v;
}

function lowerPairs(h: HeaderList): HeaderList {
  return h.map(([k, v]) => [k.toLowerCase(), v]);
}

function clonePairs(h: HeaderList): HeaderList {
  return h.map(([k, v]) => [k, v]);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** proxy-wasm pair serialization: u32 count; count x (u32 key_len, u32 value_len); key\0 value\0 ... */
export function serializePairs(pairs: HeaderList): Uint8Array {
  if (pairs.length === 0) return EMPTY;
  const encoded = pairs.map(([k, v]) => [enc.encode(k), enc.encode(v)] as const);
  let size = 4 + pairs.length * 8;
  for (const [k, v] of encoded) size += k.length + v.length + 2;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, pairs.length, true);
  let p = 4;
  for (const [k, v] of encoded) {
    dv.setUint32(p, k.length, true);
    dv.setUint32(p + 4, v.length, true);
    p += 8;
  }
  for (const [k, v] of encoded) {
    out.set(k, p);
    p += k.length + 1;
    out.set(v, p);
    p += v.length + 1;
  }
  return out;
}

/** Like PairsUtil::toPairs: malformed input yields no pairs rather than an error. */
export function parsePairs(bytes: Uint8Array): HeaderList {
  if (bytes.length < 4) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true);
  if (4 + n * 8 > bytes.length) return [];
  const lens: [number, number][] = [];
  for (let i = 0; i < n; i++) lens.push([dv.getUint32(4 + i * 8, true), dv.getUint32(8 + i * 8, true)]);
  let p = 4 + n * 8;
  const out: HeaderList = [];
  for (const [kl, vl] of lens) {
    if (p + kl + 1 + vl + 1 > bytes.length) return [];
    const k = dec.decode(bytes.subarray(p, p + kl));
    p += kl + 1;
    const v = dec.decode(bytes.subarray(p, p + vl));
    p += vl + 1;
    out.push([k, v]);
  }
  return out;
}

/** A byte buffer the module can see through proxy_get/set_buffer_bytes. */
class Bytes {
  constructor(public data: Uint8Array, readonly mutable: boolean) {}
  append(more: Uint8Array): void {
    this.data = concat(this.data, more);
  }
  take(): Uint8Array {
    const d = this.data;
    this.data = EMPTY;
    return d;
  }
}

/** Raised by proc_exit so the running callback unwinds like a trap. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
    this.name = "ProcExit";
  }
}

function isTrap(e: unknown): e is Error {
  if (e instanceof WebAssembly.RuntimeError || e instanceof ProcExit) return true;
  // V8 reports wasm stack exhaustion as a RangeError.
  return e instanceof RangeError && /call stack/i.test(e.message);
}

// Host functions Envoy registers (proxy-wasm-cpp-host exports.h FOR_ALL_HOST_FUNCTIONS, FOR_ALL_WASI_FUNCTIONS
// and WasmBase::registerCallbacks). A module importing anything else fails to load in Envoy.
const ENVOY_ENV_COMMON = [
  "proxy_log", "proxy_get_status", "proxy_set_property", "proxy_get_property", "proxy_send_local_response",
  "proxy_get_shared_data", "proxy_set_shared_data", "proxy_register_shared_queue", "proxy_resolve_shared_queue",
  "proxy_dequeue_shared_queue", "proxy_enqueue_shared_queue", "proxy_get_header_map_value",
  "proxy_add_header_map_value", "proxy_replace_header_map_value", "proxy_remove_header_map_value",
  "proxy_get_header_map_pairs", "proxy_set_header_map_pairs", "proxy_get_header_map_size",
  "proxy_get_buffer_status", "proxy_get_buffer_bytes", "proxy_set_buffer_bytes", "proxy_http_call",
  "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_close", "proxy_grpc_cancel", "proxy_grpc_send",
  "proxy_set_tick_period_milliseconds", "proxy_get_current_time_nanoseconds", "proxy_define_metric",
  "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric", "proxy_set_effective_context",
  "proxy_done", "proxy_call_foreign_function", "pthread_equal", "emscripten_notify_memory_growth",
];
const ENVOY_ENV_BY_ABI: Record<AbiVersion, string[]> = {
  "0.1.0": ["proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"],
  "0.2.0": ["proxy_continue_stream", "proxy_close_stream"],
  "0.2.1": ["proxy_continue_stream", "proxy_close_stream", "proxy_get_log_level"],
};
const ENVOY_WASI = [
  "fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_fdstat_set_rights",
  "environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get", "clock_res_get",
  "fd_advise", "fd_allocate", "fd_datasync", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
  "fd_pwrite", "fd_readdir", "fd_renumber", "fd_sync", "fd_tell", "path_create_directory",
  "path_filestat_set_times", "path_link", "path_readlink", "path_remove_directory", "path_rename",
  "path_symlink", "path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown", "random_get",
  "sched_yield", "poll_oneoff", "proc_exit", "path_open", "fd_prestat_get", "fd_prestat_dir_name",
  "path_filestat_get", "fd_filestat_get",
];
const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"];

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

/** Import names ("module.name") Envoy provides to a module declaring the given ABI version. */
export function envoyProvidedImports(abi: AbiVersion): Set<string> {
  const s = new Set<string>();
  for (const n of [...ENVOY_ENV_COMMON, ...ENVOY_ENV_BY_ABI[abi]]) s.add(`env.${n}`);
  for (const m of WASI_MODULES) for (const n of ENVOY_WASI) s.add(`${m}.${n}`);
  return s;
}

type AnyFn = (...args: never[]) => unknown;
type Outcome = { kind: "ok"; value: number } | { kind: "absent" } | { kind: "failed" };

interface RootContext {
  kind: "root";
  id: number;
  configuring: boolean;
}
interface VmContext {
  kind: "vm";
  id: 0;
}
type Context = RootContext | VmContext | HttpStream;

interface ActiveCallResponse {
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList | null;
}

const u32 = (x: number): number => x >>> 0;
/** Map types 0 to 7 exist (request/response headers and trailers, gRPC metadata, call response headers and trailers). */
const mapTypeOk = (t: number) => u32(t) <= 7;

export class ProxyWasmHost {
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

  private readonly opts: HostOptions;
  private readonly inFlightFailOpen: boolean;
  private readonly newStreamsFailOpen: boolean;
  private readonly logLevel: number;
  private readonly now: () => bigint;
  private readonly clusters: Set<string> | null;
  private readonly pluginConfig: Uint8Array;
  private readonly vmConfig: Uint8Array;
  private instance!: WebAssembly.Instance;
  private memory: WebAssembly.Memory | null = null;
  private mallocFn!: (size: number) => number;
  private readonly contexts = new Map<number, Context>();
  private readonly vmContext: VmContext = { kind: "vm", id: 0 };
  private readonly root: RootContext = { kind: "root", id: 1, configuring: false };
  private current: Context;
  private effectiveId = 0;
  private nextContextId = 2;
  private nextCallToken = 0;
  private nextCas = 1;
  private nextQueueToken = 1;
  private readonly metricIds = new Map<number, string>();
  private nextMetricId = { counter: 0, gauge: 1, histogram: 2 };
  private callResponse: ActiveCallResponse | null = null;
  private statusCode = 0;
  private statusMessage = "";
  private stopNextIteration = false;
  private topDepth = 0;
  private readonly afterCall: (() => void)[] = [];

  private constructor(opts: HostOptions, module: WebAssembly.Module) {
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

  static async load(opts: HostOptions): Promise<ProxyWasmHost> {
    const bytes = typeof opts.wasm === "string" ? readFileSync(opts.wasm) : opts.wasm;
    const module = await WebAssembly.compile(new Uint8Array(bytes));
    const host = new ProxyWasmHost(opts, module);
    const importObject = host.buildImports(module);
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

  // ---------------------------------------------------------------- lifecycle

  /** _initialize/_start, proxy_on_context_create(root), proxy_on_vm_start, proxy_on_configure. Never throws on a trap. */
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

  newStream(): HttpStream {
    if (!this.started) throw new Error("call start() before newStream()");
    const s = new HttpStream(this, this.nextContextId++);
    this.contexts.set(s.id, s);
    return s;
  }

  tick(): void {
    this.top(() => {
      this.invoke(this.root, "proxy_on_tick", [this.root.id]);
    });
  }

  /**
   * Deliver an http call response to proxy_on_http_call_response on the root context, or a failure (null: 0 headers,
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

  /** An answer generated by Envoy itself; Envoy 1.40 sends exactly :status, content-length, content-type. */
  envoyReplyToCall(token: number, status: number, body: string): void {
    this.respondToCall(token, {
      headers: [[":status", String(status)], ["content-length", String(enc.encode(body).length)], ["content-type", "text/plain"]],
      body,
      fromEnvoy: true,
    });
  }

  /** What the call gets when its timeout fires (Envoy 1.40: a 504 local reply, not a failure callback). */
  timeoutCall(token: number): void {
    this.envoyReplyToCall(token, 504, "upstream request timeout");
  }

  /** What the call gets when the upstream refuses the connection (Envoy 1.40: a 503 local reply). */
  connectFailureCall(token: number): void {
    this.envoyReplyToCall(token, 503, "upstream connect error or disconnect/reset before headers. reset reason: remote connection failure");
  }

  metric(name: string): bigint | undefined {
    const m = this.metrics.get(name) ?? this.metrics.get(name.replace(/^wasmcustom\./, ""));
    return m?.value;
  }

  memoryBytes(): number {
    return this.memory ? this.memory.buffer.byteLength : 0;
  }

  /** Whether a context id is live (created and not yet deleted). */
  isLiveContext(id: number): boolean {
    return this.contexts.has(id);
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

  private effective(): Context {
    if (this.effectiveId !== 0) {
      const c = this.contexts.get(this.effectiveId);
      // Like contextOrEffectiveContext(): a context that went away reverts to the real one.
      if (c) return c;
    }
    return this.current;
  }

  // ---------------------------------------------------------------- memory

  private bytesView(): Uint8Array | null {
    return this.memory ? new Uint8Array(this.memory.buffer) : null;
  }

  private read(ptr: number, len: number): Uint8Array | null {
    const m = this.bytesView();
    const p = u32(ptr);
    const l = u32(len);
    if (!m || p + l > m.length) return null;
    return m.slice(p, p + l);
  }

  private readStr(ptr: number, len: number): string | null {
    const b = this.read(ptr, len);
    return b === null ? null : dec.decode(b);
  }

  private write(ptr: number, data: Uint8Array): boolean {
    const m = this.bytesView();
    const p = u32(ptr);
    if (!m || p + data.length > m.length) return false;
    m.set(data, p);
    return true;
  }

  private writeU32(ptr: number, v: number): boolean {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, u32(v), true);
    return this.write(ptr, b);
  }

  private writeU64(ptr: number, v: bigint): boolean {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    return this.write(ptr, b);
  }

  /** WasmBase::copyToPointerSize: empty values are returned as (0, 0) without allocating. */
  private copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      ptr = u32(this.mallocFn(data.length));
      if (ptr === 0 || !this.write(ptr, data)) return false;
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.length);
  }

  // ---------------------------------------------------------------- log / properties

  private log(level: number, message: string): void {
    if (level < this.logLevel) return;
    this.logs.push({ level, message, contextId: this.effective().id, source: "wasm" });
  }

  private property(ctx: Context, key: string): Uint8Array | undefined {
    const extra = this.opts.properties?.[key];
    if (extra !== undefined) return toBytes(extra);
    if (key === "plugin_root_id") return enc.encode(this.rootId);
    if (key === "plugin_name") return enc.encode(this.opts.pluginName ?? this.rootId);
    if (key === "plugin_vm_id") return enc.encode(this.opts.vmId ?? "");
    if (ctx instanceof HttpStream) return ctx.property(key);
    return undefined;
  }

  // ---------------------------------------------------------------- header maps and buffers

  /** Context::getConstMap: what reads see. */
  private constMap(ctx: Context, type: number): HeaderList | null {
    if (type === MapType.HttpCallResponseHeaders) return this.callResponse?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.callResponse?.trailers ?? null;
    if (!(ctx instanceof HttpStream)) return null;
    return ctx.constMap(type);
  }

  /** Context::getMap: what writes (and get_header_map_size) see; call-response maps are never writable. */
  private mutableMap(ctx: Context, type: number): HeaderList | null {
    if (!(ctx instanceof HttpStream)) return null;
    return ctx.mutableMap(type);
  }

  /**
   * The common part of add, replace and remove on a header map, in Envoy's order
   * of checks: the map type, then the key (and value, when there is one), then a
   * writable map; `edit` gets the key lower-cased.
   */
  private editMap(type: number, kPtr: number, kLen: number, value: { ptr: number; len: number } | null, edit: (map: HeaderList, key: string, value: string) => void): number {
    if (!mapTypeOk(type)) return WasmResult.BadArgument;
    const key = this.readStr(kPtr, kLen);
    const v = value ? this.readStr(value.ptr, value.len) : "";
    if (key === null || v === null) return WasmResult.InvalidMemoryAccess;
    const map = this.mutableMap(this.effective(), u32(type));
    if (!map) return WasmResult.BadArgument;
    edit(map, key.toLowerCase(), v);
    return WasmResult.Ok;
  }

  private buffer(ctx: Context, type: number): Bytes | null {
    switch (type) {
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody:
        // With no body in flight Envoy still hands out an empty, unmodifiable buffer (not NotFound).
        return (ctx instanceof HttpStream ? ctx.bodyBuffer(type) : null) ?? new Bytes(EMPTY, false);
      case BufferType.HttpCallResponseBody:
        return this.callResponse ? new Bytes(this.callResponse.body, false) : null;
      case BufferType.VmConfiguration:
        return new Bytes(this.vmConfig, false);
      case BufferType.PluginConfiguration:
        return this.root.configuring ? new Bytes(this.pluginConfig, false) : null;
      default:
        return new Bytes(EMPTY, false);
    }
  }

  // ---------------------------------------------------------------- imports

  private buildImports(module: WebAssembly.Module): WebAssembly.Imports {
    const env = this.envFunctions();
    const wasi = this.wasiFunctions();
    // Only what Envoy registers for this ABI version gets a real implementation (e.g. a 0.2.x module
    // importing proxy_clear_route_cache gets the stub), so behaviour never hides a load failure in Envoy.
    const provided = envoyProvidedImports(this.abiVersion);
    const result: Record<string, Record<string, WebAssembly.ImportValue>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== "function") {
        throw new Error(`unsupported ${imp.kind} import ${imp.module}.${imp.name}: the harness only provides functions`);
      }
      const table = imp.module === "env" ? env : WASI_MODULES.includes(imp.module) ? wasi : undefined;
      const real = provided.has(`${imp.module}.${imp.name}`) ? table?.[imp.name] : undefined;
      const impl = real ?? this.stub(imp.module, imp.name);
      (result[imp.module] ??= {})[imp.name] = impl as unknown as WebAssembly.ImportValue;
    }
    return result;
  }

  private stub(module: string, name: string): AnyFn {
    const full = `${module}.${name}`;
    const code = WASI_MODULES.includes(module) ? 52 /* ENOSYS */ : WasmResult.Unimplemented;
    return () => {
      this.unimplementedCalls.push(full);
      this.hostLog(LogLevel.error, `unimplemented host function ${full} called`);
      return code;
    };
  }

  private envFunctions(): Record<string, AnyFn> {
    const R = WasmResult;
    return {
      proxy_log: (level: number, ptr: number, len: number) => {
        if (u32(level) > LogLevel.critical) return R.BadArgument;
        const msg = this.readStr(ptr, len);
        if (msg === null) return R.InvalidMemoryAccess;
        this.log(level, msg);
        return R.Ok;
      },
      proxy_get_log_level: (ptr: number) => (this.writeU32(ptr, this.logLevel) ? R.Ok : R.InvalidMemoryAccess),
      proxy_get_status: (codePtr: number, msgPtrPtr: number, msgSizePtr: number) => {
        if (!this.writeU32(codePtr, this.statusCode)) return R.InvalidMemoryAccess;
        return this.copyOut(enc.encode(this.statusMessage), msgPtrPtr, msgSizePtr) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_tick_period_milliseconds: (ms: number) => {
        this.tickPeriodMs = u32(ms);
        return R.Ok;
      },
      proxy_get_current_time_nanoseconds: (ptr: number) => (this.writeU64(ptr, this.now()) ? R.Ok : R.InvalidMemoryAccess),
      proxy_get_property: (pathPtr: number, pathLen: number, valuePtrPtr: number, valueSizePtr: number) => {
        const path = this.readStr(pathPtr, pathLen);
        if (path === null) return R.InvalidMemoryAccess;
        const segments = path.split("\0");
        if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
        const value = this.property(this.effective(), segments.join("."));
        if (value === undefined) return R.NotFound;
        return this.copyOut(value, valuePtrPtr, valueSizePtr) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_property: (pathPtr: number, pathLen: number, valuePtr: number, valueLen: number) => {
        const path = this.readStr(pathPtr, pathLen);
        const value = this.read(valuePtr, valueLen);
        if (path === null || value === null) return R.InvalidMemoryAccess;
        const ctx = this.effective();
        // Envoy stores it as stream filter state; a root context has no stream info.
        if (!(ctx instanceof HttpStream)) return R.NotFound;
        ctx.setProperty(path.split("\0").filter((s) => s !== "").join("."), value);
        return R.Ok;
      },
      proxy_continue_stream: (type: number) => this.continueStream(u32(type)),
      proxy_close_stream: (type: number) => this.closeStream(u32(type)),
      proxy_continue_request: () => this.continueStream(0),
      proxy_continue_response: () => this.continueStream(1),
      proxy_clear_route_cache: () => R.Ok,
      proxy_get_configuration: (ptrPtr: number, sizePtr: number) => {
        const data = this.root.configuring ? this.pluginConfig : this.vmConfig;
        return this.copyOut(data, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_send_local_response: (
        status: number, detailsPtr: number, detailsLen: number, bodyPtr: number, bodyLen: number,
        headersPtr: number, headersLen: number, grpcStatus: number,
      ) => {
        const details = this.readStr(detailsPtr, detailsLen);
        const body = this.read(bodyPtr, bodyLen);
        const headers = this.read(headersPtr, headersLen);
        if (details === null || body === null || headers === null) return R.InvalidMemoryAccess;
        const ctx = this.effective();
        const resp: LocalResponse = {
          status: u32(status),
          // Envoy replaces whitespace in response code details (StringUtil::replaceAllEmptySpace).
          details: details.replace(/\s/g, "_"),
          body,
          headers: lowerPairs(parsePairs(headers)),
          grpcStatus: grpcStatus | 0,
        };
        if (ctx instanceof HttpStream) this.defer(() => ctx.sendLocalReply(resp));
        this.stopNextIteration = true;
        return R.Ok;
      },
      proxy_get_shared_data: (keyPtr: number, keyLen: number, valuePtrPtr: number, valueSizePtr: number, casPtr: number) => {
        const key = this.readStr(keyPtr, keyLen);
        if (key === null) return R.InvalidMemoryAccess;
        const entry = this.sharedData.get(key);
        if (!entry) return R.NotFound;
        if (!this.copyOut(entry.value, valuePtrPtr, valueSizePtr)) return R.InvalidMemoryAccess;
        return this.writeU32(casPtr, entry.cas) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_shared_data: (keyPtr: number, keyLen: number, valuePtr: number, valueLen: number, cas: number) => {
        const key = this.readStr(keyPtr, keyLen);
        const value = this.read(valuePtr, valueLen);
        if (key === null || value === null) return R.InvalidMemoryAccess;
        const existing = this.sharedData.get(key);
        if (existing && u32(cas) !== 0 && u32(cas) !== existing.cas) return R.CasMismatch;
        this.sharedData.set(key, { value, cas: this.bumpCas() });
        return R.Ok;
      },
      proxy_register_shared_queue: (namePtr: number, nameLen: number, tokenPtr: number) => {
        const name = this.readStr(namePtr, nameLen);
        if (name === null) return R.InvalidMemoryAccess;
        const vmId = this.opts.vmId ?? "";
        let token = this.findQueue(vmId, name);
        if (token === 0) {
          token = this.nextQueueToken++;
          this.sharedQueues.set(token, { name, vmId, items: [] });
        }
        return this.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_resolve_shared_queue: (vmPtr: number, vmLen: number, namePtr: number, nameLen: number, tokenPtr: number) => {
        const vmId = this.readStr(vmPtr, vmLen);
        const name = this.readStr(namePtr, nameLen);
        if (vmId === null || name === null) return R.InvalidMemoryAccess;
        const token = this.findQueue(vmId === "" ? (this.opts.vmId ?? "") : vmId, name);
        if (token === 0) return R.NotFound;
        return this.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_enqueue_shared_queue: (token: number, dataPtr: number, dataLen: number) => {
        const data = this.read(dataPtr, dataLen);
        if (data === null) return R.InvalidMemoryAccess;
        const q = this.sharedQueues.get(u32(token));
        if (!q) return R.NotFound;
        q.items.push(data);
        // Envoy posts proxy_on_queue_ready to the owning root context's thread; here it runs after the current event.
        this.defer(() => {
          this.invoke(this.root, "proxy_on_queue_ready", [this.root.id, u32(token)]);
        });
        return R.Ok;
      },
      proxy_dequeue_shared_queue: (token: number, dataPtrPtr: number, dataSizePtr: number) => {
        const q = this.sharedQueues.get(u32(token));
        if (!q) return R.NotFound;
        const item = q.items.shift();
        if (item === undefined) return R.Empty;
        return this.copyOut(item, dataPtrPtr, dataSizePtr) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_add_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) =>
        this.editMap(type, kPtr, kLen, { ptr: vPtr, len: vLen }, (map, key, value) => map.push([key, value])),
      proxy_get_header_map_value: (type: number, kPtr: number, kLen: number, vPtrPtr: number, vSizePtr: number) => {
        if (!mapTypeOk(type)) return R.BadArgument;
        const key = this.readStr(kPtr, kLen);
        if (key === null) return R.InvalidMemoryAccess;
        const ctx = this.effective();
        const map = this.constMap(ctx, u32(type));
        if (!map) {
          // In the access-log phase missing maps read as "no such header"; otherwise the map is unavailable.
          if (ctx instanceof HttpStream && ctx.inAccessLogPhase) return this.abiVersion === "0.1.0" ? this.emptyValue(vPtrPtr, vSizePtr) : R.NotFound;
          return R.BadArgument;
        }
        const lower = key.toLowerCase();
        // Envoy returns the first entry only (context.cc has a TODO about concatenating duplicates).
        const hit = map.find(([k]) => k === lower);
        if (!hit) return this.abiVersion === "0.1.0" ? this.emptyValue(vPtrPtr, vSizePtr) : R.NotFound;
        return this.copyOut(enc.encode(hit[1]), vPtrPtr, vSizePtr) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_get_header_map_pairs: (type: number, ptrPtr: number, sizePtr: number) => {
        if (!mapTypeOk(type)) return R.BadArgument;
        // An unavailable map reads as empty here (headerMapToPairs(nullptr)), unlike get_header_map_value.
        const map = this.constMap(this.effective(), u32(type)) ?? [];
        return this.copyOut(serializePairs(map), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_header_map_pairs: (type: number, ptr: number, len: number) => {
        if (!mapTypeOk(type)) return R.BadArgument;
        const data = this.read(ptr, len);
        if (data === null) return R.InvalidMemoryAccess;
        const map = this.mutableMap(this.effective(), u32(type));
        if (!map) return R.BadArgument;
        map.splice(0, map.length, ...lowerPairs(parsePairs(data)));
        return R.Ok;
      },
      proxy_replace_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) =>
        this.editMap(type, kPtr, kLen, { ptr: vPtr, len: vLen }, (map, key, value) => {
          const first = map.findIndex(([k]) => k === key);
          if (first < 0) {
            map.push([key, value]);
          } else {
            map[first] = [key, value];
            for (let i = map.length - 1; i > first; i--) if (map[i]![0] === key) map.splice(i, 1);
          }
        }),
      proxy_remove_header_map_value: (type: number, kPtr: number, kLen: number) =>
        this.editMap(type, kPtr, kLen, null, (map, key) => {
          for (let i = map.length - 1; i >= 0; i--) if (map[i]![0] === key) map.splice(i, 1);
        }),
      proxy_get_header_map_size: (type: number, sizePtr: number) => {
        if (!mapTypeOk(type)) return R.BadArgument;
        const map = this.mutableMap(this.effective(), u32(type));
        if (!map) return R.BadArgument;
        // HeaderMap::byteSize(): the sum of key and value lengths.
        let size = 0;
        for (const [k, v] of map) size += enc.encode(k).length + enc.encode(v).length;
        return this.writeU32(sizePtr, size) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
        if (u32(type) > BufferType.CallData) return R.BadArgument;
        const buf = this.buffer(this.effective(), u32(type));
        if (!buf) return R.NotFound;
        const size = buf.data.length;
        const s = u32(start);
        let l = u32(length);
        if (s > size) l = 0;
        else if (s + l > size) l = size - s;
        if (l === 0) return this.writeU32(ptrPtr, 0) && this.writeU32(sizePtr, 0) ? R.Ok : R.InvalidMemoryAccess;
        return this.copyOut(buf.data.slice(s, s + l), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_get_buffer_status: (type: number, lengthPtr: number, flagsPtr: number) => {
        if (u32(type) > BufferType.CallData) return R.BadArgument;
        const buf = this.buffer(this.effective(), u32(type));
        if (!buf) return R.NotFound;
        return this.writeU32(lengthPtr, buf.data.length) && this.writeU32(flagsPtr, 0) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_buffer_bytes: (type: number, start: number, length: number, dataPtr: number, dataLen: number) => {
        if (u32(type) > BufferType.CallData) return R.BadArgument;
        const buf = this.buffer(this.effective(), u32(type));
        if (!buf) return R.NotFound;
        const data = this.read(dataPtr, dataLen);
        if (data === null) return R.InvalidMemoryAccess;
        if (!buf.mutable) return R.BadArgument;
        // Envoy's Buffer::copyFrom supports only prepend, whole replacement and append.
        const s = u32(start);
        const l = u32(length);
        const size = buf.data.length;
        if (s === 0) {
          if (l === 0) buf.data = concat(data, buf.data);
          else if (l >= size) buf.data = data.slice();
          else return R.BadArgument;
        } else if (s >= size) {
          buf.data = concat(buf.data, data);
        } else {
          return R.BadArgument;
        }
        return R.Ok;
      },
      proxy_http_call: (
        upPtr: number, upLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number,
        tPtr: number, tLen: number, timeout: number, tokenPtr: number,
      ) => {
        const cluster = this.readStr(upPtr, upLen);
        const h = this.read(hPtr, hLen);
        const body = this.read(bPtr, bLen);
        const t = this.read(tPtr, tLen);
        if (cluster === null || h === null || body === null || t === null) return R.InvalidMemoryAccess;
        if (!this.writeU32(tokenPtr, 0)) return R.InvalidMemoryAccess;
        // Envoy takes the timeout as a signed int.
        const timeoutMs = timeout | 0;
        if (timeoutMs < 0) return R.BadArgument;
        if (this.clusters && !this.clusters.has(cluster)) return R.BadArgument;
        const headers = lowerPairs(parsePairs(h));
        const has = (k: string) => headers.some(([hk]) => hk === k);
        if (!has(":path") || !has(":method") || !has(":authority")) return R.BadArgument;
        if (body.length > 0) {
          const i = headers.findIndex(([k]) => k === "content-length");
          if (i >= 0) headers[i] = ["content-length", String(body.length)];
          else headers.push(["content-length", String(body.length)]);
        }
        // Envoy's callout ids advance by 4; the low two bits tag http/grpc-call/grpc-stream.
        this.nextCallToken += 4;
        const call: DispatchedCall = {
          token: this.nextCallToken,
          cluster,
          headers,
          body,
          trailers: lowerPairs(parsePairs(t)),
          timeoutMs,
          contextId: this.effective().id,
        };
        this.calls.push(call);
        this.pendingCalls.set(call.token, call);
        this.writeU32(tokenPtr, call.token);
        return R.Ok;
      },
      proxy_grpc_call: () => this.grpcUnsupported("proxy_grpc_call"),
      proxy_grpc_stream: () => this.grpcUnsupported("proxy_grpc_stream"),
      proxy_grpc_send: () => R.NotFound,
      proxy_grpc_cancel: () => R.NotFound,
      proxy_grpc_close: () => R.NotFound,
      proxy_define_metric: (type: number, namePtr: number, nameLen: number, idPtr: number) => {
        const name = this.readStr(namePtr, nameLen);
        if (name === null) return R.InvalidMemoryAccess;
        const kind = (["counter", "gauge", "histogram"] as const)[u32(type)];
        if (!kind) return R.BadArgument;
        // Envoy hands out a new id per definition (type in the low two bits) for the same underlying stat.
        this.nextMetricId[kind] += 4;
        const id = this.nextMetricId[kind];
        this.metricIds.set(id, name);
        if (!this.metrics.has(name)) this.metrics.set(name, { type: kind, value: 0n, records: [] });
        return this.writeU32(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_increment_metric: (id: number, offset: bigint) => {
        const m = this.metricById(id);
        if (!m) return (u32(id) & 3) === 2 || (u32(id) & 3) === 3 ? R.BadArgument : R.NotFound;
        const delta = BigInt.asIntN(64, BigInt(offset));
        if (m.type === "counter") {
          if (delta <= 0n) return R.BadArgument;
          m.value += delta;
          return R.Ok;
        }
        if (m.type === "gauge") {
          m.value += delta;
          return R.Ok;
        }
        return R.BadArgument;
      },
      proxy_record_metric: (id: number, value: bigint) => {
        const m = this.metricById(id);
        if (!m) return R.NotFound;
        const v = BigInt.asUintN(64, BigInt(value));
        if (m.type === "counter") m.value += v;
        else if (m.type === "gauge") m.value = v;
        else {
          m.value = v;
          m.records.push(v);
        }
        return R.Ok;
      },
      proxy_get_metric: (id: number, resultPtr: number) => {
        const m = this.metricById(id);
        if (!m) return (u32(id) & 3) >= 2 ? R.BadArgument : R.NotFound;
        if (m.type === "histogram") return R.BadArgument;
        return this.writeU64(resultPtr, m.value) ? R.Ok : R.InvalidMemoryAccess;
      },
      proxy_set_effective_context: (id: number) => {
        if (!this.contexts.has(u32(id))) return R.BadArgument;
        this.effectiveId = u32(id);
        return R.Ok;
      },
      // Only root contexts can be pending-done in Envoy (at VM shutdown), so this is NotFound in practice.
      proxy_done: () => R.NotFound,
      proxy_call_foreign_function: (namePtr: number, nameLen: number, argsPtr: number, argsLen: number) => {
        if (this.readStr(namePtr, nameLen) === null || this.read(argsPtr, argsLen) === null) return R.InvalidMemoryAccess;
        return R.NotFound;
      },
      pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
      emscripten_notify_memory_growth: () => undefined,
    };
  }

  private wasiFunctions(): Record<string, AnyFn> {
    const SUCCESS = 0, BADF = 8, FAULT = 21, INVAL = 28, NOSYS = 52, NOTSUP = 58;
    const env = Object.entries(this.opts.env ?? {});
    return {
      fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
        const level = fd === 1 ? LogLevel.info : fd === 2 ? LogLevel.error : -1;
        if (level < 0) return BADF;
        const parts: Uint8Array[] = [];
        for (let i = 0; i < u32(iovsLen); i++) {
          const iov = this.read(iovs + i * 8, 8);
          if (!iov) return FAULT;
          const dv = new DataView(iov.buffer);
          const len = dv.getUint32(4, true);
          if (len === 0) continue;
          const chunk = this.read(dv.getUint32(0, true), len);
          if (!chunk) return FAULT;
          parts.push(chunk);
        }
        const all = parts.reduce((a, b) => concat(a, b), EMPTY);
        if (all.length > 0) {
          let s = dec.decode(all);
          if (s.endsWith("\n")) s = s.slice(0, -1);
          this.log(level, s);
        }
        return this.writeU32(nwrittenPtr, all.length) ? SUCCESS : FAULT;
      },
      fd_read: () => NOSYS,
      fd_seek: () => SUCCESS,
      fd_close: () => SUCCESS,
      fd_fdstat_get: (fd: number, statPtr: number) => {
        if (fd !== 1 && fd !== 2) return BADF;
        const stat = new Uint8Array(24);
        stat[8] = 64; // fs_rights_base = FD_WRITE
        this.write(statPtr, stat);
        return SUCCESS;
      },
      fd_fdstat_set_flags: () => NOSYS,
      fd_prestat_get: () => BADF,
      fd_prestat_dir_name: () => NOSYS,
      fd_filestat_get: () => BADF,
      path_open: () => 44,
      path_filestat_get: () => NOTSUP,
      environ_sizes_get: (countPtr: number, sizePtr: number) => {
        let size = 0;
        for (const [k, v] of env) size += enc.encode(k).length + enc.encode(v).length + 2;
        return this.writeU32(countPtr, env.length) && this.writeU32(sizePtr, size) ? SUCCESS : FAULT;
      },
      environ_get: (arrayPtr: number, bufPtr: number) => {
        let a = u32(arrayPtr);
        let b = u32(bufPtr);
        for (const [k, v] of env) {
          const data = enc.encode(`${k}=${v}\0`);
          if (!this.writeU32(a, b) || !this.write(b, data)) return FAULT;
          a += 4;
          b += data.length;
        }
        return SUCCESS;
      },
      args_sizes_get: (argcPtr: number, bufSizePtr: number) =>
        this.writeU32(argcPtr, 0) && this.writeU32(bufSizePtr, 0) ? SUCCESS : FAULT,
      args_get: () => SUCCESS,
      clock_time_get: (id: number, _precision: bigint, resultPtr: number) => {
        let t: bigint;
        if (id === 0) t = this.now();
        else if (id === 1) t = process.hrtime.bigint();
        else return NOTSUP;
        return this.writeU64(resultPtr, t) ? SUCCESS : FAULT;
      },
      clock_res_get: (id: number, resultPtr: number) => {
        if (id !== 0 && id !== 1) return NOTSUP;
        return this.writeU64(resultPtr, 1n) ? SUCCESS : FAULT;
      },
      random_get: (ptr: number, len: number) => {
        // PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES
        if (u32(len) > 64 * 1024) return INVAL;
        if (len === 0) return SUCCESS;
        const b = new Uint8Array(u32(len));
        randomFillSync(b);
        return this.write(ptr, b) ? SUCCESS : FAULT;
      },
      sched_yield: () => SUCCESS,
      proc_exit: (code: number) => {
        this.procExitCalls.push(code);
        this.logs.push({ level: LogLevel.trace, message: `wasi_unstable proc_exit(${code})`, source: "host" });
        // Envoy returns to the module; AssemblyScript's abort path then reaches `unreachable` and traps anyway.
        if (this.opts.procExitTraps) throw new ProcExit(code);
        return undefined;
      },
    };
  }

  private emptyValue(ptrPtr: number, sizePtr: number): number {
    return this.writeU32(ptrPtr, 0) && this.writeU32(sizePtr, 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
  }

  private grpcUnsupported(name: string): number {
    this.unimplementedCalls.push(`env.${name}`);
    this.hostLog(LogLevel.error, `harness does not implement ${name}`);
    return WasmResult.InternalFailure;
  }

  private bumpCas(): number {
    const cas = this.nextCas++;
    if (this.nextCas > 0xffffffff) this.nextCas = 1;
    return cas;
  }

  private findQueue(vmId: string, name: string): number {
    for (const [token, q] of this.sharedQueues) if (q.vmId === vmId && q.name === name) return token;
    return 0;
  }

  private metricById(id: number): MetricRecord | undefined {
    const name = this.metricIds.get(u32(id));
    return name === undefined ? undefined : this.metrics.get(name);
  }

  private continueStream(type: number): number {
    if (type > 3) return WasmResult.BadArgument;
    if (type === 3) return WasmResult.Unimplemented;
    if (type === 2) return WasmResult.Ok;
    const ctx = this.effective();
    if (ctx instanceof HttpStream) {
      ctx.onContinueCalled(type === 0 ? "request" : "response");
    }
    return WasmResult.Ok;
  }

  private closeStream(type: number): number {
    if (type > 3) return WasmResult.BadArgument;
    const ctx = this.effective();
    if (ctx instanceof HttpStream && type <= 1) this.defer(() => ctx.resetStream());
    return WasmResult.Ok;
  }

  /** @internal Used by HttpStream to create its VM-side context lazily, as Envoy's onCreate does. */
  createVmContext(stream: HttpStream): void {
    this.invoke(stream, "proxy_on_context_create", [stream.id, this.root.id]);
  }
}

export type Side = "request" | "response";

/** One direction of an HTTP stream as Envoy's filter manager sees it for this (single) filter. */
class Direction {
  headers: HeaderList | null = null;
  headersLive = false;
  headersReceived = false;
  headersEos = false;
  trailers: HeaderList | null = null;
  trailersLive = false;
  /** Trailers the filter stopped (or that arrived while it stopped all iteration), waiting for continue. */
  heldTrailers: HeaderList | null = null;
  /** Trailers the module added from the last body callback (Envoy's addDecodedTrailers). */
  addedTrailers = false;
  /** The body buffer the module sees: the current chunk, or `held` while buffering. */
  body: Bytes | null = null;
  lastEos = false;
  /** Data the filter manager holds at this filter (not yet passed on). */
  readonly held = new Bytes(EMPTY, true);
  heldPending = false;
  /** Previous body callback returned StopIterationAndBuffer: the next chunk is appended and the whole buffer is seen. */
  bufferingBody = false;
  stopAll = false;
  stopped = false;
  remoteEnded = false;
  /** Nothing more is passed on (local reply or reset). */
  terminated = false;

  constructor(readonly side: Side, readonly out: Forwarded) {}
}

export class HttpStream {
  readonly id: number;
  readonly upstreamRequest: Forwarded = { headers: [], body: EMPTY, trailers: [], headersSent: false, ended: false };
  readonly downstreamResponse: Forwarded = { headers: [], body: EMPTY, trailers: [], headersSent: false, ended: false };
  localResponse?: LocalResponse;
  /** The stream was reset: proxy_close_stream, or a local reply after response headers had gone downstream. */
  reset = false;
  completed = false;
  readonly results: StatusRecord[] = [];

  private readonly host: ProxyWasmHost;
  private readonly req: Direction;
  private readonly resp: Direction;
  private vmContextCreated = false;
  /** The filter was never added to this stream (FAIL_OPEN with an already failed VM). */
  private readonly skipped: boolean;
  private accessLogPhase = false;
  private failureReplySent = false;
  private readonly props = new Map<string, Uint8Array>();

  /** @internal use ProxyWasmHost.newStream() */
  constructor(host: ProxyWasmHost, id: number) {
    this.host = host;
    this.id = id;
    this.req = new Direction("request", this.upstreamRequest);
    this.resp = new Direction("response", this.downstreamResponse);
    this.skipped = host.skipNewStreams;
  }

  requestHeaders(headers: HeaderList, endOfStream = false): number {
    return this.onHeaders(this.req, headers, endOfStream);
  }
  requestBody(chunk: Uint8Array | string, endOfStream: boolean): number {
    return this.onData(this.req, toBytes(chunk), endOfStream);
  }
  requestTrailers(trailers: HeaderList): number {
    return this.onTrailers(this.req, trailers);
  }
  responseHeaders(headers: HeaderList, endOfStream = false): number {
    if (this.localResponse) return this.record("response_headers", NOT_DELIVERED);
    return this.onHeaders(this.resp, headers, endOfStream);
  }
  responseBody(chunk: Uint8Array | string, endOfStream: boolean): number {
    if (this.localResponse) return this.record("response_body", NOT_DELIVERED);
    return this.onData(this.resp, toBytes(chunk), endOfStream);
  }
  responseTrailers(trailers: HeaderList): number {
    if (this.localResponse) return this.record("response_trailers", NOT_DELIVERED);
    return this.onTrailers(this.resp, trailers);
  }

  /**
   * Stream end as in Envoy 1.40's doDeferredStreamDestroy: access log first (proxy_on_log), then
   * onDestroy (proxy_on_done, proxy_on_delete; on_done's return value is ignored for HTTP streams).
   */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.host.top(() => {
      // Context::log calls onCreate for streams that never reached decodeHeaders.
      if (!this.skipped) this.ensureVmContext();
      if (this.vmContextCreated) {
        this.accessLogPhase = true;
        this.host.invoke(this, "proxy_on_log", [this.id]);
        this.accessLogPhase = false;
        this.host.invoke(this, "proxy_on_done", [this.id]);
        this.host.invoke(this, "proxy_on_delete", [this.id]);
      }
      this.host.releaseContext(this.id);
    });
  }

  /** Whether a side is currently held by the filter (stopped iteration, waiting for proxy_continue_stream). */
  isStopped(side: Side): boolean {
    const d = side === "request" ? this.req : this.resp;
    return d.stopAll || d.stopped;
  }

  // ---------------------------------------------------------------- used by the host

  /** @internal */
  get inAccessLogPhase(): boolean {
    return this.accessLogPhase;
  }

  /** @internal */
  constMap(type: number): HeaderList | null {
    const log = this.accessLogPhase;
    switch (type) {
      case MapType.RequestHeaders:
        return log ? this.req.headers : this.req.headersLive ? this.req.headers : null;
      case MapType.RequestTrailers:
        return log ? null : this.req.trailersLive ? this.req.trailers : null;
      case MapType.ResponseHeaders:
        return log ? this.resp.headers : this.resp.headersLive ? this.resp.headers : null;
      case MapType.ResponseTrailers:
        return log ? this.resp.trailers : this.resp.trailersLive ? this.resp.trailers : null;
      default:
        return null;
    }
  }

  /** @internal */
  mutableMap(type: number): HeaderList | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.req.headersLive ? this.req.headers : null;
      case MapType.RequestTrailers:
        return this.trailersForWrite(this.req);
      case MapType.ResponseHeaders:
        return this.resp.headersLive ? this.resp.headers : null;
      case MapType.ResponseTrailers:
        return this.trailersForWrite(this.resp);
      default:
        return null;
    }
  }

  /** @internal */
  bodyBuffer(type: number): Bytes | null {
    return (type === BufferType.HttpRequestBody ? this.req : this.resp).body;
  }

  /** @internal */
  property(key: string): Uint8Array | undefined {
    const own = this.props.get(key);
    if (own) return own;
    const header = (h: HeaderList | null, name: string) => h?.find(([k]) => k === name)?.[1];
    const str = (v: string | undefined) => (v === undefined ? undefined : enc.encode(v));
    const rh = this.req.headers;
    if (key.startsWith("request.headers.")) return str(header(rh, key.slice(16).toLowerCase()));
    if (key.startsWith("response.headers.")) return str(header(this.resp.headers, key.slice(17).toLowerCase()));
    switch (key) {
      case "request.path": return str(header(rh, ":path"));
      case "request.url_path": return str(header(rh, ":path")?.split("?")[0]);
      case "request.host": return str(header(rh, ":authority"));
      case "request.method": return str(header(rh, ":method"));
      case "request.scheme": return str(header(rh, ":scheme"));
      case "request.id": return str(header(rh, "x-request-id"));
      case "request.useragent": return str(header(rh, "user-agent"));
      case "request.referer": return str(header(rh, "referer"));
      case "response.code": {
        const s = header(this.resp.headers, ":status");
        if (s === undefined) return undefined;
        // Envoy serializes CEL ints as 8 little-endian bytes.
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigInt64(0, BigInt(s), true);
        return b;
      }
      default: return undefined;
    }
  }

  /** @internal */
  setProperty(key: string, value: Uint8Array): void {
    this.props.set(key, value);
  }

  /** @internal proxy_continue_stream: Envoy clears the request-side pointers at once and continues after the VM call. */
  onContinueCalled(side: Side): void {
    // Envoy's Context::continueStream clears request_* pointers for both stream types (not response_*).
    this.req.headersLive = false;
    this.req.body = null;
    this.req.trailersLive = false;
    this.host.defer(() => this.continueSide(side === "request" ? this.req : this.resp));
  }

  /** @internal */
  sendLocalReply(lr: LocalResponse): void {
    if (this.completed || this.localResponse) return;
    // Once response headers went downstream Envoy cannot answer any more; it resets the stream instead.
    if (this.downstreamResponse.headersSent) {
      this.host.hostLog(LogLevel.debug, `stream ${this.id}: local reply ${lr.status} after response headers, resetting stream`);
      this.resetStream();
      return;
    }
    this.localResponse = lr;
    this.req.terminated = true;
    this.req.held.take();
    // Same order Envoy 1.40 shows the filter: :status, the module's headers, then content-length/type.
    const headers: HeaderList = [[":status", String(lr.status)], ...lr.headers];
    if (lr.body.length > 0) headers.push(["content-length", String(lr.body.length)], ["content-type", "text/plain"]);
    if (this.resp.headersReceived) {
      // Already encoding an upstream response: Envoy sends the reply directly, bypassing filters.
      this.resp.terminated = true;
      Object.assign(this.downstreamResponse, { headers, body: lr.body, trailers: [], headersSent: true, ended: true });
      return;
    }
    // Otherwise the reply runs through the encoder filters, this one included.
    this.onHeaders(this.resp, headers, lr.body.length === 0);
    if (lr.body.length > 0) this.onData(this.resp, lr.body, true);
  }

  /** @internal */
  resetStream(): void {
    this.reset = true;
    this.req.terminated = true;
    this.resp.terminated = true;
  }

  // ---------------------------------------------------------------- filter-manager model

  private record(phase: Phase, status: number, raw?: number): number {
    const r: StatusRecord = { phase, status, action: actionFor(phase, status) };
    if (raw !== undefined) r.raw = raw;
    this.results.push(r);
    return status;
  }

  private ensureVmContext(): void {
    if (this.vmContextCreated || this.host.vmFailed) return;
    this.host.createVmContext(this);
    this.vmContextCreated = !this.host.vmFailed;
  }

  private phase(d: Direction, what: "headers" | "body" | "trailers"): Phase {
    return `${d.side}_${what}` as Phase;
  }

  /** CHECK_FAIL_HTTP: fail open passes through; fail closed answers 503 once. */
  private failedStatus(open: number, closed: number): number {
    if (this.host.failOpenInFlight) return open;
    if (!this.failureReplySent) {
      this.failureReplySent = true;
      this.host.hostLog(LogLevel.error, `stream ${this.id}: VM failed, sending 503 (fail closed)`);
      this.sendLocalReply({ status: 503, details: "wasm_fail_stream", body: EMPTY, headers: [], grpcStatus: 14 });
    }
    return closed;
  }

  /** No VM involvement: the filter was skipped, or (encoder side) a fail-closed reply was already sent. */
  private bypass(d: Direction): boolean {
    return this.skipped || (d.side === "response" && this.failureReplySent);
  }

  private onHeaders(d: Direction, headers: HeaderList, eos: boolean): number {
    if (this.completed) throw new Error(`stream ${this.id} already completed`);
    if (d.headersReceived) throw new Error(`${d.side} headers already delivered on stream ${this.id}`);
    d.headersReceived = true;
    d.headersEos = eos;
    d.remoteEnded = eos;
    // Envoy's codecs lowercase header names before filters see them.
    const list = lowerPairs(headers);
    d.headers = list;
    const phase = this.phase(d, "headers");
    if (d.terminated) return this.record(phase, NOT_DELIVERED);
    return this.host.top(() => {
      if (d.side === "request" && !this.skipped) this.ensureVmContext();
      // Envoy's encode callbacks skip a context the VM never created (and a fail-closed reply already sent).
      if (this.bypass(d) || (d.side === "response" && !this.vmContextCreated && !this.host.vmFailed)) {
        this.forwardHeaders(d);
        return this.record(phase, 0);
      }
      if (this.host.vmFailed) return this.applyHeaders(d, this.failedStatus(0, 4), phase);
      d.headersLive = true;
      const out = this.host.invoke(this, `proxy_on_${d.side}_headers`, [this.id, list.length, eos ? 1 : 0]);
      const stopNext = this.host.takeStopNextIteration();
      if (out.kind === "failed") return this.applyHeaders(d, this.failedStatus(0, 4), phase);
      if (out.kind === "absent") return this.applyHeaders(d, 0, phase);
      let status = out.value;
      if (stopNext || status > 4) status = 4;
      else if (status === 1 && !this.host.allowOnHeadersStopIteration) status = 4;
      // Envoy's convertFilterHeadersStatus maps ContinueAndEndStream to plain Continue.
      else if (status === 2) status = 0;
      return this.applyHeaders(d, status, phase, out.value);
    });
  }

  private applyHeaders(d: Direction, status: number, phase: Phase, raw?: number): number {
    if (status === 0 || status === 2) {
      d.headersLive = false;
      this.forwardHeaders(d);
    } else if (status === 1) {
      d.stopped = true;
    } else {
      d.stopAll = true;
    }
    return this.record(phase, status, raw);
  }

  private onData(d: Direction, chunk: Uint8Array, eos: boolean): number {
    if (this.completed) throw new Error(`stream ${this.id} already completed`);
    if (!d.headersReceived) throw new Error(`${d.side} body before ${d.side} headers on stream ${this.id}`);
    if (d.remoteEnded) throw new Error(`${d.side} already ended on stream ${this.id}`);
    d.remoteEnded = eos;
    const phase = this.phase(d, "body");
    if (d.terminated) return this.record(phase, NOT_DELIVERED);
    return this.host.top(() => {
      if (this.bypass(d)) {
        this.forwardData(d, chunk, eos);
        return this.record(phase, 0);
      }
      if (d.stopAll) {
        // The filter manager buffers at a filter that stopped all iteration and does not call it.
        d.held.append(chunk);
        d.heldPending = true;
        return this.record(phase, NOT_DELIVERED);
      }
      return this.deliverData(d, chunk, eos);
    });
  }

  private deliverData(d: Direction, chunk: Uint8Array, eos: boolean): number {
    const phase = this.phase(d, "body");
    if (d.bufferingBody) {
      // Envoy's decodeData: addDecodedData appends the chunk, and the module sees the whole buffered body.
      d.held.append(chunk);
      d.body = d.held;
    } else {
      d.body = new Bytes(chunk, true);
    }
    d.lastEos = eos;
    let status: number;
    let raw: number | undefined;
    if (this.host.vmFailed) {
      status = this.failedStatus(0, 3);
    } else {
      const out = this.host.invoke(this, `proxy_on_${d.side}_body`, [this.id, d.body.data.length, eos ? 1 : 0]);
      const stopNext = this.host.takeStopNextIteration();
      if (out.kind === "failed") status = this.failedStatus(0, 3);
      else if (out.kind === "absent") status = 0;
      else {
        raw = out.value;
        status = stopNext || out.value > 3 ? 3 : out.value;
      }
    }
    const provided = d.body ?? new Bytes(EMPTY, true);
    d.bufferingBody = false;
    switch (status) {
      case 0:
        if (provided !== d.held) d.held.append(provided.data);
        d.body = null;
        d.stopped = false;
        this.flush(d, eos);
        break;
      case 1:
        if (provided !== d.held) d.held.append(provided.data);
        d.body = d.held;
        d.bufferingBody = true;
        d.stopped = true;
        break;
      case 2:
        if (provided !== d.held) d.held.append(provided.data);
        d.stopped = true;
        break;
      default:
        // StopIterationNoBuffer: the filter manager drops the chunk.
        d.stopped = true;
        break;
    }
    return this.record(phase, status, raw);
  }

  private onTrailers(d: Direction, trailers: HeaderList): number {
    if (this.completed) throw new Error(`stream ${this.id} already completed`);
    if (!d.headersReceived) throw new Error(`${d.side} trailers before ${d.side} headers on stream ${this.id}`);
    if (d.remoteEnded) throw new Error(`${d.side} already ended on stream ${this.id}`);
    d.remoteEnded = true;
    const phase = this.phase(d, "trailers");
    const list = lowerPairs(trailers);
    if (d.terminated) return this.record(phase, NOT_DELIVERED);
    return this.host.top(() => {
      if (this.bypass(d)) {
        d.trailers = list;
        this.flush(d, true, list);
        return this.record(phase, 0);
      }
      if (d.stopAll) {
        d.heldTrailers = list;
        return this.record(phase, NOT_DELIVERED);
      }
      return this.deliverTrailers(d, list);
    });
  }

  private deliverTrailers(d: Direction, trailers: HeaderList): number {
    const phase = this.phase(d, "trailers");
    d.trailers = trailers;
    d.trailersLive = true;
    let status: number;
    let raw: number | undefined;
    if (this.host.vmFailed) {
      status = this.failedStatus(0, 1);
    } else {
      const out = this.host.invoke(this, `proxy_on_${d.side}_trailers`, [this.id, trailers.length]);
      const stopNext = this.host.takeStopNextIteration();
      if (out.kind === "failed") status = this.failedStatus(0, 1);
      else if (out.kind === "absent") status = 0;
      else {
        raw = out.value;
        status = stopNext || out.value > 1 ? 1 : out.value;
      }
    }
    if (status === 0) {
      d.trailersLive = false;
      d.stopped = false;
      this.flush(d, true, trailers);
    } else {
      d.stopped = true;
      d.heldTrailers = trailers;
    }
    return this.record(phase, status, raw);
  }

  /** The filter manager's commonContinue for this filter. */
  private continueSide(d: Direction): void {
    if (this.completed || d.terminated) return;
    if (d.stopAll) {
      d.stopAll = false;
      d.headersLive = false;
      this.forwardHeaders(d);
      const trailers = d.heldTrailers;
      d.heldTrailers = null;
      // Iteration restarts at this filter: the held data and trailers are now delivered to it.
      if (d.heldPending) {
        d.heldPending = false;
        this.deliverData(d, d.held.take(), d.remoteEnded && trailers === null);
      }
      if (trailers) this.deliverTrailers(d, trailers);
      return;
    }
    if (!d.stopped) return;
    d.stopped = false;
    d.bufferingBody = false;
    d.body = null;
    const trailers = d.heldTrailers;
    d.heldTrailers = null;
    if (trailers) this.flush(d, true, trailers);
    else this.flush(d, d.remoteEnded);
  }

  private trailersForWrite(d: Direction): HeaderList | null {
    if (d.trailersLive) return d.trailers;
    // Context::getMap lets a body callback at end of stream add trailers (addDecodedTrailers).
    if (d.body !== null && d.lastEos && d.trailers === null) {
      d.trailers = [];
      d.trailersLive = true;
      d.addedTrailers = true;
      return d.trailers;
    }
    return null;
  }

  private forwardHeaders(d: Direction): void {
    if (d.terminated || d.out.headersSent || d.headers === null) return;
    d.out.headers = clonePairs(d.headers);
    d.out.headersSent = true;
    if (d.headersEos) d.out.ended = true;
  }

  private forwardData(d: Direction, data: Uint8Array, eos: boolean): void {
    if (d.terminated) return;
    this.forwardHeaders(d);
    if (data.length > 0) d.out.body = concat(d.out.body, data);
    if (eos) this.finish(d);
  }

  /** Pass on headers (if still held), everything held at this filter, and optionally the end of stream / trailers. */
  private flush(d: Direction, eos: boolean, trailers?: HeaderList): void {
    if (d.terminated) return;
    this.forwardHeaders(d);
    const data = d.held.take();
    d.heldPending = false;
    if (data.length > 0) d.out.body = concat(d.out.body, data);
    if (trailers) {
      d.out.trailers = clonePairs(trailers);
      d.out.ended = true;
    } else if (eos) {
      this.finish(d);
    }
  }

  private finish(d: Direction): void {
    if (d.addedTrailers && d.trailers) {
      d.out.trailers = clonePairs(d.trailers);
      d.trailersLive = false;
    }
    d.out.ended = true;
  }
}

/** Feed a body in chunks of `chunkSize` bytes; the last chunk carries end_of_stream. Returns each chunk's status. */
export function feedBody(
  stream: HttpStream,
  body: Uint8Array | string,
  chunkSize: number,
  dir: "request" | "response" = "request",
): number[] {
  if (chunkSize <= 0) throw new Error("chunkSize must be positive");
  const bytes = toBytes(body);
  const send = (c: Uint8Array, eos: boolean) =>
    dir === "request" ? stream.requestBody(c, eos) : stream.responseBody(c, eos);
  if (bytes.length === 0) return [send(EMPTY, true)];
  const statuses: number[] = [];
  for (let off = 0; off < bytes.length; off += chunkSize) {
    const end = Math.min(off + chunkSize, bytes.length);
    statuses.push(send(bytes.subarray(off, end), end === bytes.length));
  }
  return statuses;
}
