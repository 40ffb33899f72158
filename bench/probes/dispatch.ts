// Lower-bound probe: the least a dispatch_http_call mirror can do. It takes the
// request's header map as Envoy serializes it and the body as it passes, and
// sends both unchanged to the cluster "shadow" (Envoy sets content-length from
// the body). No selection, redaction, tagging or counting: the difference to
// native mirroring is the price of the proxy-wasm call path itself.
export * from "./callbacks";
import { CONTINUE, proxy_get_header_map_pairs, proxy_get_buffer_bytes, proxy_http_call } from "./abi";

const REQUEST_HEADERS: i32 = 0;
const REQUEST_BODY: i32 = 0;
const RET_DATA: usize = memory.data(8);
const RET_SIZE: usize = memory.data(8);
const NO_TRAILERS: usize = memory.data(4); // a serialized map with zero pairs
const TOKEN: usize = memory.data(4);
const CLUSTER: string = "shadow";
const CLUSTER_BYTES: ArrayBuffer = String.UTF8.encode(CLUSTER);

// One request at a time per stream, so per-context state lives in two small maps.
const headers = new Map<u32, usize>();
const headersSize = new Map<u32, usize>();
const body = new Map<u32, usize>();
const bodySize = new Map<u32, usize>();

function send(ctx: u32, b: usize, bl: usize): void {
  const h = headers.get(ctx);
  const hl = headersSize.get(ctx);
  proxy_http_call(changetype<usize>(CLUSTER_BYTES), <usize>CLUSTER_BYTES.byteLength, h, hl, b, bl, NO_TRAILERS, 4, 2000, TOKEN);
  heap.free(h);
  headers.delete(ctx);
  headersSize.delete(ctx);
}

export function proxy_on_request_headers(ctx: u32, _n: u32, eos: i32): i32 {
  proxy_get_header_map_pairs(REQUEST_HEADERS, RET_DATA, RET_SIZE);
  headers.set(ctx, load<usize>(RET_DATA));
  headersSize.set(ctx, load<usize>(RET_SIZE));
  if (eos) send(ctx, 0, 0);
  return CONTINUE;
}

export function proxy_on_request_body(ctx: u32, size: u32, eos: i32): i32 {
  if (!headers.has(ctx)) return CONTINUE;
  let b: usize = body.has(ctx) ? body.get(ctx) : 0;
  let bl: usize = body.has(ctx) ? bodySize.get(ctx) : 0;
  if (size > 0) {
    proxy_get_buffer_bytes(REQUEST_BODY, 0, size, RET_DATA, RET_SIZE);
    const chunk = load<usize>(RET_DATA);
    const cl = load<usize>(RET_SIZE);
    const grown = heap.alloc(bl + cl);
    if (bl > 0) memory.copy(grown, b, bl);
    memory.copy(grown + bl, chunk, cl);
    heap.free(chunk);
    if (b != 0) heap.free(b);
    b = grown;
    bl += cl;
  }
  if (eos) {
    send(ctx, b, bl);
    if (b != 0) heap.free(b);
    body.delete(ctx);
    bodySize.delete(ctx);
  } else {
    body.set(ctx, b);
    bodySize.set(ctx, bl);
  }
  return CONTINUE;
}

export function proxy_on_http_call_response(_ctx: u32, _token: u32, _headers: u32, _bodySize: u32, _trailers: u32): void {}
