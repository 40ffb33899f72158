// Name sets for header and query-parameter rules, as bytes, so a name from the
// wire is matched without building a string (ASCII names never allocate).
//
// Query and form names are matched the way frameworks bind them, after
// percent-decoding: a rule `password` matches a parameter whose name, split into
// segments at '[', ']', '.' and ';' (Rails / PHP / qs brackets, Spring's dots,
// ';' as a separator), has a segment equal to it, whitespace around a segment
// aside; a rule with segments (`user.password`, `user[password]`) matches those
// segments in a row. PHP turns ' ', '.' and '[' of a name into '_', so a rule
// `pass_word` also matches the whole names `pass word` and `pass.word`. Names
// compare case-insensitively with Unicode folding (util/fold.ts) unless the rule
// says match_case. The allow-list (redact.keep) is strict instead: a parameter
// passes only when its whole decoded name is a kept one (folded likewise).
import { sameHeaderName } from "../util/bytes";
import { isAscii, foldString, foldBytes, lowerAscii, foldBound, foldBegin, foldAppend, foldCopy, foldEnd } from "../util/fold";
import { ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";

/** NameActions.action: a query or form value whose name redact.keep does not list (masked keeping its shape). */
export const ACTION_NOT_KEPT: u8 = 4;

/** Header names that pass in the allow-list mode whatever it lists: the copy's framing (pseudo-headers too, by their ':'), and gRPC's. */
const ALWAYS_PASS: string[] = [
  "content-type", "content-length", "content-encoding", "transfer-encoding", "te", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding",
];

export const MODE_HEADER: u8 = 0;
/** Query and form names for drop/mask/hash rules: segments, PHP spellings, folding. */
export const MODE_PARAM: u8 = 1;
/** Query and form names for redact.keep: the whole name only, folded. */
export const MODE_WHOLE: u8 = 2;

// @ts-ignore: decorator
@inline
function isDelim(c: u8): bool {
  return c == 0x5b || c == 0x5d || c == 0x2e || c == 0x3b;
}

// @ts-ignore: decorator
@inline
function isSpace(c: u8): bool {
  return c == 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** [s, e) without the whitespace around it, as (s << 32 | e). */
function trimmed(p: usize, s: i32, e: i32): u64 {
  while (s < e && isSpace(load<u8>(p + <usize>s))) s++;
  while (e > s && isSpace(load<u8>(p + <usize>(e - 1)))) e--;
  return (<u64>s << 32) | <u64><u32>e;
}

/** Whether the name [p, p+len) equals `r`; `fold`: lower-case ASCII on the wire side; `php`: ' ', '.', '[' stand for '_'. */
function same(p: usize, len: i32, r: ArrayBuffer, fold: bool, php: bool): bool {
  if (len != r.byteLength) return false;
  const q = changetype<usize>(r);
  for (let i = 0; i < len; i++) {
    let c = load<u8>(p + <usize>i);
    const d = load<u8>(q + <usize>i);
    if (fold) c = lowerAscii(c);
    if (c == d) continue;
    if (php && d == 0x5f && (c == 0x20 || c == 0x2e || c == 0x5b)) continue;
    return false;
  }
  return true;
}

/** One configured name: its whole form and its segments (folded unless exact), as UTF-8. */
class NameRule {
  whole: ArrayBuffer;
  segments: ArrayBuffer[] = [];

  constructor(name: string, public exact: bool, mode: u8) {
    const s = exact || mode == MODE_HEADER ? name : foldString(name);
    this.whole = String.UTF8.encode(s);
    if (mode == MODE_PARAM) this.split();
  }

  private split(): void {
    const b = this.whole;
    const p = changetype<usize>(b);
    const n = b.byteLength;
    let i = 0;
    while (i < n) {
      while (i < n && isDelim(load<u8>(p + <usize>i))) i++;
      let j = i;
      while (j < n && !isDelim(load<u8>(p + <usize>j))) j++;
      const t = trimmed(p, i, j);
      const ts = <i32>(t >> 32);
      const te = <i32>(t & 0xffffffff);
      if (te > ts) this.segments.push(b.slice(ts, te));
      i = j;
    }
    // The whole name trimmed too: a rule " token " is the rule "token".
    const t = trimmed(p, 0, n);
    this.whole = b.slice(<i32>(t >> 32), <i32>(t & 0xffffffff));
  }
}

export class NameSet {
  private rules: NameRule[] = [];
  /** Some rule folds (so a non-ASCII name from the wire is folded once). */
  private folds: bool = false;
  /** How many rules are match_case. */
  private exacts: i32 = 0;
  /** Longest folded rule name in bytes, times the most a fold shrinks: longer wire segments cannot match and are not folded. */
  private bound: i32 = 0;

  /**
   * @param mode MODE_HEADER: '_' and '-' are the same letter (util/bytes.ts sameHeaderName), names lower-case
   * @param exact names compared byte for byte (match_case), the others folded
   */
  constructor(list: string[], private mode: u8 = MODE_HEADER, exact: string[] = []) {
    for (let i = 0; i < list.length; i++) {
      const isExact = mode != MODE_HEADER && exact.includes(list[i]);
      const rule = new NameRule(list[i], isExact, mode);
      this.rules.push(rule);
      if (isExact) this.exacts++;
      if (!isExact && mode != MODE_HEADER) {
        this.folds = true;
        const b = foldBound(rule.whole.byteLength);
        if (b > this.bound) this.bound = b;
      }
    }
  }

  get size(): i32 {
    return this.rules.length;
  }

  has(p: usize, len: usize): bool {
    const rules = this.rules;
    const n = rules.length;
    if (n == 0) return false;
    const l = <i32>len;
    if (this.mode == MODE_HEADER) {
      for (let i = 0; i < n; i++) if (sameHeaderName(p, len, unchecked(rules[i]).whole)) return true;
      return false;
    }
    // The folded view of the name: the name itself when ASCII (compared lower-cased), else its fold.
    let fp = p;
    let fl = l;
    let folded: ArrayBuffer | null = null;
    if (this.folds && !isAscii(p, l)) {
      folded = this.mode == MODE_WHOLE ? (l <= this.bound ? foldBytes(p, l) : null) : foldSegments(p, l, this.bound);
      if (folded != null) {
        fp = changetype<usize>(folded);
        fl = folded.byteLength;
      }
    }
    if (this.mode == MODE_WHOLE) {
      for (let i = 0; i < n; i++) {
        const rule = unchecked(rules[i]);
        if (rule.exact ? same(p, l, rule.whole, false, false) : same(fp, fl, rule.whole, true, false)) return true;
      }
      return false;
    }
    // The whole name against every rule (a length check first), then each segment, walked once, against every rule's first.
    const t = trimmed(p, 0, l);
    const rs = <i32>(t >> 32);
    const rl = <i32>(t & 0xffffffff) - rs;
    const u = trimmed(fp, 0, fl);
    const fs = <i32>(u >> 32);
    const fn = <i32>(u & 0xffffffff) - fs;
    for (let i = 0; i < n; i++) {
      const rule = unchecked(rules[i]);
      if (rule.exact ? same(p + <usize>rs, rl, rule.whole, false, true) : same(fp + <usize>fs, fn, rule.whole, true, true)) return true;
    }
    if (this.exacts > 0 && segmentsMatch(p, l, rules, true)) return true;
    return this.folds && segmentsMatch(fp, fl, rules, false);
  }
}

/** Some rule (of the exact ones, or of the folded ones) has its segments in a row among the name's. */
function segmentsMatch(p: usize, len: i32, rules: NameRule[], exact: bool): bool {
  const n = rules.length;
  let at = 0;
  while (true) {
    const s0 = nextSegment(p, len, at);
    const s = <i32>(s0 >> 32);
    if (s < 0) return false;
    const e = <i32>(s0 & 0xffffffff);
    at = segmentEnd(p, len, e);
    for (let i = 0; i < n; i++) {
      const rule = unchecked(rules[i]);
      if (rule.exact != exact) continue;
      const segs = rule.segments;
      const k = segs.length;
      if (k == 0 || unchecked(segs[0]).byteLength != e - s || !same(p + <usize>s, e - s, unchecked(segs[0]), !exact, false)) continue;
      let ok = true;
      let from = at;
      for (let j = 1; j < k && ok; j++) {
        const sj = nextSegment(p, len, from);
        const a = <i32>(sj >> 32);
        if (a < 0) {
          ok = false;
          break;
        }
        const b = <i32>(sj & 0xffffffff);
        ok = same(p + <usize>a, b - a, unchecked(segs[j]), !exact, false);
        from = segmentEnd(p, len, b);
      }
      if (ok) return true;
    }
  }
}

/** The name with every non-ASCII segment no longer than `bound` bytes folded (delimiters and ASCII kept as they are). */
function foldSegments(p: usize, len: i32, bound: i32): ArrayBuffer {
  foldBegin();
  let i = 0;
  while (i < len) {
    let j = i;
    if (isDelim(load<u8>(p + <usize>i))) j++;
    else while (j < len && !isDelim(load<u8>(p + <usize>j))) j++;
    const n = j - i;
    if (n <= bound && !isAscii(p + <usize>i, n)) foldAppend(p + <usize>i, n);
    else foldCopy(p + <usize>i, n);
    i = j;
  }
  return foldEnd();
}

/** The next non-empty segment at or after `from`, trimmed, as (s << 32 | e); s == -1 when there is none. */
function nextSegment(p: usize, len: i32, from: i32): u64 {
  let i = from;
  while (i < len) {
    while (i < len && isDelim(load<u8>(p + <usize>i))) i++;
    let j = i;
    while (j < len && !isDelim(load<u8>(p + <usize>j))) j++;
    const t = trimmed(p, i, j);
    if (<i32>(t & 0xffffffff) > <i32>(t >> 32)) return t;
    i = j;
  }
  return <u64>0xffffffff << 32;
}

/** Past the segment whose trimmed end is `e`: the next delimiter. */
function segmentEnd(p: usize, len: i32, e: i32): i32 {
  while (e < len && !isDelim(load<u8>(p + <usize>e))) e++;
  return e;
}

function alwaysPasses(p: usize, len: usize): bool {
  if (len > 0 && load<u8>(p) == 0x3a) return true;
  for (let i = 0; i < ALWAYS_PASS_BYTES.length; i++) if (sameHeaderName(p, len, unchecked(ALWAYS_PASS_BYTES[i]))) return true;
  return false;
}

const ALWAYS_PASS_BYTES: ArrayBuffer[] = ALWAYS_PASS.map<ArrayBuffer>((s: string) => String.UTF8.encode(s));

/**
 * drop / mask / hash sets for one kind of name, and the allow-list (redact.keep)
 * when there is one; action() says which applies (0 when none). Explicit rules win over keep.
 */
export class NameActions {
  drop: NameSet;
  mask: NameSet;
  hash: NameSet;
  /** redact.keep's names (null: no allow-list). */
  keep: NameSet | null;
  empty: bool;
  /** After action(): the answer came from the allow-list (a header not kept is dropped, a parameter's value masked). */
  notKept: bool = false;
  private headers: bool;

  /**
   * @param exact query names with match_case (compared byte for byte)
   * @param keep redact.keep's names for this kind (null: no allow-list)
   */
  constructor(drop: string[], mask: string[], hash: string[], headers: bool = false, exact: string[] = [], keep: string[] | null = null, keepExact: string[] = []) {
    const mode = headers ? MODE_HEADER : MODE_PARAM;
    this.headers = headers;
    this.drop = new NameSet(drop, mode, exact);
    this.mask = new NameSet(mask, mode, exact);
    this.hash = new NameSet(hash, mode, exact);
    this.keep = keep == null ? null : new NameSet(keep, headers ? MODE_HEADER : MODE_WHOLE, keepExact);
    this.empty = drop.length + mask.length + hash.length == 0 && keep == null;
  }

  action(p: usize, len: usize): u8 {
    this.notKept = false;
    if (this.empty) return 0;
    if (this.drop.has(p, len)) return ACTION_DROP;
    if (this.hash.has(p, len)) return ACTION_HASH;
    if (this.mask.has(p, len)) return ACTION_MASK;
    const keep = this.keep;
    if (keep != null && !keep.has(p, len) && !(this.headers && alwaysPasses(p, len))) {
      this.notKept = true;
      return this.headers ? ACTION_DROP : ACTION_NOT_KEPT;
    }
    return 0;
  }
}
