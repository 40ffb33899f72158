// The shadow tag: the header that marks a copy so the shadow and its dependencies
// can skip side effects. Prepared as bytes once per configuration.
import { TagConfig } from "./config";
import { utf8, bytesEqual } from "./bytes";

export class ShadowTag {
  name: ArrayBuffer;
  value: ArrayBuffer;

  constructor(config: TagConfig) {
    this.name = utf8(config.header);
    this.value = utf8(config.value);
  }

  matchesName(p: usize, len: usize): bool {
    return bytesEqual(p, len, this.name);
  }
}
