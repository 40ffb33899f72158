// The request headers as Envoy 1.40's codecs and connection manager hand them to
// a filter, from the headers a client sent. Measured against real Envoy (test/e2e/
// parity.test.ts keeps it true), not guessed:
// - Envoy's inline headers (HeaderMapImpl's O(1) headers) are merged when repeated,
//   values joined with "," and no space, at the first one's place; every other
//   name keeps one entry per field, in arrival order. Both codecs alike.
// - HTTP/2 (and HTTP/3) cookie fields are joined with "; " into one cookie header,
//   placed after the other headers (RFC 9113 8.2.3); HTTP/1.1 cookies stay separate.
// - Field values lose their leading and trailing whitespace (RFC 9112 5.1 OWS;
//   h2 alike): "content-encoding:  , br" reaches the filter as ", br".
// - The connection manager removes the x-envoy-* headers only Envoy may set
//   (from a client that is not internal) and hop-by-hop headers, and adds
//   x-forwarded-proto when the client sent none (x-request-id is generated too:
//   random, so not modelled).
import type { HeaderList } from "./types.js";

export type Protocol = "http1" | "h2";

/** Request headers Envoy merges when repeated (probed with every name below sent twice, HTTP/1.1 and h2c). */
export const MERGED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "accept", "accept-encoding", "access-control-request-headers", "access-control-request-method", "authorization",
  "cache-control", "content-encoding", "content-type", "grpc-accept-encoding", "grpc-timeout", "if-match",
  "if-modified-since", "if-none-match", "if-range", "origin", "pragma", "proxy-status", "referer", "user-agent", "via",
  "x-client-trace-id", "x-envoy-attempt-count", "x-envoy-decorator-operation", "x-envoy-downstream-service-cluster",
  "x-envoy-downstream-service-node", "x-envoy-external-address", "x-envoy-is-timeout-retry", "x-envoy-original-path",
  "x-forwarded-for", "x-forwarded-host", "x-forwarded-port", "x-forwarded-proto", "x-request-id",
]);

/** Headers the connection manager removes before any filter sees them (an external client's x-envoy-* internal headers, hop-by-hop headers). */
export const REMOVED_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  "x-envoy-internal", "x-envoy-expected-rq-timeout-ms", "x-envoy-force-trace", "x-envoy-hedge-on-per-try-timeout",
  "x-envoy-ip-tags", "x-envoy-max-retries", "x-envoy-original-url", "x-envoy-retriable-header-names",
  "x-envoy-retriable-status-codes", "x-envoy-retry-grpc-on", "x-envoy-retry-on", "x-envoy-upstream-alt-stat-name",
  "x-envoy-upstream-rq-per-try-timeout-ms", "x-envoy-upstream-rq-timeout-ms", "x-envoy-upstream-stream-duration-ms",
  "x-forwarded-client-cert", "connection", "keep-alive", "upgrade",
]);

/** The headers a filter sees for the fields a client sent (lower-cased names, pseudo-headers first as given). */
export function presentRequestHeaders(sent: HeaderList, protocol: Protocol): HeaderList {
  const out: HeaderList = [];
  const at = new Map<string, number>();
  const cookies: string[] = [];
  for (const [name, raw] of sent) {
    const k = name.toLowerCase();
    const value = raw.replace(/^[ \t]+|[ \t]+$/g, "");
    if (REMOVED_REQUEST_HEADERS.has(k)) continue;
    // "te" survives only as "trailers" (RFC 9110 7.6.1; HTTP/2 allows nothing else).
    if (k === "te" && value.trim().toLowerCase() !== "trailers") continue;
    if (k === "cookie" && protocol === "h2") {
      cookies.push(value);
      continue;
    }
    const i = at.get(k);
    if (i !== undefined && MERGED_REQUEST_HEADERS.has(k)) {
      out[i] = [k, out[i][1] + "," + value];
      continue;
    }
    if (i === undefined) at.set(k, out.length);
    out.push([k, value]);
  }
  if (cookies.length) out.push(["cookie", cookies.join("; ")]);
  if (!at.has("x-forwarded-proto")) out.push(["x-forwarded-proto", "http"]);
  return out;
}
