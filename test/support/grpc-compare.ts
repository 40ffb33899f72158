// gRPC calls through the emulator for the comparison tests: framed messages, the
// primary's answer in chunks then its trailers (or trailers-only), the shadow's
// answer with its trailers; the diff records logged.
import type { ProxyWasmHost, HeaderList } from "../../harness/emulator/index.js";

export const GRPC = [["content-type", "application/grpc"]] as HeaderList;

/** gRPC framing: each message behind a flag byte and a 4-byte big-endian length. */
export function frame(messages: Uint8Array[], compressed = false): Uint8Array {
  const out = new Uint8Array(messages.reduce((n, m) => n + 5 + m.length, 0));
  let at = 0;
  for (const m of messages) {
    out[at] = compressed ? 1 : 0;
    new DataView(out.buffer).setUint32(at + 1, m.length);
    out.set(m, at + 5);
    at += 5 + m.length;
  }
  return out;
}

/** One side's answer: messages then trailers, or trailers-only (the status in the headers, nothing else). */
export interface GrpcAnswer {
  body?: Uint8Array;
  status?: string;
  message?: string;
  trailersOnly?: boolean;
}

const statusPairs = (a: GrpcAnswer): HeaderList => [
  ...(a.status === undefined ? [] : ([["grpc-status", a.status]] as HeaderList)),
  ...(a.message === undefined ? [] : ([["grpc-message", a.message]] as HeaderList)),
];

/** A gRPC call through the filter; the primary's answer in `chunk`-byte pieces, then the shadow's. */
export function call(host: ProxyWasmHost, primary: GrpcAnswer, shadow: GrpcAnswer, chunk = 5, path = "/pay.Payments/Authorize") {
  const stream = host.newStream();
  const request = frame([new Uint8Array([0x0a, 0x02, 0x68, 0x69])]);
  stream.requestHeaders([[":method", "POST"], [":path", path], [":authority", "pay"], ["x-request-id", "g-1"], ["te", "trailers"], ...GRPC], false);
  stream.requestBody(request, true);
  const toShadow = host.calls.at(-1)!;
  if (primary.trailersOnly) {
    stream.responseHeaders([[":status", "200"], ...GRPC, ...statusPairs(primary)], true);
  } else {
    stream.responseHeaders([[":status", "200"], ...GRPC], false);
    const b = primary.body ?? new Uint8Array(0);
    for (let i = 0; i < b.length; i += chunk) stream.responseBody(b.subarray(i, i + chunk), false);
    stream.responseTrailers(statusPairs(primary));
  }
  stream.complete();
  if (shadow.trailersOnly) host.respondToCall(toShadow.token, { headers: [[":status", "200"], ...GRPC, ...statusPairs(shadow)] });
  else host.respondToCall(toShadow.token, { headers: [[":status", "200"], ...GRPC], body: shadow.body, trailers: statusPairs(shadow) });
}

export const diffs = (host: ProxyWasmHost) => host.logs.filter((l) => l.message.startsWith("mirrorshade.diff ")).map((l) => JSON.parse(l.message.slice("mirrorshade.diff ".length)));
export const paths = (d: { differences: { path: string; kind: string }[] }) => d.differences.map((x) => `${x.path}:${x.kind}`);
export const metric = (host: ProxyWasmHost, name: string) => host.metric(`mirrorshade.compare.${name}`) ?? 0n;

