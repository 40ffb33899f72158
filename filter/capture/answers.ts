// The answers' header maps as a capture carries them: only the names in
// capture.answer_headers (an allow-list: an answer can carry credentials the
// shadow never saw, a session token under any name), and to those the policy's
// header rules and detectors apply as to the copy's own headers (an answer may
// echo what the request held); cookies set by either side never travel.
import { Redaction } from "../redact/redaction";
import { Tally } from "../redact/tally";
import { addRedactedHeader } from "../redact/headers";
import { HeaderCursor, HeaderMapBuilder, utf8, sameHeaderName } from "../util/bytes";

const SET_COOKIE = utf8("set-cookie");
const SET_COOKIE2 = utf8("set-cookie2");

export class AnswerHeaders {
  private b: HeaderMapBuilder = new HeaderMapBuilder();
  /** Counts of what is redacted here: the copy's counters are not touched. */
  private tally: Tally = new Tally();

  constructor(private redaction: Redaction, private allowed: ArrayBuffer[]) {}

  private isAllowed(p: usize, len: usize): bool {
    const a = this.allowed;
    for (let i = 0; i < a.length; i++) if (sameHeaderName(p, len, a[i])) return true;
    return false;
  }

  /** The map, redacted; the same buffer when nothing changes. */
  redact(raw: ArrayBuffer): ArrayBuffer {
    const cur = new HeaderCursor(raw);
    if (cur.count == 0) return raw;
    const redaction = this.redaction;
    const b = this.b;
    b.reset();
    this.tally.reset();
    let changed = false;
    while (cur.next()) {
      const kp = cur.keyPtr;
      const kl = cur.keyLen;
      if (sameHeaderName(kp, kl, SET_COOKIE) || sameHeaderName(kp, kl, SET_COOKIE2) || !this.isAllowed(kp, kl)) {
        changed = true;
        continue;
      }
      if (redaction.enabled && kl > 0 && load<u8>(kp) != 0x3a) {
        if (addRedactedHeader(b, redaction.headers, kp, kl, cur.valuePtr, cur.valueLen, this.tally)) changed = true;
        continue;
      }
      b.add(kp, kl, cur.valuePtr, cur.valueLen);
    }
    return changed ? b.finish() : raw;
  }
}
