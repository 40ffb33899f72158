// The path of a URL (the copy's :path before '?', and the path of URL-valued
// headers), segment by segment: redact.path templates mask or hash segments by
// position; the detectors scan every segment, percent-decoded as the
// application decodes it, and every matrix parameter (";name=value"), whose
// names the query rules apply to. Only what a rule or detector hits is
// rewritten (and percent-encoded so it stays one segment); every other byte
// stays as it was written, escapes included. Nothing is allocated unless
// something is found.
import { NameActions, ACTION_NOT_KEPT } from "./names";
import { ValueRewriter } from "./values";
import { Edit, applyEdits, ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";
import { Tally } from "./tally";
import { labelBits } from "./detectors";
import { escapeAt, formEncode, formReencode } from "../util/form";
import { PathTemplate, SEG_LITERAL, SEG_CAPTURE, segmentIs } from "./path-template";

const SLASH: u8 = 0x2f;
const SEMI: u8 = 0x3b;
const EQ: u8 = 0x3d;

/**
 * 1 when the segment (matrix parameters aside) is "." or nothing (";x": Tomcat
 * and Spring merge it away), 2 when "..", decoded ("%2e" too); else 0.
 */
function dotSegment(p: usize, len: usize): i32 {
  let dots = 0;
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(p + i);
    if (c == SEMI) return dots == 0 ? 1 : dots;
    if (c == 0x25) {
      if (escapeAt(p, i, len) != 0x2e) return 0;
      i += 2;
      c = 0x2e;
    }
    if (c != 0x2e || ++dots > 2) return 0;
  }
  return dots;
}

/**
 * Bytes of the segment separator at i: 1 for '/', 3 for "%2F" when encoded
 * slashes separate too, else 0.
 */
// @ts-ignore: decorator
@inline
function separatorAt(p: usize, i: i32, len: i32, encodedSlash: bool): i32 {
  const c = load<u8>(p + <usize>i);
  if (c == SLASH) return 1;
  if (!encodedSlash || c != 0x25 || i + 2 >= len) return 0;
  return load<u8>(p + <usize>(i + 1)) == 0x32 && (load<u8>(p + <usize>(i + 2)) | 0x20) == 0x66 ? 3 : 0;
}

export class PathRedactor {
  private edits: Edit[] = [];
  private found: Edit[] = [];
  /** The non-empty segments of the path in progress: [starts[k], ends[k]). */
  private starts: i32[] = [];
  private ends: i32[] = [];
  /** The segments templates match, as indices into starts/ends: dot segments resolved. */
  private norm: i32[] = [];
  /** Per segment: the template action that captured it (0: none). */
  private actions: u8[] = [];
  /** Percent-decoded bytes of the range in progress, and the raw offset each came from (map[n]: the range's end). */
  private dec: ArrayBuffer = new ArrayBuffer(256);
  private map: Int32Array = new Int32Array(257);

  /**
   * @param names the query rules and redact.keep's query names (matrix parameters are named like query parameters; one not kept is masked keeping its shape)
   */
  constructor(
    private names: NameActions,
    private templates: PathTemplate[],
    private rewriter: ValueRewriter,
    private detectors: i32,
    private detectorHash: bool,
  ) {}

  /** True when nothing could ever change. */
  get inert(): bool {
    return this.detectors == 0 && this.templates.length == 0 && this.names.empty;
  }

    /** The path [p, p+len) redacted, or null when nothing changes (the caller keeps the original). */
  redact(p: usize, len: i32, tally: Tally): ArrayBuffer | null {
    if (len == 0 || this.inert) return null;
    const edits = this.edits;
    edits.length = 0;
    const starts = this.starts;
    const ends = this.ends;
    starts.length = 0;
    ends.length = 0;
    const norm = this.norm;
    norm.length = 0;
    // With templates, "%2F" separates segments too: WSGI and ASGI servers hand the application a decoded path.
    const encodedSlash = this.templates.length > 0;
    let i = 0;
    while (i < len) {
      const sep = separatorAt(p, i, len, encodedSlash);
      if (sep > 0) {
        i += sep;
        continue;
      }
      const s = i;
      while (i < len && separatorAt(p, i, len, encodedSlash) == 0) i++;
      // Templates see the path as the application resolves it: "." goes, ".." takes the segment before it.
      const dots = dotSegment(p + <usize>s, <usize>(i - s));
      if (dots == 1) {
        // nothing to match
      } else if (dots == 2) {
        if (norm.length > 0) norm.length = norm.length - 1;
      } else norm.push(starts.length);
      starts.push(s);
      ends.push(i);
    }
    const n = starts.length;
    const actions = this.actions;
    actions.length = n;
    for (let k = 0; k < n; k++) unchecked((actions[k] = 0));
    const templates = this.templates;
    for (let t = 0; t < templates.length; t++) this.capture(p, unchecked(templates[t]));
    for (let k = 0; k < n; k++) {
      const s = unchecked(starts[k]);
      const e = unchecked(ends[k]);
      const action = unchecked(actions[k]);
      if (action != 0) this.replaceSegment(p, s, e, action, tally);
      else this.segment(p, s, e, tally);
    }
    if (edits.length == 0) return null;
    const out = applyEdits(p, len, edits);
    edits.length = 0;
    return out;
  }

  /** Marks the segments a template captures, when it matches the path (hash wins over mask). */
  private capture(p: usize, t: PathTemplate): void {
    const kinds = t.kinds;
    const m = kinds.length;
    const norm = this.norm;
    const n = norm.length;
    if (t.rest ? n < m : n != m) return;
    for (let k = 0; k < m; k++) {
      if (unchecked(kinds[k]) != SEG_LITERAL) continue;
      const at = unchecked(norm[k]);
      const s = unchecked(this.starts[at]);
      if (!segmentIs(p + <usize>s, <usize>(unchecked(this.ends[at]) - s), unchecked(t.literals[k]))) return;
    }
    for (let k = 0; k < m; k++) {
      if (unchecked(kinds[k]) != SEG_CAPTURE) continue;
      const at = unchecked(norm[k]);
      if (t.action == ACTION_HASH || unchecked(this.actions[at]) == 0) unchecked((this.actions[at] = t.action));
    }
  }

  /** A captured segment, matrix parameters and all, masked ('*' per decoded character) or hashed. */
  private replaceSegment(p: usize, s: i32, e: i32, action: u8, tally: Tally): void {
    const n = this.decode(p, s, e);
    const d = changetype<usize>(this.dec);
    let r: ArrayBuffer;
    if (action == ACTION_HASH) {
      r = this.rewriter.hashToken(d, n);
      tally.pathHashed++;
    } else {
      r = this.rewriter.maskValue(d, n);
      tally.pathMasked++;
    }
    this.edits.push(new Edit(s, e, r));
  }

  /** One segment not captured: the detectors over its base and its matrix parameters, the query rules over their names. */
  private segment(p: usize, s: i32, e: i32, tally: Tally): void {
    let semi = s;
    while (semi < e && load<u8>(p + <usize>semi) != SEMI) semi++;
    if (this.detectors != 0) this.scan(p, s, semi, this.detectors, tally);
    while (semi < e) {
      const a = semi + 1;
      let b = a;
      while (b < e && load<u8>(p + <usize>b) != SEMI) b++;
      this.param(p, a, b, tally);
      semi = b;
    }
  }

  /** One matrix parameter [a, b) (after its ';'). */
  private param(p: usize, a: i32, b: i32, tally: Tally): void {
    if (a == b) return;
    let eq = a;
    while (eq < b && load<u8>(p + <usize>eq) != EQ) eq++;
    // The name, decoded, for the rules and the label bits.
    const nl = this.decode(p, a, eq);
    const np = changetype<usize>(this.dec);
    const action = this.names.action(np, <usize>nl);
    if (action == ACTION_DROP) {
      this.edits.push(new Edit(a - 1, b, new ArrayBuffer(0)));
      tally.queryDropped++;
      return;
    }
    // Not kept (redact.keep): the value is masked keeping its shape, as a query value's.
    const masked = action == ACTION_NOT_KEPT;
    let enabled = this.detectors;
    if (enabled != 0 && action == 0) enabled |= labelBits(np, <usize>nl, enabled);
    if (this.detectors != 0) this.scan(p, a, eq, this.detectors, tally);
    if (eq >= b) return;
    const vs = eq + 1;
    if (vs == b) return;
    if (action == ACTION_MASK || action == ACTION_HASH || masked) {
      const vl = this.decode(p, vs, b);
      const vp = changetype<usize>(this.dec);
      let r: ArrayBuffer;
      if (action == ACTION_HASH) {
        r = this.rewriter.hashToken(vp, vl);
        tally.queryHashed++;
      } else if (masked) {
        r = this.rewriter.maskShape(vp, vl, false);
        tally.queryNotKept++;
      } else {
        r = this.rewriter.maskValue(vp, vl);
        tally.queryMasked++;
      }
      this.edits.push(new Edit(vs, b, formEncode(r)));
      return;
    }
    if (enabled != 0) this.scan(p, vs, b, enabled, tally);
  }

  /** The detectors over [s, e), percent-decoded when it has escapes; each hit becomes an edit of its raw bytes. */
  private scan(p: usize, s: i32, e: i32, enabled: i32, tally: Tally): void {
    if (e <= s) return;
    let escaped = false;
    for (let i = s; i < e; i++) {
      if (load<u8>(p + <usize>i) == 0x25) {
        escaped = true;
        break;
      }
    }
    const found = this.found;
    found.length = 0;
    const hash = this.detectorHash;
    const counts = tally.detectorHits;
    if (!escaped) {
      this.rewriter.scanEdits(p + <usize>s, e - s, enabled, hash, s, found, counts);
      for (let k = 0; k < found.length; k++) {
        const f = unchecked(found[k]);
        this.edits.push(new Edit(f.start, f.end, hash ? formEncode(f.replacement, true) : formReencode(p + <usize>f.start, f.end - f.start, f.replacement, true)));
      }
    } else {
      const n = this.decode(p, s, e);
      this.rewriter.scanEdits(changetype<usize>(this.dec), n, enabled, hash, 0, found, counts);
      const map = this.map;
      for (let k = 0; k < found.length; k++) {
        const f = unchecked(found[k]);
        const rs = unchecked(map[f.start]);
        const re = unchecked(map[f.end]);
        // A mask keeps the hit's length: bytes it left alone keep their spelling (%40 stays %40).
        this.edits.push(new Edit(rs, re, hash ? formEncode(f.replacement, true) : formReencode(p + <usize>rs, re - rs, f.replacement, true)));
      }
    }
    found.length = 0;
  }

  /** Percent-decodes [s, e) of p into dec (malformed escapes kept, '+' kept: paths have no '+' for space); returns its length. */
  private decode(p: usize, s: i32, e: i32): i32 {
    const size = e - s;
    if (size > this.dec.byteLength) {
      this.dec = new ArrayBuffer(size);
      this.map = new Int32Array(size + 1);
    }
    const d = changetype<usize>(this.dec);
    const map = this.map;
    const end = <usize>e;
    let n = 0;
    for (let i = s; i < e; i++) {
      const at = i;
      let c = load<u8>(p + <usize>i);
      const x = c == 0x25 ? escapeAt(p, <usize>i, end) : -1;
      if (x >= 0) {
        c = <u8>x;
        i += 2;
      }
      store<u8>(d + <usize>n, c);
      unchecked((map[n] = at));
      n++;
    }
    unchecked((map[n] = e));
    return n;
  }
}
