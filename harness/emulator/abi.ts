// Which host functions Envoy provides per ABI version (a module importing anything
// else fails to load in Envoy), and what counts as a trap.

/** Raised by proc_exit so the running callback unwinds like a trap. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
    this.name = "ProcExit";
  }
}

export function isTrap(e: unknown): e is Error {
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
export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"];

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

/** Import names ("module.name") Envoy provides to a module declaring the given ABI version. */
export function envoyProvidedImports(abi: AbiVersion): Set<string> {
  const s = new Set<string>();
  for (const n of [...ENVOY_ENV_COMMON, ...ENVOY_ENV_BY_ABI[abi]]) s.add(`env.${n}`);
  for (const m of WASI_MODULES) for (const n of ENVOY_WASI) s.add(`${m}.${n}`);
  return s;
}
