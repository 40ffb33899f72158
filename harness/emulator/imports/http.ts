// Outgoing calls: proxy_http_call (the answer is delivered by ProxyWasmHost.respondToCall);
// gRPC is not implemented.
import { WasmResult, LogLevel, type DispatchedCall } from "../types.js";
import { lowerPairs, parsePairs } from "../pairs.js";
import type { HostCore, AnyFn } from "../core.js";

function grpcUnsupported(h: HostCore, name: string): number {
  h.unimplementedCalls.push(`env.${name}`);
  h.hostLog(LogLevel.error, `harness does not implement ${name}`);
  return WasmResult.InternalFailure;
}

export function httpCallImports(h: HostCore): Record<string, AnyFn> {
  const R = WasmResult;
  return {
    proxy_http_call: (
      upPtr: number, upLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number,
      tPtr: number, tLen: number, timeout: number, tokenPtr: number,
    ) => {
      const cluster = h.readStr(upPtr, upLen);
      // Headers and trailers are parsed at once (views, no copy); the body is kept, so it is copied.
      const hdrs = h.view(hPtr, hLen);
      const body = h.read(bPtr, bLen);
      const t = h.view(tPtr, tLen);
      if (cluster === null || hdrs === null || body === null || t === null) return R.InvalidMemoryAccess;
      if (!h.writeU32(tokenPtr, 0)) return R.InvalidMemoryAccess;
      // Envoy takes the timeout as a signed int.
      const timeoutMs = timeout | 0;
      if (timeoutMs < 0) return R.BadArgument;
      if (h.clusters && !h.clusters.has(cluster)) return R.BadArgument;
      const headers = lowerPairs(parsePairs(hdrs));
      const has = (k: string) => headers.some(([hk]) => hk === k);
      if (!has(":path") || !has(":method") || !has(":authority")) return R.BadArgument;
      if (body.length > 0) {
        const i = headers.findIndex(([k]) => k === "content-length");
        if (i >= 0) headers[i] = ["content-length", String(body.length)];
        else headers.push(["content-length", String(body.length)]);
      }
      // Envoy's callout ids advance by 4; the low two bits tag http/grpc-call/grpc-stream.
      h.nextCallToken += 4;
      const call: DispatchedCall = {
        token: h.nextCallToken,
        cluster,
        headers,
        body,
        trailers: lowerPairs(parsePairs(t)),
        timeoutMs,
        contextId: h.effective().id,
      };
      h.calls.push(call);
      h.pendingCalls.set(call.token, call);
      h.writeU32(tokenPtr, call.token);
      return R.Ok;
    },
    proxy_grpc_call: () => grpcUnsupported(h, "proxy_grpc_call"),
    proxy_grpc_stream: () => grpcUnsupported(h, "proxy_grpc_stream"),
    proxy_grpc_send: () => R.NotFound,
    proxy_grpc_cancel: () => R.NotFound,
    proxy_grpc_close: () => R.NotFound,
  };
}
