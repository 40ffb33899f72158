// A real Prometheus (Debian's server) scraping real Envoy running mirrorshade in the
// mirror role with comparison, while the shadow regresses: v2 rejects every address
// outside the US. Prometheus loads the shipped rules (the test variant differs only
// in `for:`), and the test watches the mismatch alert go from inactive to pending
// to firing through Prometheus's HTTP API, then evaluates every panel query of the
// dashboard and every rollout gate's query as rendered for Flagger and Argo.
import { describe, it, expect } from "vitest";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { startEnvoyOnFreePorts } from "../../harness/envoy/index.js";
import { buildBootstrap } from "../../harness/envoy/bootstrap.js";
import { projectRoot } from "../../harness/paths.js";
import { startPrometheus, type PrometheusServer } from "../../harness/prometheus/server.js";
import { rulesYaml } from "../../harness/prometheus/files.js";
import { panelQueries, GATES, R } from "../../harness/prometheus/queries.js";
import { renderFlagger, renderArgo, fillQuery, FLAGGER_VARS, ARGO_VARS } from "../../harness/render-gates.js";
import { e2eBackends } from "./backends.js";
import { WASM } from "./fixture.js";

/** v1 accepts every payment; v2 answers 422 when address.country is not "US". Both stamp the time. */
async function paymentService(version: 1 | 2): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const order = JSON.parse(Buffer.concat(chunks).toString() || "{}");
      const rejected = version === 2 && order.address?.country !== "US";
      res.writeHead(rejected ? 422 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(rejected ? { status: "rejected", error: "unsupported country", at: Date.now() } : { status: "accepted", amount: order.amount, at: Date.now() }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const a = server.address();
  return { server, port: typeof a === "object" && a ? a.port : 0 };
}

const POLICY = {
  role: "mirror",
  shadows: [{ name: "v2", cluster: "shadow", timeout_ms: 2000 }],
  select: { match: [{ name: "payments", path: { prefix: "/api/payments" } }] },
  redact: { hash_key: "inline:prometheus-e2e-key-0123456789", detectors: ["card", "email"], headers: { drop: ["authorization"] } },
  compare: { ignore_paths: ["$.at"] },
};

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ALERT = "MirrorshadeMismatchRateHigh";

async function alertState(prom: PrometheusServer): Promise<string | undefined> {
  for (const g of await prom.rules()) for (const r of g.rules) if (r.name === ALERT) return r.state;
  return undefined;
}

describe.each(e2eBackends())("Prometheus scraping Envoy, envoy as %s", (backend) => {
  it("the mismatch alert goes from inactive to pending to firing as v2 regresses; every panel and gate query returns series", { timeout: 240_000 }, async () => {
    const v1 = await paymentService(1);
    const v2 = await paymentService(2);
    const { envoy, adminPort, listenerPort } = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "primary", port: v1.port },
          extraClusters: [{ name: "shadow", port: v2.port }],
          wasm: { wasmPath: WASM, configuration: POLICY },
        }),
      { backend, mounts: [join(projectRoot, "build")] },
    );
    let prom: PrometheusServer | undefined;
    let international = false;
    let sent = 0;
    let stopLoad = false;
    // Bounded load: one payment at a time, every 100 ms, for at most 3 minutes.
    const load = (async () => {
      const until = Date.now() + 180_000;
      while (!stopLoad && Date.now() < until) {
        const country = international && sent % 2 === 1 ? "DE" : "US";
        try {
          const r = await fetch(`http://127.0.0.1:${listenerPort}/api/payments`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: "Bearer secret" },
            body: JSON.stringify({ amount: 1299, email: "hank@example.com", address: { street: "1 Main St", country } }),
          });
          await r.arrayBuffer();
        } catch {
          /* counted by the filter if it matters */
        }
        sent++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      prom = await startPrometheus({
        targets: [{ job: "envoy", address: `127.0.0.1:${adminPort}`, metricsPath: "/stats/prometheus" }],
        rules: { "mirrorshade.rules.yml": rulesYaml({ forOverride: "10s" }) },
      });
      const p = prom;

      // Labels as the bootstrap's stats_tags extract them.
      await until("labelled comparison series", async () => ((await p.query('mirrorshade_shadows_compare_compared{shadow="v2", rule="payments"} > 0')).length > 0 ? true : undefined));
      // v2 agrees while every address is in the US: the alert is evaluated and inactive.
      await until("the mismatch ratio recorded", async () => ((await p.query(R.mismatchByRule)).length > 0 ? true : undefined));
      await until("the alert evaluated", async () => ((await alertState(p)) !== undefined ? true : undefined));
      expect(await alertState(p)).toBe("inactive");
      expect(await p.alerts()).toEqual([]);

      // v2 regresses: half the payments now ship abroad, and v2 rejects them.
      international = true;
      const seen: string[] = [];
      await until("the alert firing", async () => {
        const s = (await alertState(p)) ?? "";
        if (seen.at(-1) !== s) seen.push(s);
        return s === "firing" ? true : undefined;
      });
      expect(seen).toEqual(["inactive", "pending", "firing"]);
      const firing = (await p.alerts()).find((a) => a.labels.alertname === ALERT)!;
      expect(firing.labels).toMatchObject({ shadow: "v2", rule: "payments", job: "envoy", severity: "warning" });
      expect((await p.query('mirrorshade:compare_mismatch_field:rate5m{field="status", shadow="v2", rule="payments"}')).length).toBe(1);

      // Every panel of the dashboard has series (histograms come with Envoy's stats flush).
      const panels = panelQueries({ primaryCluster: "primary", shadowCluster: "shadow", shadow: ".*" });
      let missing: string[] = [];
      await until("every panel query returning series", async () => {
        missing = [];
        for (const q of panels) if ((await p.query(q.expr)).length === 0) missing.push(`${q.panel}: ${q.expr}`);
        return missing.length === 0 ? true : undefined;
      }).catch((e) => {
        throw new Error(`${e.message}; without series:\n${missing.join("\n")}`);
      });
      for (const g of await p.rules()) for (const r of g.rules) expect(r.health, `${r.name}: ${r.lastError}`).toBe("ok");

      // The rollout gates, as rendered: the mismatch gate is crossed, the error gate is not (v2 answers 422, not 5xx).
      const rendered = [
        ...parseAllDocuments(renderFlagger(POLICY)).map((d) => [FLAGGER_VARS, (d.toJS() as { spec: { query: string } }).spec.query] as const),
        ...(parseAllDocuments(renderArgo(POLICY))[0].toJS() as { spec: { metrics: { provider: { prometheus: { query: string } } }[] } }).spec.metrics.map(
          (m) => [ARGO_VARS, m.provider.prometheus.query] as const,
        ),
      ];
      expect(rendered.length).toBe(2 * GATES.length);
      for (const [i, [vars, query]] of rendered.entries()) {
        const gate = GATES[i % GATES.length];
        const result = await p.query(fillQuery(query, vars, { namespace: "", shadow: "v2", interval: "1m" }));
        expect(result.length, query).toBe(1);
        const value = Number(result[0].value[1]);
        if (gate.name === "mirrorshade-mismatch-rate") expect(value).toBeGreaterThan(gate.max);
        else expect(value).toBeLessThanOrEqual(gate.max);
      }
    } catch (e) {
      console.error(`--- envoy log ---\n${envoy.logs()}`);
      if (prom) console.error(`--- prometheus log ---\n${prom.logs()}`);
      throw e;
    } finally {
      stopLoad = true;
      await load;
      if (prom) await prom.stop();
      await envoy.stop();
      v1.server.close();
      v2.server.close();
    }
  });
});
