// Forged shadow marks on production requests (mirror role): a client that sends
// the tag header (in any spelling an application reads as it) or our baggage
// member would make the primary and everything it calls treat a real request as
// a shadow's. Every such mark is removed from the request's headers and trailers;
// everything else the client sent stays as it was (other baggage members and
// headers included). The map is rewritten once, and only when a mark is there.
import { ShadowTag, H_BAGGAGE } from "../copy/tag";
import { HeaderCursor, HeaderMapBuilder } from "../util/bytes";
import { setHeaderPairs } from "../host/hostcalls";

/** Whether one pair of a header map is (or holds) a forged mark. */
export function isForged(tag: ShadowTag, cur: HeaderCursor): bool {
  return tag.matchesName(cur.keyPtr, cur.keyLen) || (cur.keyIs(H_BAGGAGE) && tag.inBaggage(cur.valuePtr, cur.valueLen));
}

/** Rewrites the map (raw, as read from mapType) without the forged marks: tag headers go, baggage loses our members (and goes when nothing else is left). */
export function stripForged(mapType: i32, raw: ArrayBuffer, tag: ShadowTag, b: HeaderMapBuilder): void {
  b.reset();
  const cur = new HeaderCursor(raw);
  while (cur.next()) {
    if (tag.matchesName(cur.keyPtr, cur.keyLen)) continue;
    if (cur.keyIs(H_BAGGAGE) && tag.inBaggage(cur.valuePtr, cur.valueLen)) {
      const rest = tag.withoutOurs(cur.valuePtr, cur.valueLen);
      if (rest.byteLength > 0) b.addOwned(H_BAGGAGE, rest);
      continue;
    }
    b.add(cur.keyPtr, cur.keyLen, cur.valuePtr, cur.valueLen);
  }
  setHeaderPairs(mapType, b.finish());
}
