// Thin, allocation-aware wrappers over the proxy-wasm host calls the filter uses on
// the request path. The SDK's helpers decode into strings and header objects;
// here results stay as the host's bytes.
import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { hostBytes } from "./gc";

export const WASM_OK: u32 = 0;
export const WASM_NOT_FOUND: u32 = 1;

export const HEADERS_REQUEST: i32 = 0;
export const TRAILERS_REQUEST: i32 = 1;
export const HEADERS_RESPONSE: i32 = 2;
export const TRAILERS_RESPONSE: i32 = 3;
export const HEADERS_HTTP_CALL_RESPONSE: i32 = 6;
export const TRAILERS_HTTP_CALL_RESPONSE: i32 = 7;
export const BUFFER_REQUEST_BODY: i32 = 0;
export const BUFFER_RESPONSE_BODY: i32 = 1;
export const BUFFER_HTTP_CALL_RESPONSE_BODY: i32 = 4;

// Out-parameters the host writes into; the VM is single-threaded, so one pair serves every call.
const outPtr = memory.data(8);
const outSize = memory.data(8);

/** Takes ownership of a buffer the host allocated through malloc (pinned there). */
function adopt(): ArrayBuffer {
  const ptr = load<usize>(outPtr);
  const size = load<usize>(outSize);
  store<usize>(outPtr, 0);
  if (ptr == 0) return new ArrayBuffer(0);
  const buf = changetype<ArrayBuffer>(ptr);
  __unpin(ptr);
  // Garbage once the caller is done with it: counted towards the next collection.
  hostBytes(<u32>buf.byteLength);
  // The host may hand out a larger allocation than it filled; never in Envoy, but cheap to honour.
  return <usize>buf.byteLength == size ? buf : buf.slice(0, <i32>size);
}

export function getHeaderPairs(mapType: i32): ArrayBuffer {
  store<usize>(outPtr, 0);
  if (imports.proxy_get_header_map_pairs(mapType, outPtr, outSize) != WASM_OK) {
    const ptr = load<usize>(outPtr);
    if (ptr != 0) __unpin(ptr);
    return new ArrayBuffer(0);
  }
  return adopt();
}

/** Value of one header, or null when absent (the 0.2.x host answers NotFound). */
export function getHeader(mapType: i32, key: ArrayBuffer): ArrayBuffer | null {
  store<usize>(outPtr, 0);
  if (imports.proxy_get_header_map_value(mapType, changetype<usize>(key), key.byteLength, outPtr, outSize) != WASM_OK) {
    const ptr = load<usize>(outPtr);
    if (ptr != 0) __unpin(ptr);
    return null;
  }
  return adopt();
}

export function setHeaderPairs(mapType: i32, serialized: ArrayBuffer): u32 {
  return imports.proxy_set_header_map_pairs(mapType, changetype<usize>(serialized), serialized.byteLength);
}

/** Replaces `length` bytes at `start` of a buffer (0, size: the whole of it). */
export function setBuffer(bufferType: i32, start: u32, length: u32, data: ArrayBuffer): u32 {
  return imports.proxy_set_buffer_bytes(bufferType, start, length, changetype<usize>(data), data.byteLength);
}

/** Current length of a buffer, 0 when there is none. */
export function bufferLength(bufferType: i32): u32 {
  const flags = outSize + 4;
  store<usize>(outPtr, 0);
  if (imports.proxy_get_buffer_status(bufferType, outPtr, flags) != WASM_OK) return 0;
  return <u32>load<usize>(outPtr);
}

/** Reads `length` bytes of a buffer (request body chunk, call response body). */
export function getBuffer(bufferType: i32, start: u32, length: u32): ArrayBuffer {
  store<usize>(outPtr, 0);
  if (length == 0) return new ArrayBuffer(0);
  if (imports.proxy_get_buffer_bytes(bufferType, start, length, outPtr, outSize) != WASM_OK) {
    const ptr = load<usize>(outPtr);
    if (ptr != 0) __unpin(ptr);
    return new ArrayBuffer(0);
  }
  return adopt();
}

/** Starts an HTTP call; returns the token, or -(result) when the host refused it. */
export function httpCall(cluster: ArrayBuffer, headers: ArrayBuffer, body: usize, bodyLen: usize, trailers: ArrayBuffer, timeoutMs: u32): i64 {
  const token = outSize;
  const r = imports.proxy_http_call(
    changetype<usize>(cluster), cluster.byteLength,
    changetype<usize>(headers), headers.byteLength,
    body, bodyLen,
    changetype<usize>(trailers), trailers.byteLength,
    timeoutMs, token,
  );
  if (r != WASM_OK) return -(<i64>r);
  return <i64>load<u32>(token);
}

export function logAt(level: i32, message: string): void {
  const b = String.UTF8.encode(message);
  imports.proxy_log(level, changetype<usize>(b), b.byteLength);
}

export const LOG_DEBUG: i32 = 1;
export const LOG_INFO: i32 = 2;
export const LOG_WARN: i32 = 3;
export const LOG_ERROR: i32 = 4;
export const LOG_CRITICAL: i32 = 5;

// ABI 0.2.1; Envoy provides it whatever ABI version the module declares.
// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
declare function proxy_get_log_level(level: usize): u32;

const levelOut = memory.data(4);

/** Whether the host would print a message at `level`: building a log string costs nothing when it would not. */
export function logEnabled(level: i32): bool {
  if (proxy_get_log_level(levelOut) != WASM_OK) return false;
  return <i32>load<u32>(levelOut) <= level;
}

const nowOut = memory.data(8);

export function nowNs(): u64 {
  imports.proxy_get_current_time_nanoseconds(nowOut);
  return load<u64>(nowOut);
}

export function setTickPeriod(ms: u32): void {
  imports.proxy_set_tick_period_milliseconds(ms);
}
