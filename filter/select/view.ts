// The parts of a request that rules look at (path, query, method, host, any
// header), as byte ranges into the serialized header map the filter already holds.
import { bytesEqual, HeaderCursor, utf8 } from "../util/bytes";
import { formDecode } from "../util/form";
import { PathNormalizer, needsNormalizing } from "./path";

const V_PATH = utf8(":path");
const V_METHOD = utf8(":method");
const V_AUTHORITY = utf8(":authority");

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
  // The normal form of the path (select/path.ts), computed when a path rule first asks, per case.
  private normal: PathNormalizer = new PathNormalizer();
  private normalLower: PathNormalizer = new PathNormalizer();
  private normalDone: bool = false;
  private normalLowerDone: bool = false;
  private normalLen: i32 = 0;
  private normalLowerLen: i32 = 0;
  /** Set by normalPath(): the normal form as a byte range. */
  normalPtr: usize = 0;
  normalPathLen: usize = 0;

  /** Starts a request: the view reads from this serialized header map. */
  reset(raw: ArrayBuffer): void {
    this.raw = raw;
    this.pathLen = 0;
    this.queryLen = 0;
    this.methodLen = 0;
    this.hasHost = false;
    this.normalDone = false;
    this.normalLowerDone = false;
  }

  /** The path (without the query) as the primary reads it, into normalPtr/normalPathLen; A-Z lower-cased when lower. */
  normalPath(lower: bool): void {
    if (!lower && !needsNormalizing(this.pathPtr, this.pathLen)) {
      this.normalPtr = this.pathPtr;
      this.normalPathLen = this.pathLen;
      return;
    }
    const n = lower ? this.normalLower : this.normal;
    if (lower ? !this.normalLowerDone : !this.normalDone) {
      const len = n.normalize(this.pathPtr, this.pathLen, lower);
      if (lower) {
        this.normalLowerLen = len;
        this.normalLowerDone = true;
      } else {
        this.normalLen = len;
        this.normalDone = true;
      }
    }
    this.normalPtr = n.ptr;
    this.normalPathLen = <usize>(lower ? this.normalLowerLen : this.normalLen);
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

