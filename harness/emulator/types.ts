// Values and records of the proxy-wasm ABI as the emulator exposes them: result
// codes, buffer and map types, filter statuses and what Envoy does with them, and
// the records a test reads back (logs, calls, local replies, metrics, what was forwarded).

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
  /**
   * Keep the body bytes each stream passes on (Forwarded.body), as tests read them (default true).
   * false: the bytes are passed on and not kept, as Envoy hands them to the codec (the benches:
   * collecting a megabyte body per request is the emulator's cost, not the filter's); the filter sees no difference.
   */
  keepForwardedBodies?: boolean;
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

export type Side = "request" | "response";

/** @internal What calling a module export came to: a value, no such export, or a trap (the VM failed). */
export type Outcome = { kind: "ok"; value: number } | { kind: "absent" } | { kind: "failed" };
