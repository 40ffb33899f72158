// Selection: which requests are mirrored. Rules are compiled once per
// configuration into byte matchers; a decision reads the request's header map
// (already fetched for the copy) and makes no host call except for the shared
// rate budget and in-flight count.
import { bytesEqual, HeaderCursor, utf8 } from "./bytes";
import { equalsLower } from "./redact/names";
import { formDecode } from "./redact/query";
import { sha256 } from "./redact/hmac";
import { random } from "./random";
import { TokenBucket, SharedCounter } from "./budget";

export const MATCH_EXACT: u8 = 0;
export const MATCH_IN: u8 = 1;
export const MATCH_PREFIX: u8 = 2;
export const MATCH_SUFFIX: u8 = 3;
export const MATCH_CONTAINS: u8 = 4;
export const MATCH_PRESENT: u8 = 5;
export const MATCH_ABSENT: u8 = 6;
export const MATCH_GLOB: u8 = 7;

/** Decisions, in the order they are counted and reported. */
export const DECISION_SELECTED: u8 = 0;
export const DECISION_NOT_MATCHED: u8 = 1;
export const DECISION_EXCLUDED: u8 = 2;
export const DECISION_SAMPLED_OUT: u8 = 3;
export const DECISION_RATE_LIMITED: u8 = 4;
export const DECISION_INFLIGHT_FULL: u8 = 5;
export const DECISION_NAMES: string[] = ["selected", "not_matched", "excluded", "sampled_out", "rate_limited", "inflight_full"];

export class StringMatcher {
  kind: u8 = MATCH_EXACT;
  values: ArrayBuffer[] = [];
  /** Hosts compare case-insensitively (values stored lower-case). */
  ignoreCase: bool = false;

  matches(p: usize, len: usize): bool {
    const k = this.kind;
    if (k == MATCH_PRESENT) return true;
    if (k == MATCH_ABSENT) return false;
    for (let i = 0; i < this.values.length; i++) {
      const v = unchecked(this.values[i]);
      const vl = <usize>v.byteLength;
      const vp = changetype<usize>(v);
      if (k == MATCH_EXACT || k == MATCH_IN) {
        if (this.ignoreCase ? equalsLower(p, len, v) : bytesEqual(p, len, v)) return true;
      } else if (k == MATCH_PREFIX) {
        if (len >= vl && rangeEquals(p, vp, vl, this.ignoreCase)) return true;
      } else if (k == MATCH_SUFFIX) {
        if (len >= vl && rangeEquals(p + len - vl, vp, vl, this.ignoreCase)) return true;
      } else if (k == MATCH_CONTAINS) {
        if (len >= vl) {
          for (let s: usize = 0; s + vl <= len; s++) if (rangeEquals(p + s, vp, vl, this.ignoreCase)) return true;
        }
      } else if (k == MATCH_GLOB) {
        if (glob(vp, vl, p, len)) return true;
      }
    }
    return false;
  }
}

function rangeEquals(p: usize, q: usize, len: usize, ignoreCase: bool): bool {
  if (!ignoreCase) return memory.compare(p, q, len) == 0;
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(p + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != load<u8>(q + i)) return false;
  }
  return true;
}

/**
 * Path globs: '*' matches within one segment, '**' across segments, '?' one
 * character. Iterative with one backtrack point per star kind, so a hostile path
 * cannot make it exponential.
 */
export function glob(pat: usize, plen: usize, s: usize, slen: usize): bool {
  let pi: usize = 0;
  let si: usize = 0;
  let starP: isize = -1;
  let starS: usize = 0;
  let starDeep = false;
  while (si < slen) {
    if (pi < plen) {
      const pc = load<u8>(pat + pi);
      if (pc == 0x2a) {
        const deep = pi + 1 < plen && load<u8>(pat + pi + 1) == 0x2a;
        starDeep = deep;
        pi += deep ? 2 : 1;
        starP = <isize>pi;
        starS = si;
        continue;
      }
      const sc = load<u8>(s + si);
      if (pc == 0x3f ? sc != 0x2f : pc == sc) {
        pi++;
        si++;
        continue;
      }
    }
    if (starP >= 0) {
      // Let the last star take one more character (a single '*' never takes '/').
      if (!starDeep && load<u8>(s + starS) == 0x2f) return false;
      starS++;
      si = starS;
      pi = <usize>starP;
      continue;
    }
    return false;
  }
  while (pi < plen && load<u8>(pat + pi) == 0x2a) pi++;
  return pi == plen;
}

/** One condition on a request. */
const V_PATH = utf8(":path");
const V_METHOD = utf8(":method");
const V_AUTHORITY = utf8(":authority");

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
}

export class Rule {
  name: string = "";
  label: ArrayBuffer = new ArrayBuffer(0);
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
  /** Share of requests in percent (0-100); 100 when not set. */
  percent: f64 = 100;
  hashHeader: ArrayBuffer = new ArrayBuffer(0);
  rateLimit: RateLimit | null = null;
  maxInflight: u32 = 0;
}

/** The parts of a request conditions look at, as byte ranges into the header map. */
export class RequestView {
  raw: ArrayBuffer = new ArrayBuffer(0);
  pathPtr: usize = 0;
  pathLen: usize = 0; // without the query
  queryPtr: usize = 0;
  queryLen: usize = 0;
  methodPtr: usize = 0;
  methodLen: usize = 0;
  hostPtr: usize = 0;
  hostLen: usize = 0;
  hasHost: bool = false;
  // header lookup result
  foundPtr: usize = 0;
  foundLen: usize = 0;

  /** Starts a request: the view reads from this serialized header map. */
  reset(raw: ArrayBuffer): void {
    this.raw = raw;
    this.pathLen = 0;
    this.queryLen = 0;
    this.methodLen = 0;
    this.hasHost = false;
  }

  /** Takes :path, :method and :authority from the cursor's current pair; true when it was one of them. */
  observe(cur: HeaderCursor): bool {
    if (cur.keyLen == 0 || load<u8>(cur.keyPtr) != 0x3a) return false;
    if (cur.keyIs(V_PATH)) {
      let q: usize = 0;
      while (q < cur.valueLen && load<u8>(cur.valuePtr + q) != 0x3f) q++;
      this.pathPtr = cur.valuePtr;
      this.pathLen = q;
      this.queryPtr = cur.valuePtr + q + 1;
      this.queryLen = q < cur.valueLen ? cur.valueLen - q - 1 : 0;
      return true;
    }
    if (cur.keyIs(V_METHOD)) {
      this.methodPtr = cur.valuePtr;
      this.methodLen = cur.valueLen;
      return true;
    }
    if (cur.keyIs(V_AUTHORITY)) {
      this.hostPtr = cur.valuePtr;
      this.hostLen = cur.valueLen;
      this.hasHost = true;
      return true;
    }
    return false;
  }

  /** Finds a header's first value by lower-case name in the serialized map. */
  header(name: ArrayBuffer): bool {
    const base = changetype<usize>(this.raw);
    const len = <usize>this.raw.byteLength;
    if (len < 4) return false;
    const n = load<u32>(base);
    if (<u64>4 + <u64>n * 8 > <u64>len) return false;
    let p = base + 4 + <usize>n * 8;
    const end = base + len;
    for (let i: u32 = 0; i < n; i++) {
      const kl = <usize>load<u32>(base + 4 + <usize>i * 8);
      const vl = <usize>load<u32>(base + 8 + <usize>i * 8);
      if (p + kl + vl + 2 > end) return false;
      if (bytesEqual(p, kl, name)) {
        this.foundPtr = p + kl + 1;
        this.foundLen = vl;
        return true;
      }
      p += kl + vl + 2;
    }
    return false;
  }

  /** Finds a query parameter's (percent-decoded) value; compares names decoded. */
  query(name: ArrayBuffer): ArrayBuffer | null {
    const p = this.queryPtr;
    const len = this.queryLen;
    let start: usize = 0;
    while (start < len) {
      let end = start;
      while (end < len && load<u8>(p + end) != 0x26) end++;
      let eq = start;
      while (eq < end && load<u8>(p + eq) != 0x3d) eq++;
      const key = formDecode(p + start, <i32>(eq - start));
      if (bytesEqual(changetype<usize>(key), <usize>key.byteLength, name)) {
        return eq < end ? formDecode(p + eq + 1, <i32>(end - eq - 1)) : new ArrayBuffer(0);
      }
      start = end + 1;
    }
    return null;
  }
}

function conditionHolds(c: Condition, req: RequestView): bool {
  const m = c.matcher;
  if (c.kind == COND_HEADER) {
    const found = req.header(c.name);
    if (m.kind == MATCH_ABSENT) return !found;
    return found && m.matches(req.foundPtr, req.foundLen);
  }
  if (c.kind == COND_PATH) return m.matches(req.pathPtr, req.pathLen);
  if (c.kind == COND_METHOD) return m.matches(req.methodPtr, req.methodLen);
  if (c.kind == COND_HOST) {
    if (!req.hasHost) return m.kind == MATCH_ABSENT;
    if (m.kind == MATCH_ABSENT) return false;
    // The port is not part of the host name a rule speaks of.
    let hl = req.hostLen;
    let i = <isize>hl - 1;
    while (i >= 0 && load<u8>(req.hostPtr + <usize>i) >= 0x30 && load<u8>(req.hostPtr + <usize>i) <= 0x39) i--;
    if (i >= 0 && i < <isize>hl - 1 && load<u8>(req.hostPtr + <usize>i) == 0x3a) hl = <usize>i;
    return m.matches(req.hostPtr, hl);
  }
  // COND_QUERY
  const v = req.query(c.name);
  if (m.kind == MATCH_ABSENT) return v == null;
  return v != null && m.matches(changetype<usize>(v), <usize>v.byteLength);
}

/** Index of the first rule whose conditions all hold, or -1. */
export function firstMatch(rules: Rule[], req: RequestView): i32 {
  for (let r = 0; r < rules.length; r++) {
    const rule = unchecked(rules[r]);
    let all = true;
    for (let i = 0; i < rule.conditions.length; i++) {
      if (!conditionHolds(unchecked(rule.conditions[i]), req)) {
        all = false;
        break;
      }
    }
    if (all) return r;
  }
  return -1;
}

/**
 * Consistent sampling: a value is in when the first four bytes of its SHA-256,
 * read as a big-endian unsigned integer, are below percent/100 * 2^32. The same
 * value gets the same answer on every worker, proxy and restart, and anyone can
 * compute it outside the proxy.
 */
export function consistentIn(p: usize, len: usize, percent: f64): bool {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  const h = sha256(p, <i32>len);
  const hp = changetype<usize>(h);
  const x = (<u32>load<u8>(hp) << 24) | (<u32>load<u8>(hp + 1) << 16) | (<u32>load<u8>(hp + 2) << 8) | <u32>load<u8>(hp + 3);
  return <f64>x < (percent / 100) * 4294967296.0;
}

/**
 * Decides for one request, in order: exclude, match, share, rate budget,
 * in-flight cap. Holds the compiled rules and the shared budgets.
 */
export class Selector {
  /** Label of the rule that matched (for the x-shadow-rule header), empty when there are no match rules. */
  label: ArrayBuffer = new ArrayBuffer(0);
  /** Set by decide(): whether an in-flight slot was taken and must be released. */
  holdsSlot: bool = false;

  constructor(
    public cfg: SelectConfig,
    private bucket: TokenBucket | null,
    private inflight: SharedCounter | null,
  ) {}

  decide(req: RequestView): u8 {
    const cfg = this.cfg;
    this.holdsSlot = false;
    this.label = EMPTY;
    if (cfg.exclude.length > 0 && firstMatch(cfg.exclude, req) >= 0) return DECISION_EXCLUDED;
    if (cfg.match.length > 0) {
      const i = firstMatch(cfg.match, req);
      if (i < 0) return DECISION_NOT_MATCHED;
      this.label = unchecked(cfg.match[i]).label;
    }
    if (cfg.percent < 100) {
      let inShare: bool;
      if (cfg.hashHeader.byteLength > 0 && req.header(cfg.hashHeader)) inShare = consistentIn(req.foundPtr, req.foundLen, cfg.percent);
      else inShare = random() * 100 < cfg.percent;
      if (!inShare) return DECISION_SAMPLED_OUT;
    }
    if (this.bucket != null && !this.bucket!.take()) return DECISION_RATE_LIMITED;
    if (this.inflight != null) {
      if (!this.inflight!.add(1, <u64>cfg.maxInflight)) return DECISION_INFLIGHT_FULL;
      this.holdsSlot = true;
    }
    return DECISION_SELECTED;
  }

  /** Gives back an in-flight slot (the copy finished, or was not sent after all). */
  release(): void {
    if (this.inflight != null) this.inflight!.add(-1, 0);
  }
}

const EMPTY = new ArrayBuffer(0);
