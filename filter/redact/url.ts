// URL-valued headers (redact.url_headers: Referer, Origin, X-Original-URL, ...):
// the value is read as a URL or a path reference, its userinfo removed, its host
// scanned as the copy's authority is (redact/host.ts), its path as the copy's
// path (redact/path.ts: detectors, matrix parameters, redact.path templates),
// its query and its fragment (where OAuth's implicit flow puts tokens) by the
// query rules and detectors. Every byte not redacted stays as it was.
import { PathRedactor } from "./path";
import { QueryRedactor } from "./query";
import { HostRedactor } from "./host";
import { Edit, applyEdits } from "./edits";
import { Tally } from "./tally";

// @ts-ignore: decorator
@inline
function isAlpha(c: u8): bool {
  return <u32>((c | 0x20) - 0x61) < 26;
}

// @ts-ignore: decorator
@inline
function isSchemeChar(c: u8): bool {
  return isAlpha(c) || <u32>(c - 0x30) < 10 || c == 0x2b || c == 0x2d || c == 0x2e;
}

/** Where the host of [p+a, p+e) ends: before ":port" (digits only), or at an IPv6 literal's ']'. */
function hostEnd(p: usize, a: i32, e: i32): i32 {
  let i = e - 1;
  while (i >= a) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x3a) return i;
    if (<u32>(c - 0x30) >= 10) break;
    i--;
  }
  return e;
}

export class UrlRedactor {
  private edits: Edit[] = [];

  constructor(private paths: PathRedactor, private query: QueryRedactor, private hosts: HostRedactor) {}

  /** The URL [p, p+len) redacted, or null when nothing changes. */
  redact(p: usize, len: i32, tally: Tally): ArrayBuffer | null {
    const edits = this.edits;
    edits.length = 0;
    let i = 0;
    // scheme ":"
    if (len > 0 && isAlpha(load<u8>(p))) {
      let j = 1;
      while (j < len && isSchemeChar(load<u8>(p + <usize>j))) j++;
      if (j < len && load<u8>(p + <usize>j) == 0x3a) i = j + 1;
    }
    // "//" authority
    if (i + 1 < len && load<u8>(p + <usize>i) == 0x2f && load<u8>(p + <usize>(i + 1)) == 0x2f) {
      const a = i + 2;
      let e = a;
      let at = -1;
      while (e < len) {
        const c = load<u8>(p + <usize>e);
        if (c == 0x2f || c == 0x3f || c == 0x23) break;
        if (c == 0x40) at = e;
        e++;
      }
      // Credentials never travel in a copy.
      if (at >= 0) edits.push(new Edit(a, at + 1, new ArrayBuffer(0)));
      const hs = at >= 0 ? at + 1 : a;
      const he = hostEnd(p, hs, e);
      const host = this.hosts.redact(p + <usize>hs, he - hs, tally);
      if (host != null) edits.push(new Edit(hs, he, host));
      i = e;
    }
    let q = i;
    while (q < len) {
      const c = load<u8>(p + <usize>q);
      if (c == 0x3f || c == 0x23) break;
      q++;
    }
    const path = this.paths.redact(p + <usize>i, q - i, tally);
    if (path != null) edits.push(new Edit(i, q, path));
    if (q < len && load<u8>(p + <usize>q) == 0x3f) {
      let h = q + 1;
      while (h < len && load<u8>(p + <usize>h) != 0x23) h++;
      this.part(p, q, h, tally);
      q = h;
    }
    if (q < len) this.part(p, q, len, tally);
    if (edits.length == 0) return null;
    const out = applyEdits(p, len, edits);
    edits.length = 0;
    return out;
  }

  /** The query or the fragment at [m, e) (m: its '?' or '#'), by the query rules; a part left empty loses its mark. */
  private part(p: usize, m: i32, e: i32, tally: Tally): void {
    const r = this.query.redact(p + <usize>(m + 1), e - m - 1, tally);
    if (r == null) return;
    if (r.byteLength == 0) this.edits.push(new Edit(m, e, r));
    else this.edits.push(new Edit(m + 1, e, r));
  }
}
