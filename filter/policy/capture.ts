// The capture section: copies that failed at the shadow (or whose answer did not
// match the primary's) go, as the shadow received them, to a capture cluster.
// Given once: as `capture` (mirror role) or as `compare.capture`; only the latter
// may capture mismatches.
import { JSON } from "json-as";
import { Fields, hasControlChars, isHeaderName, lowerAscii } from "./fields";
import { CaptureConfig, CAPTURE_ON_SHADOW_ERROR, CAPTURE_ON_TIMEOUT, CAPTURE_ON_MISMATCH } from "./types";
import * as D from "./defaults";

function onBit(name: string): i32 {
  if (name == "shadow_error") return CAPTURE_ON_SHADOW_ERROR;
  if (name == "timeout") return CAPTURE_ON_TIMEOUT;
  if (name == "mismatch") return CAPTURE_ON_MISMATCH;
  return 0;
}

/** Parses a capture section found at `where` ("capture" or "compare.capture"); comparing: a compare section exists. */
export function parseCapture(obj: JSON.Obj, where: string, comparing: bool, c: CaptureConfig): string {
  const f = new Fields(obj, where);
  c.enabled = true;
  c.where = where;
  const cluster = f.str("cluster", "", true);
  if (f.error.length > 0) return f.error;
  if (hasControlChars(cluster)) return where + ".cluster: must not contain control characters";
  c.clusterName = cluster;
  c.cluster = String.UTF8.encode(cluster);
  const path = f.str("path", D.CAPTURE_PATH);
  if (f.error.length > 0) return f.error;
  if (!path.startsWith("/")) return where + ".path: must start with \"/\"";
  if (hasControlChars(path) || path.includes(" ")) return where + ".path: must not contain spaces or control characters";
  c.path = String.UTF8.encode(path);
  c.ratePerSecond = f.num("rate_limit_per_second", D.CAPTURE_RATE_LIMIT_PER_SECOND, D.CAPTURE_RATE_LIMIT_PER_SECOND_MIN, D.CAPTURE_RATE_LIMIT_PER_SECOND_MAX);
  c.maxBodyBytes = f.uint("max_body_bytes", D.CAPTURE_MAX_BODY_BYTES, D.CAPTURE_MAX_BODY_BYTES_MIN, D.CAPTURE_MAX_BODY_BYTES_MAX);
  c.timeoutMs = f.uint("timeout_ms", D.CAPTURE_TIMEOUT_MS, D.CAPTURE_TIMEOUT_MS_MIN, D.CAPTURE_TIMEOUT_MS_MAX);
  if (f.error.length > 0) return f.error;
  const on = f.strList("on");
  if (f.error.length > 0) return f.error;
  const names = on != null ? on : (comparing ? D.COMPARE_CAPTURE_ON : D.CAPTURE_ON).split(",");
  c.on = 0;
  for (let i = 0; i < names.length; i++) {
    const bit = onBit(names[i]);
    const at = where + ".on[" + i.toString() + "]";
    if (bit == 0) return at + ": must be one of \"shadow_error\", \"timeout\", \"mismatch\", got \"" + names[i] + "\"";
    if (c.on & bit) return at + ": \"" + names[i] + "\" is listed twice";
    if (bit == CAPTURE_ON_MISMATCH && !comparing) return at + ": \"mismatch\" needs a compare section (give this section as compare.capture)";
    c.on |= bit;
  }
  const kept = f.strList("answer_headers");
  if (f.error.length > 0) return f.error;
  const keep = kept != null ? kept : D.CAPTURE_ANSWER_HEADERS.split(",");
  c.answerHeaders = [];
  for (let i = 0; i < keep.length; i++) {
    const name = lowerAscii(keep[i]);
    if (name != ":status" && !isHeaderName(name)) return where + ".answer_headers[" + i.toString() + "]: must be a header name or \":status\", got \"" + keep[i] + "\"";
    c.answerHeaders.push(String.UTF8.encode(name));
  }
  f.finish();
  return f.error;
}
