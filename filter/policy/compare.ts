// The compare section (mirror role): which answers are compared, how, and
// where mismatches are reported.
import { JSON } from "json-as";
import { Fields, isHeaderName, lowerAscii, hasControlChars } from "./fields";
import { CompareConfig, CaptureConfig } from "./types";
import { parseCapture } from "./capture";
import { compileJsonPath } from "../json/path";
import * as D from "./defaults";

export function parseCompare(obj: JSON.Obj, c: CompareConfig, capture: CaptureConfig): string {
  const f = new Fields(obj, "compare");
  c.enabled = true;
  const headers = f.strList("headers");
  if (f.error.length > 0) return f.error;
  if (headers != null) {
    for (let i = 0; i < headers.length; i++) {
      const h = lowerAscii(headers[i]);
      if (!isHeaderName(h) && h != ":status") return "compare.headers[" + i.toString() + "]: \"" + headers[i] + "\" is not an HTTP header name";
      c.headers.push(h);
      c.headerBytes.push(String.UTF8.encode(h));
    }
  }
  const paths = f.strList("ignore_paths");
  if (f.error.length > 0) return f.error;
  if (paths != null) {
    for (let i = 0; i < paths.length; i++) {
      if (paths[i] == ":grpc-message") {
        c.ignoreGrpcMessage = true;
        continue;
      }
      const parsed = compileJsonPath(paths[i]);
      if (parsed.path == null) return "compare.ignore_paths[" + i.toString() + "]: \"" + paths[i] + "\": " + parsed.error;
      c.ignorePaths.push(parsed.path!);
    }
  }
  c.tolerance = f.num("numeric_tolerance", D.COMPARE_NUMERIC_TOLERANCE, D.COMPARE_NUMERIC_TOLERANCE_MIN, D.COMPARE_NUMERIC_TOLERANCE_MAX);
  c.maxBodyBytes = f.uint("max_body_bytes", D.COMPARE_MAX_BODY_BYTES, D.COMPARE_MAX_BODY_BYTES_MIN, D.COMPARE_MAX_BODY_BYTES_MAX);
  c.pairTimeoutMs = f.uint("pair_timeout_ms", D.COMPARE_PAIR_TIMEOUT_MS, D.COMPARE_PAIR_TIMEOUT_MS_MIN, D.COMPARE_PAIR_TIMEOUT_MS_MAX);
  const level = f.str("log_level", D.COMPARE_LOG_LEVEL);
  if (level == "debug") c.logLevel = 1;
  else if (level == "info") c.logLevel = 2;
  else if (level == "warn") c.logLevel = 3;
  else if (level == "error") c.logLevel = 4;
  else if (f.error.length == 0) return "compare.log_level: must be one of \"debug\", \"info\", \"warn\", \"error\", got \"" + level + "\"";
  const noise = f.obj("noise");
  if (f.error.length > 0) return f.error;
  if (noise != null) {
    const nf = new Fields(noise, "compare.noise");
    const noiseCluster = nf.str("cluster", "", true);
    if (nf.error.length == 0 && hasControlChars(noiseCluster)) return "compare.noise.cluster: must not contain control characters";
    c.noiseCluster = String.UTF8.encode(noiseCluster);
    c.noisePercent = nf.num("percent", D.COMPARE_NOISE_PERCENT, D.COMPARE_NOISE_PERCENT_MIN, D.COMPARE_NOISE_PERCENT_MAX);
    nf.finish();
    if (nf.error.length > 0) return nf.error;
  }
  const sink = f.obj("sink");
  if (f.error.length > 0) return f.error;
  if (sink != null) {
    const sf = new Fields(sink, "compare.sink");
    const sinkCluster = sf.str("cluster", "", true);
    if (sf.error.length == 0 && hasControlChars(sinkCluster)) return "compare.sink.cluster: must not contain control characters";
    c.sinkCluster = String.UTF8.encode(sinkCluster);
    const sinkPath = sf.str("path", D.COMPARE_SINK_PATH);
    c.sinkPath = String.UTF8.encode(sinkPath);
    sf.finish();
    if (sf.error.length > 0) return sf.error;
    if (!sinkPath.startsWith("/")) return "compare.sink.path: must start with \"/\"";
  }
  const cap = f.obj("capture");
  if (f.error.length > 0) return f.error;
  if (cap != null) {
    const ce = parseCapture(cap, "compare.capture", true, capture);
    if (ce.length > 0) return ce;
  }
  f.finish();
  return f.error;
}

