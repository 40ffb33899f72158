// `npm run demo` in real Envoy: the payment-migration story's facts, from what each
// side received, the guard's stub, the comparison's records and the files written.
import { describe, it, expect } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { playDemo } from "../../harness/demo/story.js";
import { CUSTOMERS, inShare, payments } from "../../harness/demo/customers.js";
import { e2eBackends } from "./backends.js";
import { WASM, S } from "./fixture.js";
import { harErrors } from "../support/har-validate.js";

const header = (r: { headers: [string, string][] }, name: string) => r.headers.find(([k]) => k === name)?.[1];

describe.each(e2eBackends())("the demo, envoy as %s", (backend) => {
  it("tells the payment-migration story", async () => {
    const out = mkdtempSync(join(tmpdir(), "mirrorshade-demo-"));
    const lines: string[] = [];
    try {
      const f = await playDemo({ backend, wasm: WASM, out, say: (l) => lines.push(l) });
      const sent = payments();
      const mirroredUsers = new Set(CUSTOMERS.filter((c) => inShare(c.user, 50)).map((c) => c.user));
      expect(mirroredUsers.size).toBeGreaterThan(0);
      expect(mirroredUsers.size).toBeLessThan(CUSTOMERS.length);
      const mirrored = sent.filter((p) => mirroredUsers.has(p.customer.user));
      const us = mirrored.filter((p) => p.customer.country === "US");
      const abroad = mirrored.filter((p) => p.customer.country !== "US");
      expect(us.length).toBeGreaterThan(0);
      expect(abroad.length).toBeGreaterThan(0);

      // v1 got every payment as sent; v2 exactly the mirrored customers' payments, each of them consistently.
      expect(f.v1.map((r) => header(r, "x-request-id")).sort()).toEqual(sent.map((p) => p.id).sort());
      for (const r of f.v1) expect(r.body.toString()).toBe(sent.find((p) => p.id === header(r, "x-request-id"))!.body);
      expect(f.v2.map((r) => header(r, "x-request-id")).sort()).toEqual(mirrored.map((p) => p.id).sort());
      for (const c of f.customers) expect(c.v2, c.user).toBe(c.mirrored ? 2 : 0);
      expect(f.mirrorStats.get(S("select.selected"))).toBe(mirrored.length);
      expect(f.mirrorStats.get(S("mirrored"))).toBe(mirrored.length);

      // The copies are redacted and tagged; everything else is as sent.
      for (const r of f.v2) {
        const p = sent.find((s) => s.id === header(r, "x-request-id"))!;
        const body = r.body.toString();
        expect(header(r, "authorization")).toBeUndefined();
        expect(body).not.toContain(p.customer.card);
        expect(body).not.toContain(p.customer.card.replace(/ /g, ""));
        expect(body).not.toContain(`${p.customer.user}@example.com`);
        const copy = JSON.parse(body);
        const orig = JSON.parse(p.body);
        expect(copy.card.cvc).toBe("***");
        expect(copy.card.number.slice(-4)).toBe(orig.card.number.slice(-4));
        expect(copy.address).toEqual(orig.address);
        expect(copy.amount).toBe(orig.amount);
        expect(header(r, "x-shadow-request")).toBe("true");
        expect(header(r, "baggage")).toBe("mirrorshade.shadow=true");
      }

      // The guard: v2's charges (its US payments) got the stub; the gateway saw only v1's, untagged.
      expect(f.gateway).toHaveLength(sent.length);
      for (const r of f.gateway) expect(header(r, "baggage")).toBeUndefined();
      expect(f.v2Charges).toHaveLength(us.length + abroad.length);
      for (const c of f.v2Charges) {
        expect(c.guard).toBe("blocked");
        expect(JSON.parse(c.body)).toEqual({ id: "ch_shadow", status: "succeeded" });
      }
      expect(f.guardStats.get(S("guard.blocked.payments"))).toBe(us.length);

      // The comparison: exactly the non-US mirrored payments, 201 against 422; the noise ignored.
      expect(f.records.map((r) => r.request_id).sort()).toEqual(abroad.map((p) => p.id).sort());
      for (const r of f.records) {
        expect(r.status).toEqual([201, 422]);
        const paths = r.differences.map((d) => d.path);
        expect(paths).toContain("$.status");
        expect(paths.some((p) => p === "$.payment_id" || p === "$.created")).toBe(false);
      }
      expect(f.mirrorStats.get(S("compare.matched"))).toBe(us.length);
      expect(f.mirrorStats.get(S("compare.mismatched"))).toBe(abroad.length);

      // The captures: the mismatching copies as v2 received them (redacted), a valid HAR; replayed against v2.
      expect(harErrors(JSON.parse(readFileSync(f.files.har, "utf8")))).toEqual([]);
      const capturedIds = f.captures.map((e) => e.request.headers.find((h) => h.name === "x-request-id")?.value);
      expect(capturedIds.sort()).toEqual(abroad.map((p) => p.id).sort());
      for (const e of f.captures) {
        const id = e.request.headers.find((h) => h.name === "x-request-id")!.value;
        const copy = f.v2.find((r) => header(r, "x-request-id") === id)!;
        expect(e.request.postData?.text).toBe(copy.body.toString());
        expect(e.request.headers.some((h) => h.name === "authorization")).toBe(false);
        expect(e.response.status).toBe(422);
        expect(e._mirrorshade?.primary?.status).toBe(201);
      }
      for (const r of f.replayed) expect([r.then, r.now]).toEqual([422, { "422": 1 }]);
      for (const r of f.replayedFixed) expect([r.then, r.now]).toEqual([422, { "201": 1 }]);
      expect(f.replayed).toHaveLength(abroad.length);
      // The fixed v2 charged through the guard: stubbed again, the gateway saw no more charges.
      expect(f.gateway).toHaveLength(sent.length);
      expect(f.v2Charges.every((c) => c.guard === "blocked")).toBe(true);

      // The files it points at exist; the report names the regression.
      for (const file of [...f.files.report, f.files.ingressLog, f.files.guardLog, f.files.har]) {
        expect(existsSync(file), file).toBe(true);
        expect(lines.join("\n")).toContain(file.slice(file.lastIndexOf("/") + 1));
      }
      // It points at the Prometheus rules (and lists their alerts) and at what Prometheus scrapes.
      expect(f.files.rules && existsSync(f.files.rules)).toBe(true);
      expect(lines.join("\n")).toContain("prometheus/mirrorshade.rules.yml");
      expect(lines.join("\n")).toMatch(/alerts: Mirrorshade/);
      expect(lines.some((l) => /^\s+mirrorshade_\w+(\{[^}]*\})? [1-9]/.test(l))).toBe(true);
      const md = readFileSync(f.files.report.find((x) => x.endsWith(".md"))!, "utf8");
      expect(md).toContain(`## POST /api/payments: ${abroad.length} differing`);
      expect(md).toContain("| 201 → 422 |");
      for (const step of ["== 1/", "== 2/", "== 3/", "== 4/", "== 5/", "== 6/", "== 7/", "files written:"]) expect(lines.some((l) => l.startsWith(step)), step).toBe(true);
    } catch (e) {
      console.error(lines.join("\n"));
      throw e;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
