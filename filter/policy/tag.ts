// The tag section: the header and baggage member that mark copies.
import { JSON } from "json-as";
import { Fields, isHeaderName, hasControlChars, lowerAscii } from "./fields";
import { ShadowTag } from "../copy/tag";
import * as D from "./defaults";

const RESERVED = D.TAG_HEADER_RESERVED.split(",");
const RESERVED_PREFIXES = D.TAG_HEADER_RESERVED_PREFIXES.split(",");

/** Why a tag header name is refused ("" when it is not): a name that means something else to HTTP, auth, tracing, Envoy or the filter. */
function reserved(header: string): string {
  const name = header.replaceAll("_", "-");
  for (let i = 0; i < RESERVED.length; i++) if (name == RESERVED[i]) return "\"" + header + "\" is reserved";
  for (let i = 0; i < RESERVED_PREFIXES.length; i++) if (name.startsWith(RESERVED_PREFIXES[i])) return "\"" + header + "\" is reserved (" + RESERVED_PREFIXES[i] + "* headers)";
  return "";
}

function isBaggageKey(s: string): bool {
  // RFC 7230 token, as W3C baggage keys are; upper case allowed here.
  return s.length > 0 && isHeaderName(lowerAscii(s));
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
  const taken = reserved(header);
  // The tag is removed from every production request: it must not be a header that carries meaning there.
  if (taken.length > 0) return "tag.header: " + taken + ": it carries meaning to HTTP, authentication, tracing, Envoy or the filter, and the tag is removed from every production request";
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
