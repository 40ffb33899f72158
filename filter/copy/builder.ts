// The one place a copy's headers are made, for every role that produces a copy:
// the mirror role's calls to its shadows and the in-place roles' rewritten
// request. In order, for each header the client sent:
//   1. headers the filter itself sets on copies (the tag, x-shadow-rule, the
//      body-dropped header), in any spelling an application reads as them
//      ('_' for '-'), are removed: a client cannot forge them;
//   2. hop-by-hop headers go when the copy is a new hop (the mirror role's call;
//      te stays when it is "trailers": gRPC requires it);
//      content-length goes when the body will change (Envoy computes it);
//   3. redaction: :path by redact.path, the detectors (segments, matrix
//      parameters) and the query rules; other headers by name rules, detectors
//      over names and values, URL-valued ones as URLs;
//   4. :authority without userinfo, detector hits in its host rewritten as host
//      characters, then by the role's rule (the shadow's, "-shadow" appended,
//      or the suffix removed);
//   5. the baggage member is added to baggage when configured (a client's
//      members under its key go: the copy carries one, the filter's).
// Then the tag, the rule label and the body-dropped reason are appended. The
// part every shadow shares is built once per request (prepare); finish() adds
// what differs per shadow and lays out the map.
import { HeaderCursor, HeaderMapBuilder, utf8, bytesEqual, sameHeaderName } from "../util/bytes";
import { MapWriter } from "./map";
import { ShadowTag, H_BAGGAGE } from "./tag";
import { hasShadowSuffix, withoutShadowSuffix, hostStart, hostEnd, SHADOW_SUFFIX } from "./authority";
import { Redaction } from "../redact/redaction";
import { Tally } from "../redact/tally";
import { HEADER_DROP, HEADER_REPLACE, addRedactedHeader } from "../redact/headers";

export const H_RULE = utf8("x-shadow-rule");
const H_PATH = utf8(":path");
const H_AUTHORITY = utf8(":authority");
const H_CONTENT_LENGTH = utf8("content-length");
const H_TE = utf8("te");
const TRAILERS = utf8("trailers");
// Headers that describe one hop's connection, not the request: the shadow call is
// a new hop, and Envoy computes content-length itself for the call's body.
const HOP_BY_HOP: ArrayBuffer[] = [
  utf8("connection"), utf8("keep-alive"), utf8("proxy-connection"), utf8("transfer-encoding"),
  utf8("upgrade"), H_TE, utf8("trailer"), utf8("content-length"), utf8("expect"),
];

/** Bit n set: some name in HOP_BY_HOP is n bytes long (2, 6, 7, 10, 14, 16, 17). */
const HOP_LENGTHS: u32 = (1 << 2) | (1 << 6) | (1 << 7) | (1 << 10) | (1 << 14) | (1 << 16) | (1 << 17);

/** How the copy's :authority is made. */
export const AUTHORITY_KEEP: u8 = 0;
/** The shadow's configured authority, else the primary's with "-shadow" appended. */
export const AUTHORITY_SHADOW: u8 = 1;
/** A "-shadow" suffix removed (the shadow role's restore_host). */
export const AUTHORITY_RESTORE: u8 = 2;


/**
 * Whether a header goes as a new hop's: te stays when it is "trailers" (trimmed,
 * any case), which gRPC requires on every request; any other te value goes.
 */
function isHopByHop(p: usize, len: usize, vp: usize, vl: usize): bool {
  // Most names have none of the lengths of HOP_BY_HOP: settled without a compare.
  if (len >= 32 || ((HOP_LENGTHS >>> <u32>len) & 1) == 0) return false;
  for (let i = 0; i < HOP_BY_HOP.length; i++) {
    const h = unchecked(HOP_BY_HOP[i]);
    if (bytesEqual(p, len, h)) return h != H_TE || !isTrailers(vp, vl);
  }
  return false;
}

function isTrailers(p: usize, len: usize): bool {
  while (len > 0 && (load<u8>(p) == 0x20 || load<u8>(p) == 0x09)) {
    p++;
    len--;
  }
  while (len > 0 && (load<u8>(p + len - 1) == 0x20 || load<u8>(p + len - 1) == 0x09)) len--;
  if (len != 8) return false;
  // "trailers", little-endian, compared with A-Z folded.
  return (load<u64>(p) | 0x2020202020202020) == load<u64>(changetype<usize>(TRAILERS));
}

export class CopyHeaders {
  private b: MapWriter = new MapWriter();
  /** Pairs and data bytes of the shared part, and where :authority sits in it (-1: absent; its data's offset). */
  private shared: i32 = 0;
  private sharedData: usize = 0;
  private authorityAt: i32 = -1;
  private authorityData: usize = 0;
  private mode: u8 = AUTHORITY_KEEP;
  private cursor: HeaderCursor = new HeaderCursor(new ArrayBuffer(0));

  /**
   * @param owned names of the headers the filter sets on copies besides the tag (x-shadow-rule, body-dropped headers)
   * @param newHop the copy is a new request (hop-by-hop headers are dropped)
   */
  constructor(private tag: ShadowTag, private redaction: Redaction, private owned: ArrayBuffer[], private newHop: bool) {}

  private isOwned(p: usize, len: usize): bool {
    if (this.tag.matchesName(p, len)) return true;
    const owned = this.owned;
    for (let i = 0; i < owned.length; i++) if (sameHeaderName(p, len, unchecked(owned[i]))) return true;
    return false;
  }

  /** Builds the part of the copy every destination shares from the request's headers. */
  prepare(raw: ArrayBuffer, mode: u8, dropContentLength: bool, tally: Tally): void {
    const b = this.b;
    b.reset();
    this.mode = mode;
    this.authorityAt = -1;
    const redaction = this.redaction;
    const tag = this.tag;
    const addBaggage = tag.addBaggage;
    let baggageDone = false;
    const cur = this.cursor.reset(raw);
    while (cur.next()) {
      const kp = cur.keyPtr;
      const kl = cur.keyLen;
      if (this.isOwned(kp, kl)) continue;
      if (this.newHop ? isHopByHop(kp, kl, cur.valuePtr, cur.valueLen) : dropContentLength && cur.keyIs(H_CONTENT_LENGTH)) continue;
      if (cur.keyIs(H_AUTHORITY)) {
        this.authorityAt = b.length;
        this.authorityData = b.dataLength;
        // "user:password@host" keeps only the host.
        const skip = hostStart(cur.valuePtr, cur.valueLen);
        let hp = cur.valuePtr + skip;
        let hl = cur.valueLen - skip;
        // Detector hits in the host's labels are rewritten with host characters (redact/host.ts).
        const masked = redaction.enabled ? redaction.authority(hp, hl, tally) : null;
        if (masked != null) {
          hp = changetype<usize>(masked);
          hl = <usize>masked.byteLength;
        }
        if (mode == AUTHORITY_SHADOW) {
          // host[:port] -> host-shadow[:port] (authority.ts), written in place.
          b.addInserted(changetype<usize>(H_AUTHORITY), <usize>H_AUTHORITY.byteLength, hp, hl, hostEnd(hp, hl), SHADOW_SUFFIX);
        } else if (mode == AUTHORITY_RESTORE && hasShadowSuffix(hp, hl)) {
          b.addBuffers(H_AUTHORITY, withoutShadowSuffix(hp, hl));
        } else if (masked != null) {
          b.addBuffers(H_AUTHORITY, masked);
        } else {
          b.add(kp, kl, hp, hl);
        }
        continue;
      }
      if (redaction.enabled) {
        if (cur.keyIs(H_PATH)) {
          const path = redaction.path(cur.valuePtr, cur.valueLen);
          if (path != null) {
            b.addBuffers(H_PATH, path);
            continue;
          }
        } else {
          const verdict = redaction.headers.redact(kp, kl, cur.valuePtr, cur.valueLen, tally);
          if (verdict == HEADER_DROP) continue;
          if (verdict == HEADER_REPLACE) {
            const r = redaction.headers.replacement;
            b.add(kp, kl, changetype<usize>(r), <usize>r.byteLength);
            continue;
          }
        }
      }
      if (addBaggage && cur.keyIs(H_BAGGAGE)) {
        // Exactly one member under our key, the filter's, in the first baggage field: a client's go.
        const rest = tag.withoutKey(cur.valuePtr, cur.valueLen);
        if (!baggageDone) b.addBuffers(H_BAGGAGE, tag.withMember(changetype<usize>(rest), <usize>rest.byteLength));
        else if (rest.byteLength > 0) b.addBuffers(H_BAGGAGE, rest);
        baggageDone = true;
        continue;
      }
      b.add(kp, kl, cur.valuePtr, cur.valueLen);
    }
    b.addBuffers(tag.name, tag.value);
    if (addBaggage && !baggageDone) b.addBuffers(H_BAGGAGE, tag.baggageMember);
    this.shared = b.length;
    this.sharedData = b.dataLength;
  }

  /**
   * The copy's trailers: the header rules and detectors apply to them as to
   * headers, and names the filter owns go (a trailer is a header that comes late).
   * Returns the map as it was when nothing changes.
   */
  trailers(raw: ArrayBuffer, tally: Tally): ArrayBuffer {
    const redaction = this.redaction;
    const cur = this.cursor.reset(raw);
    if (cur.count == 0) return raw;
    const b = this.trailerMap;
    b.reset();
    let changed = false;
    while (cur.next()) {
      const kp = cur.keyPtr;
      const kl = cur.keyLen;
      if (this.isOwned(kp, kl)) {
        changed = true;
        continue;
      }
      if (redaction.enabled) {
        if (addRedactedHeader(b, redaction.headers, kp, kl, cur.valuePtr, cur.valueLen, tally)) changed = true;
        continue;
      }
      b.add(kp, kl, cur.valuePtr, cur.valueLen);
    }
    return changed ? b.finish() : raw;
  }
  private trailerMap: HeaderMapBuilder = new HeaderMapBuilder();

  /**
   * The copy's header map for one destination.
   * @param authority AUTHORITY_SHADOW: the shadow's configured authority (empty: derived)
   * @param label the selecting rule's label (empty: none)
   * @param reason why the body was dropped (empty: it was not), under droppedHeader
   */
  finish(authority: ArrayBuffer, label: ArrayBuffer, droppedHeader: ArrayBuffer, reason: ArrayBuffer): ArrayBuffer {
    const b = this.b;
    b.truncate(this.shared, this.sharedData);
    // The shadow's configured authority replaces the derived one (written by prepare) in the finished map.
    let replaceAt: i32 = -1;
    if (this.mode == AUTHORITY_SHADOW && authority.byteLength > 0) {
      if (this.authorityAt >= 0) replaceAt = this.authorityAt;
      else b.addBuffers(H_AUTHORITY, authority);
    }
    if (label.byteLength > 0) b.addBuffers(H_RULE, label);
    if (reason.byteLength > 0) b.addBuffers(droppedHeader, reason);
    return b.finish(replaceAt, this.authorityData, changetype<usize>(authority), <usize>authority.byteLength);
  }
}
