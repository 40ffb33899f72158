// Case-insensitive name sets for header and query-parameter rules, as bytes, so
// a name from the wire is matched without building a string.

import { equalsLower } from "../util/bytes";

/** Whether a header name from the wire is `name` (lower case) for an application: case aside, and '_' read as '-' (CGI, WSGI, Rack and PHP map both to HTTP_X_API_KEY). */
function sameForApplication(p: usize, len: usize, name: ArrayBuffer): bool {
  if (len != <usize>name.byteLength) return false;
  const q = changetype<usize>(name);
  for (let i: usize = 0; i < len; i++) {
    let a = load<u8>(p + i);
    let b = load<u8>(q + i);
    if (a >= 0x41 && a <= 0x5a) a += 0x20;
    if (a == 0x5f) a = 0x2d;
    if (b == 0x5f) b = 0x2d;
    if (a != b) return false;
  }
  return true;
}

export class NameSet {
  names: ArrayBuffer[] = [];

  /** @param headers header names: '_' and '-' are the same letter */
  constructor(list: string[], private headers: bool = false) {
    for (let i = 0; i < list.length; i++) this.names.push(String.UTF8.encode(list[i]));
  }

  has(p: usize, len: usize): bool {
    const headers = this.headers;
    for (let i = 0; i < this.names.length; i++) {
      const name = unchecked(this.names[i]);
      if (headers ? sameForApplication(p, len, name) : equalsLower(p, len, name)) return true;
    }
    return false;
  }
}

/** drop / mask / hash sets for one kind of name; action() says which applies (0 when none). */
export class NameActions {
  drop: NameSet;
  mask: NameSet;
  hash: NameSet;
  empty: bool;

  constructor(drop: string[], mask: string[], hash: string[], headers: bool = false) {
    this.drop = new NameSet(drop, headers);
    this.mask = new NameSet(mask, headers);
    this.hash = new NameSet(hash, headers);
    this.empty = drop.length + mask.length + hash.length == 0;
  }

  action(p: usize, len: usize): u8 {
    if (this.empty) return 0;
    if (this.drop.has(p, len)) return 3; // ACTION_DROP
    if (this.hash.has(p, len)) return 2; // ACTION_HASH
    if (this.mask.has(p, len)) return 1; // ACTION_MASK
    return 0;
  }
}
