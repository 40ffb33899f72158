// The keys of the policy's JSON, checked before it is parsed.
// - Duplicates: a JSON parser keeps one of two equal keys (json-as: the last),
//   so {"redact": {...}, "redact": {}} would silently drop the first section's
//   rules, and the copy would carry what the user meant to scrub. Every object of
//   the (already validated) text is checked, keys compared after decoding escapes;
//   the first duplicate is named by its path.
// - Escapes: "r\u006fle" is the key "role" (RFC 8259); json-as compares keys as
//   written, so keys with escapes are rewritten decoded before parsing.

/** Decodes a JSON string's content [start, end) (escapes resolved) into a string. */
function decodeKey(text: string, start: i32, end: i32): string {
  let out = "";
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c != 0x5c) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const e = text.charCodeAt(i + 1);
    if (e == 0x75) {
      out += String.fromCharCode(<i32>parseInt(text.substring(i + 2, i + 6), 16));
      i += 6;
      continue;
    }
    out += e == 0x6e ? "\n" : e == 0x74 ? "\t" : e == 0x72 ? "\r" : e == 0x62 ? "\b" : e == 0x66 ? "\f" : String.fromCharCode(e);
    i += 2;
  }
  return out;
}

class Frame {
  keys: string[] = [];
  index: i32 = 0;
  constructor(public object: bool, public path: string) {}
}

function child(path: string, key: string): string {
  return path.length > 0 ? path + "." + key : key;
}

/** A key as JSON, escaping only what must be: '"', '\\' and control characters. */
function quoteKey(key: string): string {
  let out = "\"";
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20) out += "\\u" + (0x10000 + c).toString(16).substring(1);
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

export class KeyCheck {
  /** The path of the first key that appears twice in one object ("" when none), e.g. `redact` or `shadows[1].select.percent`. */
  duplicate: string = "";
  /** The text with every escaped key written decoded (the text itself when no key has an escape). */
  text: string = "";
}

export function checkKeys(text: string): KeyCheck {
  const out = new KeyCheck();
  out.text = text;
  // Escaped keys: [start, end) of the quoted key, and its decoded form, in order.
  const starts: i32[] = [];
  const ends: i32[] = [];
  const decoded: string[] = [];
  const stack: Frame[] = [];
  // The path of the value about to start (set after a key, or for an array element).
  let pending = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c == 0x22) {
      // A string: a key when it is followed by ':', else a value.
      let j = i + 1;
      while (j < n && text.charCodeAt(j) != 0x22) j += text.charCodeAt(j) == 0x5c ? 2 : 1;
      let k = j + 1;
      while (k < n && (text.charCodeAt(k) == 0x20 || text.charCodeAt(k) == 0x09 || text.charCodeAt(k) == 0x0a || text.charCodeAt(k) == 0x0d)) k++;
      if (k < n && text.charCodeAt(k) == 0x3a && stack.length > 0 && stack[stack.length - 1].object) {
        const top = stack[stack.length - 1];
        const key = decodeKey(text, i + 1, j);
        if (top.keys.includes(key)) {
          out.duplicate = child(top.path, key);
          return out;
        }
        top.keys.push(key);
        if (text.substring(i + 1, j).includes("\\")) {
          starts.push(i);
          ends.push(j + 1);
          decoded.push(key);
        }
        pending = child(top.path, key);
        i = k + 1;
        continue;
      }
      i = j + 1;
      continue;
    }
    if (c == 0x7b || c == 0x5b) {
      let path = pending;
      if (stack.length > 0 && !stack[stack.length - 1].object) {
        const top = stack[stack.length - 1];
        path = top.path + "[" + top.index.toString() + "]";
      }
      stack.push(new Frame(c == 0x7b, path));
    } else if (c == 0x7d || c == 0x5d) {
      stack.pop();
    } else if (c == 0x2c && stack.length > 0 && !stack[stack.length - 1].object) {
      stack[stack.length - 1].index++;
    }
    i++;
  }
  if (starts.length > 0) {
    let rewritten = "";
    let at = 0;
    for (let k = 0; k < starts.length; k++) {
      rewritten += text.substring(at, starts[k]) + quoteKey(decoded[k]);
      at = ends[k];
    }
    out.text = rewritten + text.substring(at);
  }
  return out;
}
