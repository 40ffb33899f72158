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
import { request, Agent } from "node:http";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cpus as cpuInfo, totalmem, tmpdir } from "node:os";
import { startEnvoyOnFreePorts, type Backend, type EnvoyInstance } from "../envoy/index.js";
import { buildBootstrap, type BootstrapSpec } from "../envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream, type RecordedRequest } from "../net/upstreams.js";
import { projectRoot } from "../paths.js";
import { startBenchUpstream, type BenchUpstream } from "./upstream.js";
import { openLoop, fixedCount, percentile } from "./load.js";
import { sampleJson } from "./redact.js";
import { MIRROR_POLICY } from "./scenarios.js";
import { ENVOY_CPU, LOAD_CPU, procStat, coreTimes, envoyVersion, foreignLimit } from "./runner.js";

export const WORKER_CONFIGS = ["floor", "native", "mirrorshade", "mirrorshade_before"] as const;
export type WorkerConfig = (typeof WORKER_CONFIGS)[number];

/** The policy's new limits (limits.redaction_slice_us, limits.redaction_bytes_per_second): given to `mirrorshade` only, as older builds refuse them. */
export interface RedactionLimits {
  redaction_slice_us?: number;
  redaction_bytes_per_second?: number;
}

export interface WorkerOptions {
  backend: Backend;
  rounds: number;
  /** Uploads per measurement. */
  uploads: number;
  uploadEveryMs: number;
  bodyBytes: number;
  bystanderEveryMs: number;
  configs: readonly WorkerConfig[];
  /** The module of `mirrorshade`. */
  wasm: string;
  /** The module of `mirrorshade_before` (needed when that configuration runs). */
  beforeWasm?: string;
  /** What `mirrorshade_before` is, for the report (a commit, a file name). */
  beforeLabel?: string;
  limits?: RedactionLimits;
  /** Measurements disturbed by other processes are taken again at most this many times. */
  retakes: number;
  progress: (line: string) => void;
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

/** An Envoy histogram as bucket lower bound → [width, count] (its detailed buckets, or a difference of two readings). */
type Buckets = Map<number, [number, number]>;

export interface HistSummary {
  count: number;
  p50: number;
  p99: number;
  /** The highest non-empty bucket, [lower, upper): Envoy keeps about two significant digits. */
  max: [number, number];
}

export interface FilterStats {
  mirrored: number;
  skipped_redaction_budget: number;
  slices: number;
  slice_us: HistSummary;
  wait_ms: HistSummary;
  /** slice_us over the whole life of the Envoy, warm-up (a cold VM) included. */
  slice_us_with_warmup: HistSummary;
}

export interface WorkerMeasure {
  config: WorkerConfig;
  round: number;
  /** Per upload: first byte sent → the primary has the whole body; → the client has the answer. */
  upload_primary_ms: number[];
  upload_answered_ms: number[];
  upload_errors: number;
  /** Uploads started later than their schedule because the previous one was not answered yet. */
  uploads_late: number;
  bystanders_sent: number;
  bystander_errors: number;
  bystander_p50_ms: number;
  bystander_p99_ms: number;
  bystander_p999_ms: number;
  bystander_max_ms: number;
  /** Share of bystander answers slower than their connection's send interval (bound on coordinated omission). */
  bystander_late: number;
  envoy_cpu_s: number;
  /** The measurement's length; from the first upload's start to the last one's answer; the bystanders' planned window. */
  seconds: number;
  upload_span_s: number;
  bystander_window_s: number;
  /** Copies of this measurement's uploads that reached the shadow, and of those checked, how many carried no secret and the shadow tag. */
  shadow_uploads: number;
  checked: number;
  redacted: number;
  filter?: FilterStats;
  /** Raw readings kept for pooling (not written to JSON). */
  bystanderLatencies?: number[];
  sliceBuckets?: Buckets;
  waitBuckets?: Buckets;
  foreign_cpu_s: number;
  retries?: number;
}

export interface ConfigSummary {
  uploads: number;
  upload_errors: number;
  upload_primary_median_ms: number;
  upload_primary_p99_ms: number;
  upload_primary_max_ms: number;
  /** The per-round medians, lowest and highest. */
  upload_primary_median_spread: [number, number];
  upload_answered_median_ms: number;
  bystanders: number;
  bystander_errors: number;
  bystander_p50_ms: number;
  bystander_p99_ms: number;
  bystander_p999_ms: number;
  bystander_max_ms: number;
  bystander_p99_spread: [number, number];
  bystander_late: number;
  envoy_cpu_ms_per_upload: number;
  shadow_uploads: number;
  checked: number;
  redacted: number;
  foreign_cpu_s: number;
  retries: number;
  filter?: FilterStats;
}

export interface WorkerReport {
  kind: "worker";
  machine: string;
  date: string;
  backend: Backend;
  envoy: string;
  command?: string;
  wall_s?: number;
  rounds: number;
  uploads_per_round: number;
  upload_every_ms: number;
  body_bytes: number;
  bystander_every_ms: number;
  configs: WorkerConfig[];
  modules: Partial<Record<WorkerConfig, { file: string; sha256: string; label?: string }>>;
  policies: Partial<Record<WorkerConfig, object>>;
  summary: Partial<Record<WorkerConfig, ConfigSummary>>;
  measures: Omit<WorkerMeasure, "bystanderLatencies" | "sliceBuckets" | "waitBuckets">[];
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

/** The filter's counters and histogram buckets, after a flush (stats_flush_on_admin: the first read flushes, the merge lands a moment later). */
async function readFilterStats(envoy: EnvoyInstance): Promise<{ counters: Map<string, number>; hists: Map<string, Buckets> }> {
  await envoy.admin("/stats?filter=%5Ewasmcustom%5C.mirrorshade%5C.redaction%5C.queued%24");
  await sleep(300);
  const text = await envoy.admin(`/stats?format=json&histogram_buckets=detailed&filter=${encodeURIComponent("^wasmcustom\\.mirrorshade\\.")}`);
  const j = JSON.parse(text) as { stats: ({ name: string; value: number } | { histograms: { details: { name: string; totals: { lower_bound: number; width: number; count: number }[] }[] } })[] };
  const counters = new Map<string, number>();
  const hists = new Map<string, Buckets>();
  for (const s of j.stats) {
    if ("name" in s) counters.set(s.name.replace(/^wasmcustom\.mirrorshade\./, ""), s.value);
    else for (const h of s.histograms.details ?? []) hists.set(h.name.replace(/^wasmcustom\.mirrorshade\./, ""), new Map(h.totals.map((t) => [t.lower_bound, [t.width, t.count]])));
  }
  return { counters, hists };
}

function diffBuckets(after: Buckets | undefined, before: Buckets | undefined): Buckets {
  const out: Buckets = new Map();
  for (const [lo, [w, n]] of after ?? []) {
    const d = n - (before?.get(lo)?.[1] ?? 0);
    if (d > 0) out.set(lo, [w, d]);
  }
  return out;
}

function addBuckets(into: Buckets, b: Buckets | undefined): Buckets {
  for (const [lo, [w, n]] of b ?? []) into.set(lo, [w, (into.get(lo)?.[1] ?? 0) + n]);
  return into;
}

/** Quantiles from buckets, interpolated linearly inside the bucket (as Envoy does); the maximum as its bucket. */
export function summarize(b: Buckets): HistSummary {
  const rows = [...b.entries()].sort((x, y) => x[0] - y[0]);
  const count = rows.reduce((a, [, [, n]]) => a + n, 0);
  const q = (p: number) => {
    if (!count) return NaN;
    const want = (p / 100) * count;
    let seen = 0;
    for (const [lo, [w, n]] of rows) {
      if (seen + n >= want) return lo + (w * (want - seen)) / n;
      seen += n;
    }
    return NaN;
  };
  const last = rows[rows.length - 1];
  return { count, p50: q(50), p99: q(99), max: last ? [last[0], last[0] + last[1][0]] : [NaN, NaN] };
}

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

/**
 * Waits (10 s at most) until `want` copies whose x-upload-id starts with `prefix` reached the shadow, or,
 * with the filter, until none waits to be redacted and none is in flight (a copy it skipped never comes).
 */
async function settle(envoy: EnvoyInstance, shadow: RecordingUpstream, prefix: string, want: number, filter: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
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
    upload_primary_median_spread: spread(ms.map((m) => median(m.upload_primary_ms))),
    upload_answered_median_ms: median(ms.flatMap((m) => m.upload_answered_ms)),
    bystanders: lat.length,
    bystander_errors: ms.reduce((a, m) => a + m.bystander_errors, 0),
    bystander_p50_ms: percentile(lat, 50),
    bystander_p99_ms: percentile(lat, 99),
    bystander_p999_ms: percentile(lat, 99.9),
    bystander_max_ms: lat.length ? lat[lat.length - 1] : NaN,
    bystander_p99_spread: spread(ms.map((m) => m.bystander_p99_ms)),
    bystander_late: Math.max(0, ...ms.map((m) => m.bystander_late)),
    envoy_cpu_ms_per_upload: (ms.reduce((a, m) => a + m.envoy_cpu_s, 0) * 1000) / Math.max(1, ms.length * o.uploads),
    shadow_uploads: ms.reduce((a, m) => a + m.shadow_uploads, 0),
    checked: ms.reduce((a, m) => a + m.checked, 0),
    redacted: ms.reduce((a, m) => a + m.redacted, 0),
    foreign_cpu_s: Math.max(0, ...ms.map((m) => m.foreign_cpu_s)),
    retries: ms.reduce((a, m) => a + (m.retries ?? 0), 0),
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
      slice_us: summarize(slices),
      wait_ms: summarize(waits),
      slice_us_with_warmup: worst,
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
    modules.mirrorshade = { file: o.wasm, sha256: sha256(opts.wasm) };
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
        let m = await measureOnce(c, round, opts, body, primary, shadow, moduleDir);
        for (let retry = 1; retry <= o.retakes && m.foreign_cpu_s > foreignLimit(m.seconds); retry++) {
          o.progress(`  (${m.foreign_cpu_s.toFixed(2)} CPU s used by other processes during ${c}: measuring again)`);
          m = { ...(await measureOnce(c, round, opts, body, primary, shadow, moduleDir)), retries: retry };
        }
        measures.push(m);
        const el = Math.round((Date.now() - began) / 1000);
        const f = m.filter && Number.isFinite(m.filter.slices) ? `, slices ${m.filter.slices}, slice_us p99 ${m.filter.slice_us.p99.toFixed(0)} max <${m.filter.slice_us.max[1].toFixed(0)}, skipped.redaction_budget ${m.filter.skipped_redaction_budget}` : "";
        o.progress(
          `[${measures.length}/${total} ${el} s] round ${round + 1} ${c}: upload to primary median ${median(m.upload_primary_ms).toFixed(1)} ms max ${Math.max(...m.upload_primary_ms).toFixed(1)} ms; bystander p50 ${m.bystander_p50_ms.toFixed(2)} p99 ${m.bystander_p99_ms.toFixed(2)} max ${m.bystander_max_ms.toFixed(2)} ms; copies ${m.shadow_uploads}, redacted ${m.redacted}/${m.checked}${f}; errors ${m.upload_errors}+${m.bystander_errors}, other CPU ${m.foreign_cpu_s.toFixed(2)} s`,
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

/**
 * Builds the filter as it was at `rev`, in a temporary git worktree (node_modules linked from this tree
 * when the lock file and patches/ did not change since, else `npm ci` there), and returns a copy of its
 * build/mirrorshade.wasm in `into`. The worktree is removed afterwards.
 */
export function buildWasmAt(rev: string, into: string, progress: (l: string) => void): { file: string; commit: string } {
  const git = (...args: string[]) => execFileSync("git", ["-C", projectRoot, ...args], { encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--verify", `${rev}^{commit}`);
  const dir = join(mkdtempSync(join(tmpdir(), "mirrorshade-rev-")), "tree");
  progress(`building the filter at ${commit.slice(0, 12)} in a temporary worktree ${dir}`);
  git("worktree", "add", "--detach", dir, commit);
  const link = join(dir, "node_modules");
  try {
    let sameDeps = true;
    try {
      execFileSync("git", ["-C", projectRoot, "diff", "--quiet", commit, "HEAD", "--", "package-lock.json", "patches"]);
    } catch {
      sameDeps = false;
    }
    if (sameDeps) symlinkSync(join(projectRoot, "node_modules"), link);
    else execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "ignore" });
    execFileSync("node", [join(dir, "scripts", "build.mjs")], { cwd: dir, stdio: "ignore" });
    const file = join(into, `mirrorshade-${commit.slice(0, 12)}.wasm`);
    copyFileSync(join(dir, "build", "mirrorshade.wasm"), file);
    return { file, commit };
  } finally {
    if (existsSync(link)) {
      try {
        unlinkSync(link);
      } catch {
        /* a directory from npm ci: the worktree removal takes it */
      }
    }
    try {
      git("worktree", "remove", "--force", dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      git("worktree", "prune");
    }
    rmSync(join(dir, ".."), { recursive: true, force: true });
  }
}

const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "–");
const range = ([a, b]: [number, number], d = 1) => (Number.isFinite(a) ? `${f(a, d)}–${f(b, d)}` : "–");

export function workerMarkdown(r: WorkerReport): string {
  const cs = r.configs;
  const name = (c: WorkerConfig) => (c === "mirrorshade_before" && r.modules.mirrorshade_before?.label ? `mirrorshade_before (${r.modules.mirrorshade_before.label})` : c);
  const row = (label: string, cell: (s: ConfigSummary, c: WorkerConfig) => string) => `| ${label} | ${cs.map((c) => cell(r.summary[c]!, c)).join(" | ")} |`;
  const n = r.rounds * r.uploads_per_round;
  const lines = [
    `Redaction and the worker: ${r.date}, ${r.machine}, Envoy ${r.envoy} (${r.backend}, --concurrency 1), ${r.rounds} round(s) of ${r.uploads_per_round} uploads of ${r.body_bytes} B JSON (one every ${r.upload_every_ms} ms) with bystander GETs every ${r.bystander_every_ms} ms${r.wall_s ? `, ${Math.round(r.wall_s)} s` : ""}`,
    "",
    `| ${n} uploads, bystanders alongside | ${cs.map(name).join(" | ")} |`,
    `|---|${cs.map(() => "---:").join("|")}|`,
    row("upload: first byte sent → primary has the body, median (ms)", (s) => f(s.upload_primary_median_ms)),
    row("  median per round, lowest–highest (ms)", (s) => range(s.upload_primary_median_spread)),
    row("  p99 (ms)", (s) => f(s.upload_primary_p99_ms)),
    row("  max (ms)", (s) => f(s.upload_primary_max_ms)),
    row("upload answered at the client, median (ms)", (s) => f(s.upload_answered_median_ms)),
    row("bystander p50 (ms)", (s) => f(s.bystander_p50_ms, 2)),
    row("bystander p99 (ms)", (s) => f(s.bystander_p99_ms, 2)),
    row("  p99 per round, lowest–highest (ms)", (s) => range(s.bystander_p99_spread, 2)),
    row("bystander p99.9 (ms)", (s) => f(s.bystander_p999_ms, 2)),
    row("bystander max (ms)", (s) => f(s.bystander_max_ms, 2)),
    row("bystanders answered / errors", (s) => `${s.bystanders} / ${s.bystander_errors}`),
    row("upload errors", (s) => String(s.upload_errors)),
    row("Envoy CPU per upload, bystanders included (ms)", (s) => f(s.envoy_cpu_ms_per_upload)),
    row("copies of the uploads at the shadow", (s, c) => (c === "floor" ? "–" : String(s.shadow_uploads))),
    row("copies checked: redacted / checked", (s, c) => (c === "floor" ? "–" : `${s.redacted} / ${s.checked}`)),
    row("most CPU s other processes took in one measurement", (s) => f(s.foreign_cpu_s, 2)),
  ];
  const filtered = cs.filter((c) => r.summary[c]?.filter);
  if (filtered.length) {
    lines.push("", `| the filter's statistics (warm-up excluded) | ${filtered.map(name).join(" | ")} |`, `|---|${filtered.map(() => "---:").join("|")}|`);
    const frow = (label: string, cell: (x: FilterStats) => string) => lines.push(`| ${label} | ${filtered.map((c) => cell(r.summary[c]!.filter!)).join(" | ")} |`);
    frow("mirrored", (x) => f(x.mirrored, 0));
    frow("skipped.redaction_budget", (x) => f(x.skipped_redaction_budget, 0));
    frow("redaction.slices (per upload)", (x) => (Number.isFinite(x.slices) ? `${x.slices} (${f(x.slices / Math.max(1, x.mirrored), 1)})` : "–"));
    frow("redaction.slice_us count", (x) => (x.slice_us.count ? String(x.slice_us.count) : "–"));
    frow("redaction.slice_us P50 / P99 (µs)", (x) => `${f(x.slice_us.p50, 0)} / ${f(x.slice_us.p99, 0)}`);
    frow("redaction.slice_us max (its bucket, µs)", (x) => range(x.slice_us.max, 0));
    frow("redaction.slice_us max with warm-up (µs)", (x) => range(x.slice_us_with_warmup.max, 0));
    frow("redaction.wait_ms P50 / P99 (ms)", (x) => `${f(x.wait_ms.p50, 0)} / ${f(x.wait_ms.p99, 0)}`);
    frow("redaction.wait_ms max (its bucket, ms)", (x) => range(x.wait_ms.max, 0));
  }
  return lines.join("\n") + "\n";
}
