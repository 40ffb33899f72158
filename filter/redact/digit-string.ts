// A string that is nothing but 13 to 19 ASCII digits (a card number as most
// clients send it, `"number": "4111111111111111"`): of the detectors only the
// card's can find anything there, and only the whole string. SSNs need 9
// digits or 3-2-4 groups, US numbers 10 or 11 digits or a '(' or '+', E.164 a
// '+', a labelled number is read by the general scan (labels.ts labelledPhoneEnd),
// e-mails an '@', JWTs and IBANs letters; the
// run is one word, so nothing starts inside it. So such a string is decided by
// one card check (cards.ts cardEnd from its first digit), without the general
// scan (detectors.ts scanTextUntil), its finding list or its percent views (a
// string of digits has no escape and no '+').
import { cardEnd } from "./cards";
import { DETECTOR_CARD, LABEL_PHONE } from "./detectors";

/** Not such a string (or the card detector is off): the general scan decides. */
export const NOT_BARE: i32 = -2;

/** For [p, p+n): NOT_BARE, -1 when it holds nothing, or n when it is one card. */
export function bareCard(p: usize, n: i32, enabled: i32): i32 {
  // Under a phone label, 12-15 digits are a number too (labels.ts labelledPhoneEnd): the general scan reads it.
  if ((enabled & DETECTOR_CARD) == 0 || (enabled & LABEL_PHONE) != 0 || n < 13 || n > 19) return NOT_BARE;
  for (let i = 0; i < n; i++) if (<u32>load<u8>(p + <usize>i) - 0x30 >= 10) return NOT_BARE;
  // "00..." could be a labelled international number: the general scan reads it.
  if (load<u8>(p) == 0x30 && load<u8>(p + 1) == 0x30) return NOT_BARE;
  return cardEnd(p, n, 0) == n ? n : -1;
}
