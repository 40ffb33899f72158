// JSON bodies of the copy: validated and scanned in one pass over the UTF-8
// bytes, without building a tree and without re-serializing. What changes is
// expressed as edits, so every byte that no rule or detector touched (spacing,
// key order, escapes, number spellings such as 1e400) reaches the shadow as the
// client wrote it. A body that is not valid JSON is reported, never guessed at:
// a lenient parser could disagree with the shadow's about where a value ends
// and let a sensitive value through unscanned.
//
// The parser is a loop over an explicit stack, not recursion, so no input can
// exhaust the wasm stack; nesting past MAX_DEPTH makes the body unscannable.
// Its state lives in fields, so a scan runs in slices (redact/work.ts): it stops
// where the slice's budget runs out, between tokens or inside a long string or
// its detector scan, and goes on from there at the next slice.
//
// Detectors read member names as well as values (a hit in a name is masked in
// place, so two names can come out equal: the document stays valid JSON, RFC
// 8259 allows it, and a parser keeps one of them, as it would for the client's
// own duplicates). In the allow-list mode (redact.keep) every string and number
// not under a kept path is shape-masked (json/detect.ts). A body can also be a
// sequence of JSON texts (NDJSON, JSON Lines, RFC 7464 with its RS bytes), each
// scanned as one document.
import { Edit, edit, recycleEdits, ACTION_MASK, ACTION_HASH, ACTION_DROP } from "../redact/edits";
import { ValueRewriter } from "../redact/values";
import { HashBatch } from "./hash-batch";
import { WORK, UNLIMITED } from "../redact/work";
import { MAX_BODY_FINDINGS } from "../policy/defaults";
import { utf8 } from "../util/bytes";
import { JsonRule, MAX_DEPTH, describeChar } from "./path";
import { PathMatcher } from "./match";
import { at, isDigit, skipWs, skipSeq, literalEnd } from "./lexer";
import { JsonStrings, SUSPENDED } from "./strings";
import { NumberReader } from "./numbers";
import { JsonDetect, DETECT_SUSPENDED, DETECT_OVERFLOW, detectorsFor, detectorsOf, nameLabels, nameLabelsOf, nameDetectors } from "./detect";
import { plainString, plainClass, plainDigits } from "./plain";
import { CLASS_HIGH } from "../redact/prefilter";

const KIND_OBJECT: u8 = 0;
const KIND_ARRAY: u8 = 1;

const ST_VALUE: i32 = 0;
const ST_AFTER: i32 = 1;
const ST_MEMBER: i32 = 2;
const ST_ELEMENT: i32 = 3;
const ST_CLOSE: i32 = 4;
const NO_RULES: JsonRule[] = [];

export class JsonScan {
  /** False: not valid JSON (RFC 8259, UTF-8 without BOM) or nested deeper than MAX_DEPTH. */
  valid: bool = true;
  /** Why not valid, with the byte offset. */
  error: string = "";
  /** Sorted, non-overlapping, offsets into the scanned buffer. */
  edits: Edit[] = [];
  masked: u32 = 0;
  hashed: u32 = 0;
  dropped: u32 = 0;
  /** Strings and numbers the allow-list mode masked (not under a redact.keep path). */
  keepMasked: u32 = 0;
  /** Hits per detector, indexed by the detector's bit position. */
  detectorHits: StaticArray<u32> = new StaticArray<u32>(6);

  // Scratch state, kept between scans so a request allocates only what it finds.
  // One frame per open container, index = depth (1-based; 0 is outside the root).
  private fKind: StaticArray<u8> = new StaticArray<u8>(MAX_DEPTH + 1);
  private fOpen: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  /** The rule action applied to the container itself when it closes. */
  private fAction: StaticArray<u8> = new StaticArray<u8>(MAX_DEPTH + 1);
  /** Inside a value a rule rewrote or dropped: validated only. */
  private fInert: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 1);
  /** Some rule can still match below this container. */
  private fLive: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 1);
  private fCount: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  private fCurDropped: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 1);
  /** Dropped members are removed as a run, so two neighbours never claim the same comma. */
  private fRunStart: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  private fRunEnd: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  private fKeptEnd: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  /** Under a redact.keep path; some keep path can still match below. */
  private fKept: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 1);
  private fKeepLive: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 1);
  /** An array's label bits (detectors.ts labelBits of the member it is the value of), for its elements. */
  private fLabels: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  /** Which rules match where (json/match.ts), and which keep paths. */
  private paths: PathMatcher = new PathMatcher();
  private keepPaths: PathMatcher = new PathMatcher();
  private rootLive: bool = false;
  private keepRootLive: bool = false;
  private keepOn: bool = false;
  private hash: bool = false;
  private sequence: bool = false;
  /** The detectors and the allow-list masks (json/detect.ts); numbers (json/numbers.ts). */
  private det: JsonDetect = new JsonDetect();
  private numbers: NumberReader = new NumberReader();
  /** The value about to be read is under a keep path; its label bits. */
  private kept: bool = false;
  private labels: i32 = 0;
  /** The member whose name was matched (its quote), so a name scan resumed in a later slice does not match it twice. */
  private keyAt: i32 = -1;
  /** The detectors worth running over that member's name (redact/prefilter.ts), set with keyAt. */
  private keyDetectors: i32 = 0;
  /** Strings, validated resumably and decoded into its scratch. */
  private strings: JsonStrings = new JsonStrings();
  private strEscaped: bool = false;
  private strPlain: bool = false; // the last string read took the plain path: plainClass and plainDigits describe it
  /** The too_many_findings outcome: more edits than MAX_BODY_FINDINGS. */
  overflowed: bool = false;
  // The scan in progress: its input, its rules, and where the state machine stands.
  private p: usize = 0;
  private len: i32 = 0;
  private rules: JsonRule[] = [];
  private detectors: i32 = 0;
  private rewriter: ValueRewriter | null = null;
  private pos: i32 = 0;
  private depth: i32 = 0;
  /** What the rules do to the value about to be read. */
  private action: u8 = 0;
  /** That value lies inside one a rule rewrote or dropped. */
  private inert: bool = false;
  private valueEnd: i32 = 0;
  private state: i32 = ST_VALUE;
  /** The scan is over (valid or not). */
  done: bool = true;
  private zero: ArrayBuffer = utf8("0");
  private falseLit: ArrayBuffer = utf8("false");
  private emptyObject: ArrayBuffer = utf8("{}");
  private emptyArray: ArrayBuffer = utf8("[]");
  private nothing: ArrayBuffer = new ArrayBuffer(0);
  /** String values a hash rule matched, hashed four at a time (json/hash-batch.ts). */
  private hashes: HashBatch = new HashBatch();

  reset(): void {
    this.valid = true;
    this.overflowed = false;
    this.error = "";
    recycleEdits(this.edits);
    this.masked = 0;
    this.hashed = 0;
    this.dropped = 0;
    this.keepMasked = 0;
    for (let i = 0; i < 6; i++) unchecked((this.detectorHits[i] = 0));
    // The edits that held the waiting tokens are gone.
    this.hashes.forget();
  }

  /** Marks the scan failed; a failed scan reports no edits and no counts. Returns -1 for the callers' convenience. */
  private fail(message: string, pos: i32): i32 {
    if (this.valid) {
      this.reset();
      this.valid = false;
      this.error = message + " at " + pos.toString();
    }
    return -1;
  }

  private unexpected(p: usize, len: i32, pos: i32): i32 {
    if (pos >= len) return this.fail("unexpected end of input", pos);
    const c = at(p, pos);
    if (c >= 0x20 && c < 0x7f) return this.fail("unexpected character " + describeChar(c), pos);
    let hex = c.toString(16).toUpperCase();
    if (hex.length < 2) hex = "0" + hex;
    return this.fail("unexpected byte 0x" + hex, pos);
  }

  /** Reads the string at s: its end, -1 when invalid (the scan failed), or SUSPENDED. A plain short one in one pass with its classes (json/plain.ts), others by the full reader (json/strings.ts). */
  private string(p: usize, len: i32, s: i32): i32 {
    const plain = plainString(p, len, s, WORK.stop(s + 1, len));
    this.strPlain = plain >= 0;
    if (plain >= 0) {
      this.strEscaped = false;
      return plain;
    }
    const strings = this.strings;
    const e = strings.read(p, len, s);
    if (e == -1) return this.fail(strings.error, strings.errorAt);
    this.strEscaped = strings.escaped;
    return e;
  }

  private count(action: u8): void {
    if (action == ACTION_MASK) this.masked++;
    else if (action == ACTION_HASH) this.hashed++;
    else if (action == ACTION_DROP) this.dropped++;
  }

  /** A member or element begins at `start`: drop bookkeeping for its container. */
  private begin(depth: i32, start: i32, action: u8): void {
    if (action == ACTION_DROP) {
      unchecked((this.fCurDropped[depth] = true));
      if (unchecked(this.fRunStart[depth]) < 0) unchecked((this.fRunStart[depth] = start));
      return;
    }
    unchecked((this.fCurDropped[depth] = false));
    const run = unchecked(this.fRunStart[depth]);
    if (run >= 0) {
      // The run goes with the comma after it; this member takes the run's place.
      this.edits.push(edit(run, start, this.nothing));
      unchecked((this.fRunStart[depth] = -1));
    }
  }

  /** The container at `depth` closes at `pos`: a trailing run of dropped members, then the container's own rule. */
  private close(p: usize, depth: i32, pos: i32, rewriter: ValueRewriter): void {
    const run = unchecked(this.fRunStart[depth]);
    const open = unchecked(this.fOpen[depth]);
    if (run >= 0) {
      const kept = unchecked(this.fKeptEnd[depth]);
      // After a kept member the run takes the comma before it; with none kept the container is left empty.
      if (kept >= 0) this.edits.push(edit(kept, unchecked(this.fRunEnd[depth]), this.nothing));
      else this.edits.push(edit(open + 1, pos, this.nothing));
    }
    const action = unchecked(this.fAction[depth]);
    if (action == ACTION_MASK) {
      this.edits.push(edit(open, pos + 1, unchecked(this.fKind[depth]) == KIND_OBJECT ? this.emptyObject : this.emptyArray));
    } else if (action == ACTION_HASH) {
      this.edits.push(edit(open, pos + 1, rewriter.hashTokenQuoted(p + <usize>open, pos + 1 - open)));
    }
  }

  /** A scalar a rule matched (drops are handled by the container). */
  private rewriteScalar(p: usize, s: i32, e: i32, action: u8, rewriter: ValueRewriter): void {
    const c = at(p, s);
    let replacement: ArrayBuffer | null = null;
    if (c == 0x22) {
      let vp = p + <usize>(s + 1);
      let vl = e - s - 2;
      if (this.strEscaped) {
        vl = this.strings.decode(p, s + 1, e - 1);
        vp = changetype<usize>(this.strings.scratch);
      }
      replacement = action == ACTION_HASH ? this.hashes.token(vp, vl, rewriter) : rewriter.maskQuoted(vp, vl);
    } else if (action == ACTION_HASH) {
      replacement = rewriter.hashTokenQuoted(p + <usize>s, e - s);
    } else if (action == ACTION_MASK) {
      // Masks keep the type: numbers become 0, booleans false, null stays null.
      if (c == 0x74) replacement = this.falseLit;
      else if (c != 0x66 && c != 0x6e && !(e - s == 1 && c == 0x30)) replacement = this.zero;
    }
    if (replacement != null) this.edits.push(edit(s, e, replacement));
  }

  /** The detectors over the string token [s, e) (json/detect.ts); false when the slice ran out first (the next call with the same s goes on). */
  private detected(p: usize, s: i32, e: i32, enabled: i32): bool {
    const r = this.det.string(p, s, e, this.strEscaped, enabled, this.hash, this.strings, this.rewriter!, this.edits, this.detectorHits);
    if (r == DETECT_SUSPENDED) return false;
    if (r == DETECT_OVERFLOW) {
      this.fail("more than " + MAX_BODY_FINDINGS.toString() + " values to redact", s);
      this.overflowed = true;
    }
    return true;
  }

  /** Begins a scan of one complete JSON document in [p, p+len); advance() runs it. */
  start(p: usize, len: i32, rules: JsonRule[], detectors: i32, rewriter: ValueRewriter, keep: JsonRule[] | null = null, sequence: bool = false, hash: bool = false): void {
    this.reset();
    if (len < 0) len = 0;
    this.p = p;
    this.len = len;
    this.rules = rules;
    this.detectors = detectors;
    this.rewriter = rewriter;
    this.hash = hash;
    this.sequence = sequence;
    this.paths.prepare(rules);
    this.rootLive = this.paths.childLive;
    this.keepOn = keep != null;
    this.keepPaths.prepare(keep != null ? keep : NO_RULES);
    this.keepRootLive = this.keepPaths.childLive;
    this.kept = false;
    this.labels = 0;
    this.keyAt = -1;
    this.strings.forget();
    this.det.forget();
    this.depth = 0;
    this.action = 0;
    this.inert = false;
    this.valueEnd = 0;
    this.state = ST_VALUE;
    this.done = false;
    if (len >= 3 && at(p, 0) == 0xef && at(p, 1) == 0xbb && at(p, 2) == 0xbf) {
      this.fail("byte order mark (not allowed in JSON)", 0);
      this.done = true;
      return;
    }
    this.pos = sequence ? skipSeq(p, len, 0) : skipWs(p, len, 0);
    // An empty sequence is a valid one (no text to scan); an empty document is not.
    if (sequence && this.pos >= len) this.done = true;
  }

  /** Scans on while the slice has work left (redact/work.ts); true when the scan is over (see valid). */
  advance(): bool {
    if (this.done) return true;
    const more = this.step();
    if (!more) {
      if (this.valid) this.hashes.write(this.rewriter!); // the tokens still waiting, before anyone reads the edits
      this.done = true;
      this.rules = NO_RULES;
      this.rewriter = null;
    }
    return !more;
  }

  /** The state machine from where it stands; true when it stopped for the slice, false when the scan is over. */
  private step(): bool {
    const p = this.p;
    const len = this.len;
    const detectors = this.detectors;
    const rewriter = this.rewriter!;
    let pos = this.pos;
    let depth = this.depth;
    let action = this.action;
    let inert = this.inert;
    let valueEnd = this.valueEnd;
    let state = this.state;
    let counted = pos;
    while (true) {
      // The bytes moved past count against the slice; it stops between tokens, or inside a long string.
      WORK.spend(pos - counted);
      counted = pos;
      if (WORK.spent || this.edits.length > MAX_BODY_FINDINGS) {
        if (this.edits.length > MAX_BODY_FINDINGS) {
          this.fail("more than " + MAX_BODY_FINDINGS.toString() + " values to redact", pos);
          this.overflowed = true;
          return false;
        }
        this.pos = pos;
        this.depth = depth;
        this.action = action;
        this.inert = inert;
        this.valueEnd = valueEnd;
        this.state = state;
        return true;
      }
      if (state == ST_VALUE) {
        if (pos >= len) {
          this.fail("unexpected end of input", pos);
          return false;
        }
        const c = at(p, pos);
        if (c == 0x7b || c == 0x5b) {
          if (depth == MAX_DEPTH) {
            this.fail("nesting deeper than " + MAX_DEPTH.toString() + " levels", pos);
            return false;
          }
          depth++;
          const rewritten = inert || action != 0;
          unchecked((this.fKind[depth] = c == 0x7b ? KIND_OBJECT : KIND_ARRAY));
          unchecked((this.fOpen[depth] = pos));
          unchecked((this.fAction[depth] = inert || action == ACTION_DROP ? 0 : action));
          unchecked((this.fInert[depth] = rewritten));
          unchecked((this.fLive[depth] = !rewritten && this.paths.childLive));
          unchecked((this.fCount[depth] = 0));
          unchecked((this.fCurDropped[depth] = false));
          unchecked((this.fRunStart[depth] = -1));
          unchecked((this.fKeptEnd[depth] = -1));
          const kept = this.kept;
          unchecked((this.fKept[depth] = kept));
          unchecked((this.fKeepLive[depth] = this.keepOn && !kept && !rewritten && this.keepPaths.childLive));
          unchecked((this.fLabels[depth] = c == 0x5b ? this.labels : 0));
          pos = skipWs(p, len, pos + 1);
          if (pos < len && at(p, pos) == (c == 0x7b ? 0x7d : 0x5d)) state = ST_CLOSE;
          else state = c == 0x7b ? ST_MEMBER : ST_ELEMENT;
          continue;
        }
        let end = -1;
        if (c == 0x22) {
          end = this.string(p, len, pos);
          if (end == SUSPENDED) continue;
        } else if (c == 0x2d || isDigit(c)) {
          end = this.numbers.read(p, len, pos);
          if (end < 0) this.fail(this.numbers.error, this.numbers.errorAt);
        }
        else if (c == 0x74 || c == 0x6e || c == 0x66) {
          end = literalEnd(p, len, pos);
          if (end < 0) this.fail("invalid literal", pos);
        } else end = this.unexpected(p, len, pos);
        if (end < 0) return false;
        if (!inert) {
          const str = c == 0x22;
          if (action != 0) {
            if (action != ACTION_DROP) this.rewriteScalar(p, pos, end, action, rewriter);
          } else if (!str && c != 0x2d && !isDigit(c)) {
            // true, false and null stay, in every mode.
          } else if (this.keepOn && !this.kept) {
            if (!str) this.det.keepNumber(p, pos, end, rewriter, this.edits);
            if (!str || this.det.keepString(p, pos, end, this.strEscaped, this.strings, rewriter, this.edits)) this.keepMasked++;
          } else if (detectors != 0) {
            if (!str) this.det.number(p, pos, end, this.numbers.integer, detectors, this.labels, rewriter, this.edits, this.detectorHits);
            else {
              const on = this.strPlain ? detectorsOf(p, pos, end, plainClass, plainDigits, detectors | this.labels) : detectorsFor(p, pos, end, detectors | this.labels);
              if (on != 0 && !this.detected(p, pos, end, on)) continue;
            }
            if (!this.valid) return false;
          }
        }
        this.strings.forget();
        pos = end;
        valueEnd = end;
        state = ST_AFTER;
        continue;
      }
      if (state == ST_AFTER) {
        if (depth == 0) {
          if (!this.sequence) {
            pos = skipWs(p, len, pos);
            if (pos < len) this.unexpected(p, len, pos);
            return false;
          }
          // The next text of a sequence: a document of its own, from the root.
          pos = skipSeq(p, len, pos);
          if (pos >= len) return false;
          this.paths.childLive = this.rootLive;
          this.keepPaths.childLive = this.keepRootLive;
          this.kept = false;
          this.labels = 0;
          action = 0;
          inert = false;
          state = ST_VALUE;
          continue;
        }
        pos = skipWs(p, len, pos);
        if (unchecked(this.fCurDropped[depth])) unchecked((this.fRunEnd[depth] = valueEnd));
        else unchecked((this.fKeptEnd[depth] = valueEnd));
        if (pos >= len) {
          this.fail("unexpected end of input", pos);
          return false;
        }
        const c = at(p, pos);
        const object = unchecked(this.fKind[depth]) == KIND_OBJECT;
        if (c == 0x2c) {
          const comma = pos;
          pos = skipWs(p, len, pos + 1);
          if (pos < len && at(p, pos) == (object ? 0x7d : 0x5d)) {
            this.fail("trailing comma", comma);
            return false;
          }
          state = object ? ST_MEMBER : ST_ELEMENT;
          continue;
        }
        if (c == (object ? 0x7d : 0x5d)) {
          state = ST_CLOSE;
          continue;
        }
        this.fail(object ? "expected ',' or '}'" : "expected ',' or ']'", pos);
        return false;
      }
      if (state == ST_CLOSE) {
        // pos is at the closing bracket of the container at depth.
        if (!unchecked(this.fInert[depth]) || unchecked(this.fAction[depth]) != 0) this.close(p, depth, pos, rewriter);
        depth--;
        pos++;
        valueEnd = pos;
        state = ST_AFTER;
        continue;
      }
      if (state == ST_MEMBER) {
        if (pos >= len || at(p, pos) != 0x22) {
          if (pos >= len) this.fail("unexpected end of input", pos);
          else this.fail("expected a string key", pos);
          return false;
        }
        const keyStart = pos;
        const keyEnd = this.string(p, len, pos);
        if (keyEnd == SUSPENDED) continue;
        if (keyEnd < 0) return false;
        const keyEscaped = this.strEscaped;
        const keyPlain = this.strPlain;
        const keyClass = plainClass;
        const keyDigits = plainDigits;
        let vs = skipWs(p, len, keyEnd);
        if (vs >= len || at(p, vs) != 0x3a) {
          if (vs >= len) this.fail("unexpected end of input", vs);
          else this.fail("expected ':'", vs);
          return false;
        }
        vs = skipWs(p, len, vs + 1);
        if (this.keyAt != keyStart) {
          // Once per member, even when the name's detector scan below takes several slices.
          this.keyAt = keyStart;
          inert = unchecked(this.fInert[depth]);
          action = 0;
          this.paths.childLive = false;
          this.keepPaths.childLive = false;
          const live = unchecked(this.fLive[depth]);
          const keepLive = unchecked(this.fKeepLive[depth]);
          let kept = unchecked(this.fKept[depth]);
          this.labels = 0;
          if (!inert && (live || keepLive || detectors != 0)) {
            let kp = p + <usize>(keyStart + 1);
            let kl = keyEnd - keyStart - 2;
            if (keyEscaped) {
              kl = this.strings.decode(p, keyStart + 1, keyEnd - 1);
              kp = changetype<usize>(this.strings.scratch);
            }
            const ascii = keyPlain ? ((keyClass & CLASS_HIGH) == 0 ? 1 : 0) : -1; // read with the name's classes
            if (live) {
              action = this.paths.match(depth, kp, kl, -1, ascii);
              this.count(action);
            }
            if (keepLive) kept = this.keepPaths.match(depth, kp, kl, -1, ascii) != 0;
            if (detectors != 0) {
              this.labels = keyPlain ? nameLabelsOf(kp, kl, keyClass, keyDigits, false, detectors) : nameLabels(kp, kl, keyEscaped, detectors);
              this.keyDetectors = nameDetectors;
            }
          }
          this.kept = kept;
          if (!inert) this.begin(depth, keyStart, action);
        }
        // The name stays (unless its member is dropped): the detectors read it too.
        if (!inert && action != ACTION_DROP && detectors != 0 && this.keyDetectors != 0) {
          if (!this.detected(p, keyStart, keyEnd, this.keyDetectors)) continue;
          if (!this.valid) return false;
        }
        this.strings.forget();
        this.keyAt = -1;
        pos = vs;
        state = ST_VALUE;
        continue;
      }
      // ST_ELEMENT: pos is at the element's first byte.
      const index = unchecked(this.fCount[depth]);
      unchecked((this.fCount[depth] = index + 1));
      inert = unchecked(this.fInert[depth]);
      action = 0;
      this.paths.childLive = false;
      this.keepPaths.childLive = false;
      let kept = unchecked(this.fKept[depth]);
      if (!inert && unchecked(this.fLive[depth])) {
        action = this.paths.match(depth, 0, 0, index);
        this.count(action);
      }
      if (!inert && unchecked(this.fKeepLive[depth])) kept = this.keepPaths.match(depth, 0, 0, index) != 0;
      this.kept = kept;
      this.labels = unchecked(this.fLabels[depth]);
      if (!inert) this.begin(depth, pos, action);
      state = ST_VALUE;
    }
  }
}

/** Validates and scans one complete JSON document in one go (no slice: the budget is unlimited); fills `out`. */
export function scanJson(ptr: usize, len: i32, rules: JsonRule[], detectors: i32, rewriter: ValueRewriter, out: JsonScan): void {
  const left = WORK.left;
  WORK.left = UNLIMITED;
  out.start(ptr, len, rules, detectors, rewriter);
  out.advance();
  WORK.left = left;
}
