// The proxy-wasm ABI 0.2.1 surface the probes use, declared directly: the probes
// measure what Envoy's Wasm filter costs without any SDK in the way.
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(mapType: i32, retData: usize, retSize: usize): i32;
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(bufferType: i32, start: usize, length: usize, retData: usize, retSize: usize): i32;
@external("env", "proxy_http_call")
export declare function proxy_http_call(
  upstream: usize, upstreamSize: usize, headers: usize, headersSize: usize, body: usize, bodySize: usize,
  trailers: usize, trailersSize: usize, timeoutMs: u32, retToken: usize,
): i32;

export const CONTINUE: i32 = 0;
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(mapType: i32, key: usize, keySize: usize, value: usize, valueSize: usize): i32;
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(mapType: i32, key: usize, keySize: usize, retData: usize, retSize: usize): i32;
