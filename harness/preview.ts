// `mirrorshade preview`: runs requests through the compiled filter in the host
// emulator and shows, per request, whether it would be mirrored, why, and what
// the shadow and the primary would receive. Same .wasm as Envoy loads.
import { drainRedaction } from "./drain.js";
import { keptPaths, usesKeep } from "./kept-paths.js";
import { ProxyWasmHost, presentRequestHeaders, type HeaderList, type DispatchedCall, type Protocol } from "./emulator/index.js";
import { grpcView, type GrpcView } from "./preview-grpc.js";

export interface PreviewRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string> | [string, string][];
  body?: string;
  bodyBase64?: string;
  /** Request trailers (HTTP/2: the body then ends with them, as a gRPC client's can). */
  trailers?: Record<string, string> | [string, string][];
}

export interface PreviewSide {
  method: string;
  path: string;
  headers: [string, string][];
  body: string | null;
  bodyBase64?: string;
  /** gRPC, with redact.grpc.descriptor_set knowing the :path's method: the messages as JSON, one per message. */
  decoded?: unknown[];
  /** The primary's request trailers, when the request had some. */
  trailers?: [string, string][];
}

/** One copy: a call the filter dispatched to a shadow's cluster. Text bodies as body (null when empty), others as bodyBase64. */
export interface PreviewCopy {
  /** The shadow's name: its shadows[].name, or "shadow" for the one-shadow form. */
  shadow: string;
  cluster: string;
  method: string;
  path: string;
  headers: [string, string][];
  body?: string | null;
  bodyBase64?: string;
  /** gRPC, with redact.grpc.descriptor_set knowing the :path's method: the copy's messages as JSON, one per message. */
  decoded?: unknown[];
  /** With redact.keep and a JSON body: the paths of the strings and numbers the copy carries unchanged. */
  keptPaths?: string[];
}

export interface PreviewResult {
  selected: boolean;
  reason: string;
  /** The first copy (in dispatch order), as before there were several shadows; null when none was sent. */
  shadow: PreviewSide | null;
  primary: PreviewSide;
  /** Every copy, one per call to a shadow cluster, in dispatch order (calls to compare.noise or compare.sink clusters are not copies). */
  copies: PreviewCopy[];
}

/** The name of the one shadow of a policy that says "shadow" (filter/policy/defaults.ts SHADOW_NAME). */
const SINGLE_SHADOW_NAME = "shadow";

/** Shadow cluster -> shadow name, from the policy's shadows[] (or its one shadow). */
export function shadowClusters(policyText: string): Map<string, string> {
  const out = new Map<string, string>();
  let p: unknown;
  try {
    p = JSON.parse(policyText);
  } catch {
    return out; // the filter has refused it already
  }
  const policy = (p ?? {}) as { shadow?: { cluster?: unknown }; shadows?: unknown };
  if (Array.isArray(policy.shadows)) {
    for (const s of policy.shadows as { name?: unknown; cluster?: unknown }[]) {
      if (typeof s?.cluster === "string" && typeof s.name === "string" && !out.has(s.cluster)) out.set(s.cluster, s.name);
    }
  } else if (typeof policy.shadow?.cluster === "string") {
    out.set(policy.shadow.cluster, SINGLE_SHADOW_NAME);
  }
  return out;
}

export class PreviewInputError extends Error {}

// ignoreBOM: a body starting with a BOM is shown with it, as Envoy sends it.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function bodyFields(bytes: Uint8Array): { body: string | null; bodyBase64?: string } {
  if (bytes.length === 0) return { body: null };
  try {
    return { body: utf8.decode(bytes) };
  } catch {
    return { body: null, bodyBase64: Buffer.from(bytes).toString("base64") };
  }
}

function side(headers: HeaderList, body: Uint8Array, grpc?: GrpcView | null): PreviewSide {
  const get = (k: string) => headers.find(([n]) => n === k)?.[1] ?? "";
  const view = grpc?.of(headers, body);
  // A gRPC body is framed binary even when its bytes happen to be UTF-8: always base64.
  const shown = view ? { body: null, ...(body.length ? { bodyBase64: Buffer.from(body).toString("base64") } : {}) } : bodyFields(body);
  return { method: get(":method"), path: get(":path"), headers: headers.map(([k, v]) => [k, v]), ...shown, ...(view?.decoded ? { decoded: view.decoded } : {}) };
}

/** Validates one request of the input file; errors name the request and the field. */
export function checkRequest(r: unknown, i: number): PreviewRequest {
  const where = `request[${i}]`;
  if (typeof r !== "object" || r === null || Array.isArray(r)) throw new PreviewInputError(`${where}: must be an object`);
  const o = r as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!["method", "path", "headers", "body", "bodyBase64", "trailers"].includes(k)) throw new PreviewInputError(`${where}.${k}: unknown field`);
  }
  if (o.method !== undefined && (typeof o.method !== "string" || !/^[A-Z]+$/.test(o.method))) throw new PreviewInputError(`${where}.method: must be an HTTP method such as "POST"`);
  if (o.path !== undefined && (typeof o.path !== "string" || !o.path.startsWith("/"))) throw new PreviewInputError(`${where}.path: must be a string starting with "/"`);
  if (o.body !== undefined && typeof o.body !== "string") throw new PreviewInputError(`${where}.body: must be a string (use bodyBase64 for bytes)`);
  if (o.bodyBase64 !== undefined) {
    if (typeof o.bodyBase64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(o.bodyBase64)) throw new PreviewInputError(`${where}.bodyBase64: must be base64`);
    if (o.body !== undefined) throw new PreviewInputError(`${where}: give body or bodyBase64, not both`);
  }
  for (const field of ["headers", "trailers"] as const) {
    const h = o[field];
    if (h === undefined) continue;
    const pairs = Array.isArray(h) ? h : typeof h === "object" && h !== null ? Object.entries(h) : null;
    if (!pairs) throw new PreviewInputError(`${where}.${field}: must be an object or a list of [name, value] pairs`);
    pairs.forEach((p, j) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string" || p[0] === "") {
        throw new PreviewInputError(`${where}.${field}[${j}]: must be a [name, value] pair of strings`);
      }
    });
  }
  return o as PreviewRequest;
}

function counters(host: ProxyWasmHost): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [name, m] of host.metrics) out.set(name, m.value);
  return out;
}

/** Why a request produced no copy: the counter that moved (select.*, skipped.*). */
function reasonFromCounters(before: Map<string, bigint>, after: Map<string, bigint>): string {
  const moved = [...after].filter(([k, v]) => (before.get(k) ?? 0n) < v).map(([k]) => k.replace(/^mirrorshade\./, ""));
  const decision = moved.find((k) => k.startsWith("select.") && k !== "select.selected");
  if (decision) return decision.slice("select.".length);
  const skipped = moved.find((k) => k.startsWith("skipped."));
  if (skipped) return skipped.slice("skipped.".length);
  return "not_mirrored";
}

export async function preview(opts: {
  wasm: string;
  policy: string;
  requests: PreviewRequest[];
  chunkSize?: number;
  env?: Record<string, string>;
  /**
   * How the client speaks to Envoy (default http1): Envoy merges repeated headers the same
   * way for both, but joins h2 cookie fields into one, and adds no content-length to an h2 body.
   */
  protocol?: Protocol;
}): Promise<PreviewResult[]> {
  const protocol = opts.protocol ?? "http1";
  const host = await ProxyWasmHost.load({ wasm: opts.wasm, pluginConfig: opts.policy, env: opts.env, logLevel: 2 });
  if (!host.start()) {
    const critical = host.logs.filter((l) => l.level >= 5).map((l) => l.message.replace(/^mirrorshade: /, ""));
    throw new PreviewInputError(`policy: ${critical[0] ?? "rejected by the filter"}`);
  }
  const shadowNames = shadowClusters(opts.policy);
  const keep = usesKeep(opts.policy);
  const grpc = grpcView(opts.policy, opts.env ?? {});
  const results: PreviewResult[] = [];
  for (const [n, req] of opts.requests.entries()) {
    const body = req.bodyBase64 !== undefined ? new Uint8Array(Buffer.from(req.bodyBase64, "base64")) : new TextEncoder().encode(req.body ?? "");
    const given: HeaderList = Array.isArray(req.headers) ? req.headers : Object.entries(req.headers ?? {});
    const headers: HeaderList = [
      [":method", req.method ?? (body.length ? "POST" : "GET")],
      [":path", req.path ?? "/"],
      [":authority", given.find(([k]) => k.toLowerCase() === "host")?.[1] ?? "service.local"],
      [":scheme", "http"],
      // As Envoy's codec and connection manager hand them to the filter (emulator/request-headers.ts).
      ...presentRequestHeaders(given.filter(([k]) => k.toLowerCase() !== "host"), protocol),
    ];
    const trailers: HeaderList = Array.isArray(req.trailers) ? req.trailers : Object.entries(req.trailers ?? {});
    const isGrpc = grpc.isCall(given);
    // gRPC is HTTP/2 only; so are request trailers here (Envoy drops them on HTTP/1.1 unless told otherwise).
    if (protocol !== "h2" && (isGrpc || req.trailers !== undefined)) {
      throw new PreviewInputError(`request[${n}]: ${isGrpc ? "a gRPC call (content-type application/grpc)" : "trailers"} needs --protocol h2`);
    }
    const framed = given.some(([k]) => ["content-length", "transfer-encoding"].includes(k.toLowerCase()));
    if (body.length && protocol === "http1" && !framed) headers.push(["content-length", String(body.length)]);
    const before = counters(host);
    const callsBefore = host.calls.length;
    const stream = host.newStream();
    const withTrailers = trailers.length > 0;
    stream.requestHeaders(headers, body.length === 0 && !withTrailers);
    const size = opts.chunkSize && opts.chunkSize > 0 ? opts.chunkSize : body.length;
    for (let i = 0; i < body.length; i += size) {
      const end = Math.min(body.length, i + size);
      stream.requestBody(body.subarray(i, end), end === body.length && !withTrailers);
    }
    // HTTP/2 with trailers: the body never ends the stream, the trailers do.
    if (withTrailers) stream.requestTrailers(trailers.map(([k, v]) => [k.toLowerCase(), v]));
    // Bodies are redacted from the tick, as in Envoy: the copies go once the queue is empty.
    drainRedaction(host);
    stream.responseHeaders([[":status", "200"]], true);
    stream.complete();
    const dispatched: DispatchedCall[] = host.calls.slice(callsBefore);
    const copyCalls = dispatched.filter((c) => shadowNames.has(c.cluster));
    // Every call of this request gets a 200 (copies, noise, and a sink call an answer may cause), so none stays in flight.
    for (let i = callsBefore; i < host.calls.length && i < callsBefore + 1000; i++) {
      const c = host.calls[i];
      // A gRPC call is answered as a gRPC server does: OK in the trailers.
      if (host.pendingCalls.has(c.token)) host.respondToCall(c.token, grpc.isCall(c.headers) ? grpc.okAnswer : { headers: [[":status", "200"]] });
    }
    const primary = side(stream.upstreamRequest.headers, stream.upstreamRequest.body, grpc);
    if (stream.upstreamRequest.trailers.length) primary.trailers = stream.upstreamRequest.trailers.map(([k, v]) => [k, v]);
    const copies = copyCalls.map((c): PreviewCopy => {
      const { body: copyBody, bodyBase64, decoded, ...rest } = side(c.headers, c.body, grpc);
      // Against the body the filter saw (the primary's), as the client sent it.
      const kept = keep && c.body.length > 0 && !grpc.isCall(c.headers) ? keptPaths(stream.upstreamRequest.body, c.body) : null;
      return {
        shadow: shadowNames.get(c.cluster)!,
        cluster: c.cluster,
        ...rest,
        ...(bodyBase64 !== undefined ? { bodyBase64 } : { body: copyBody }),
        ...(decoded ? { decoded } : {}),
        ...(kept ? { keptPaths: kept } : {}),
      };
    });
    const first = copyCalls[0];
    results.push({
      selected: first !== undefined,
      reason: first ? "selected" : reasonFromCounters(before, counters(host)),
      shadow: first ? side(first.headers, first.body, grpc) : null,
      primary,
      copies,
    });
  }
  return results;
}
