// Base64 text -> bytes, for configuration values (redact.grpc.descriptor_set).
// The standard alphabet (RFC 4648 section 4: A-Z a-z 0-9 + /); padding optional
// ('=' only at the end, as many as the length calls for); ASCII whitespace
// (space, tab, CR, LF) ignored anywhere, so the output of `base64` (wrapped at 76
// columns) and YAML folded scalars decode as they are. Anything else is an error
// at its position (a UTF-16 index into the text, as a JSON editor counts).
import { describeChar } from "../json/path";

export class Base64Decode {
  bytes: ArrayBuffer | null = null;
  error: string = "";
}

function value(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  return -1;
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

function fail(out: Base64Decode, at: i32, problem: string): Base64Decode {
  out.error = "not base64 at " + at.toString() + ": " + problem;
  return out;
}

/** Decodes s; at most maxBytes decoded (more: an error saying so). */
export function decodeBase64(s: string, maxBytes: i32): Base64Decode {
  const out = new Base64Decode();
  const n = s.length;
  let data = 0;
  let pad = 0;
  let lastData = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) continue;
    if (c == 0x3d) {
      pad++;
      if (pad > 2) return fail(out, i, "more '=' than padding takes");
      continue;
    }
    if (value(c) < 0) {
      const hint = c == 0x2d || c == 0x5f ? " (base64url? the standard alphabet has '+' and '/' instead of '-' and '_')" : "";
      return fail(out, i, describeChar(c) + " is not in the base64 alphabet" + hint);
    }
    if (pad > 0) return fail(out, i, "data after the '=' padding");
    data++;
    lastData = i;
  }
  if (data == 0) {
    out.error = "is empty (no base64 data)";
    return out;
  }
  const rest = data & 3;
  if (rest == 1) return fail(out, lastData, "one character too many or too few (the length is not that of base64 text)");
  if (pad > 0 && (rest == 0 || rest + pad != 4)) return fail(out, lastData + 1, "the padding does not fit the length");
  const size = <i64>(data >> 2) * 3 + <i64>(rest == 0 ? 0 : rest - 1);
  if (size > <i64>maxBytes) {
    out.error = "decodes to " + size.toString() + " bytes, more than the " + maxBytes.toString() + " allowed";
    return out;
  }
  const bytes = new ArrayBuffer(<i32>size);
  const q = changetype<usize>(bytes);
  let acc: u32 = 0;
  let bits = 0;
  let k: usize = 0;
  for (let i = 0; i < n; i++) {
    const v = value(s.charCodeAt(i));
    if (v < 0) continue;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(q + k, <u8>(acc >> <u32>bits));
      k++;
    }
  }
  out.bytes = bytes;
  return out;
}

/** A byte's value in the standard or the URL-safe alphabet, or -1. */
function anyValue(c: u32): i32 {
  if (c == 0x2d) return 62;
  if (c == 0x5f) return 63;
  return value(<i32>c);
}

/**
 * Decodes base64 bytes [p, p+len) as gRPC reads a binary ("-bin") metadata
 * value: the standard or the URL-safe alphabet, padding optional, nothing else.
 * Writes at most len * 3 / 4 bytes at out; returns how many, or -1 when the
 * bytes are not base64.
 */
export function decodeBase64Lenient(p: usize, len: i32, out: usize): i32 {
  let n = len;
  while (n > 0 && load<u8>(p + <usize>(n - 1)) == 0x3d) n--;
  if (len - n > 2 || (n & 3) == 1) return -1;
  let acc: u32 = 0;
  let bits = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = anyValue(<u32>load<u8>(p + <usize>i));
    if (v < 0) return -1;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(out + <usize>k, <u8>(acc >> <u32>bits));
      k++;
    }
  }
  return k;
}
