// The verdict of the third and fourth hostile reviews (hostile-3/-4.test.ts) on
// what runProbes recorded: no copy, a secret in any reading of the copy (as sent,
// and its header bytes re-read as UTF-8: Node reads them as latin-1), a primary
// that did not get what was sent, and, for a probe marked identical, a copy that
// is not byte-identical to what the primary got.
import { findLeaks, type Probe, type Outcome } from "./hostile-lib.js";

/** Every way the copy can be read: as sent, and header bytes re-read as UTF-8. */
function copyFields(o: Outcome): string[] {
  const sh = o.shadow!;
  const f = [sh.path, ...sh.headers.flatMap(([k, v]) => [k, v]), sh.body];
  return [...f, ...f.map((x) => Buffer.from(x, "latin1").toString("utf8"))];
}
const headerOf = (hs: [string, string][] | undefined, name: string) => JSON.stringify(hs?.filter(([k]) => k === name));
const NOISE = /^(x-pid|x-envoy|x-request-id|x-forwarded-proto|content-length|x-shadow-request)$/;

/** `requireOk`: the primary must answer 200 (hostile-4's probes all expect it); `shown`: body bytes printed per finding. */
export function hostileVerdict(opts: { requireOk?: boolean; shown?: number } = {}) {
  const shownBytes = opts.shown ?? 160;
  return (probes: Probe[], res: Outcome[]): string[] => {
    const byId = new Map(probes.map((p) => [p.id, p]));
    const bad: string[] = [];
    for (const o of res) {
      const p = byId.get(o.id)!;
      if (opts.requireOk && o.status !== 200) bad.push(`${o.id}: primary answered ${o.status}`);
      if (!o.shadow) {
        bad.push(`${o.id}: no copy (${o.status})`);
        continue;
      }
      const leaks = findLeaks(copyFields(o), p.secrets);
      const shown = () => `path ${o.shadow!.path} headers ${JSON.stringify(o.shadow!.headers.filter(([k]) => !NOISE.test(k)))} body ${o.shadow!.body.slice(0, shownBytes)}`;
      if (leaks.length) bad.push(`${o.id}: ${leaks.join(",")} reached the shadow: ${shown()}`);
      bad.push(...o.primaryAltered.map((a) => `${o.id}: primary altered ${a}`));
      if (p.identical && o.copyAltered.length) bad.push(`${o.id}: copy altered (${o.copyAltered.join(",")}): ${shown()}`);
      if (p.identical && o.shadow.path !== o.primary?.path) bad.push(`${o.id}: copy's path altered: ${o.shadow.path}`);
      const sent: [string, string][] = Array.isArray(p.headers) ? p.headers : Object.entries(p.headers ?? {});
      for (const [k] of sent) {
        if (k.startsWith(":") || k === "host") continue;
        // Envoy itself removes a referer it finds invalid (a fragment, userinfo, spaces, a non-URL) before any filter runs: neither side gets it.
        if (k === "referer" && !o.primary?.headers.some(([n]) => n === k)) continue;
        if (headerOf(o.primary?.headers, k) !== JSON.stringify([[k, sent.find(([n]) => n === k)![1]]])) bad.push(`${o.id}: primary's ${k} altered: ${headerOf(o.primary?.headers, k)}`);
        if (p.identical && headerOf(o.shadow.headers, k) !== headerOf(o.primary?.headers, k)) bad.push(`${o.id}: copy's ${k} altered: ${headerOf(o.shadow.headers, k)}`);
      }
    }
    return bad;
  };
}
