// The body plan of a copy, decided from the request's headers before a byte of
// the body arrives: which codec scans it (body/codecs.ts), or why it cannot be
// scanned (compressed, of an unknown type), in which case it is never sent as it is.
import { RedactConfig } from "../policy/types";
import { HeaderCursor, sliceOf, utf8 } from "../util/bytes";
import { ProtoMethod } from "../proto/schema";

const H_CONTENT_TYPE = utf8("content-type");
const H_CONTENT_ENCODING = utf8("content-encoding");
const H_GRPC_ENCODING = utf8("grpc-encoding");
const H_PATH = utf8(":path");
const EMPTY = new ArrayBuffer(0);

export const BODY_NONE: u8 = 0; // no redact policy: mirrored as the primary's
export const BODY_JSON: u8 = 1;
export const BODY_FORM: u8 = 2;
export const BODY_TEXT: u8 = 3;
export const BODY_PASS_THROUGH: u8 = 4;
export const BODY_UNSCANNABLE: u8 = 5;
/** A sequence of JSON texts (application/x-ndjson, application/jsonl, application/json-seq). */
export const BODY_JSON_SEQ: u8 = 6;
/** gRPC messages (application/grpc, application/grpc+proto): framed protobuf (body/grpc.ts). */
export const BODY_GRPC: u8 = 7;

export const REASON_COMPRESSED: u8 = 0;
export const REASON_UNSUPPORTED_TYPE: u8 = 1;
export const REASON_INVALID_JSON: u8 = 2;
export const REASON_BINARY: u8 = 3;
export const REASON_TOO_LARGE: u8 = 4;
/** More values to redact than one body may have (policy/defaults.ts MAX_BODY_FINDINGS). */
export const REASON_TOO_MANY_FINDINGS: u8 = 5;
/** A gRPC body whose 5-byte message prefixes do not frame it (truncated, a length past the end). */
export const REASON_INVALID_GRPC_FRAME: u8 = 6;
/** A gRPC message that is not protobuf as its type (or, without one, as any message) reads it. */
export const REASON_INVALID_PROTOBUF: u8 = 7;
/** Rules name fields but no descriptor (redact.grpc) knows the call's method. */
export const REASON_UNKNOWN_GRPC_METHOD: u8 = 8;
export const REASON_NAMES: string[] = [
  "compressed", "unsupported_type", "invalid_json", "binary", "too_large", "too_many_findings",
  "invalid_grpc_frame", "invalid_protobuf", "unknown_grpc_method",
];
/** The names as the bytes of the body-dropped header's value. */
export const REASON_BYTES: ArrayBuffer[] = REASON_NAMES.map<ArrayBuffer>((n: string) => String.UTF8.encode(n));

function lowerByte(c: u8): u8 {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

function isOws(c: u8): bool {
  return c == 0x20 || c == 0x09;
}

/** The media type of a content-type value, lower-cased, without parameters or spaces. */
export function mediaType(v: ArrayBuffer | null): string {
  if (v == null) return "";
  const p = changetype<usize>(v);
  const len = v.byteLength;
  let s = 0;
  while (s < len && isOws(load<u8>(p + <usize>s))) s++;
  let e = s;
  while (e < len && load<u8>(p + <usize>e) != 0x3b && !isOws(load<u8>(p + <usize>e))) e++;
  const out = new ArrayBuffer(e - s);
  for (let i = s; i < e; i++) store<u8>(changetype<usize>(out) + <usize>(i - s), lowerByte(load<u8>(p + <usize>i)));
  return String.UTF8.decode(out);
}

/**
 * Whether a content-encoding value names only identity. It is a list (RFC 9110
 * 8.4): "identity;q=1, br" and "identity ,br" are brotli bodies. Elements are
 * compared case-insensitively, without parameters or whitespace; empty ones are
 * ignored.
 */
export function identityOnly(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    while (i < len && (isOws(load<u8>(p + i)) || load<u8>(p + i) == 0x2c)) i++;
    if (i >= len) break;
    const s = i;
    while (i < len && load<u8>(p + i) != 0x2c && load<u8>(p + i) != 0x3b && !isOws(load<u8>(p + i))) i++;
    const e = i;
    // Parameters and whitespace up to the next element.
    while (i < len && load<u8>(p + i) != 0x2c) i++;
    if (e - s != 8) return false;
    const word: u64 = 0x797469746e656469; // "identity", little-endian
    if ((load<u64>(p + s) | 0x2020202020202020) != word) return false;
  }
  return true;
}

/**
 * What the request's headers say about its body, over every content-type and
 * content-encoding header (a client may send several; the application reads
 * one of them, which one is not ours to guess).
 */
export class BodyHeaders {
  type: ArrayBuffer | null = null;
  /** Two content-type headers with different media types. */
  conflicting: bool = false;
  /** Some content-encoding header names a coding other than identity. */
  encoded: bool = false;
  /** A grpc-encoding header names a coding other than identity (the messages may be compressed). */
  grpcEncoded: bool = false;
  /** The header map observed (its :path names a gRPC call's method). */
  raw: ArrayBuffer = EMPTY;
  private looked: bool = false;
  private found: ProtoMethod | null = null;

  reset(): void {
    this.type = null;
    this.conflicting = false;
    this.encoded = false;
    this.grpcEncoded = false;
    this.raw = EMPTY;
    this.looked = false;
    this.found = null;
  }

  /** The method the request's :path calls in the policy's descriptor, or null (no descriptor, an unknown method); looked up once per request. */
  grpcMethod(cfg: RedactConfig): ProtoMethod | null {
    if (!this.looked) {
      this.looked = true;
      this.found = methodOf(cfg, this.raw);
    }
    return this.found;
  }

  /** Looks at one header of the map raw; true when it was content-type or content-encoding. */
  observe(raw: ArrayBuffer, cur: HeaderCursor): bool {
    if (cur.keyIs(H_CONTENT_TYPE)) {
      const v = sliceOf(raw, cur.valuePtr, cur.valueLen);
      // Envoy joins repeated content-type headers with ',' (HTTP/1.1): a list is several types.
      for (let i: usize = 0; i < cur.valueLen; i++) if (load<u8>(cur.valuePtr + i) == 0x2c) this.conflicting = true;
      const first = this.type;
      this.raw = raw;
      if (first == null) this.type = v;
      else if (mediaType(first) != mediaType(v)) this.conflicting = true;
      return true;
    }
    if (cur.keyIs(H_CONTENT_ENCODING)) {
      if (!identityOnly(cur.valuePtr, cur.valueLen)) this.encoded = true;
      return true;
    }
    if (cur.keyIs(H_GRPC_ENCODING)) {
      if (!identityOnly(cur.valuePtr, cur.valueLen)) this.grpcEncoded = true;
      return true;
    }
    return false;
  }
}

export class BodyPlan {
  kind: u8 = BODY_NONE;
  reason: u8 = 0;
  /** The content-type is application/grpc or application/grpc+<anything> (whatever the plan). */
  grpc: bool = false;
  /** A gRPC call's method, when the policy's descriptor (redact.grpc) knows its :path. */
  method: ProtoMethod | null = null;
}

/** Whether a content-type value is gRPC's: application/grpc, alone or with a +suffix or parameters. */
export function isGrpcType(v: ArrayBuffer | null): bool {
  if (v == null) return false;
  const p = changetype<usize>(v);
  const len = <usize>v.byteLength;
  let s: usize = 0;
  while (s < len && isOws(load<u8>(p + s))) s++;
  const n = <usize>GRPC_TYPE.byteLength;
  if (len - s < n) return false;
  for (let i: usize = 0; i < n; i++) if (lowerByte(load<u8>(p + s + i)) != load<u8>(changetype<usize>(GRPC_TYPE) + i)) return false;
  if (len - s == n) return true;
  const c = load<u8>(p + s + n);
  return c == 0x2b || c == 0x3b || isOws(c);
}
const GRPC_TYPE = utf8("application/grpc");
function methodOf(cfg: RedactConfig, raw: ArrayBuffer): ProtoMethod | null {
  const schema = cfg.grpcSchema;
  if (schema == null) return null;
  const cur = new HeaderCursor(raw);
  while (cur.next()) if (cur.keyIs(H_PATH)) return schema.method(cur.valuePtr, cur.valueLen);
  return null;
}

/**
 * A gRPC call's body (docs/hardening.md "gRPC"): application/grpc and
 * application/grpc+proto are framed protobuf; any other +suffix (+json, +thrift)
 * frames a format the filter does not walk: unsupported_type. Compressed
 * messages (grpc-encoding or content-encoding other than identity) are never
 * scanned. Rules that name fields (redact.json, redact.keep) need the method's
 * input type: without it the body is unscannable (unknown_grpc_method);
 * detectors alone walk the messages without a schema.
 */
function planGrpc(cfg: RedactConfig, type: string, headers: BodyHeaders, out: BodyPlan): void {
  out.kind = BODY_UNSCANNABLE;
  if (headers.encoded || headers.grpcEncoded) {
    out.reason = REASON_COMPRESSED;
    return;
  }
  if (type != "application/grpc" && type != "application/grpc+proto") {
    out.reason = REASON_UNSUPPORTED_TYPE;
    return;
  }
  const method = headers.grpcMethod(cfg);
  out.method = method;
  if (method == null && (cfg.json.length > 0 || cfg.keep != null)) {
    out.reason = REASON_UNKNOWN_GRPC_METHOD;
    return;
  }
  out.kind = BODY_GRPC;
}

/** Decides at request-headers time how the body will be handled. */
export function planBody(cfg: RedactConfig, headers: BodyHeaders, out: BodyPlan): void {
  out.reason = 0;
  out.method = null;
  out.grpc = isGrpcType(headers.type);
  if (!cfg.enabled) {
    out.kind = BODY_NONE;
    return;
  }
  if (headers.conflicting) {
    out.kind = BODY_UNSCANNABLE;
    out.reason = REASON_UNSUPPORTED_TYPE;
    return;
  }
  const type = mediaType(headers.type);
  for (let i = 0; i < cfg.passThrough.length; i++) {
    const pass = cfg.passThrough[i];
    if (pass == type || (pass.endsWith("/*") && type.startsWith(pass.substring(0, pass.length - 1)))) {
      out.kind = BODY_PASS_THROUGH;
      return;
    }
  }
  if (out.grpc) {
    planGrpc(cfg, type, headers, out);
    return;
  }
  if (headers.encoded) {
    out.kind = BODY_UNSCANNABLE;
    out.reason = REASON_COMPRESSED;
    return;
  }
  out.kind = kindOf(type, namesFields(cfg));
  if (out.kind == BODY_UNSCANNABLE) out.reason = REASON_UNSUPPORTED_TYPE;
}

/** The policy has rules that name fields (JSON paths, query/form names, redact.keep): a format without a scanner for names cannot honour them. */
export function namesFields(cfg: RedactConfig): bool {
  const q = cfg.query;
  return cfg.json.length > 0 || q.drop.length + q.mask.length + q.hash.length > 0 || cfg.keep != null;
}

const STRUCTURED_TEXT: string[] = [
  "text/yaml", "text/x-yaml", "text/vnd.yaml", "text/toml", "text/x-toml", "text/csv", "text/tab-separated-values",
  "text/x-java-properties", "text/x-properties", "text/properties",
];

/** A text media type whose content names fields (a YAML key, a CSV column) the filter cannot match rules against. */
function structuredText(type: string): bool {
  return STRUCTURED_TEXT.includes(type) || type.endsWith("+yaml") || type.endsWith("+toml");
}

/**
 * The codec a media type gets (docs/hardening.md "Bodies by what they are"). Text
 * and form bodies are sniffed besides (body/sniff.ts): one that parses as JSON is
 * scanned as JSON.
 */
export function kindOf(type: string, fieldRules: bool): u8 {
  if (type == "application/json" || type == "text/json" || type == "text/x-json" || type == "application/x-json") return BODY_JSON;
  if ((type.startsWith("application/") || type.startsWith("text/")) && type.endsWith("+json")) return BODY_JSON;
  if (type == "application/x-ndjson" || type == "application/jsonl" || type == "application/x-jsonlines" || type == "application/jsonlines" || type == "application/json-seq")
    return BODY_JSON_SEQ;
  if (type == "application/x-www-form-urlencoded") return BODY_FORM;
  const xml = type == "text/xml" || type == "application/xml" || type.endsWith("+xml");
  // No XML scanner: element and attribute names are not matched, so rules that name fields cannot hold.
  if (xml) return fieldRules ? BODY_UNSCANNABLE : BODY_TEXT;
  // Text formats of named fields the filter has no scanner for (YAML, TOML, CSV columns, properties): the same.
  if (type.startsWith("text/")) return fieldRules && structuredText(type) ? BODY_UNSCANNABLE : BODY_TEXT;
  return BODY_UNSCANNABLE;
}
