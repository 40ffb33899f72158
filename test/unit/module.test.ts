// The compiled module's interface with the host: every import is one Envoy
// provides (a single unknown import and Envoy refuses to load the plugin), and the
// exports Envoy looks for are there.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { FILTER_WASM } from "../../harness/paths.js";
import { compileFixture } from "../support/fixtures.js";
import { ProxyWasmHost } from "../../harness/emulator/index.js";

// Host functions of proxy-wasm ABI 0.2.0 as Envoy 1.40 provides them, plus the WASI calls it implements.
// ABI 0.2.1 adds proxy_get_log_level; Envoy refuses a 0.2.0 module that imports it.
const ENVOY_IMPORTS_0_2_0 = new Set([
  "proxy_log", "proxy_get_status", "proxy_set_tick_period_milliseconds",
  "proxy_get_current_time_nanoseconds", "proxy_get_property", "proxy_set_property", "proxy_continue_stream",
  "proxy_close_stream", "proxy_send_local_response", "proxy_get_shared_data", "proxy_set_shared_data",
  "proxy_register_shared_queue", "proxy_resolve_shared_queue", "proxy_enqueue_shared_queue",
  "proxy_dequeue_shared_queue", "proxy_add_header_map_value", "proxy_get_header_map_value",
  "proxy_get_header_map_pairs", "proxy_set_header_map_pairs", "proxy_replace_header_map_value",
  "proxy_remove_header_map_value", "proxy_get_header_map_size", "proxy_get_buffer_bytes",
  "proxy_get_buffer_status", "proxy_set_buffer_bytes", "proxy_http_call", "proxy_grpc_call",
  "proxy_grpc_stream", "proxy_grpc_cancel", "proxy_grpc_close", "proxy_grpc_send", "proxy_define_metric",
  "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric", "proxy_set_effective_context",
  "proxy_done", "proxy_call_foreign_function",
]);
const WASI_IMPORTS = new Set(["proc_exit", "fd_write", "environ_get", "environ_sizes_get", "clock_time_get", "random_get", "args_get", "args_sizes_get"]);

function describeModule(path: string) {
  const mod = new WebAssembly.Module(readFileSync(path));
  return { imports: WebAssembly.Module.imports(mod), exports: WebAssembly.Module.exports(mod).map((e) => e.name) };
}

describe.each([
  ["the filter", FILTER_WASM],
  ["the SDK probe (uses every patched SDK call)", "probe"],
])("%s", (_name, which) => {
  const path = which === "probe" ? compileFixture("sdk-probe") : which;

  it("imports only host functions Envoy provides (patches a, b, d)", () => {
    const { imports, exports } = describeModule(path);
    const allowed = new Set(ENVOY_IMPORTS_0_2_0);
    if (exports.includes("proxy_abi_version_0_2_1")) allowed.add("proxy_get_log_level");
    for (const imp of imports) {
      if (imp.module === "env") expect(allowed, `env.${imp.name}`).toContain(imp.name);
      else {
        expect(imp.module).toBe("wasi_snapshot_preview1");
        expect(WASI_IMPORTS, `wasi.${imp.name}`).toContain(imp.name);
      }
    }
    const names = imports.map((i) => i.name);
    expect(names).not.toContain("proxy_set_buffer_status");
    expect(names).not.toContain("proxy_clear_route_cache");
  });

  it("loads in the emulator with no import Envoy would refuse for its ABI version", async () => {
    const host = await ProxyWasmHost.load({ wasm: path, rootId: which === "probe" ? "probe" : "mirrorshade", pluginConfig: "{}" });
    expect(host.envoyMissingImports).toEqual([]);
  });

  it("exports the ABI marker, the allocator and the callbacks", () => {
    const { exports } = describeModule(path);
    expect(exports.some((e) => /^proxy_abi_version_0_2_[01]$/.test(e))).toBe(true);
    for (const name of ["malloc", "memory", "proxy_on_context_create", "proxy_on_configure", "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_http_call_response", "proxy_on_delete"]) {
      expect(exports).toContain(name);
    }
  });
});
