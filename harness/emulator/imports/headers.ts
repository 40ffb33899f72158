// Header maps and buffers: proxy_get/add/replace/remove_header_map_value,
// proxy_get/set_header_map_pairs, proxy_get_header_map_size, proxy_get_buffer_status,
// proxy_get/set_buffer_bytes.
import { WasmResult, MapType, BufferType, type HeaderList } from "../types.js";
import { Bytes, EMPTY, utf8Of, concat, u32 } from "../bytes.js";
import { lowerPairs, parsePairs, serializePairs } from "../pairs.js";
import { HttpStream } from "../stream.js";
import type { HostCore, Context, AnyFn } from "../core.js";

/** Map types 0 to 7 exist (request/response headers and trailers, gRPC metadata, call response headers and trailers). */
const mapTypeOk = (t: number) => u32(t) <= 7;

/** Context::getConstMap: what reads see. */
function constMap(h: HostCore, ctx: Context, type: number): HeaderList | null {
  if (type === MapType.HttpCallResponseHeaders) return h.callResponse?.headers ?? null;
  if (type === MapType.HttpCallResponseTrailers) return h.callResponse?.trailers ?? null;
  if (!(ctx instanceof HttpStream)) return null;
  return ctx.constMap(type);
}

/** Context::getMap: what writes (and get_header_map_size) see; call-response maps are never writable. */
function mutableMap(ctx: Context, type: number): HeaderList | null {
  if (!(ctx instanceof HttpStream)) return null;
  return ctx.mutableMap(type);
}

/**
 * The common part of add, replace and remove on a header map, in Envoy's order
 * of checks: the map type, then the key (and value, when there is one), then a
 * writable map; `edit` gets the key lower-cased.
 */
function editMap(h: HostCore, type: number, kPtr: number, kLen: number, value: { ptr: number; len: number } | null, edit: (map: HeaderList, key: string, value: string) => void): number {
  if (!mapTypeOk(type)) return WasmResult.BadArgument;
  const key = h.readStr(kPtr, kLen);
  const v = value ? h.readStr(value.ptr, value.len) : "";
  if (key === null || v === null) return WasmResult.InvalidMemoryAccess;
  const map = mutableMap(h.effective(), u32(type));
  if (!map) return WasmResult.BadArgument;
  edit(map, key.toLowerCase(), v);
  return WasmResult.Ok;
}

function buffer(h: HostCore, ctx: Context, type: number): Bytes | null {
  switch (type) {
    case BufferType.HttpRequestBody:
    case BufferType.HttpResponseBody:
      // With no body in flight Envoy still hands out an empty, unmodifiable buffer (not NotFound).
      return (ctx instanceof HttpStream ? ctx.bodyBuffer(type) : null) ?? new Bytes(EMPTY, false);
    case BufferType.HttpCallResponseBody:
      return h.callResponse ? new Bytes(h.callResponse.body, false) : null;
    case BufferType.VmConfiguration:
      return new Bytes(h.vmConfig, false);
    case BufferType.PluginConfiguration:
      return h.root.configuring ? new Bytes(h.pluginConfig, false) : null;
    default:
      return new Bytes(EMPTY, false);
  }
}

function emptyValue(h: HostCore, ptrPtr: number, sizePtr: number): number {
  return h.writeU32(ptrPtr, 0) && h.writeU32(sizePtr, 0) ? WasmResult.Ok : WasmResult.InvalidMemoryAccess;
}

export function headerImports(h: HostCore): Record<string, AnyFn> {
  const R = WasmResult;
  return {
    proxy_add_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) =>
      editMap(h, type, kPtr, kLen, { ptr: vPtr, len: vLen }, (map, key, value) => map.push([key, value])),
    proxy_get_header_map_value: (type: number, kPtr: number, kLen: number, vPtrPtr: number, vSizePtr: number) => {
      if (!mapTypeOk(type)) return R.BadArgument;
      const key = h.readStr(kPtr, kLen);
      if (key === null) return R.InvalidMemoryAccess;
      const ctx = h.effective();
      const map = constMap(h, ctx, u32(type));
      if (!map) {
        // In the access-log phase missing maps read as "no such header"; otherwise the map is unavailable.
        if (ctx instanceof HttpStream && ctx.inAccessLogPhase) return h.abiVersion === "0.1.0" ? emptyValue(h, vPtrPtr, vSizePtr) : R.NotFound;
        return R.BadArgument;
      }
      const lower = key.toLowerCase();
      // Envoy returns the first entry only (context.cc has a TODO about concatenating duplicates).
      const hit = map.find(([k]) => k === lower);
      if (!hit) return h.abiVersion === "0.1.0" ? emptyValue(h, vPtrPtr, vSizePtr) : R.NotFound;
      return h.copyOut(utf8Of(hit[1]), vPtrPtr, vSizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_header_map_pairs: (type: number, ptrPtr: number, sizePtr: number) => {
      if (!mapTypeOk(type)) return R.BadArgument;
      // An unavailable map reads as empty here (headerMapToPairs(nullptr)), unlike get_header_map_value.
      const map = constMap(h, h.effective(), u32(type)) ?? [];
      return h.copyOut(serializePairs(map), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_header_map_pairs: (type: number, ptr: number, len: number) => {
      if (!mapTypeOk(type)) return R.BadArgument;
      const data = h.view(ptr, len);
      if (data === null) return R.InvalidMemoryAccess;
      const map = mutableMap(h.effective(), u32(type));
      if (!map) return R.BadArgument;
      map.splice(0, map.length, ...lowerPairs(parsePairs(data)));
      return R.Ok;
    },
    proxy_replace_header_map_value: (type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) =>
      editMap(h, type, kPtr, kLen, { ptr: vPtr, len: vLen }, (map, key, value) => {
        const first = map.findIndex(([k]) => k === key);
        if (first < 0) {
          map.push([key, value]);
        } else {
          map[first] = [key, value];
          for (let i = map.length - 1; i > first; i--) if (map[i]![0] === key) map.splice(i, 1);
        }
      }),
    proxy_remove_header_map_value: (type: number, kPtr: number, kLen: number) =>
      editMap(h, type, kPtr, kLen, null, (map, key) => {
        for (let i = map.length - 1; i >= 0; i--) if (map[i]![0] === key) map.splice(i, 1);
      }),
    proxy_get_header_map_size: (type: number, sizePtr: number) => {
      if (!mapTypeOk(type)) return R.BadArgument;
      const map = mutableMap(h.effective(), u32(type));
      if (!map) return R.BadArgument;
      // HeaderMap::byteSize(): the sum of key and value lengths.
      let size = 0;
      for (const [k, v] of map) size += utf8Of(k).length + utf8Of(v).length;
      return h.writeU32(sizePtr, size) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
      if (u32(type) > BufferType.CallData) return R.BadArgument;
      const buf = buffer(h, h.effective(), u32(type));
      if (!buf) return R.NotFound;
      const size = buf.data.length;
      const s = u32(start);
      let l = u32(length);
      if (s > size) l = 0;
      else if (s + l > size) l = size - s;
      if (l === 0) return h.writeU32(ptrPtr, 0) && h.writeU32(sizePtr, 0) ? R.Ok : R.InvalidMemoryAccess;
      return h.copyOut(buf.data.subarray(s, s + l), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_buffer_status: (type: number, lengthPtr: number, flagsPtr: number) => {
      if (u32(type) > BufferType.CallData) return R.BadArgument;
      const buf = buffer(h, h.effective(), u32(type));
      if (!buf) return R.NotFound;
      return h.writeU32(lengthPtr, buf.data.length) && h.writeU32(flagsPtr, 0) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_buffer_bytes: (type: number, start: number, length: number, dataPtr: number, dataLen: number) => {
      if (u32(type) > BufferType.CallData) return R.BadArgument;
      const buf = buffer(h, h.effective(), u32(type));
      if (!buf) return R.NotFound;
      const data = h.view(dataPtr, dataLen);
      if (data === null) return R.InvalidMemoryAccess;
      if (!buf.mutable) return R.BadArgument;
      // Envoy's Buffer::copyFrom supports only prepend, whole replacement and append.
      const s = u32(start);
      const l = u32(length);
      const size = buf.data.length;
      if (s === 0) {
        // data is a view of module memory: every branch copies it.
        if (l === 0) buf.data = size === 0 ? data.slice() : concat(data, buf.data);
        else if (l >= size) buf.data = data.slice();
        else return R.BadArgument;
      } else if (s >= size) {
        buf.data = size === 0 ? data.slice() : concat(buf.data, data);
      } else {
        return R.BadArgument;
      }
      return R.Ok;
    },
  };
}
