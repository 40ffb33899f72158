// The "-shadow" authority rule, as Envoy's native mirroring applies it:
// host[:port] -> host-shadow[:port]. The mirror role adds the suffix to its
// copies; the shadow role recognizes copies by it and may restore the original.
import { utf8, bytesEqual } from "../util/bytes";

/** What the rule adds after the host (host[:port] -> host-shadow[:port]: the mirror role writes it into the copy's map, copy/builder.ts). */
export const SHADOW_SUFFIX = utf8("-shadow");

/** Length of the host part of an authority (without ":port"; an IPv6 literal keeps its colons inside brackets). */
export function hostEnd(p: usize, len: usize): usize {
  let i = <isize>len - 1;
  while (i >= 0) {
    const c = load<u8>(p + <usize>i);
    if (c == 0x3a) return <usize>i;
    if (c < 0x30 || c > 0x39) break;
    i--;
  }
  return len;
}

export function hasShadowSuffix(p: usize, len: usize): bool {
  const h = hostEnd(p, len);
  const n = <usize>SHADOW_SUFFIX.byteLength;
  return h > n && bytesEqual(p + h - n, n, SHADOW_SUFFIX);
}

/** host-shadow[:port] -> host[:port] (the caller checked hasShadowSuffix). */
export function withoutShadowSuffix(p: usize, len: usize): ArrayBuffer {
  const h = hostEnd(p, len);
  const n = <usize>SHADOW_SUFFIX.byteLength;
  const out = new ArrayBuffer(<i32>(len - n));
  const o = changetype<usize>(out);
  memory.copy(o, p, h - n);
  memory.copy(o + h - n, p + h, len - h);
  return out;
}

/** Where the host starts in an authority: after a "userinfo@" (credentials never travel in a copy's authority). */
export function hostStart(p: usize, len: usize): usize {
  let at: usize = 0;
  for (let i: usize = 0; i < len; i++) if (load<u8>(p + i) == 0x40) at = i + 1;
  return at;
}
