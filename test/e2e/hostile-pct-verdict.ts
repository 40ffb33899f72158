// The verdict of the hostile reviews of the percent-decoded views (hostile-pct*.test.ts):
// everything that is wrong with a probe's outcome.
import type { Probe, Outcome } from "./hostile-lib.js";
import * as P from "./hostile-pct-probes.js";

const isJson = (ct: string) => /json/.test(ct) && !/ndjson/.test(ct);

function contentType(p: Probe): string {
  const h = Array.isArray(p.headers) ? Object.fromEntries(p.headers) : (p.headers ?? {});
  return h["content-type"] ?? "";
}

/** Everything that is wrong with the outcomes: no copy, a secret in any reading, a changed primary, an invalid JSON copy, bytes changed outside the planted value. */
export function verdict(probes: Probe[], res: Outcome[]): string[] {
  const byId = new Map(probes.map((p) => [p.id, p]));
  const out: string[] = [];
  for (const o of res) {
    const p = byId.get(o.id)!;
    if (!o.shadow) {
      out.push(`${o.id}: no copy`);
      continue;
    }
    const sent = p.body !== undefined ? String(p.body) : p.chunks ? Buffer.concat(p.chunks.map((c) => Buffer.from(c))).toString() : "";
    const copy = o.shadow.body;
    const where = sent ? copy : `${o.shadow.path} ${JSON.stringify(o.shadow.headers.filter(([k]) => /url|referer/.test(k)))}`;
    if (o.leaks.length) out.push(`${o.id}: ${o.leaks} in ${where.slice(0, 220)}`);
    out.push(...o.copyAltered.map((a) => `${o.id}: copy altered ${a}`), ...o.primaryAltered.map((a) => `${o.id}: primary altered ${a}`));
    if (o.shadow.headers.some(([k]) => k === "x-mirrorshade-body-dropped")) out.push(`${o.id}: body dropped`);
    const ct = contentType(p);
    if (sent && isJson(ct)) {
      try {
        JSON.parse(copy);
      } catch {
        out.push(`${o.id}: copy not JSON: ${copy.slice(0, 120)}`);
      }
    }
    if (sent && /ndjson/.test(ct)) for (const line of copy.split("\n").filter(Boolean)) {
      try {
        JSON.parse(line);
      } catch {
        out.push(`${o.id}: copy line not JSON: ${line.slice(0, 120)}`);
      }
    }
    const span = P.spans.get(o.id);
    if (span) {
      const a = span.in === "body" ? sent : p.path;
      const b = span.in === "body" ? copy : o.shadow.path;
      const i = a.indexOf(span.value);
      const j = i + span.value.length;
      if (i < 0) out.push(`${o.id}: span not in what was sent`);
      // A mask may respell the hit itself (text bodies write a masked escaped digit as the digit): only its surroundings are fixed.
      else if (b.length < i + a.length - j || !b.startsWith(a.slice(0, i)) || !b.endsWith(a.slice(j)))
        out.push(`${o.id}: bytes outside the value changed: ${b.slice(0, 200)}`);
    }
  }
  return out;
}
