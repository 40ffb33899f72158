// The compiled policy: what compilePolicy (policy/compile.ts) makes of the
// plugin configuration, once per configuration. Immutable once built and
// byte-ready: header names, values, clusters and labels are already the bytes
// the filter compares or sends, matchers and JSON paths are prepared, and every
// default comes from policy/defaults.ts. Roles read it; nothing here is
// per-request state.
import { StringMatcher } from "../select/matcher";
import { JsonPath, JsonRule } from "../json/path";
import { ShadowTag } from "../copy/tag";
import { PathTemplate } from "../redact/path-template";
import * as D from "./defaults";
import { ProtoSchema } from "../proto/schema";

export const ROLE_MIRROR: i32 = 0;
export const ROLE_UPSTREAM: i32 = 1;
export const ROLE_SHADOW: i32 = 2;
export const ROLE_EGRESS_GUARD: i32 = 3;
export const ROLE_NAMES: string[] = ["mirror", "upstream", "shadow", "egress-guard"];

// ------------------------------------------------------------------ select

export const COND_HEADER: u8 = 0;
export const COND_PATH: u8 = 1;
export const COND_METHOD: u8 = 2;
export const COND_QUERY: u8 = 3;
export const COND_HOST: u8 = 4;

export class Condition {
  kind: u8 = COND_HEADER;
  /** Header name (lower-case) or query parameter name. */
  name: ArrayBuffer = new ArrayBuffer(0);
  matcher: StringMatcher = new StringMatcher();
  /** Path conditions: compare case-insensitively (path.ignore_case; values stored lower-case). */
  ignoreCase: bool = false;
}

export class Rule {
  name: string = "";
  /** The rule's name, or its position: sent as x-shadow-rule, and names guard counters. */
  label: ArrayBuffer = new ArrayBuffer(0);
  labelText: string = "";
  conditions: Condition[] = [];
}

export class RateLimit {
  perSecond: f64 = 0;
  burst: f64 = 0;
}

export class SelectConfig {
  enabled: bool = false;
  match: Rule[] = [];
  exclude: Rule[] = [];
  /** Share of all requests in percent (0-100). */
  percent: f64 = D.SELECT_PERCENT;
  hashHeader: ArrayBuffer = new ArrayBuffer(0);
  rateLimit: RateLimit | null = null;
  /** 0: no bound. */
  maxInflight: u32 = 0;
}

// ------------------------------------------------------------------ shadows

export const ON_TOO_LARGE_SKIP: i32 = 0;
export const ON_TOO_LARGE_HEADERS_ONLY: i32 = 1;

/** One destination of copies (mirror role). */
export class ShadowConfig {
  /** Stats-safe token: names the shadow's counters and its copies in preview and diff records. */
  name: string = D.SHADOW_NAME;
  cluster: ArrayBuffer = new ArrayBuffer(0);
  clusterName: string = "";
  /** Empty: the primary's authority with "-shadow" appended, as Envoy's native mirroring does. */
  authority: ArrayBuffer = new ArrayBuffer(0);
  timeoutMs: u32 = D.SHADOW_TIMEOUT_MS;
  maxBodyBytes: u32 = D.SHADOW_MAX_BODY_BYTES;
  maxInflight: u32 = D.SHADOW_MAX_INFLIGHT;
  onBodyTooLarge: i32 = ON_TOO_LARGE_SKIP;
  /** Header set on copies sent without their body, so the shadow knows why it is empty. */
  bodyDroppedHeader: ArrayBuffer = String.UTF8.encode(D.SHADOW_BODY_DROPPED_HEADER);
  /** This shadow's own selection, after the policy's (enabled false: every request the policy selects). */
  select: SelectConfig = new SelectConfig();
}

// ------------------------------------------------------------------ in place

/** The in-place roles (upstream, shadow) rewrite a copy Envoy already sends (native mirroring). */
export class InPlaceConfig {
  /** shadow role: how a mirrored copy is recognized (the "-shadow" Host suffix, the tag header or baggage). */
  recognizeHostSuffix: bool = true;
  recognizeTag: bool = true;
  /** "all": every request is a copy (a workload that receives only mirrored traffic, e.g. behind Istio's mirror, which drops the suffix by default). */
  recognizeAll: bool = false;
  /** Strip the "-shadow" suffix Envoy added to the Host, so the shadow app sees the original. */
  restoreHost: bool = D.INPLACE_RESTORE_HOST;
  /** Status of the local answer to a copy that selection does not pass. */
  notSelectedStatus: u32 = D.INPLACE_NOT_SELECTED_STATUS;
  /** Largest body held for redaction; a larger body is dropped from the copy. */
  maxBodyBytes: u32 = D.INPLACE_MAX_BODY_BYTES;
}

// ------------------------------------------------------------------ guard

/** A header of the guard's stub answer. */
export class StubHeader {
  constructor(public name: ArrayBuffer, public value: ArrayBuffer) {}
}

/** Egress guard: tagged requests to these destinations are answered locally with the stub. */
export class GuardConfig {
  destinations: Rule[] = [];
  status: u32 = D.GUARD_STATUS;
  body: ArrayBuffer = new ArrayBuffer(0);
  headers: StubHeader[] = [];
}

// ------------------------------------------------------------------ redact

/** Names (headers or query parameters) per action; header names lower-cased; matched case-insensitively (query names with Unicode folding). */
export class NameRules {
  drop: string[] = [];
  mask: string[] = [];
  hash: string[] = [];
  /** Query names given with "match_case": true (compared byte for byte). */
  matchCase: string[] = [];
}

export const UNSCANNABLE_DROP_BODY: i32 = 0;
export const UNSCANNABLE_SKIP: i32 = 1;

export class RedactConfig {
  /** False when the policy has no "redact" section: the copy is sent as the primary's. */
  enabled: bool = false;
  headers: NameRules = new NameRules();
  query: NameRules = new NameRules();
  json: JsonRule[] = [];
  detectors: i32 = 0;
  detectorHash: bool = false;
  hashKey: ArrayBuffer = new ArrayBuffer(0);
  onUnscannable: i32 = UNSCANNABLE_DROP_BODY;
  /** Content types mirrored without scanning, by explicit choice ("type/subtype" or "type/*"). */
  passThrough: string[] = [];
  /** redact.keep: the allow-list mode (null: deny-list only). */
  keep: KeepConfig | null = null;
  /** redact.path: segment templates, mask ones first, then hash ones. */
  path: PathTemplate[] = [];
  /** redact.url_headers: headers whose values are URLs (lower-case). */
  urlHeaders: string[] = D.REDACT_URL_HEADERS.split(",");
  /** redact.grpc.descriptor_set, compiled (null: no schema; gRPC messages are walked without one). */
  grpcSchema: ProtoSchema | null = null;
}

/**
 * redact.keep: with it, every header not listed is dropped, every query and
 * form value not listed is masked, and every JSON string and number not under a
 * listed path is masked keeping its shape. Explicit drop/mask/hash rules win;
 * detectors still run over what is kept.
 */
export class KeepConfig {
  /** Header names (lower-case) that pass; pseudo-headers and the copy's framing headers always do. */
  headers: string[] = [];
  /** Query and form parameter names whose values pass. */
  query: string[] = [];
  /** Those of them given with "match_case": true. */
  queryMatchCase: string[] = [];
  /** JSON paths whose values (and everything under them) pass. */
  json: JsonPath[] = [];
}

// ------------------------------------------------------------------ compare

export class CompareConfig {
  enabled: bool = false;
  /** Response headers compared (lower-case), as names and as bytes. */
  headers: string[] = [];
  headerBytes: ArrayBuffer[] = [];
  /** JSON paths whose differences are not regressions (timestamps, ids). */
  ignorePaths: JsonPath[] = [];
  /** ignore_paths lists ":grpc-message": gRPC answers' grpc-message is not compared. */
  ignoreGrpcMessage: bool = false;
  /** Numbers are equal when |a - b| <= tolerance. */
  tolerance: f64 = D.COMPARE_NUMERIC_TOLERANCE;
  maxBodyBytes: u32 = D.COMPARE_MAX_BODY_BYTES;
  pairTimeoutMs: u32 = D.COMPARE_PAIR_TIMEOUT_MS;
  /** Log level of diff records (1 debug ... 4 error). */
  logLevel: i32 = 2;
  /** Noise cancellation: a second instance of the primary's version (empty: none), and the share of requests also sent there. */
  noiseCluster: ArrayBuffer = new ArrayBuffer(0);
  noisePercent: f64 = 0;
  /** Cluster diff records are POSTed to (empty: none). */
  sinkCluster: ArrayBuffer = new ArrayBuffer(0);
  sinkPath: ArrayBuffer = String.UTF8.encode(D.COMPARE_SINK_PATH);
}

/** What a capture is taken for (capture.on). */
export const CAPTURE_ON_SHADOW_ERROR: i32 = 1;
export const CAPTURE_ON_TIMEOUT: i32 = 2;
export const CAPTURE_ON_MISMATCH: i32 = 4;

/** capture (mirror role) or compare.capture: failing copies sent as the shadow received them to a capture cluster. */
export class CaptureConfig {
  enabled: bool = false;
  /** Where the policy gave it: "capture" or "compare.capture" (errors name it). */
  where: string = "capture";
  cluster: ArrayBuffer = new ArrayBuffer(0);
  clusterName: string = "";
  path: ArrayBuffer = String.UTF8.encode(D.CAPTURE_PATH);
  ratePerSecond: f64 = D.CAPTURE_RATE_LIMIT_PER_SECOND;
  maxBodyBytes: u32 = D.CAPTURE_MAX_BODY_BYTES;
  timeoutMs: u32 = D.CAPTURE_TIMEOUT_MS;
  /** CAPTURE_ON_* bits. */
  on: i32 = 0;
  /** capture.answer_headers: the answer headers a capture carries, lower case (the rest are left out). */
  answerHeaders: ArrayBuffer[] = [];
}

// ------------------------------------------------------------------ policy

export class Policy {
  role: i32 = ROLE_MIRROR;
  /** Mirror role: one or more, in the order the policy lists them. */
  shadows: ShadowConfig[] = [];
  tag: ShadowTag = new ShadowTag();
  redact: RedactConfig = new RedactConfig();
  select: SelectConfig = new SelectConfig();
  guard: GuardConfig = new GuardConfig();
  inPlace: InPlaceConfig = new InPlaceConfig();
  compare: CompareConfig = new CompareConfig();
  capture: CaptureConfig = new CaptureConfig();
  /** Request bodies held for copies at once, per VM (limits.max_buffered_bytes). */
  maxBufferedBytes: u32 = D.LIMITS_MAX_BUFFERED_BYTES;
  /** Body bytes redacted per second at most, per VM (limits.redaction_bytes_per_second). */
  redactionBytesPerSecond: u32 = D.LIMITS_REDACTION_BYTES_PER_SECOND;
  /** Bodies redacted at once when the request ends, at most this size (limits.redaction_inline_bytes). */
  redactionInlineBytes: u32 = D.LIMITS_REDACTION_INLINE_BYTES;
  /** The longest slice of redaction work, in microseconds (limits.redaction_slice_us). */
  redactionSliceUs: u32 = D.LIMITS_REDACTION_SLICE_US;
  /** Budget key of the policy's select section: the shadow clusters, so plugins mirroring to the same shadows share budgets. */
  budgetKey: string = "";
}

/** Variables of the plugin's VM environment (vm_config.environment_variables), for "env:NAME" references. */
export class Environment {
  names: string[] = [];
  values: string[] = [];

  get(name: string): string | null {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] == name) return this.values[i];
    return null;
  }

  /** The error of a field's "env:NAME" reference to a variable the VM environment does not have. */
  static missing(field: string, name: string): string {
    return field + ": environment variable " + name + " is not set in the plugin's VM environment (vm_config.environment_variables)";
  }
}
