// The redaction engine compiled from one policy's "redact" section: matchers,
// the hash key, the body codecs and their scratch state, prepared once per
// configuration and reused by every request of that worker.
import { RedactConfig } from "../policy/types";
import { NameActions } from "./names";
import { ValueRewriter } from "./values";
import { HeaderRedactor } from "./headers";
import { QueryRedactor } from "./query";
import { Tally } from "./tally";
import { BodyCodecs } from "../body/codecs";

export class Redaction {
  enabled: bool;
  rewriter: ValueRewriter;
  headers: HeaderRedactor;
  query: QueryRedactor;
  codecs: BodyCodecs;
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
  }

  /** A redacted :path, or null when its query needs no change. */
  path(p: usize, len: usize): ArrayBuffer | null {
    if (this.query.inert) return null;
    let q: usize = 0;
    while (q < len && load<u8>(p + q) != 0x3f) q++;
    if (q >= len) return null;
    const qs = p + q + 1;
    const qlen = len - q - 1;
    const redacted = this.query.redact(qs, <i32>qlen, this.tally);
    if (redacted == null) return null;
    // A query that lost all its parameters loses its '?' too.
    const keepMark: usize = redacted.byteLength > 0 ? 1 : 0;
    const out = new ArrayBuffer(<i32>(q + keepMark) + redacted.byteLength);
    const o = changetype<usize>(out);
    memory.copy(o, p, q + keepMark);
    memory.copy(o + q + keepMark, changetype<usize>(redacted), <usize>redacted.byteLength);
    return out;
  }
}
