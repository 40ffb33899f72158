// Which policy paths match where in a JSON document, member by member as the
// scanner walks it: each rule's segments as a bit set per depth (bit k: the
// first k segments matched the location so far), over flat tables prepared once
// per scan, so the per-member loop holds no managed references.
import { JsonRule, MAX_DEPTH, MAX_SEGMENTS, SEGMENT_NAME, SEGMENT_INDEX, SEGMENT_ANY } from "./path";
import { ACTION_MASK, ACTION_DROP } from "../redact/edits";
import { isAscii, foldBytes, equalsFolded, foldBound, lowerAscii } from "../util/fold";

/** Segment flag: the name is folded, and members are compared folded. */
const FOLD: usize = 0x200;
/**
 * A 6-bit hash of a name's length and its first and last bytes lower-cased:
 * an ASCII member can equal a segment's name (byte for byte, or lower-cased
 * against the folded name) only when both hash alike.
 */
// @ts-ignore: decorator
@inline
function nameHash(p: usize, n: i32): u32 {
  const f: u32 = n > 0 ? <u32>lowerAscii(load<u8>(p)) : 0;
  const l: u32 = n > 0 ? <u32>lowerAscii(load<u8>(p + <usize>(n - 1))) : 0;
  return ((<u32>n * 0x9e3779b1) ^ (((f << 8) | l) * 0x85ebca6b)) >>> 26;
}

export class PathMatcher {
  /** After match(): some rule can still match below the child just matched. */
  childLive: bool = false;
  /** Per depth and rule: bit k = the first k segments matched the location so far. */
  private states: StaticArray<u64> = new StaticArray<u64>(0);
  /**
   * Per depth: some rule's state there is not zero. When clear, that depth's states
   * are not read (they may be stale) and its members' next states are all zero, so
   * below a container no rooted rule reaches, a member costs no loop over the rules.
   */
  private statesOn: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 2);
  // The rules flattened for matching (see prepare): raw tables, so the per-key
  // loop holds no managed references and costs no shadow-stack traffic.
  private ruleTable: StaticArray<i32> = new StaticArray<i32>(0);
  private segmentTable: StaticArray<usize> = new StaticArray<usize>(0);
  private ruleCount: i32 = 0;
  /** The longest member name a folded segment can match, in bytes (util/fold.ts foldBound): longer non-ASCII names are not folded. */
  private foldLimit: i32 = 0;
  /** The fold of the member in match() when it has non-ASCII bytes. */
  private keyFolded: ArrayBuffer = new ArrayBuffer(0);
  /** matchEither's copy of the first name's states. */
  private either: StaticArray<u64> = new StaticArray<u64>(0);
  /**
   * Per rule, a filter of the member names it can match: bit nameHash(name) of
   * each name segment, every bit when it has a '*' segment. An ASCII member
   * whose bit is clear matches none of the rule's segments, so its next states
   * are its descendant segments' bits (descendants[r]) and the comparisons are
   * skipped: a `$..key` rule costs a hash per member.
   */
  private names: StaticArray<u64> = new StaticArray<u64>(0);
  private descendants: StaticArray<u64> = new StaticArray<u64>(0);
  /**
   * The `$..name` rules (one descendant name segment), apart from the others:
   * live below every container, so they need no state per depth, and a member
   * costs one look at their names' filter (anyMask) and a comparison only when
   * its bit is set. [action, segment] per rule; the segment in segmentTable.
   */
  private anyTable: StaticArray<i32> = new StaticArray<i32>(0);
  private anyCount: i32 = 0;
  private anyMask: u64 = 0;

  /**
   * Flattens the rules: per rule [action, segment count, first segment], per
   * segment [kind | descendant << 8, index, name pointer, name length]. The
   * name pointers stay valid while `rules` is alive, i.e. for the scan.
   * A rule whose action or length is out of range is disabled, not trusted.
   */
  prepare(rules: JsonRule[]): void {
    const nr = rules.length;
    let total = 0;
    for (let r = 0; r < nr; r++) total += rules[r].path.segments.length;
    if (this.ruleTable.length < nr * 3) this.ruleTable = new StaticArray<i32>(nr * 3);
    if (this.segmentTable.length < total * 4) this.segmentTable = new StaticArray<usize>(total * 4);
    const needStates = (MAX_DEPTH + 2) * nr;
    if (this.states.length < needStates) this.states = new StaticArray<u64>(needStates);
    if (this.descendants.length < nr) {
      this.descendants = new StaticArray<u64>(nr);
      this.names = new StaticArray<u64>(nr);
    }
    const rt = this.ruleTable;
    const sg = this.segmentTable;
    const st = this.states;
    const desc = this.descendants;
    const names = this.names;
    if (this.anyTable.length < nr * 2) this.anyTable = new StaticArray<i32>(nr * 2);
    const at = this.anyTable;
    let anyCount = 0;
    let anyMask: u64 = 0;
    let next = 0;
    let foldLimit = 0;
    for (let r = 0; r < nr; r++) {
      const rule = rules[r];
      const segs = rule.path.segments;
      const n = segs.length;
      const usable = rule.action >= ACTION_MASK && rule.action <= ACTION_DROP && n > 0 && n <= MAX_SEGMENTS;
      // A `$..name` rule goes to anyTable; its slot here stays, disabled (action 0, no state).
      const anywhere = usable && n == 1 && segs[0].kind == SEGMENT_NAME && segs[0].descendant;
      if (anywhere) {
        unchecked((at[anyCount * 2] = <i32>rule.action));
        unchecked((at[anyCount * 2 + 1] = next));
        anyCount++;
      }
      unchecked((rt[r * 3] = usable && !anywhere ? <i32>rule.action : 0));
      unchecked((rt[r * 3 + 1] = n));
      unchecked((rt[r * 3 + 2] = next));
      const fold = !rule.path.matchCase;
      let dm: u64 = 0;
      let nm: u64 = 0;
      for (let k = 0; k < n; k++) {
        const seg = segs[k];
        const o = (next + k) * 4;
        const folds = fold && seg.kind == SEGMENT_NAME;
        const name = folds ? seg.folded : seg.name;
        unchecked((sg[o] = <usize>seg.kind | (seg.descendant ? 0x100 : 0) | (folds ? FOLD : 0)));
        unchecked((sg[o + 1] = <usize>seg.index));
        unchecked((sg[o + 2] = changetype<usize>(name)));
        unchecked((sg[o + 3] = <usize>name.byteLength));
        if (folds && foldBound(name.byteLength) > foldLimit) foldLimit = foldBound(name.byteLength);
        if (seg.descendant && k < 64) dm |= (<u64>1) << <u64>k;
        if (seg.kind == SEGMENT_NAME) nm |= (<u64>1) << <u64>nameHash(changetype<usize>(name), name.byteLength);
        else if (seg.kind == SEGMENT_ANY) nm = u64.MAX_VALUE;
      }
      unchecked((desc[r] = dm));
      unchecked((names[r] = nm));
      if (anywhere) anyMask |= nm;
      next += n;
      // The root's location: every usable rule at its first segment (slot 1 is the root container's).
      unchecked((st[nr + r] = usable && !anywhere ? 1 : 0));
    }
    this.ruleCount = nr;
    let rooted = false;
    for (let r = 0; r < nr; r++) if (unchecked(st[nr + r]) != 0) rooted = true;
    unchecked((this.statesOn[1] = rooted));
    this.anyCount = anyCount;
    this.anyMask = anyMask;
    this.foldLimit = foldLimit;
    this.childLive = anyCount > 0 || rooted;
  }

  /**
   * Rule matching for a child of the container at `depth`: a member (kp/kl) or an element (index >= 0).
   * `ascii`: 1 the member's name is ASCII, 0 it is not, -1 not known (read here).
   */
  match(depth: i32, kp: usize, kl: i32, index: i32, ascii: i32 = -1): u8 {
    const nr = this.ruleCount;
    const rt = changetype<usize>(this.ruleTable);
    const sg = changetype<usize>(this.segmentTable);
    const from = changetype<usize>(this.states) + (<usize>(depth * nr) << 3);
    const to = from + (<usize>nr << 3);
    let action: i32 = 0;
    let live = false;
    // An ASCII member's name filter bit (0: an element, or a name compared in full).
    const hb: u64 = index < 0 && (ascii >= 0 ? ascii != 0 : isAscii(kp, kl)) ? (<u64>1) << <u64>nameHash(kp, kl) : 0;
    const nm = changetype<usize>(this.names);
    const desc = changetype<usize>(this.descendants);
    // The member as folded segments see it, worked out at the first folded comparison:
    // 0 not yet, 1 ASCII (compared lower-cased in place), 2 folded into keyFolded, 3 too long to match.
    let keyState = hb != 0 ? 1 : 0;
    const anyCount = this.anyCount;
    if (anyCount > 0) {
      // The `$..name` rules: below a live container they stay live, and one matches a member of its name.
      live = true;
      if (index < 0 && (hb == 0 || (this.anyMask & hb) != 0)) {
        const at = changetype<usize>(this.anyTable);
        for (let a = 0; a < anyCount; a++) {
          const ra = load<i32>(at + (<usize>a << 3));
          if (ra <= action) continue;
          const seg = sg + (<usize>load<i32>(at + (<usize>a << 3), 4) << (alignof<usize>() + 2));
          if (keyState == 0) keyState = isAscii(kp, kl) ? 1 : this.foldKey(kp, kl);
          if (this.nameHit(seg, kp, kl, keyState)) action = ra;
        }
      }
    }
    // No rule's state at this depth: none at the child's either.
    const on = unchecked(this.statesOn[depth]);
    let anyOn = false;
    for (let r = 0; on && r < nr; r++) {
      let bits = load<u64>(from + (<usize>r << 3));
      let next: u64 = 0;
      if (bits != 0 && (load<u64>(nm + (<usize>r << 3)) & hb) == 0 && hb != 0) {
        // No segment of this rule can match the member: only its descendant segments' states go on.
        next = bits & load<u64>(desc + (<usize>r << 3));
        if (next != 0) live = true;
      } else if (bits != 0) {
        const ra = load<i32>(rt + <usize>(r * 12));
        const n = load<i32>(rt + <usize>(r * 12 + 4));
        const first = sg + (<usize>load<i32>(rt + <usize>(r * 12 + 8)) << (alignof<usize>() + 2));
        while (bits != 0) {
          const k = <i32>ctz<u64>(bits);
          bits &= bits - 1;
          if (k >= n) continue;
          const seg = first + (<usize>k << (alignof<usize>() + 2));
          const kindDesc = load<usize>(seg);
          if (kindDesc & 0x100) next |= (<u64>1) << <u64>k;
          const kind = <u8>(kindDesc & 0xff);
          let hit = kind == SEGMENT_ANY;
          if (kind == SEGMENT_NAME && index < 0) {
            if ((kindDesc & FOLD) != 0 && keyState == 0) keyState = isAscii(kp, kl) ? 1 : this.foldKey(kp, kl);
            hit = this.nameHit(seg, kp, kl, keyState);
          } else if (kind == SEGMENT_INDEX) {
            hit = index >= 0 && <i32>load<usize>(seg, sizeof<usize>()) == index;
          }
          if (hit) next |= (<u64>1) << <u64>(k + 1);
        }
        const done = (<u64>1) << <u64>n;
        if (next & done) {
          if (ra > action) action = ra;
          // Nothing below a rewritten value is visited.
          next &= ~done;
        }
        if (next != 0) live = true;
      }
      if (next != 0) anyOn = true;
      store<u64>(to + (<usize>r << 3), next);
    }
    unchecked((this.statesOn[depth + 1] = anyOn));
    this.childLive = live;
    return <u8>action;
  }

  /**
   * match() for a member known by either of two names (a protobuf field's
   * .proto name and its JSON name): the union of both matches.
   */
  matchEither(depth: i32, ap: usize, al: i32, bp: usize, bl: i32): u8 {
    const a = this.match(depth, ap, al, -1);
    if (bl == al && memory.compare(ap, bp, <usize>al) == 0) return a;
    const nr = this.ruleCount;
    if (this.either.length < nr) this.either = new StaticArray<u64>(nr);
    const to = changetype<usize>(this.states) + (<usize>((depth + 1) * nr) << 3);
    const keep = changetype<usize>(this.either);
    const onA = unchecked(this.statesOn[depth + 1]);
    if (onA) memory.copy(keep, to, <usize>nr << 3);
    const liveA = this.childLive;
    const b = this.match(depth, bp, bl, -1);
    const onB = unchecked(this.statesOn[depth + 1]);
    if (onA) {
      // The child's states are the union; where b's are stale (statesOn clear), a's alone.
      for (let r = 0; r < nr; r++) {
        const o = <usize>r << 3;
        store<u64>(to + o, (onB ? load<u64>(to + o) : 0) | load<u64>(keep + o));
      }
      unchecked((this.statesOn[depth + 1] = true));
    }
    this.childLive = this.childLive || liveA;
    return a > b ? a : b;
  }

  /**
   * Whether the member [kp, kp+kl) equals the name segment at `seg` (byte for
   * byte, or folded when the segment folds: keyState as in match(), set by the
   * caller before a folded segment is compared).
   */
  // @ts-ignore: decorator
  @inline
  private nameHit(seg: usize, kp: usize, kl: i32, keyState: i32): bool {
    const np = load<usize>(seg, sizeof<usize>() * 2);
    const nl = <i32>load<usize>(seg, sizeof<usize>() * 3);
    if ((load<usize>(seg) & FOLD) == 0) return nl == kl && memory.compare(np, kp, <usize>kl) == 0;
    if (keyState == 1) return equalsFolded(kp, kl, np, nl);
    if (keyState == 2) {
      const f = this.keyFolded;
      return f.byteLength == nl && memory.compare(changetype<usize>(f), np, <usize>nl) == 0;
    }
    return false;
  }

  /** Folds a non-ASCII member into keyFolded (2), or 3 when it is too long for any folded segment. */
  private foldKey(kp: usize, kl: i32): i32 {
    if (kl > this.foldLimit) return 3;
    this.keyFolded = foldBytes(kp, kl);
    return 2;
  }
}
