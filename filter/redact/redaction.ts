// The redaction engine compiled from one policy's "redact" section: matchers,
// the hash key, the body codecs and their scratch state, prepared once per
// configuration and reused by every request of that worker.
import { RedactConfig } from "../policy/types";
import { NameActions, NameSet, MODE_HEADER } from "./names";
import { ValueRewriter } from "./values";
import { HeaderRedactor } from "./headers";
import { QueryRedactor } from "./query";
import { Tally } from "./tally";
import { BodyCodecs } from "../body/codecs";
import { PathRedactor } from "./path";
import { HostRedactor } from "./host";
import { UrlRedactor } from "./url";
import { hostEnd } from "../copy/authority";

export class Redaction {
  enabled: bool;
  rewriter: ValueRewriter;
  headers: HeaderRedactor;
  query: QueryRedactor;
  codecs: BodyCodecs;
  /** The path before '?' (redact.path, detectors, matrix parameters), hosts, and URL-valued headers. */
  paths: PathRedactor;
  hosts: HostRedactor;
  tally: Tally = new Tally();

  constructor(cfg: RedactConfig) {
    this.enabled = cfg.enabled;
    const rewriter = new ValueRewriter(cfg.hashKey);
    const h = cfg.headers;
    const q = cfg.query;
    const keep = cfg.keep;
    const headerNames = new NameActions(h.drop, h.mask, h.hash, true, [], keep == null ? null : keep.headers);
    this.headers = new HeaderRedactor(headerNames, rewriter, cfg.detectors, cfg.detectorHash);
    const queryNames = new NameActions(q.drop, q.mask, q.hash, false, q.matchCase, keep == null ? null : keep.query, keep == null ? [] : keep.queryMatchCase);
    this.query = new QueryRedactor(queryNames, rewriter, cfg.detectors, cfg.detectorHash);
    // Form bodies share the query syntax and the query rules.
    const form = new QueryRedactor(queryNames, rewriter, cfg.detectors, cfg.detectorHash);
    this.codecs = new BodyCodecs(cfg, rewriter, form);
    this.rewriter = rewriter;
    // Matrix parameters are named like query parameters: the same rules, matched the same way.
    this.paths = new PathRedactor(queryNames, cfg.path, rewriter, cfg.detectors, cfg.detectorHash);
    this.hosts = new HostRedactor(rewriter, cfg.detectors, cfg.detectorHash);
    this.headers.scanUrls(new NameSet(cfg.urlHeaders, MODE_HEADER), new UrlRedactor(this.paths, this.query, this.hosts));
  }

  /** The authority [p, p+len) (host[:port], no userinfo) with detector hits in its host rewritten, or null when there are none. */
  authority(p: usize, len: usize, tally: Tally): ArrayBuffer | null {
    const h = hostEnd(p, len);
    const host = this.hosts.redact(p, <i32>h, tally);
    if (host == null) return null;
    const n = <usize>host.byteLength;
    const out = new ArrayBuffer(<i32>(n + len - h));
    const o = changetype<usize>(out);
    memory.copy(o, changetype<usize>(host), n);
    memory.copy(o + n, p + h, len - h);
    return out;
  }

  /** A redacted :path (its path by redact/path.ts, its query by the query rules), or null when neither changes. */
  path(p: usize, len: usize): ArrayBuffer | null {
    let q: usize = 0;
    while (q < len && load<u8>(p + q) != 0x3f) q++;
    const path = this.paths.redact(p, <i32>q, this.tally);
    const redacted = q < len && !this.query.inert ? this.query.redact(p + q + 1, <i32>(len - q - 1), this.tally) : null;
    if (path == null && redacted == null) return null;
    const pp = path != null ? changetype<usize>(path) : p;
    const pl = path != null ? <usize>path.byteLength : q;
    // The query as it was, as redacted, or (a query that lost all its parameters) gone with its '?'.
    const qp = redacted != null ? changetype<usize>(redacted) : p + q + 1;
    const ql = redacted != null ? <usize>redacted.byteLength : q < len ? len - q - 1 : 0;
    const mark: usize = q < len && (redacted == null || ql > 0) ? 1 : 0;
    const out = new ArrayBuffer(<i32>(pl + mark + ql));
    const o = changetype<usize>(out);
    memory.copy(o, pp, pl);
    if (mark > 0) store<u8>(o + pl, 0x3f);
    memory.copy(o + pl + mark, qp, ql);
    return out;
  }
}
