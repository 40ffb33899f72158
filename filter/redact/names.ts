// Case-insensitive name sets for header and query-parameter rules, as bytes, so
// a name from the wire is matched without building a string.

import { equalsLower, sameHeaderName } from "../util/bytes";

export class NameSet {
  names: ArrayBuffer[] = [];

  /** @param headers header names: '_' and '-' are the same letter (util/bytes.ts sameHeaderName) */
  constructor(list: string[], private headers: bool = false) {
    for (let i = 0; i < list.length; i++) this.names.push(String.UTF8.encode(list[i]));
  }

  has(p: usize, len: usize): bool {
    const headers = this.headers;
    for (let i = 0; i < this.names.length; i++) {
      const name = unchecked(this.names[i]);
      if (headers ? sameHeaderName(p, len, name) : equalsLower(p, len, name)) return true;
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
