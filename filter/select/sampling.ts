// Shares of traffic. A request is in a share of p percent when its point, a
// number in [0, 1), is below p/100. The point is the first four bytes of the
// SHA-256 of a header's value (consistent: the same user gets the same answer on
// every worker, proxy and restart, and anyone can compute it offline), or one
// random draw per request when the header is absent or none is configured.
// Every share of one request is compared against the same point, so a smaller
// share always selects a subset of what a larger one selects.
import { sha256Prefix32 } from "../util/sha256";
import { bytesEqual } from "../util/bytes";
import { random } from "../host/random";
import { RequestView } from "./view";

/** The first four bytes of the SHA-256 of [p, p+len), as an unsigned big-endian integer. */
function hashPoint(p: usize, len: usize): u32 {
  return sha256Prefix32(p, <i32>len);
}

/** One request's points: drawn or hashed at most once, whatever the number of shares asked about. */
export class Draw {
  private drawn: f64 = -1;
  private hashName: ArrayBuffer = new ArrayBuffer(0);
  private hashFound: bool = false;
  private hashValue: u32 = 0;

  reset(): void {
    this.drawn = -1;
    this.hashName = EMPTY;
  }

  /** Whether the request is in a share of percent, by hashHeader's value when it has one. */
  inShare(req: RequestView, hashHeader: ArrayBuffer, percent: f64): bool {
    if (percent >= 100) return true;
    if (hashHeader.byteLength > 0) {
      if (!bytesEqual(changetype<usize>(hashHeader), <usize>hashHeader.byteLength, this.hashName)) {
        this.hashName = hashHeader;
        this.hashFound = req.header(hashHeader);
        if (this.hashFound) this.hashValue = hashPoint(req.foundPtr, req.foundLen);
      }
      if (this.hashFound) return percent > 0 && <f64>this.hashValue < (percent / 100) * 4294967296.0;
    }
    if (this.drawn < 0) this.drawn = random();
    return this.drawn * 100 < percent;
  }
}

const EMPTY = new ArrayBuffer(0);
