// The body plan of a copy, decided from the request's headers before a byte of
// the body arrives: which codec scans it (body/codecs.ts), or why it cannot be
// scanned (compressed, of an unknown type), in which case it is never sent as it is.
import { RedactConfig } from "../policy/types";

export const BODY_NONE: u8 = 0; // no redact policy: mirrored as the primary's
export const BODY_JSON: u8 = 1;
export const BODY_FORM: u8 = 2;
export const BODY_TEXT: u8 = 3;
export const BODY_PASS_THROUGH: u8 = 4;
export const BODY_UNSCANNABLE: u8 = 5;

export const REASON_COMPRESSED: u8 = 0;
export const REASON_UNSUPPORTED_TYPE: u8 = 1;
export const REASON_INVALID_JSON: u8 = 2;
export const REASON_BINARY: u8 = 3;
export const REASON_TOO_LARGE: u8 = 4;
/** More values to redact than one body may have (policy/defaults.ts MAX_BODY_FINDINGS). */
export const REASON_TOO_MANY_FINDINGS: u8 = 5;
export const REASON_NAMES: string[] = ["compressed", "unsupported_type", "invalid_json", "binary", "too_large", "too_many_findings"];
/** The names as the bytes of the body-dropped header's value. */
export const REASON_BYTES: ArrayBuffer[] = REASON_NAMES.map<ArrayBuffer>((n: string) => String.UTF8.encode(n));

function lowerByte(c: u8): u8 {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/** The media type of a content-type value, lower-cased, without parameters or spaces. */
export function mediaType(v: ArrayBuffer | null): string {
  if (v == null) return "";
  const p = changetype<usize>(v);
  const len = v.byteLength;
  let s = 0;
  while (s < len && load<u8>(p + <usize>s) == 0x20) s++;
  let e = s;
  while (e < len && load<u8>(p + <usize>e) != 0x3b && load<u8>(p + <usize>e) != 0x20) e++;
  const out = new ArrayBuffer(e - s);
  for (let i = s; i < e; i++) store<u8>(changetype<usize>(out) + <usize>(i - s), lowerByte(load<u8>(p + <usize>i)));
  return String.UTF8.decode(out);
}

export class BodyPlan {
  kind: u8 = BODY_NONE;
  reason: u8 = 0;
}

/** Decides at request-headers time how the body will be handled. */
export function planBody(cfg: RedactConfig, contentType: ArrayBuffer | null, contentEncoding: ArrayBuffer | null, out: BodyPlan): void {
  out.reason = 0;
  if (!cfg.enabled) {
    out.kind = BODY_NONE;
    return;
  }
  const type = mediaType(contentType);
  for (let i = 0; i < cfg.passThrough.length; i++) {
    const pass = cfg.passThrough[i];
    if (pass == type || (pass.endsWith("/*") && type.startsWith(pass.substring(0, pass.length - 1)))) {
      out.kind = BODY_PASS_THROUGH;
      return;
    }
  }
  if (contentEncoding != null && mediaType(contentEncoding) != "identity" && contentEncoding.byteLength > 0) {
    out.kind = BODY_UNSCANNABLE;
    out.reason = REASON_COMPRESSED;
    return;
  }
  if (type == "application/json" || (type.startsWith("application/") && type.endsWith("+json"))) out.kind = BODY_JSON;
  else if (type == "application/x-www-form-urlencoded") out.kind = BODY_FORM;
  else if (type.startsWith("text/")) out.kind = BODY_TEXT;
  else {
    out.kind = BODY_UNSCANNABLE;
    out.reason = REASON_UNSUPPORTED_TYPE;
  }
}
