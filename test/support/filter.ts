// Drives the compiled filter through the host emulator, request by request, the
// way Envoy calls it: headers, body in chunks, trailers, stream end.
import { ProxyWasmHost, type HeaderList, type DispatchedCall, type HttpStream } from "../../harness/emulator/index.js";
import { FILTER_WASM } from "../../harness/paths.js";
import { drainRedaction } from "../../harness/drain.js";

export { drainRedaction };

export async function loadFilter(config: object | string, opts: { env?: Record<string, string>; logLevel?: number; clusters?: string[]; now?: () => bigint } = {}) {
  const host = await ProxyWasmHost.load({
    wasm: FILTER_WASM,
    pluginConfig: typeof config === "string" ? config : JSON.stringify(config),
    env: opts.env,
    logLevel: opts.logLevel ?? 2,
    clusters: opts.clusters,
    now: opts.now,
  });
  const ok = host.start();
  return { host, ok };
}

export interface TestRequest {
  method?: string;
  path?: string;
  authority?: string;
  headers?: HeaderList;
  body?: string | Uint8Array;
  chunkSize?: number;
  trailers?: HeaderList;
}

export interface Exchange {
  stream: HttpStream;
  /** The shadow call this request produced, if any. */
  call?: DispatchedCall;
}

export function send(host: ProxyWasmHost, req: TestRequest): Exchange {
  const before = host.calls.length;
  const stream = host.newStream();
  const body = typeof req.body === "string" ? new TextEncoder().encode(req.body) : req.body;
  const headers: HeaderList = [
    [":method", req.method ?? (body ? "POST" : "GET")],
    [":path", req.path ?? "/"],
    [":authority", req.authority ?? "orders.example:8080"],
    [":scheme", "http"],
    ...(req.headers ?? []),
  ];
  if (body && !headers.some(([k]) => k === "content-length") && !req.chunkSize) headers.push(["content-length", String(body.length)]);
  const hasBody = body !== undefined && body.length > 0;
  stream.requestHeaders(headers, !hasBody && !req.trailers);
  if (hasBody) {
    const size = req.chunkSize ?? body!.length;
    for (let i = 0; i < body!.length; i += size) {
      const end = Math.min(body!.length, i + size);
      stream.requestBody(body!.subarray(i, end), end === body!.length && !req.trailers);
    }
  }
  if (req.trailers) stream.requestTrailers(req.trailers);
  // Bodies are redacted from the tick, off the primary's path: the copy goes once the queue is empty.
  drainRedaction(host);
  stream.responseHeaders([[":status", "200"]], true);
  stream.complete();
  const call = host.calls.length > before ? host.calls[host.calls.length - 1] : undefined;
  return { stream, call };
}

export const header = (h: HeaderList, name: string) => h.find(([k]) => k === name)?.[1];
export const text = (b: Uint8Array) => new TextDecoder().decode(b);
