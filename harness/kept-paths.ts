// What the allow-list mode (redact.keep) let through a JSON body: the paths of
// the leaf values (strings, numbers) the copy carries unchanged, found by
// comparing the original's parsed JSON with the copy's. `preview` lists them,
// so a team sees which fields its keep list lets pass before deploying it.

/** A JSON path segment as redact.json paths write it: `.name`, `['odd name']`, `[3]`. */
function segment(key: string | number): string {
  if (typeof key === "number") return `[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? `.${key}` : `['${key.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`;
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) return;
    a.forEach((v, i) => walk(v, b[i], path + segment(i), out));
    return;
  }
  if (a !== null && typeof a === "object") {
    if (b === null || typeof b !== "object" || Array.isArray(b)) return;
    const bo = b as Record<string, unknown>;
    for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
      if (Object.prototype.hasOwnProperty.call(bo, k)) walk(v, bo[k], path + segment(k), out);
    }
    return;
  }
  if ((typeof a === "string" || typeof a === "number") && a === b) out.push(path);
}

function parse(body: Uint8Array): unknown {
  let text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  if (text.startsWith("\ufeff")) text = text.slice(1);
  return JSON.parse(text);
}

/**
 * The paths (`$.a.b`, `$.items[0].sku`) of the strings and numbers that are the
 * same in the original body and in the copy; null when either is not one JSON text.
 */
export function keptPaths(original: Uint8Array, copy: Uint8Array): string[] | null {
  let a: unknown;
  let b: unknown;
  try {
    a = parse(original);
    b = parse(copy);
  } catch {
    return null;
  }
  const out: string[] = [];
  walk(a, b, "$", out);
  return out;
}

/** Whether a policy uses the allow-list mode (redact.keep). */
export function usesKeep(policyText: string): boolean {
  try {
    const p = JSON.parse(policyText) as { redact?: { keep?: unknown } };
    return p?.redact?.keep !== undefined && p.redact.keep !== null;
  } catch {
    return false;
  }
}
