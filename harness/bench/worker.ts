// `mirrorshade bench --worker`: what redacting a large body costs the request that
// carries it and the other requests on the same Envoy worker, in real Envoy.
//
// One Envoy worker (--concurrency 1, pinned to core 1; this harness, its upstreams
// and h2load on core 0), a fresh Envoy per measurement, the configurations
// interleaved round by round (the order rotates each round):
//   floor               no filter, Envoy routing to the primary
//   native              Envoy's request_mirror_policies (copies unredacted), for reference
//   mirrorshade         the filter (--wasm, default build/mirrorshade.wasm) with the bench's
//                       MIRROR_POLICY: selection, header, query and JSON redaction, all detectors
//   mirrorshade_before  another build of the filter (--before-wasm FILE, or --before-commit REV
//                       built in a temporary git worktree) with the same policy
// Two loads at once in each measurement:
//   uploader   POSTs of a realistic JSON document (sampleJson, 900,000 B by default), one after
//              the other on one keep-alive connection, one started every --upload-every ms (or as
//              soon as the previous is answered, when that is later). Per upload: the time from
//              just before its first byte is written until the primary upstream has read its
//              last body byte (both clocks are this process's performance.now(): the upstream
//              runs in it), and until the client has the answer (the upstream answers at once).
//   bystander  small GETs of /healthz (excluded from mirroring by the policy, so they measure
//              the worker, not their own copy) at a fixed rate, one every --bystander-every ms,
//              from h2load on 20 keep-alive connections (harness/bench/load.ts openLoop),
//              latency from sending to the end of the answer.
// At the end of each mirrorshade measurement the filter's own statistics are read from
// Envoy's admin /stats (histogram buckets, the warm-up subtracted): redaction.slices,
// redaction.slice_us, redaction.wait_ms, skipped.redaction_budget, mirrored; and a few
// copies of the uploads that reached the shadow are checked for redaction.
// A measurement disturbed by the machine (other processes' CPU, as in runner.ts, or
// more than STEAL_LIMIT_S of Envoy's core taken by the hypervisor) is taken again up
// to --retakes times, each after a bounded wait for a quiet machine; the report says
// how many were taken again and how many were kept disturbed.
import { request, Agent } from "node:http";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cpus as cpuInfo, totalmem, tmpdir } from "node:os";
import { startEnvoyOnFreePorts, type Backend, type EnvoyInstance } from "../envoy/index.js";
import { buildBootstrap, type BootstrapSpec } from "../envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream, type RecordedRequest } from "../net/upstreams.js";
import { startBenchUpstream, type BenchUpstream } from "./upstream.js";
import { openLoop, fixedCount, percentile } from "./load.js";
import { sampleJson } from "./redact.js";
import { MIRROR_POLICY } from "./scenarios.js";
import { ENVOY_CPU, LOAD_CPU, procStat, coreTimes, envoyVersion, foreignLimit } from "./runner.js";
import { readFilterStats, diffBuckets, addBuckets, over, bucketRows, summarize, type Buckets } from "./worker-stats.js";
import type { WorkerConfig, RedactionLimits, WorkerMeasure, ConfigSummary, WorkerReport } from "./worker-types.js";

export interface WorkerOptions {
  backend: Backend;
  rounds: number;
  /** Uploads per measurement. */
  uploads: number;
  uploadEveryMs: number;
  bodyBytes: number;
  bystanderEveryMs: number;
  configs: readonly WorkerConfig[];
  /** The module of `mirrorshade`, and what it is for the report (a commit). */
  wasm: string;
  label?: string;
  /** The module of `mirrorshade_before` (needed when that configuration runs). */
  beforeWasm?: string;
  /** What `mirrorshade_before` is, for the report (a commit, a file name). */
  beforeLabel?: string;
  limits?: RedactionLimits;
  /** Measurements disturbed by other processes are taken again at most this many times. */
  retakes: number;
  /** A line of progress; with `step` when it ends a measurement (the CLI's bar). */
  progress: (line: string, step?: { done: number; total: number }) => void;
}

const UPLOAD_PATH = "/api/orders?token=t0k3n&session=s3ss&id=7";
const BYSTANDER_PATH = "/healthz";
const UPLOAD_HEADERS = {
  authorization: "Bearer secret-token",
  cookie: "sid=abc",
  "x-api-key": "key-12345",
  "x-user-email": "alice@example.com",
  "x-user-id": "alice",
  "content-type": "application/json",
};
const WARM_UPLOADS = 3;
const WARM_BYSTANDERS = 300;
/** Upload copies checked for redaction at the shadow, per measurement. */
const CHECKED = 3;
/** Values of the sample document that redaction must not leave in a copy (examples/redact.json: card numbers masked, passwords and CVVs masked, e-mails hashed). */
const SECRETS = ["4111111111111111", "hunter2", '"cvv":"123"', "@example.com"];

/** Clock ticks the hypervisor took from a core (steal, /proc/stat's eighth column): time Envoy's core was not ours, which no process shows. */
function stealTicks(core: string): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n").find((l) => l.startsWith(`cpu${core} `));
  return Number(line?.trim().split(/\s+/)[8] ?? NaN);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: number[]) => xs.filter(Number.isFinite).sort((a, b) => a - b);
const median = (xs: number[]) => percentile(sorted(xs), 50);
const spread = (xs: number[]): [number, number] => {
  const s = sorted(xs);
  return s.length ? [s[0], s[s.length - 1]] : [NaN, NaN];
};
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** The policy each filter configuration loads. */
export function workerPolicy(c: WorkerConfig, limits?: RedactionLimits): object | undefined {
  if (c === "mirrorshade") return limits && Object.keys(limits).length ? { ...MIRROR_POLICY, limits } : MIRROR_POLICY;
  if (c === "mirrorshade_before") return MIRROR_POLICY;
  return undefined;
}

function bootstrapFor(c: WorkerConfig, o: WorkerOptions, ports: { admin: number; listener: number; primary: number; shadow: number }): object {
  const base: BootstrapSpec = {
    adminPort: ports.admin,
    listenerPort: ports.listener,
    primary: { name: "primary", port: ports.primary },
    extraClusters: [{ name: "shadow", port: ports.shadow }],
  };
  let b: object;
  switch (c) {
    case "floor":
      b = buildBootstrap(base);
      break;
    case "native":
      b = buildBootstrap({ ...base, nativeMirror: { cluster: "shadow" } });
      break;
    case "mirrorshade":
      b = buildBootstrap({ ...base, wasm: { wasmPath: o.wasm, configuration: workerPolicy(c, o.limits)! } });
      break;
    case "mirrorshade_before":
      b = buildBootstrap({ ...base, wasm: { wasmPath: o.beforeWasm!, configuration: workerPolicy(c)! } });
      break;
  }
  // Histograms are merged from the worker into what /stats shows only on a flush: flush when the admin
  // endpoint is read (and never on a timer, which would also run on the worker during a measurement).
  return { ...b, stats_flush_on_admin: true };
}

/** limits.redaction_slice_us as mirrorshade runs it (the filter's default: 500). */
const sliceTarget = (o: WorkerOptions) => o.limits?.redaction_slice_us ?? 500;

/** One POST on the keep-alive agent: ms until the answer's end, and its status (0: failed). */
function post(url: URL, agent: Agent, body: Buffer, id: string): Promise<{ t0: number; answeredMs: number; status: number }> {
  return new Promise((resolve) => {
    let t0 = NaN;
    const req = request(
      url,
      { method: "POST", agent, headers: { ...UPLOAD_HEADERS, "content-length": String(body.length), "x-upload-id": id }, timeout: 30_000 },
      (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve({ t0, answeredMs: performance.now() - t0, status: res.statusCode ?? 0 }));
        res.on("error", () => resolve({ t0, answeredMs: NaN, status: 0 }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve({ t0, answeredMs: NaN, status: 0 }));
    t0 = performance.now();
    req.end(body);
  });
}

const uploadId = (r: RecordedRequest) => r.headers.find(([k]) => k === "x-upload-id")?.[1];

/** A copy is redacted when it carries the shadow tag, no credential header and none of the sample's secrets, and is still JSON. */
function isRedacted(r: RecordedRequest): boolean {
  const h = (n: string) => r.headers.find(([k]) => k === n)?.[1];
  if (h("x-shadow-request") !== "true" || h("authorization") !== undefined || h("cookie") !== undefined) return false;
  const text = r.body.toString("utf8");
  if (SECRETS.some((s) => text.includes(s))) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function measureOnce(c: WorkerConfig, round: number, o: WorkerOptions, body: Buffer, primary: BenchUpstream, shadow: RecordingUpstream, moduleDir: string): Promise<WorkerMeasure> {
  const arrived = new Map<string, number>();
  primary.onRequest = (head, at) => {
    const id = /\r\nx-upload-id:\s*(\S+)/.exec(head)?.[1];
    if (id) arrived.set(id, at);
  };
  shadow.clear();
  const filter = c === "mirrorshade" || c === "mirrorshade_before";
  const { envoy, listenerPort } = await startEnvoyOnFreePorts(
    (admin, listener) => bootstrapFor(c, o, { admin, listener, primary: primary.port, shadow: shadow.port }),
    { backend: o.backend, cpus: ENVOY_CPU, mounts: [moduleDir], logLevel: "warning" },
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    if (o.backend === "container" && envoy.pid()) execFileSync("taskset", ["-a", "-p", "-c", ENVOY_CPU, String(envoy.pid())], { stdio: "ignore" });
    const uploadUrl = new URL(`http://127.0.0.1:${listenerPort}${UPLOAD_PATH}`);
    const bystanderSpec = { url: `http://127.0.0.1:${listenerPort}${BYSTANDER_PATH}`, protocol: "h1" as const, headers: {}, cpus: LOAD_CPU };
    // Warm-up: the VM's first requests, V8's tier-up, the connections.
    for (let i = 0; i < WARM_UPLOADS; i++) {
      await post(uploadUrl, agent, body, `warm-${i}`);
      await sleep(o.uploadEveryMs);
    }
    await fixedCount(bystanderSpec, WARM_BYSTANDERS, 4, 60);
    const copied = filter || c === "native";
    await settle(envoy, shadow, "warm-", copied ? WARM_UPLOADS : 0, filter);
    const before = filter ? await readFilterStats(envoy) : undefined;

    const p0 = procStat(envoy.pid());
    const cores0 = coreTimes();
    const steal0 = stealTicks(ENVOY_CPU);
    const self0 = process.cpuUsage();
    const started = performance.now();
    // The bystanders' window: the uploads' schedule (at least 50 ms each when they go back to back) and 0.3 s either side.
    const seconds = (o.uploads * Math.max(o.uploadEveryMs, 50) + 600) / 1000;
    const bystanders = openLoop(bystanderSpec, 1000 / o.bystanderEveryMs, seconds);
    // Let h2load open its connections (one per 5 ms) before the first upload.
    await sleep(300);
    const primaryMs: number[] = [];
    const answeredMs: number[] = [];
    let errors = 0;
    let late = 0;
    const t0 = performance.now();
    for (let i = 0; i < o.uploads; i++) {
      const due = t0 + i * o.uploadEveryMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      else if (i > 0 && wait < -5) late++;
      const id = `r${round}-${c}-${i}`; // the prefix `r${round}-${c}-` finds its copies at the shadow
      const r = await post(uploadUrl, agent, body, id);
      const at = arrived.get(id);
      if (r.status !== 200 || at === undefined) {
        errors++;
        continue;
      }
      primaryMs.push(at - r.t0);
      answeredMs.push(r.answeredMs);
    }
    const uploadSpan = (performance.now() - t0) / 1000;
    const load = await bystanders;
    const elapsed = (performance.now() - started) / 1000;
    const p1 = procStat(envoy.pid());
    const cores1 = coreTimes();
    const steal = (stealTicks(ENVOY_CPU) - steal0) / 100;
    const self = process.cpuUsage(self0);
    const procS = (cores1.get("all")!.proc - cores0.get("all")!.proc) / 100;
    const envoyCpu = p1.cpuS - p0.cpuS;
    const foreign = Math.max(0, procS - envoyCpu - load.generatorCpuS - (self.user + self.system) / 1e6);

    const prefix = `r${round}-${c}-`;
    await settle(envoy, shadow, prefix, copied ? o.uploads : 0, filter);
    const copies = shadow.requests.filter((r) => uploadId(r)?.startsWith(prefix));
    const checkedCopies = copies.slice(0, CHECKED);
    const m: WorkerMeasure = {
      config: c,
      round,
      upload_primary_ms: primaryMs,
      upload_answered_ms: answeredMs,
      upload_errors: errors,
      uploads_late: late,
      bystanders_sent: load.sent,
      bystander_errors: load.errors,
      bystander_p50_ms: percentile(load.latenciesMs, 50),
      bystander_p99_ms: percentile(load.latenciesMs, 99),
      bystander_p999_ms: percentile(load.latenciesMs, 99.9),
      bystander_max_ms: load.latenciesMs.length ? load.latenciesMs[load.latenciesMs.length - 1] : NaN,
      bystander_late: load.lateShare,
      envoy_cpu_s: envoyCpu,
      seconds: elapsed,
      upload_span_s: uploadSpan,
      bystander_window_s: seconds,
      shadow_uploads: copies.length,
      checked: checkedCopies.length,
      redacted: checkedCopies.filter(isRedacted).length,
      bystanderLatencies: load.latenciesMs,
      foreign_cpu_s: foreign,
      steal_s: steal,
    };
    if (filter) {
      const after = await readFilterStats(envoy);
      // An older build may lack a statistic (5e4654c has no redaction.*): NaN, shown as "–".
      const d = (n: string) => (after.counters.get(n) ?? NaN) - (before!.counters.get(n) ?? NaN);
      m.sliceBuckets = diffBuckets(after.hists.get("redaction.slice_us"), before!.hists.get("redaction.slice_us"));
      m.waitBuckets = diffBuckets(after.hists.get("redaction.wait_ms"), before!.hists.get("redaction.wait_ms"));
      m.filter = {
        mirrored: d("mirrored"),
        skipped_redaction_budget: d("skipped.redaction_budget"),
        slices: d("redaction.slices"),
        slices_over_twice_target: over(m.sliceBuckets, 2 * sliceTarget(o)),
        slice_us: summarize(m.sliceBuckets),
        wait_ms: summarize(m.waitBuckets),
        slice_us_with_warmup: summarize(after.hists.get("redaction.slice_us") ?? new Map()),
      };
    }
    return m;
  } finally {
    agent.destroy();
    primary.onRequest = undefined;
    await envoy.stop();
    shadow.clear();
  }
}

/** Seconds the hypervisor may take from Envoy's core during a measurement before it counts as disturbed (about 0.5 % is usual here). */
const STEAL_LIMIT_S = 0.2;
/** Another job took CPU during the measurement, or the hypervisor took Envoy's core. */
const disturbed = (m: WorkerMeasure) => m.foreign_cpu_s > foreignLimit(m.seconds) || m.steal_s > STEAL_LIMIT_S;

/**
 * Before a measurement: waits (at most maxS) until other processes use less than 0.15 CPU s in a second
 * (nothing of the bench runs then but this process, which is not counted). Returns what they used last.
 */
async function waitForQuiet(progress: (l: string) => void, maxS: number): Promise<number> {
  const began = Date.now();
  let said = false;
  for (;;) {
    const a = coreTimes();
    const self0 = process.cpuUsage();
    await sleep(1000);
    const b = coreTimes();
    const self = process.cpuUsage(self0);
    const other = Math.max(0, (b.get("all")!.proc - a.get("all")!.proc) / 100 - (self.user + self.system) / 1e6);
    if (other < 0.15 || Date.now() - began > maxS * 1000) return other;
    if (!said) progress(`  (other processes use ${other.toFixed(2)} CPU s per second: waiting up to ${maxS} s for them to quiet down)`);
    said = true;
  }
}

/**
 * Waits (60 s at most) until `want` copies whose x-upload-id starts with `prefix` reached the shadow, or,
 * with the filter, until none waits to be redacted and none is in flight (a copy it skipped never comes).
 */
async function settle(envoy: EnvoyInstance, shadow: RecordingUpstream, prefix: string, want: number, filter: boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (shadow.requests.filter((r) => uploadId(r)?.startsWith(prefix)).length >= want) break;
    if (filter) {
      const s = await envoy.stats("^wasmcustom\\.mirrorshade\\.(redaction\\.queued|shadow\\.inflight)$");
      if ((s.get("wasmcustom.mirrorshade.redaction.queued") ?? 0) === 0 && (s.get("wasmcustom.mirrorshade.shadow.inflight") ?? 0) === 0) break;
    }
    await sleep(50);
  }
  await sleep(100);
}

function summarizeConfig(ms: WorkerMeasure[], o: WorkerOptions): ConfigSummary {
  const primary = sorted(ms.flatMap((m) => m.upload_primary_ms));
  const lat = sorted(ms.flatMap((m) => m.bystanderLatencies ?? []));
  const uploads = primary.length;
  const s: ConfigSummary = {
    uploads,
    upload_errors: ms.reduce((a, m) => a + m.upload_errors, 0),
    upload_primary_median_ms: percentile(primary, 50),
    upload_primary_p99_ms: percentile(primary, 99),
    upload_primary_max_ms: primary.length ? primary[primary.length - 1] : NaN,
    upload_primary_median_of_rounds: median(ms.map((m) => median(m.upload_primary_ms))),
    upload_primary_median_spread: spread(ms.map((m) => median(m.upload_primary_ms))),
    upload_answered_median_ms: median(ms.flatMap((m) => m.upload_answered_ms)),
    uploads_late: ms.reduce((a, m) => a + m.uploads_late, 0),
    bystanders: lat.length,
    bystander_errors: ms.reduce((a, m) => a + m.bystander_errors, 0),
    bystander_p50_ms: percentile(lat, 50),
    bystander_p99_ms: percentile(lat, 99),
    bystander_p999_ms: percentile(lat, 99.9),
    bystander_max_ms: lat.length ? lat[lat.length - 1] : NaN,
    bystanders_over_10ms: lat.filter((l) => l > 10).length,
    bystander_p99_median_of_rounds: median(ms.map((m) => m.bystander_p99_ms)),
    bystander_p99_spread: spread(ms.map((m) => m.bystander_p99_ms)),
    bystander_late: Math.max(0, ...ms.map((m) => m.bystander_late)),
    envoy_cpu_ms_per_upload: (ms.reduce((a, m) => a + m.envoy_cpu_s, 0) * 1000) / Math.max(1, ms.length * o.uploads),
    shadow_uploads: ms.reduce((a, m) => a + m.shadow_uploads, 0),
    checked: ms.reduce((a, m) => a + m.checked, 0),
    redacted: ms.reduce((a, m) => a + m.redacted, 0),
    foreign_cpu_s: Math.max(0, ...ms.map((m) => m.foreign_cpu_s)),
    steal_s: Math.max(0, ...ms.map((m) => m.steal_s).filter(Number.isFinite)),
    retries: ms.reduce((a, m) => a + (m.retries ?? 0), 0),
    disturbed: ms.filter((m) => m.disturbed).length,
  };
  const withFilter = ms.filter((m) => m.filter);
  if (withFilter.length) {
    const slices = withFilter.reduce((a, m) => addBuckets(a, m.sliceBuckets), new Map() as Buckets);
    const waits = withFilter.reduce((a, m) => addBuckets(a, m.waitBuckets), new Map() as Buckets);
    const warm = withFilter.map((m) => m.filter!.slice_us_with_warmup);
    const worst = warm.reduce((a, h) => (h.max[0] > a.max[0] ? h : a), warm[0]);
    s.filter = {
      mirrored: withFilter.reduce((a, m) => a + m.filter!.mirrored, 0),
      skipped_redaction_budget: withFilter.reduce((a, m) => a + m.filter!.skipped_redaction_budget, 0),
      slices: withFilter.reduce((a, m) => a + m.filter!.slices, 0),
      slices_over_twice_target: over(slices, 2 * sliceTarget(o)),
      slice_us: summarize(slices),
      wait_ms: summarize(waits),
      slice_us_with_warmup: worst,
      slice_us_buckets: bucketRows(slices),
      wait_ms_buckets: bucketRows(waits),
    };
  }
  return s;
}

export async function runWorkerBench(o: WorkerOptions): Promise<WorkerReport> {
  if (o.configs.includes("mirrorshade_before") && !o.beforeWasm) throw new Error("mirrorshade_before needs --before-wasm FILE or --before-commit REV");
  // The modules are copied first: a rebuild in the tree during the run does not change what is measured.
  const moduleDir = mkdtempSync(join(tmpdir(), "mirrorshade-worker-"));
  const modules: WorkerReport["modules"] = {};
  const opts: WorkerOptions = { ...o };
  if (o.configs.includes("mirrorshade")) {
    opts.wasm = join(moduleDir, "mirrorshade.wasm");
    copyFileSync(o.wasm, opts.wasm);
    modules.mirrorshade = { file: o.wasm, sha256: sha256(opts.wasm), label: o.label };
  }
  if (o.configs.includes("mirrorshade_before")) {
    opts.beforeWasm = join(moduleDir, "mirrorshade-before.wasm");
    copyFileSync(o.beforeWasm!, opts.beforeWasm);
    modules.mirrorshade_before = { file: o.beforeWasm!, sha256: sha256(opts.beforeWasm), label: o.beforeLabel };
  }
  const body = Buffer.from(sampleJson(o.bodyBytes));
  const primary = await startBenchUpstream();
  const shadow = await startRecordingUpstream("shadow");
  const measures: WorkerMeasure[] = [];
  try {
    const total = o.rounds * o.configs.length;
    const began = Date.now();
    for (let round = 0; round < o.rounds; round++) {
      // Rotate the order each round, so that no configuration always runs first (or after the same one).
      const order = o.configs.map((_, i) => o.configs[(i + round) % o.configs.length]);
      for (const c of order) {
        // With retakes, a measurement also waits for a quiet machine first (a bounded wait: a busy machine still gets measured, and says so).
        const quiet = () => (o.retakes > 0 ? waitForQuiet(o.progress, 60) : Promise.resolve(0));
        await quiet();
        let m = await measureOnce(c, round, opts, body, primary, shadow, moduleDir);
        for (let retry = 1; retry <= o.retakes && disturbed(m); retry++) {
          o.progress(`  (${m.foreign_cpu_s.toFixed(2)} CPU s used by other processes, ${m.steal_s.toFixed(2)} s stolen from Envoy's core during ${c}: measuring again)`);
          await quiet();
          m = { ...(await measureOnce(c, round, opts, body, primary, shadow, moduleDir)), retries: retry };
        }
        m.disturbed = disturbed(m);
        measures.push(m);
        const el = Math.round((Date.now() - began) / 1000);
        const f = m.filter && Number.isFinite(m.filter.slices) ? `, slices ${m.filter.slices}, slice_us p99 ${m.filter.slice_us.p99.toFixed(0)} max <${m.filter.slice_us.max[1].toFixed(0)}, skipped.redaction_budget ${m.filter.skipped_redaction_budget}` : "";
        o.progress(
          `[${measures.length}/${total} ${el} s] round ${round + 1} ${c}: upload to primary median ${median(m.upload_primary_ms).toFixed(1)} ms max ${Math.max(...m.upload_primary_ms).toFixed(1)} ms; bystander p50 ${m.bystander_p50_ms.toFixed(2)} p99 ${m.bystander_p99_ms.toFixed(2)} max ${m.bystander_max_ms.toFixed(2)} ms; copies ${m.shadow_uploads}, redacted ${m.redacted}/${m.checked}${f}; errors ${m.upload_errors}+${m.bystander_errors}, other CPU ${m.foreign_cpu_s.toFixed(2)} s`,
          { done: measures.length, total },
        );
      }
    }
  } finally {
    primary.onRequest = undefined;
    await primary.close();
    await shadow.close();
    rmSync(moduleDir, { recursive: true, force: true });
  }
  const summary: WorkerReport["summary"] = {};
  const policies: WorkerReport["policies"] = {};
  for (const c of o.configs) {
    summary[c] = summarizeConfig(measures.filter((m) => m.config === c), o);
    const p = workerPolicy(c, o.limits);
    if (p) policies[c] = p;
  }
  return {
    kind: "worker",
    machine: `${cpuInfo().length} cores (${cpuInfo()[0]?.model?.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    date: new Date().toISOString().slice(0, 10),
    backend: o.backend,
    envoy: envoyVersion(),
    rounds: o.rounds,
    uploads_per_round: o.uploads,
    upload_every_ms: o.uploadEveryMs,
    body_bytes: body.length,
    bystander_every_ms: o.bystanderEveryMs,
    configs: [...o.configs],
    modules,
    policies,
    summary,
    measures: measures.map(({ bystanderLatencies: _l, sliceBuckets: _s, waitBuckets: _w, ...rest }) => rest),
  };
}
