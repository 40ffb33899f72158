// Comparison of the primary's and the shadow's answers, in the mirror role. A
// pair is opened when the copy is sent, filled from the response callbacks
// (primary) and the call's answer (shadow), compared when both are in, and
// dropped as unmatched after pair_timeout_ms. Bodies are kept up to a limit.
// Differences are reported by JSON path with hashed values, never raw data.
import { JSON } from "json-as";
import { JsonPathSegment, SEGMENT_NAME, SEGMENT_INDEX } from "../json/path";
import { JsonScan, scanJson } from "../json/scanner";
import { ValueRewriter } from "../redact/values";
import { ByteSink } from "../util/bytes";
import { numberOf } from "../policy/fields";
import { CompareConfig } from "../policy/types";
import { ProtoMethod } from "../proto/schema";
import { Answer, Pair, Verdict, Difference, MISMATCH_STATUS, MISMATCH_HEADER, MISMATCH_BODY, MISMATCH_GRPC_STATUS } from "./answer";
import { grpcStatusName, sameMessage, messagesJson } from "./grpc";


/** Learned noise paths kept per worker; beyond this, no more are learned. */
const MAX_NOISE = 512;

/** Array positions generalized: noise at $.items[3].ts is noise at every item's ts. */
export function noiseKey(path: string): string {
  let out = "";
  let i = 0;
  while (i < path.length) {
    const c = path.charCodeAt(i);
    if (c == 0x5b) {
      let j = i + 1;
      while (j < path.length && path.charCodeAt(j) >= 0x30 && path.charCodeAt(j) <= 0x39) j++;
      if (j > i + 1 && j < path.length && path.charCodeAt(j) == 0x5d) {
        out += "[*]";
        i = j + 1;
        continue;
      }
    }
    out += String.fromCharCode(c);
    i++;
  }
  return out;
}

function jsonString(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u" + (0x10000 + c).toString(16).substring(1);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

/** A member name or index in a concrete path, for matching ignore paths. */
class Step {
  constructor(public name: string, public index: i32) {}
}

function segmentMatches(seg: JsonPathSegment, step: Step): bool {
  if (seg.kind == SEGMENT_NAME) return step.index < 0 && String.UTF8.decode(seg.name) == step.name;
  if (seg.kind == SEGMENT_INDEX) return step.index == seg.index;
  return true; // SEGMENT_ANY
}

/** Whether a compiled path matches the concrete path steps[0..n). */
function pathMatches(segs: JsonPathSegment[], si: i32, steps: Step[], ti: i32): bool {
  if (si == segs.length) return ti == steps.length;
  if (ti == steps.length) return false;
  const seg = segs[si];
  if (segmentMatches(seg, steps[ti]) && pathMatches(segs, si + 1, steps, ti + 1)) return true;
  // A descendant segment may skip any number of levels first.
  return seg.descendant && pathMatches(segs, si, steps, ti + 1);
}

export class Comparer {
  private steps: Step[] = [];
  private scan: JsonScan = new JsonScan();

  constructor(public cfg: CompareConfig, private rewriter: ValueRewriter) {}

  private ignored(): bool {
    for (let i = 0; i < this.cfg.ignorePaths.length; i++) {
      if (pathMatches(this.cfg.ignorePaths[i].segments, 0, this.steps, 0)) return true;
    }
    return false;
  }

  private pathText(): string {
    let s = "$";
    for (let i = 0; i < this.steps.length; i++) {
      const st = this.steps[i];
      s += st.index >= 0 ? "[" + st.index.toString() + "]" : "." + st.name;
    }
    return s;
  }

  /** A body as it may appear in a record: a keyed hash (hmac:...), never an unkeyed digest a guess could match. */
  private bodyHash(b: ByteSink | null): string {
    if (b == null || b.length == 0) return "empty";
    return String.UTF8.decode(this.rewriter.hashToken(b.ptr(), b.length));
  }

  /** A header's bytes as they may appear in a record: a keyed hash ("" when absent). */
  private bytesToken(v: ArrayBuffer | null): string {
    if (v == null) return "";
    return String.UTF8.decode(this.rewriter.hashToken(changetype<usize>(v), v.byteLength));
  }

  /** A value as it may appear in a record: a keyed hash, never the value. */
  private token(v: JSON.Value | null): string {
    if (v == null) return "";
    const text = JSON.stringify(v);
    const b = String.UTF8.encode(text);
    return String.UTF8.decode(this.rewriter.hashToken(changetype<usize>(b), b.byteLength));
  }

  private diff(a: JSON.Value | null, b: JSON.Value | null, out: Verdict, depth: i32): void {
    if (out.differences.length >= 50 || depth > 256) return;
    if (this.ignored()) return;
    if (a == null || b == null) {
      if (a != b) out.differences.push(new Difference(this.pathText(), a == null ? "extra_in_shadow" : "missing_in_shadow", this.token(a), this.token(b)));
      return;
    }
    const ta = kindOf(a);
    const tb = kindOf(b);
    if (ta != tb) {
      out.differences.push(new Difference(this.pathText(), "type", this.token(a), this.token(b)));
      return;
    }
    if (ta == KIND_OBJECT) {
      const oa = a.get<JSON.Obj>();
      const ob = b.get<JSON.Obj>();
      const ka = oa.keys();
      const kb = ob.keys();
      for (let i = 0; i < ka.length; i++) {
        this.steps.push(new Step(ka[i], -1));
        this.diff(oa.get(ka[i]), ob.has(ka[i]) ? ob.get(ka[i]) : null, out, depth + 1);
        this.steps.pop();
      }
      for (let i = 0; i < kb.length; i++) {
        if (oa.has(kb[i])) continue;
        this.steps.push(new Step(kb[i], -1));
        this.diff(null, ob.get(kb[i]), out, depth + 1);
        this.steps.pop();
      }
      return;
    }
    if (ta == KIND_ARRAY) {
      const aa = a.get<JSON.Arr>();
      const ab = b.get<JSON.Arr>();
      const n = aa.length > ab.length ? aa.length : ab.length;
      for (let i = 0; i < n; i++) {
        this.steps.push(new Step("", i));
        this.diff(i < aa.length ? aa.at(i) : null, i < ab.length ? ab.at(i) : null, out, depth + 1);
        this.steps.pop();
      }
      return;
    }
    if (ta == KIND_NUMBER) {
      if (Math.abs(numberOf(a) - numberOf(b)) > this.cfg.tolerance) out.differences.push(new Difference(this.pathText(), "value", this.token(a), this.token(b)));
      return;
    }
    if (JSON.stringify(a) != JSON.stringify(b)) out.differences.push(new Difference(this.pathText(), "value", this.token(a), this.token(b)));
  }

  private parse(sink: ByteSink | null): JSON.Value | null {
    if (sink == null || sink.length == 0) return null;
    return this.parseAt(sink.ptr(), sink.length);
  }

  private parseAt(p: usize, len: i32): JSON.Value | null {
    // Validate with the depth-limited scanner first: the dynamic parser aborts on bad input.
    const scan = this.scan;
    scan.reset();
    scanJson(p, len, [], 0, this.rewriter, scan);
    if (!scan.valid) return null;
    return JSON.parse<JSON.Value>(String.UTF8.decodeUnsafe(p, <usize>len));
  }

  /** A message's JSON text ("": no message) parsed; false when it does not parse. */
  private parsed: JSON.Value | null = null;
  private parseText(text: string): bool {
    this.parsed = null;
    if (text.length == 0) return true;
    const b = String.UTF8.encode(text);
    this.parsed = this.parseAt(changetype<usize>(b), b.byteLength);
    return this.parsed != null;
  }

  /**
   * A gRPC answer's messages: structurally by the method's output type when the
   * descriptor knows it and both sides decode, else by hash of their bytes.
   */
  private diffMessages(method: ProtoMethod | null, a: Answer, b: Answer, out: Verdict): void {
    if (method != null) {
      const ta = messagesJson(a.body, method);
      const tb = messagesJson(b.body, method);
      if (ta != null && tb != null && this.parseText(ta)) {
        const va = this.parsed;
        if (this.parseText(tb)) {
          this.diff(va, this.parsed, out, 0);
          return;
        }
      }
    }
    if (!bodiesEqual(a.body, b.body)) out.differences.push(new Difference("body", "hash", this.bodyHash(a.body), this.bodyHash(b.body)));
  }

  /** Differences between two answers: status, chosen headers, gRPC status, body. */
  private diffAnswers(p: Pair, a: Answer, b: Answer, out: Verdict): void {
    out.differences.length = 0;
    this.steps.length = 0;
    if (a.status != b.status) out.differences.push(new Difference(":status", "value", a.status.toString(), b.status.toString()));
    for (let i = 0; i < this.cfg.headers.length; i++) {
      const x = a.headerValues[i];
      const y = b.headerValues[i];
      if (x != y) {
        const bx = String.UTF8.encode(x);
        const by = String.UTF8.encode(y);
        out.differences.push(new Difference("header:" + this.cfg.headers[i], "value",
          String.UTF8.decode(this.rewriter.hashToken(changetype<usize>(bx), bx.byteLength)),
          String.UTF8.decode(this.rewriter.hashToken(changetype<usize>(by), by.byteLength))));
      }
    }
    if (p.grpc) {
      if (a.grpcStatus != b.grpcStatus) out.differences.push(new Difference(":grpc-status", "value", grpcStatusName(a.grpcStatus), grpcStatusName(b.grpcStatus)));
      if (!this.cfg.ignoreGrpcMessage && !sameMessage(a.grpcMessage, b.grpcMessage)) {
        out.differences.push(new Difference(":grpc-message", "value", this.bytesToken(a.grpcMessage), this.bytesToken(b.grpcMessage)));
      }
    }
    if (a.truncated || b.truncated) return; // bodies over the limit are not compared
    if (p.grpc) {
      this.diffMessages(p.grpcMethod, a, b, out);
      return;
    }
    const ja = a.json ? this.parse(a.body) : null;
    const jb = b.json ? this.parse(b.body) : null;
    if (ja != null && jb != null) {
      this.diff(ja, jb, out, 0);
    } else if (!bodiesEqual(a.body, b.body)) {
      out.differences.push(new Difference("body", "hash", this.bodyHash(a.body), this.bodyHash(b.body)));
    }
  }

  /**
   * Primary against shadow. With a second primary instance in the pair, what
   * differs between the two primaries is noise: learned, and not reported.
   */
  compare(p: Pair, out: Verdict): void {
    if (p.hasSecondary && !p.secondary.failed) {
      const scratch = this.scratch;
      this.diffAnswers(p, p.primary, p.secondary, scratch);
      for (let i = 0; i < scratch.differences.length; i++) this.learn(noiseKey(scratch.differences[i].path));
    }
    this.diffAnswers(p, p.primary, p.shadow, out);
    out.mismatch = 0;
    out.suppressed = 0;
    const kept: Difference[] = [];
    for (let i = 0; i < out.differences.length; i++) {
      const d = out.differences[i];
      if (this.noise.has(noiseKey(d.path))) {
        out.suppressed++;
        continue;
      }
      kept.push(d);
      if (d.path == ":status") out.mismatch |= MISMATCH_STATUS;
      else if (d.path == ":grpc-status" || d.path == ":grpc-message") out.mismatch |= MISMATCH_STATUS | MISMATCH_GRPC_STATUS;
      else if (d.path.startsWith("header:")) out.mismatch |= MISMATCH_HEADER;
      else out.mismatch |= MISMATCH_BODY;
    }
    out.differences = kept;
  }

  /** Noise learned so far: generalized path -> times seen differing between the two primaries. */
  noise: Map<string, u32> = new Map<string, u32>();
  /** Set when learn() added a path not seen before (the caller reports it). */
  newNoise: string[] = [];
  private scratch: Verdict = new Verdict();

  private learn(key: string): void {
    if (this.noise.has(key)) {
      this.noise.set(key, this.noise.get(key) + 1);
    } else if (this.noise.size < MAX_NOISE) {
      this.noise.set(key, 1);
      this.newNoise.push(key);
    }
  }

  /** One JSON line describing a mismatch: ids, route, what differed (hashed), latencies. */
  record(p: Pair, v: Verdict): string {
    let s = "{\"type\":\"mirrorshade.diff\",\"shadow\":" + jsonString(p.shadowName) + ",\"request_id\":" + jsonString(p.requestId) +
      ",\"method\":" + jsonString(p.method) + ",\"route\":" + jsonString(p.route) +
      ",\"status\":[" + p.primary.status.toString() + "," + p.shadow.status.toString() + "]" +
      (p.grpc ? ",\"grpc_status\":[\"" + grpcStatusName(p.primary.grpcStatus) + "\",\"" + grpcStatusName(p.shadow.grpcStatus) + "\"]" : "") +
      ",\"latency_ms\":[" + ms(p.primary.atNs, p.primaryStartedNs) + "," + ms(p.shadow.atNs, p.startedNs) + "]" +
      ",\"mismatch\":[";
    let first = true;
    if (v.mismatch & MISMATCH_STATUS) { s += "\"status\""; first = false; }
    if (v.mismatch & MISMATCH_GRPC_STATUS) { s += (first ? "" : ",") + "\"grpc_status\""; first = false; }
    if (v.mismatch & MISMATCH_HEADER) { s += (first ? "" : ",") + "\"header\""; first = false; }
    if (v.mismatch & MISMATCH_BODY) { s += (first ? "" : ",") + "\"body\""; }
    s += "],\"differences\":[";
    for (let i = 0; i < v.differences.length; i++) {
      const d = v.differences[i];
      if (i > 0) s += ",";
      s += "{\"path\":" + jsonString(d.path) + ",\"kind\":" + jsonString(d.kind) + ",\"primary\":" + jsonString(d.primary) + ",\"shadow\":" + jsonString(d.shadow) + "}";
    }
    return s + "]}";
  }
}

function ms(at: u64, start: u64): string {
  return at > start ? (<f64>(at - start) / 1e6).toString() : "0";
}

function bodiesEqual(a: ByteSink | null, b: ByteSink | null): bool {
  const la = a == null ? 0 : a.length;
  const lb = b == null ? 0 : b.length;
  if (la != lb) return false;
  if (la == 0) return true;
  return memory.compare(a!.ptr(), b!.ptr(), <usize>la) == 0;
}

const KIND_NULL: i32 = 0;
const KIND_BOOL: i32 = 1;
const KIND_NUMBER: i32 = 2;
const KIND_STRING: i32 = 3;
const KIND_ARRAY: i32 = 4;
const KIND_OBJECT: i32 = 5;

function kindOf(v: JSON.Value): i32 {
  const t = v.type;
  if (t == JSON.Types.Null) return KIND_NULL;
  if (t == JSON.Types.Bool) return KIND_BOOL;
  if (t == JSON.Types.String) return KIND_STRING;
  if (t == JSON.Types.Array) return KIND_ARRAY;
  if (t == JSON.Types.Object) return KIND_OBJECT;
  return KIND_NUMBER;
}
