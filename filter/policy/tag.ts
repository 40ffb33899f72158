// The tag section: the header and baggage member that mark copies.
import { JSON } from "json-as";
import { Fields, isHeaderName, hasControlChars } from "./fields";
import { ShadowTag } from "../copy/tag";
import * as D from "./defaults";

function isBaggageKey(s: string): bool {
  // RFC 7230 token, as W3C baggage keys are; upper case allowed here.
  return s.length > 0 && isHeaderName(s.toLowerCase());
}

export function parseTag(obj: JSON.Obj, t: ShadowTag): string {
  const tag = new Fields(obj, "tag");
  const header = tag.str("header", D.TAG_HEADER);
  const value = tag.str("value", D.TAG_VALUE);
  t.stripFromPrimary = tag.bool("strip_from_primary", D.TAG_STRIP_FROM_PRIMARY);
  const baggageKey = tag.str("baggage_key", D.TAG_BAGGAGE_KEY);
  t.addBaggage = tag.bool("baggage", D.TAG_BAGGAGE);
  tag.finish();
  if (tag.error.length > 0) return tag.error;
  if (!isHeaderName(header) || header.charCodeAt(0) == 0x3a) return "tag.header: must be a lower-case HTTP header name, got \"" + header + "\"";
  if (hasControlChars(value)) return "tag.value: must not contain control characters";
  if (!isBaggageKey(baggageKey)) return "tag.baggage_key: \"" + baggageKey + "\" is not a valid baggage key";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c == 0x2c || c == 0x3b || c == 0x3d || c == 0x20 || c == 0x22 || c == 0x5c || c > 0x7e) {
      return "tag.value: \"" + value + "\" cannot travel in baggage (no spaces, commas, semicolons, equals signs, quotes or non-ASCII)";
    }
  }
  t.set(header, value, baggageKey);
  return "";
}
