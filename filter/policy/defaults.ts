// Every default and every numeric bound of the policy, once. The section parsers
// (filter/policy/*.ts) read them, and so do scripts/gen-schema.mjs (the JSON
// Schema and its "default"/"minimum"/"maximum" keywords) and the README's field
// tables (checked by test/unit/policy/defaults.test.ts). Format, read by the generator:
// a doc comment naming the policy field, then `export const NAME: type = value;`
// with a literal value (strings in double quotes; numbers may be products).

/** shadow.timeout_ms */
export const SHADOW_TIMEOUT_MS: u32 = 2000;
export const SHADOW_TIMEOUT_MS_MIN: u32 = 1;
export const SHADOW_TIMEOUT_MS_MAX: u32 = 600000;
/** shadow.max_body_bytes */
export const SHADOW_MAX_BODY_BYTES: u32 = 1048576;
export const SHADOW_MAX_BODY_BYTES_MIN: u32 = 0;
export const SHADOW_MAX_BODY_BYTES_MAX: u32 = 64 * 1048576;
/** shadow.max_inflight */
export const SHADOW_MAX_INFLIGHT: u32 = 256;
export const SHADOW_MAX_INFLIGHT_MIN: u32 = 1;
export const SHADOW_MAX_INFLIGHT_MAX: u32 = 1000000;
/** shadow.on_body_too_large */
export const SHADOW_ON_BODY_TOO_LARGE: string = "skip";
/** shadow.body_dropped_header */
export const SHADOW_BODY_DROPPED_HEADER: string = "x-mirrorshade-body-dropped";
/** shadow.name: the name of the one shadow of a policy that says "shadow" instead of "shadows". */
export const SHADOW_NAME: string = "shadow";
/** shadows[].name: longest name (a stats-safe token). */
export const SHADOW_NAME_MAX_LENGTH: i32 = 64;

/** limits.max_buffered_bytes: request bodies held for copies at once, per VM (all streams, all shadows); beyond it new copies are skipped. */
export const LIMITS_MAX_BUFFERED_BYTES: u32 = 32 * 1048576;
export const LIMITS_MAX_BUFFERED_BYTES_MIN: u32 = 0;
export const LIMITS_MAX_BUFFERED_BYTES_MAX: u32 = 512 * 1048576;
/** tag.header */
export const TAG_HEADER: string = "x-shadow-request";
/** tag.header: names the tag may not take (comma-separated; '_' counts as '-'): they carry meaning to HTTP, to authentication, to tracing, to Envoy or to the filter, and the tag is taken from every production request. */
export const TAG_HEADER_RESERVED: string = "authorization,proxy-authorization,cookie,set-cookie,host,te,transfer-encoding,connection,keep-alive,proxy-connection,upgrade,trailer,expect,forwarded,via,x-request-id,baggage,traceparent,tracestate,x-shadow-rule,x-mirrorshade-body-dropped";
/** tag.header: prefixes the tag may not start with (comma-separated; '_' counts as '-'). */
export const TAG_HEADER_RESERVED_PREFIXES: string = "content-,x-forwarded-,x-envoy-";
/** tag.value */
export const TAG_VALUE: string = "true";
/** tag.strip_from_primary */
export const TAG_STRIP_FROM_PRIMARY: bool = true;
/** tag.baggage_key */
export const TAG_BAGGAGE_KEY: string = "mirrorshade.shadow";
/** tag.baggage */
export const TAG_BAGGAGE: bool = false;

/** select.percent */
export const SELECT_PERCENT: f64 = 100;
export const SELECT_PERCENT_MIN: f64 = 0;
export const SELECT_PERCENT_MAX: f64 = 100;
/** select.rate_limit.per_second */
export const SELECT_RATE_PER_SECOND_MIN: f64 = 0.001;
export const SELECT_RATE_PER_SECOND_MAX: f64 = 1e9;
/** select.rate_limit.burst */
export const SELECT_RATE_BURST_MIN: f64 = 1;
export const SELECT_RATE_BURST_MAX: f64 = 1e9;
/** select.max_inflight */
export const SELECT_MAX_INFLIGHT_MIN: u32 = 1;
export const SELECT_MAX_INFLIGHT_MAX: u32 = 1000000;

/** redact.detector_action */
export const REDACT_DETECTOR_ACTION: string = "mask";
/** redact.body.on_unscannable */
export const REDACT_ON_UNSCANNABLE: string = "drop_body";
/** redact.hash_key: shortest key, in bytes. */
export const REDACT_HASH_KEY_MIN_BYTES: i32 = 16;
/** redact.url_headers: headers whose values are URLs (comma-separated; '_' counts as '-'): their userinfo goes, their host, path, query and fragment are redacted as the copy's own. Envoy's own x-envoy-original-path is among them. */
export const REDACT_URL_HEADERS: string = "referer,origin,location,content-location,x-original-url,x-original-uri,x-forwarded-uri,x-forwarded-url,x-forwarded-path,x-forwarded-prefix,x-rewrite-url,x-request-uri,x-envoy-original-path";
/** redact.grpc.descriptor_set: the largest FileDescriptorSet, in bytes once decoded from base64 (a service's .proto files with their imports make a few KB to a few hundred). */
export const REDACT_GRPC_DESCRIPTOR_SET_MAX_BYTES: i32 = 4 * 1048576;
/** redact.path: most templates (they are matched against every path). */
export const REDACT_PATH_MAX_TEMPLATES: i32 = 256;

/** inbound.restore_host */
export const INPLACE_RESTORE_HOST: bool = false;
/** inbound.not_selected_status */
export const INPLACE_NOT_SELECTED_STATUS: u32 = 204;
export const INPLACE_NOT_SELECTED_STATUS_MIN: u32 = 200;
export const INPLACE_NOT_SELECTED_STATUS_MAX: u32 = 599;
/** inbound.max_body_bytes */
export const INPLACE_MAX_BODY_BYTES: u32 = 1048576;
export const INPLACE_MAX_BODY_BYTES_MIN: u32 = 0;
export const INPLACE_MAX_BODY_BYTES_MAX: u32 = 64 * 1048576;

/** guard.response.status */
export const GUARD_STATUS: u32 = 200;
export const GUARD_STATUS_MIN: u32 = 200;
export const GUARD_STATUS_MAX: u32 = 599;

/** compare.numeric_tolerance */
export const COMPARE_NUMERIC_TOLERANCE: f64 = 0;
export const COMPARE_NUMERIC_TOLERANCE_MIN: f64 = 0;
export const COMPARE_NUMERIC_TOLERANCE_MAX: f64 = 1e300;
/** compare.max_body_bytes */
export const COMPARE_MAX_BODY_BYTES: u32 = 65536;
export const COMPARE_MAX_BODY_BYTES_MIN: u32 = 0;
export const COMPARE_MAX_BODY_BYTES_MAX: u32 = 16 * 1048576;
/** compare.pair_timeout_ms */
export const COMPARE_PAIR_TIMEOUT_MS: u32 = 5000;
export const COMPARE_PAIR_TIMEOUT_MS_MIN: u32 = 100;
export const COMPARE_PAIR_TIMEOUT_MS_MAX: u32 = 600000;
/** compare.log_level */
export const COMPARE_LOG_LEVEL: string = "info";
/** compare.noise.percent */
export const COMPARE_NOISE_PERCENT: f64 = 10;
export const COMPARE_NOISE_PERCENT_MIN: f64 = 0.001;
export const COMPARE_NOISE_PERCENT_MAX: f64 = 100;
/** compare.sink.path */
export const COMPARE_SINK_PATH: string = "/diffs";

/** capture.path */
export const CAPTURE_PATH: string = "/captures";
/** capture.rate_limit_per_second: captures sent per second at most, shared by every worker (a token bucket holding one second's worth, at least one). */
export const CAPTURE_RATE_LIMIT_PER_SECOND: f64 = 10;
export const CAPTURE_RATE_LIMIT_PER_SECOND_MIN: f64 = 0.001;
export const CAPTURE_RATE_LIMIT_PER_SECOND_MAX: f64 = 100000;
/** capture.max_body_bytes: the largest copy body held for a capture; a copy with a larger body is not captured (capture.skipped.too_large). */
export const CAPTURE_MAX_BODY_BYTES: u32 = 65536;
export const CAPTURE_MAX_BODY_BYTES_MIN: u32 = 0;
export const CAPTURE_MAX_BODY_BYTES_MAX: u32 = 16 * 1048576;
/** capture.timeout_ms */
export const CAPTURE_TIMEOUT_MS: u32 = 5000;
export const CAPTURE_TIMEOUT_MS_MIN: u32 = 1;
export const CAPTURE_TIMEOUT_MS_MAX: u32 = 60000;
/** capture.answer_headers: the answers' headers a capture carries (comma-separated, lower case); every other answer header is left out, since an answer can hold credentials the shadow never saw (a session token the primary issues under any name): the list allows, it does not deny. */
export const CAPTURE_ANSWER_HEADERS: string = ":status,content-type,content-length,content-encoding,date,cache-control,vary,retry-after,grpc-status,grpc-message";
/** capture.on: in the mirror role without comparison (comma-separated). */
export const CAPTURE_ON: string = "shadow_error,timeout";
/** compare.capture.on: with comparison (comma-separated). */
export const COMPARE_CAPTURE_ON: string = "shadow_error,timeout,mismatch";

/** limits (fixed, not a field): the most findings and edits one body's redaction may have; past it the body is unscannable (too_many_findings), so what a client sends cannot make one scan's working memory grow without bound. */
export const MAX_BODY_FINDINGS: i32 = 65536;
/** limits.redaction_bytes_per_second: body bytes the VM redacts per second at most (a token bucket holding one second's worth); copies beyond it are skipped. */
export const LIMITS_REDACTION_BYTES_PER_SECOND: u32 = 8 * 1048576;
export const LIMITS_REDACTION_BYTES_PER_SECOND_MIN: u32 = 1024;
export const LIMITS_REDACTION_BYTES_PER_SECOND_MAX: u32 = 1024 * 1048576;
/** limits.redaction_inline_bytes: bodies up to this size are redacted when the request ends, at once (bounded work on the request's path); larger ones off it, in slices. */
export const LIMITS_REDACTION_INLINE_BYTES: u32 = 4096;
export const LIMITS_REDACTION_INLINE_BYTES_MIN: u32 = 0;
export const LIMITS_REDACTION_INLINE_BYTES_MAX: u32 = 65536;
/** limits.redaction_slice_us: the longest one slice of redaction work runs on the worker, from the root context's tick. */
export const LIMITS_REDACTION_SLICE_US: u32 = 500;
export const LIMITS_REDACTION_SLICE_US_MIN: u32 = 50;
export const LIMITS_REDACTION_SLICE_US_MAX: u32 = 20000;
