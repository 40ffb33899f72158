// Comparison in real Envoy, replaying a payment service migration: the new
// version rejects addresses with international characters that the old one
// accepted. Timestamps differ on every answer and keys come back reordered; only
// the real regression is reported, in Envoy's log, at the diff sink, and by
// `mirrorshade report`.
import { describe, it, expect } from "vitest";
import { createServer, type Server } from "node:http";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startEnvoyOnFreePorts } from "../../harness/envoy/index.js";
import { buildBootstrap } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream } from "../../harness/net/upstreams.js";
import { projectRoot } from "../../harness/paths.js";
import { parseRecords, writeReport } from "../../harness/report.js";
import { e2eBackends } from "./backends.js";
import { http1, WASM, S } from "./fixture.js";

/** v1 accepts every address; v2 rejects non-ASCII ones. Both stamp the time and differ in key order. */
async function paymentService(version: 1 | 2): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const order = JSON.parse(Buffer.concat(chunks).toString() || "{}");
      const international = /[^\x00-\x7f]/.test(order.address ?? "");
      const now = new Date().toISOString() + Math.random();
      let status = 200;
      let body: object;
      if (version === 2 && international) {
        status = 422;
        body = { status: "rejected", error: "address must be ASCII", timestamp: now };
      } else if (version === 1) {
        body = { status: "accepted", amount: order.amount, timestamp: now, id: Math.floor(Math.random() * 1e9) };
      } else {
        body = { id: Math.floor(Math.random() * 1e9), timestamp: now, amount: order.amount, status: "accepted" };
      }
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  return { server, port: typeof a === "object" && a ? a.port : 0 };
}

describe.each(e2eBackends())("compare, envoy as %s", (backend) => {
  it.each([
    ["ignore paths", { ignore_paths: ["$.timestamp", "$.id"] }],
    ["noise learned from a second v1 instance", { noise: { cluster: "primary-2", percent: 100 } }],
  ])("reports only the real regression: international addresses rejected by v2 (%s)", async (_name, noiseHandling) => {
    const v1 = await paymentService(1);
    const v1b = await paymentService(1);
    const v2 = await paymentService(2);
    const sink = await startRecordingUpstream("sink");
    const { envoy, listenerPort: port } = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "primary", port: v1.port },
          extraClusters: [{ name: "shadow", port: v2.port }, { name: "diff-sink", port: sink.port }, { name: "primary-2", port: v1b.port }],
          wasm: {
            wasmPath: WASM,
            configuration: {
              role: "mirror",
              shadow: { cluster: "shadow" },
              redact: { hash_key: "inline:compare-e2e-key-0123456789" },
              compare: { headers: ["content-type"], ...noiseHandling, sink: { cluster: "diff-sink", path: "/diffs" } },
            },
          },
        }),
      { backend, mounts: [join(projectRoot, "build")] },
    );
    try {
      const addresses = ["1 Main St, Springfield", "Müllerstraße 5, Zürich", "12 Rue de la Paix, Paris", "東京都千代田区1-1", "Calle Mayor 3, Madrid"];
      for (const [i, address] of addresses.entries()) {
        const res = await http1(`http://127.0.0.1:${port}/api/payments?attempt=${i}`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-request-id": `pay-${i}` },
          body: JSON.stringify({ amount: 1299, address }),
        });
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body.toString()).status).toBe("accepted");
      }
      const stats = await (async () => {
        for (let i = 0; i < 100; i++) {
          const s = await envoy.stats();
          if ((s.get(S("compare.compared")) ?? 0) >= 5) return s;
          await new Promise((r) => setTimeout(r, 50));
        }
        return envoy.stats();
      })();
      expect(stats.get(S("compare.compared"))).toBe(5);
      expect(stats.get(S("compare.matched"))).toBe(3);
      expect(stats.get(S("compare.mismatched"))).toBe(2);
      expect(stats.get(S("compare.mismatched.status"))).toBe(2);

      const logged = parseRecords(envoy.logs());
      expect(logged.map((r) => r.request_id).sort()).toEqual(["pay-1", "pay-3"]);
      for (const r of logged) {
        expect(r.route).toBe("/api/payments");
        expect(r.status).toEqual([200, 422]);
        const fields = r.differences.map((d) => `${d.path}:${d.kind}`);
        expect(fields).toEqual(expect.arrayContaining([":status:value", "$.status:value", "$.error:extra_in_shadow", "$.amount:missing_in_shadow"]));
        expect(fields.some((f) => f.startsWith("$.timestamp") || f.startsWith("$.id"))).toBe(false);
        expect(JSON.stringify(r)).not.toContain("Müllerstraße");
      }
      const posted = await sink.waitFor(2);
      expect(posted.map((p) => JSON.parse(p.body.toString()).request_id).sort()).toEqual(["pay-1", "pay-3"]);

      // The report a person reads, from Envoy's log.
      const dir = mkdtempSync(join(tmpdir(), "mirrorshade-report-"));
      const log = join(dir, "envoy.log");
      writeFileSync(log, envoy.logs());
      const report = writeReport([log], dir);
      expect(report.total).toBe(2);
      const md = readFileSync(join(dir, "report.md"), "utf8");
      expect(md).toContain("## POST /api/payments: 2 differing");
      expect(md).toContain("| 200 → 422 | 2 |");
      expect(md).toContain("| `$.status (value)` | 2 |");
      expect(readFileSync(join(dir, "report.html"), "utf8")).toContain("POST /api/payments");
    } catch (e) {
      console.error(`--- envoy log ---\n${envoy.logs()}`);
      throw e;
    } finally {
      await envoy.stop();
      v1.server.close();
      v1b.server.close();
      v2.server.close();
      await sink.close();
    }
  });
});
