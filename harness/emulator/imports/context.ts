// Properties, configuration, stream control and contexts: proxy_get/set_property,
// proxy_get_configuration, proxy_continue/close_stream (and the 0.1.0 forms),
// proxy_send_local_response, proxy_set_effective_context, proxy_done, foreign functions.
import { WasmResult, type LocalResponse } from "../types.js";
import { enc, toBytes, u32 } from "../bytes.js";
import { lowerPairs, parsePairs } from "../pairs.js";
import { HttpStream } from "../stream.js";
import type { HostCore, Context, AnyFn } from "../core.js";

function property(h: HostCore, ctx: Context, key: string): Uint8Array | undefined {
  const extra = h.opts.properties?.[key];
  if (extra !== undefined) return toBytes(extra);
  if (key === "plugin_root_id") return enc.encode(h.rootId);
  if (key === "plugin_name") return enc.encode(h.opts.pluginName ?? h.rootId);
  if (key === "plugin_vm_id") return enc.encode(h.opts.vmId ?? "");
  if (ctx instanceof HttpStream) return ctx.property(key);
  return undefined;
}

function continueStream(h: HostCore, type: number): number {
  if (type > 3) return WasmResult.BadArgument;
  if (type === 3) return WasmResult.Unimplemented;
  if (type === 2) return WasmResult.Ok;
  const ctx = h.effective();
  if (ctx instanceof HttpStream) {
    ctx.onContinueCalled(type === 0 ? "request" : "response");
  }
  return WasmResult.Ok;
}

function closeStream(h: HostCore, type: number): number {
  if (type > 3) return WasmResult.BadArgument;
  const ctx = h.effective();
  if (ctx instanceof HttpStream && type <= 1) h.defer(() => ctx.resetStream());
  return WasmResult.Ok;
}

export function contextImports(h: HostCore): Record<string, AnyFn> {
  const R = WasmResult;
  return {
    proxy_get_property: (pathPtr: number, pathLen: number, valuePtrPtr: number, valueSizePtr: number) => {
      const path = h.readStr(pathPtr, pathLen);
      if (path === null) return R.InvalidMemoryAccess;
      const segments = path.split("\0");
      if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
      const value = property(h, h.effective(), segments.join("."));
      if (value === undefined) return R.NotFound;
      return h.copyOut(value, valuePtrPtr, valueSizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_property: (pathPtr: number, pathLen: number, valuePtr: number, valueLen: number) => {
      const path = h.readStr(pathPtr, pathLen);
      const value = h.read(valuePtr, valueLen);
      if (path === null || value === null) return R.InvalidMemoryAccess;
      const ctx = h.effective();
      // Envoy stores it as stream filter state; a root context has no stream info.
      if (!(ctx instanceof HttpStream)) return R.NotFound;
      ctx.setProperty(path.split("\0").filter((s) => s !== "").join("."), value);
      return R.Ok;
    },
    proxy_get_configuration: (ptrPtr: number, sizePtr: number) => {
      const data = h.root.configuring ? h.pluginConfig : h.vmConfig;
      return h.copyOut(data, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_continue_stream: (type: number) => continueStream(h, u32(type)),
    proxy_close_stream: (type: number) => closeStream(h, u32(type)),
    proxy_continue_request: () => continueStream(h, 0),
    proxy_continue_response: () => continueStream(h, 1),
    proxy_clear_route_cache: () => R.Ok,
    proxy_send_local_response: (
      status: number, detailsPtr: number, detailsLen: number, bodyPtr: number, bodyLen: number,
      headersPtr: number, headersLen: number, grpcStatus: number,
    ) => {
      const details = h.readStr(detailsPtr, detailsLen);
      const body = h.read(bodyPtr, bodyLen);
      const headers = h.view(headersPtr, headersLen);
      if (details === null || body === null || headers === null) return R.InvalidMemoryAccess;
      const ctx = h.effective();
      const resp: LocalResponse = {
        status: u32(status),
        // Envoy replaces whitespace in response code details (StringUtil::replaceAllEmptySpace).
        details: details.replace(/\s/g, "_"),
        body,
        headers: lowerPairs(parsePairs(headers)),
        grpcStatus: grpcStatus | 0,
      };
      if (ctx instanceof HttpStream) h.defer(() => ctx.sendLocalReply(resp));
      h.stopNextIteration = true;
      return R.Ok;
    },
    proxy_set_effective_context: (id: number) => {
      if (!h.contexts.has(u32(id))) return R.BadArgument;
      h.effectiveId = u32(id);
      return R.Ok;
    },
    // Only root contexts can be pending-done in Envoy (at VM shutdown), so this is NotFound in practice.
    proxy_done: () => R.NotFound,
    proxy_call_foreign_function: (namePtr: number, nameLen: number, argsPtr: number, argsLen: number) => {
      if (h.readStr(namePtr, nameLen) === null || h.view(argsPtr, argsLen) === null) return R.InvalidMemoryAccess;
      return R.NotFound;
    },
    pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: () => undefined,
  };
}
