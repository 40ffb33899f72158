// Bodies of the copy. The content type decides how a body is scanned; a body
// that cannot be scanned completely (compressed, of an unknown type, invalid
// JSON, binary under a text type) is never sent as it is.
import { RedactConfig } from "../config";
import { ValueRewriter } from "./values";
import { JsonScan, scanJson } from "./json";
import { QueryRedactor } from "./query";
import { Edit, applyEdits } from "./edits";
import { Tally } from "./tally";

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
export const REASON_NAMES: string[] = ["compressed", "unsupported_type", "invalid_json", "binary", "too_large"];

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

function hasNul(p: usize, len: i32): bool {
  for (let i = 0; i < len; i++) if (load<u8>(p + <usize>i) == 0) return true;
  return false;
}

export class BodyRedactor {
  /** Set by redact(): the body to send (null: send the original bytes), or unscannable with a reason. */
  body: ArrayBuffer | null = null;
  failed: bool = false;
  reason: u8 = 0;
  private scan: JsonScan = new JsonScan();
  private edits: Edit[] = [];

  constructor(private cfg: RedactConfig, private rewriter: ValueRewriter, private form: QueryRedactor) {}

  redact(kind: u8, p: usize, len: i32, tally: Tally): void {
    this.body = null;
    this.failed = false;
    if (len == 0 || kind == BODY_NONE || kind == BODY_PASS_THROUGH) return;
    if (kind == BODY_JSON) {
      const scan = this.scan;
      scan.reset();
      scanJson(p, len, this.cfg.json, this.cfg.detectors, this.rewriter, scan);
      if (!scan.valid) return this.fail(REASON_INVALID_JSON);
      tally.jsonDropped += scan.dropped;
      tally.jsonMasked += scan.masked;
      tally.jsonHashed += scan.hashed;
      for (let i = 0; i < 6; i++) tally.detectorHits[i] += scan.detectorHits[i];
      if (scan.edits.length > 0) this.body = applyEdits(p, len, scan.edits);
      return;
    }
    if (hasNul(p, len)) return this.fail(REASON_BINARY);
    if (kind == BODY_FORM) {
      this.body = this.form.redact(p, len, tally);
      return;
    }
    if (kind == BODY_TEXT) {
      if (this.cfg.detectors == 0) return;
      const edits = this.edits;
      edits.length = 0;
      this.rewriter.scanEdits(p, len, this.cfg.detectors, this.cfg.detectorHash, 0, edits, tally.detectorHits);
      if (edits.length > 0) this.body = applyEdits(p, len, edits);
      return;
    }
    this.fail(REASON_UNSUPPORTED_TYPE);
  }

  private fail(reason: u8): void {
    this.failed = true;
    this.reason = reason;
    this.body = null;
  }
}
