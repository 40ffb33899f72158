// Header values of the copy: drop, mask or hash by name, then the detectors over
// what is left (URL-valued headers as URLs: redact/url.ts). A header whose name
// holds a detector hit (x-4111111111111111) is dropped: a name cannot be masked
// into anything the application would still read. gRPC's binary metadata
// ("-bin" names) reaches the application base64-decoded: a rule for "x" holds
// for "x-bin" too, and the detectors read the decoded bytes as well; a hit
// there drops the header. The primary's headers are never touched.
import { NameActions, NameSet } from "./names";
import { UrlRedactor } from "./url";
import { countFindings, labelBits } from "./detectors";
import { ValueRewriter } from "./values";
import { Edit, applyEdits, ACTION_DROP, ACTION_HASH, ACTION_MASK } from "./edits";
import { Tally } from "./tally";
import { decodeBase64Lenient } from "../util/base64";
import { HeaderMapBuilder, copyBytes } from "../util/bytes";
import { detectorsIn } from "./prefilter";

/** Result of redacting one header: keep as is, drop, or replace the value. */
export const HEADER_KEEP: u8 = 0;
export const HEADER_DROP: u8 = 1;
export const HEADER_REPLACE: u8 = 2;

/** A gRPC binary metadata name: ends in "-bin" (names reach the filter lower-cased). */
function isBinName(kp: usize, kl: usize): bool {
  return kl > 4 && load<u32>(kp + kl - 4) == 0x6e69622d; // "-bin", little-endian
}

export class HeaderRedactor {
  /** The new value after redact() answered HEADER_REPLACE. */
  replacement: ArrayBuffer = new ArrayBuffer(0);
  private findings: Edit[] = [];
  private urlNames: NameSet = new NameSet([]);
  private urls: UrlRedactor | null = null;

  constructor(private names: NameActions, private rewriter: ValueRewriter, private detectors: i32, private detectorHash: bool) {}

  /** Headers named in `names` (redact.url_headers) are redacted as URLs by `urls`. */
  scanUrls(names: NameSet, urls: UrlRedactor): void {
    this.urlNames = names;
    this.urls = urls;
  }

  /** Whether the detectors find something in a header's name (each hit counted). */
  private nameHit(kp: usize, kl: usize, tally: Tally): bool {
    // Names are tokens (lower-cased by Envoy): the prefilter (redact/prefilter.ts) mostly says no detector can match.
    const on = detectorsIn(kp, <i32>kl, this.detectors);
    return on != 0 && countFindings(kp, <i32>kl, on, tally.detectorHits);
  }

  /** Whether the detectors find something in a binary metadata value, base64-decoded (each hit counted). */
  private binaryHit(vp: usize, vl: usize, enabled: i32, tally: Tally): bool {
    const need = <i32>vl;
    if (this.decoded.byteLength < need) this.decoded = new ArrayBuffer(need);
    const out = changetype<usize>(this.decoded);
    const n = decodeBase64Lenient(vp, need, out);
    return n > 0 && countFindings(out, n, enabled, tally.detectorHits);
  }
  private decoded: ArrayBuffer = new ArrayBuffer(0);

  redact(kp: usize, kl: usize, vp: usize, vl: usize, tally: Tally): u8 {
    const bin = isBinName(kp, kl);
    let action = this.names.action(kp, kl);
    // "authorization-bin" is read as authorization is: its rule holds.
    if (action == 0 && bin) action = this.names.action(kp, kl - 4);
    const pseudo = kl > 0 && load<u8>(kp) == 0x3a;
    if (action == ACTION_DROP || (this.detectors != 0 && !pseudo && this.nameHit(kp, kl, tally))) {
      if (action == ACTION_DROP && this.names.notKept) tally.headersNotKept++;
      else tally.headersDropped++;
      return HEADER_DROP;
    }
    if (action == ACTION_HASH) {
      this.replacement = this.rewriter.hashToken(vp, <i32>vl);
      tally.headersHashed++;
      return HEADER_REPLACE;
    }
    if (action == ACTION_MASK) {
      this.replacement = this.rewriter.maskValue(vp, <i32>vl);
      tally.headersMasked++;
      return HEADER_REPLACE;
    }
    // Pseudo-headers are not values a person typed; :path and :authority have their own redaction.
    if (vl == 0 || pseudo) return HEADER_KEEP;
    const urls = this.urls;
    if (urls != null && this.urlNames.has(kp, kl)) {
      const url = urls.redact(vp, <i32>vl, tally);
      if (url == null) return HEADER_KEEP;
      this.replacement = url;
      return HEADER_REPLACE;
    }
    if (this.detectors == 0) return HEADER_KEEP;
    const findings = this.findings;
    findings.length = 0;
    const enabled = this.detectors | labelBits(kp, bin ? kl - 4 : kl, this.detectors);
    if (bin && this.binaryHit(vp, vl, enabled, tally)) {
      tally.headersDropped++;
      return HEADER_DROP;
    }
    // A header that is no URL header may still hold one, its query encoded: the decoded view is read too.
    this.rewriter.scanEdits(vp, <i32>vl, enabled, this.detectorHash, 0, findings, tally.detectorHits, true);
    if (findings.length == 0) return HEADER_KEEP;
    this.replacement = applyEdits(vp, <i32>vl, findings);
    return HEADER_REPLACE;
  }
}

/**
 * One header into `b` as the policy's header rules and detectors leave it (kept,
 * replaced or dropped); true when it changed. Shared by the copy's trailers
 * (copy/builder.ts) and the answers a capture carries (capture/answers.ts).
 */
export function addRedactedHeader(b: HeaderMapBuilder, headers: HeaderRedactor, kp: usize, kl: usize, vp: usize, vl: usize, tally: Tally): bool {
  const verdict = headers.redact(kp, kl, vp, vl, tally);
  if (verdict == HEADER_DROP) return true;
  if (verdict == HEADER_REPLACE) {
    b.addOwned(copyBytes(kp, kl), headers.replacement);
    return true;
  }
  b.add(kp, kl, vp, vl);
  return false;
}
