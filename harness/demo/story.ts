// The payment-migration story in real Envoy, step by step: payments v1 serves,
// v2 gets a consistent half of the users' payments, redacted; v2's charges are
// stopped at its egress proxy; the comparison finds v2's international-address
// regression and nothing else; the report is written. Each step returns what
// happened (DemoFacts, for the e2e test) and prints one screen.
import { mkdirSync, writeFileSync, existsSync, rmSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { startEnvoyOnFreePorts, waitForStats, type Backend, type EnvoyInstance } from "../envoy/index.js";
import { buildBootstrap } from "../envoy/bootstrap.js";
import { startRecordingUpstream, type RecordedRequest, type RecordingUpstream } from "../net/upstreams.js";
import { parseRecords, writeReport, type DiffRecord } from "../report.js";
import { BUILD_DIR, projectRoot } from "../paths.js";
import { startPaymentService, GATEWAY_HOST, CHARGE_PATH, type PaymentService } from "./payments.js";
import { CUSTOMERS, payments, inShare, type Customer } from "./customers.js";
import { startSink } from "../capture/sink.js";
import { readHar, type HarEntry } from "../capture/har.js";
import { replay, type ReplayResult } from "../capture/replay.js";

const SHARE = 50;

/** The primary's proxy: mirror a consistent half of the users' payments to v2, redacted, tagged, compared. */
export const MIRROR_POLICY = {
  role: "mirror",
  shadow: { cluster: "payments-v2", timeout_ms: 3000 },
  select: { percent: SHARE, hash_header: "x-user-id", match: [{ name: "payments", path: { prefix: "/api/payments" }, methods: ["POST"] }] },
  redact: {
    headers: { drop: ["authorization"] },
    json: { mask: ["$..card.cvc"] },
    detectors: ["card", "email"],
    hash_key: "inline:demo-key-not-a-secret-0123456789",
  },
  tag: { baggage: true },
  compare: {
    headers: ["content-type"],
    ignore_paths: ["$.payment_id", "$.created"],
    // Copies that failed or mismatched, as v2 received them (redacted), to the capture sink.
    capture: { cluster: "captures" },
  },
};

/** The shadow's outbound proxy: a tagged call to the gateway's charges gets a stub and never leaves. */
export const GUARD_POLICY = {
  role: "egress-guard",
  guard: {
    destinations: [{ name: "payments", host: { suffix: "gateway.example" }, path: { prefix: CHARGE_PATH }, methods: ["POST"] }],
    response: { status: 200, body: '{"id":"ch_shadow","status":"succeeded"}', headers: { "content-type": "application/json" } },
  },
};

export interface DemoFacts {
  customers: (Customer & { mirrored: boolean; v1: number; v2: number })[];
  v1: RecordedRequest[];
  /** The copies v2 received from the mirror (the replays aside). */
  v2: RecordedRequest[];
  gateway: RecordedRequest[];
  /** v2's calls to the gateway and what answered them. */
  v2Charges: PaymentService["charges"];
  mirrorStats: Map<string, number>;
  guardStats: Map<string, number>;
  records: DiffRecord[];
  /** The captured copies (the HAR's entries), and their replay against v2 as it is and with the fix. */
  captures: HarEntry[];
  replayed: ReplayResult[];
  replayedFixed: ReplayResult[];
  files: { report: string[]; ingressLog: string; guardLog: string; har: string; rules?: string };
}

export interface DemoOptions {
  backend: Backend;
  wasm: string;
  /** Where the report, logs and captures go (default build/demo). */
  out?: string;
  say?: (line: string) => void;
}

const M = (n: string) => `wasmcustom.mirrorshade.${n}`;
/** What a replayed entry got now: each answer, with its count when more than one. */
const answers = (r: ReplayResult) => Object.entries(r.now).map(([a, n]) => (n > 1 ? `${a} ×${n}` : a)).join(", ") || "-";

/** The /stats/prometheus lines step 7 shows: the non-zero series the rules read (without rules: the main counters). */
function scrapedForRules(text: string, rules: string | null): string[] {
  const names = rules ? new Set([...rules.matchAll(/\bmirrorshade_[a-z_]+/g)].map((m) => m[0])) : null;
  const fallback = /^mirrorshade_(requests|select_selected|mirrored|compare_(compared|mismatched)|capture_captured)$/;
  const pick = (byRules: boolean) =>
    text
      .split("\n")
      .filter((l) => {
        const name = /^[a-z_]+/.exec(l)?.[0] ?? "";
        if (!name.startsWith("mirrorshade_") || /_(bucket|sum|count)$/.test(name)) return false;
        return byRules ? names!.has(name) && !/ 0$/.test(l) && !l.includes("field=") : fallback.test(name);
      })
      .slice(0, 8);
  const chosen = names ? pick(true) : [];
  // Series named otherwise than the rules expect (a bootstrap without the stats_tags): the main counters.
  return chosen.length >= 3 ? chosen : pick(false);
}
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const shown = (p: string) => (p.startsWith(projectRoot) ? relative(process.cwd(), p) || "." : p);

function header(r: RecordedRequest | undefined, name: string): string | undefined {
  return r?.headers.find(([k]) => k === name)?.[1];
}

function field(r: RecordedRequest | undefined, path: string[]): string {
  if (!r) return "(not received)";
  try {
    let v: unknown = JSON.parse(r.body.toString());
    for (const k of path) v = (v as Record<string, unknown>)[k];
    return v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v);
  } catch {
    return "(not JSON)";
  }
}

export async function playDemo(o: DemoOptions): Promise<DemoFacts> {
  const say = o.say ?? ((l: string) => console.log(l));
  const out = o.out ?? join(BUILD_DIR, "demo");
  mkdirSync(out, { recursive: true });
  const closers: (() => Promise<void>)[] = [];
  const envoys: { name: string; envoy: EnvoyInstance }[] = [];
  try {
    // The payment gateway (a stub of the real one: it records every charge it gets).
    const gateway: RecordingUpstream = await startRecordingUpstream("gateway", 0, { body: '{"id":"ch_live","status":"succeeded"}' });
    closers.push(() => gateway.close());
    const start = async (name: string, bootstrap: (admin: number, listener: number) => object) => {
      const started = await startEnvoyOnFreePorts(bootstrap, { backend: o.backend, mounts: [BUILD_DIR] });
      envoys.push({ name, envoy: started.envoy });
      closers.push(() => started.envoy.stop());
      return started;
    };
    const egress = await start("egress guard", (adminPort, listenerPort) =>
      buildBootstrap({ adminPort, listenerPort, primary: { name: "gateway", port: gateway.port }, wasm: { wasmPath: o.wasm, failurePolicy: "FAIL_CLOSED", configuration: GUARD_POLICY } }),
    );
    const har = join(out, "captures.har");
    rmSync(har, { force: true });
    const sink = await startSink({ out: har });
    closers.push(() => sink.close());
    const v1 = await startPaymentService(1, egress.listenerPort);
    const v2 = await startPaymentService(2, egress.listenerPort);
    closers.push(() => v1.close(), () => v2.close());
    const ingress = await start("mirror", (adminPort, listenerPort) =>
      buildBootstrap({
        adminPort,
        listenerPort,
        primary: { name: "payments-v1", port: v1.port },
        extraClusters: [{ name: "payments-v2", port: v2.port }, { name: "captures", port: sink.port }],
        wasm: { wasmPath: o.wasm, configuration: MIRROR_POLICY },
      }),
    );

    say("mirrorshade demo: moving payments from v1 to v2 by mirroring live traffic");
    say(`  real Envoy (${o.backend}) running ${shown(o.wasm)}; everything on 127.0.0.1\n`);
    say("== 1/7 The setup");
    const front = `  client ─▶ Envoy :${ingress.listenerPort} (role mirror) `;
    say(`${front}─▶ payments v1 :${v1.port} (primary: answers the client)`);
    say(`${" ".repeat(front.length)}┄▶ payments v2 :${v2.port} (shadow: answers only compared)`);
    say(`  v1, v2 ─▶ Envoy :${egress.listenerPort} (role egress-guard) ─▶ payment gateway :${gateway.port} (${GATEWAY_HOST})`);
    say(`  mirror policy: ${SHARE}% of users by x-user-id, POST /api/payments only;`);
    say("    the copy: authorization dropped, $..card.cvc masked, cards and e-mails found and masked,");
    say("    tagged x-shadow-request: true and baggage mirrorshade.shadow=true;");
    say("    answers compared, $.payment_id and $.created ignored (they differ on every answer)");
    say(`  guard policy: a tagged POST ${CHARGE_PATH} to *.gateway.example is answered with`);
    say(`    ${GUARD_POLICY.guard.response.body} and never leaves`);
    say('  v2\'s bug, unknown to its team: it declines every address whose country is not "US"\n');

    // Step 2: the traffic.
    const base = `http://127.0.0.1:${ingress.listenerPort}`;
    const sent = payments();
    for (const p of sent) {
      const res = await fetch(base + "/api/payments", { method: "POST", headers: p.headers, body: p.body });
      p.status = res.status;
      await res.arrayBuffer();
    }
    const mirrorStats = await waitForStats(
      ingress.envoy,
      (s) => (s.get(M("shadow.inflight")) ?? 1) === 0 && (s.get(M("compare.compared")) ?? 0) + (s.get(M("compare.unmatched")) ?? 0) >= (s.get(M("mirrored")) ?? 0),
      15_000,
    );
    const byUser = (svc: PaymentService, c: Customer) => svc.requests.filter((r) => header(r, "x-user-id") === c.user).length;
    const customers = CUSTOMERS.map((c) => ({ ...c, mirrored: inShare(c.user, SHARE), v1: byUser(v1, c), v2: byUser(v2, c) }));
    say(`== 2/7 Traffic: ${sent.length} payments from ${CUSTOMERS.length} customers, two each`);
    say(`  ${pad("customer", 10)}${pad("country", 9)}${pad("client got", 12)}${pad("v1 got", 8)}${pad("v2 got", 8)}in the ${SHARE}%?`);
    for (const c of customers) {
      const statuses = sent.filter((p) => p.customer.user === c.user).map((p) => p.status).join(",");
      say(`  ${pad(c.user, 10)}${pad(c.country, 9)}${pad(statuses, 12)}${pad(c.v1, 8)}${pad(c.v2, 8)}${c.mirrored ? "yes" : "no"}`);
    }
    say(`  Envoy /stats: select.selected ${mirrorStats.get(M("select.selected"))}, select.sampled_out ${mirrorStats.get(M("select.sampled_out"))}, mirrored ${mirrorStats.get(M("mirrored"))}`);
    say(`  a customer is in when sha256(x-user-id)[0:4] < ${SHARE}% of 2^32: on every request, worker and proxy`);
    say("  every client got v1's answer; v2's answers never reached a client\n");

    // Step 3: redaction, on the first mirrored payment.
    const sample = v2.requests[0];
    const id = header(sample, "x-request-id");
    const primaryOf = v1.requests.find((r) => header(r, "x-request-id") === id);
    say(`== 3/7 Redaction: payment ${id} as v1 received it and as v2 received it`);
    say(`  ${pad("", 18)}${pad("v1 (primary)", 32)}v2 (shadow)`);
    const rows: [string, string, string][] = [
      ["authorization", header(primaryOf, "authorization") ?? "(none)", header(sample, "authorization") ?? "(dropped)"],
      ["$.email", field(primaryOf, ["email"]), field(sample, ["email"])],
      ["$.card.number", field(primaryOf, ["card", "number"]), field(sample, ["card", "number"])],
      ["$.card.cvc", field(primaryOf, ["card", "cvc"]), field(sample, ["card", "cvc"])],
      ["$.amount", field(primaryOf, ["amount"]), field(sample, ["amount"])],
      ["$.address", field(primaryOf, ["address", "country"]) + ", " + field(primaryOf, ["address", "city"]), field(sample, ["address", "country"]) + ", " + field(sample, ["address", "city"])],
      ["x-shadow-request", header(primaryOf, "x-shadow-request") ?? "(none)", header(sample, "x-shadow-request") ?? "(none)"],
      ["baggage", header(primaryOf, "baggage") ?? "(none)", header(sample, "baggage") ?? "(none)"],
    ];
    for (const [k, a, b] of rows) say(`  ${pad(k, 18)}${pad(a, 32)}${b}`);
    say("  the card keeps its length, last four digits and Luhn validity: v2 validates it as v1 does");
    say(`  Envoy /stats: redact.detector.card ${mirrorStats.get(M("redact.detector.card")) ?? 0}, redact.detector.email ${mirrorStats.get(M("redact.detector.email")) ?? 0},`);
    say(`    redact.json.masked ${mirrorStats.get(M("redact.json.masked")) ?? 0}, redact.headers.dropped ${mirrorStats.get(M("redact.headers.dropped")) ?? 0}\n`);

    // Step 4: the guard.
    const guardStats = await egress.envoy.stats();
    const blocked = v2.charges.filter((c) => c.guard === "blocked");
    const shadowAtGateway = gateway.requests.filter((r) => (header(r, "baggage") ?? "").includes("mirrorshade.shadow") || header(r, "x-shadow-request") !== undefined);
    say("== 4/7 The egress guard: v2 charged no one");
    say(`  v1 charged ${v1.charges.length} payments; the gateway received ${gateway.requests.length} charges, ${shadowAtGateway.length} of them from v2`);
    say(`  v2 tried ${v2.charges.length} charges (it declined the other payments itself); ${blocked.length} answered by the guard:`);
    say(`    ${blocked[0]?.status ?? "-"} ${blocked[0]?.body ?? ""} with x-mirrorshade-guard: ${blocked[0]?.guard ?? "-"}`);
    say("  v2 passed on only the baggage header (as OpenTelemetry does): the guard recognized it");
    say(`  guard Envoy /stats: guard.blocked.payments ${guardStats.get(M("guard.blocked.payments")) ?? 0}, guard.untagged ${guardStats.get(M("guard.untagged")) ?? 0}\n`);

    // Step 5: the comparison.
    const records = parseRecords(ingress.envoy.logs());
    say("== 5/7 The comparison: v1's and v2's answers, pair by pair");
    say(`  compared ${mirrorStats.get(M("compare.compared")) ?? 0}, matched ${mirrorStats.get(M("compare.matched")) ?? 0}, mismatched ${mirrorStats.get(M("compare.mismatched")) ?? 0} (payment_id, created: ignored)`);
    say(`  ${pad("payment", 9)}${pad("customer", 10)}${pad("country", 9)}${pad("status", 12)}fields (+ only in v2, - only in v1, ~ different)`);
    const mark: Record<string, string> = { extra_in_shadow: "+", missing_in_shadow: "-" };
    for (const r of records) {
      const p = sent.find((s) => s.id === r.request_id);
      const fields = r.differences.filter((d) => d.path !== ":status").map((d) => `${mark[d.kind] ?? "~"}${d.path}`).join(" ");
      say(`  ${pad(r.request_id, 9)}${pad(p?.customer.user ?? "?", 10)}${pad(p?.customer.country ?? "?", 9)}${pad(`${r.status[0]} → ${r.status[1]}`, 12)}${fields}`);
    }
    const mismatchedCountries = [...new Set(records.map((r) => sent.find((s) => s.id === r.request_id)?.customer.country))];
    const matchedCountries = [...new Set(customers.filter((c) => c.mirrored && !mismatchedCountries.includes(c.country)).map((c) => c.country))];
    say(`  mismatches only for addresses in ${mismatchedCountries.join(", ") || "(none)"}; every mirrored payment from ${matchedCountries.join(", ") || "(none)"} matched`);
    say("  values in the records are keyed hashes: no card, e-mail or address is written to the log\n");

    // Step 6: capture and replay.
    const deadline = Date.now() + 10_000;
    while (sink.appended < records.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const captures = (await readHar(har)).log.entries;
    say("== 6/7 Capture and replay: the failing payments, as v2 received them, replayed against v2");
    say(`  mirrorshade capture-sink --out ${shown(har)}: ${captures.length} captures (compare.capture), e.g.`);
    const c0 = captures[0];
    if (c0) {
      const body = c0.request.postData?.text ?? "";
      say(`    ${c0.request.method} ${new URL(c0.request.url).pathname}  ${c0._mirrorshade?.reason ?? "?"}: v1 ${c0._mirrorshade?.primary?.status ?? "?"}, v2 ${c0.response.status}`);
      say(`    ${body.length > 92 ? body.slice(0, 89) + "..." : body}`);
    }
    // What the mirror sent v2, before the replays add to it.
    const v2Copies = v2.requests.slice();
    const replayed = (await replay({ entries: captures, target: `http://127.0.0.1:${v2.port}` })).results;
    say(`  mirrorshade replay --har ${shown(har)} --target http://127.0.0.1:${v2.port}   (v2 as it is)`);
    const who = (i: number) => {
      const h = captures[i]?.request.headers ?? [];
      const id = h.find((x) => x.name === "x-request-id")?.value ?? "?";
      const p = sent.find((x) => x.id === id);
      return `${pad(id, 8)}${pad(p?.customer.user ?? "?", 7)}${pad(p?.customer.country ?? "?", 3)}`;
    };
    for (const r of replayed) say(`    #${r.index} ${who(r.index)} ${r.method} ${r.path}  then ${r.then}, now ${answers(r)}`);
    v2.fixed = true;
    const replayedFixed = (await replay({ entries: captures, target: `http://127.0.0.1:${v2.port}` })).results;
    say("  the same, after v2's team fixed the country check (its charges stubbed by the guard again):");
    say(`    ${replayedFixed.map((r) => `#${r.index} now ${answers(r)}`).join("   ")}`);
    say("  the captures hold only what the copy held: redacted cards and e-mails, no authorization\n");

    // Step 7: the report and the files.
    const ingressLog = join(out, "envoy-mirror.log");
    const guardLog = join(out, "envoy-guard.log");
    writeFileSync(ingressLog, ingress.envoy.logs());
    writeFileSync(guardLog, egress.envoy.logs());
    const report = writeReport([ingressLog], join(out, "report"));
    const rules = join(projectRoot, "prometheus", "mirrorshade.rules.yml");
    const dashboard = join(projectRoot, "grafana", "mirrorshade.json");
    say("== 7/7 The report, and what Prometheus scrapes");
    say(`  mirrorshade report --input ${shown(ingressLog)} --out ${shown(join(out, "report"))}`);
    for (const s of report.summary) say(`    ${s.route}: ${s.records} differing (${[...s.statuses.keys()].join(", ")})`);
    const scraped = scrapedForRules(await ingress.envoy.admin("/stats/prometheus"), existsSync(rules) ? readFileSync(rules, "utf8") : null);
    say(`  Envoy /stats/prometheus (the mirror), what the alerts compute the mismatch rate from:`);
    for (const l of scraped) say(`    ${l}`);
    // HOOK(prom, issue 16 items 1-4): the rules, dashboard and rollout gates are pointed at below once they are in the tree.
    if (!existsSync(rules)) say("  (Prometheus rules and the Grafana dashboard: not in this tree yet, see issue 16)");
    say("");
    say("files written:");
    for (const f of report.files) say(`  ${shown(f)}`);
    say(`  ${shown(har)}  (the captured copies, HTTP Archive 1.2: replay, browsers' devtools, k6)`);
    say(`  ${shown(ingressLog)}  (the mirror's Envoy log, with the diff records)`);
    say(`  ${shown(guardLog)}`);
    if (existsSync(rules)) {
      const alerts = [...readFileSync(rules, "utf8").matchAll(/^\s*- alert: (\S+)/gm)].map((m) => m[1]);
      say(`  ${shown(rules)}  (Prometheus recording and alerting rules on these counters)`);
      for (let i = 0; i < alerts.length; i += 3) say(`    ${i === 0 ? "alerts:" : "       "} ${alerts.slice(i, i + 3).join(", ")}`);
    }
    if (existsSync(dashboard)) say(`  ${shown(dashboard)}  (the Grafana dashboard: v1 and v2 side by side)`);
    if (existsSync(join(projectRoot, "harness", "render-gates.ts"))) say("  rollout gates on the same queries: mirrorshade render --target flagger|argo --policy <policy.json>");
    return {
      customers,
      v1: v1.requests,
      v2: v2Copies,
      gateway: gateway.requests,
      v2Charges: v2.charges,
      mirrorStats,
      guardStats,
      records,
      captures,
      replayed,
      replayedFixed,
      files: { report: report.files, ingressLog, guardLog, har, rules: existsSync(rules) ? rules : undefined },
    };
  } catch (e) {
    for (const { name, envoy } of envoys) say(`--- ${name} Envoy log ---\n${envoy.logs()}`);
    throw e;
  } finally {
    for (const c of closers.reverse()) await c().catch(() => {});
  }
}
