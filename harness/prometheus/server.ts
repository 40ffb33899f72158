// A real Prometheus server for tests: Debian's /usr/bin/prometheus on 127.0.0.1
// and a free port, its own temporary storage, short scrape and evaluation
// intervals, scraping the given targets and loading the given rules; ready when
// /-/ready answers 200. Its log is kept for failure reports.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { stringify } from "yaml";
import { freePort } from "../net/ports.js";

export const PROMETHEUS_BIN = process.env.PROMETHEUS ?? "/usr/bin/prometheus";

export interface ScrapeTarget {
  job: string;
  /** host:port */
  address: string;
  metricsPath: string;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /** Rules files' contents, by file name. */
  rules?: Record<string, string>;
  scrapeInterval?: string;
  evaluationInterval?: string;
  readyTimeoutMs?: number;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface AlertState {
  labels: Record<string, string>;
  state: "pending" | "firing";
  value: string;
}

export interface PrometheusServer {
  url: string;
  logs(): string;
  /** An instant query (/api/v1/query); throws with Prometheus's error for a bad query. */
  query(expr: string): Promise<Sample[]>;
  /** Active alerts (/api/v1/alerts): pending and firing; an inactive alert is absent. */
  alerts(): Promise<AlertState[]>;
  /** Rule groups (/api/v1/rules), with each rule's health and last error. */
  rules(): Promise<{ name: string; rules: { name: string; health: string; lastError?: string; state?: string }[] }[]>;
  stop(): Promise<void>;
}

export class PrometheusStartError extends Error {
  constructor(message: string, readonly logs: string) {
    super(`${message}\n--- prometheus log ---\n${logs}`);
  }
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
  if (body.status !== "success") throw new Error(`prometheus: ${body.errorType}: ${body.error} (${url})`);
  return body.data;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} not found: install Debian's prometheus package (apt-get install prometheus), as .ci/run does, or set PROMETHEUS`);
  const dir = mkdtempSync(join(tmpdir(), "mirrorshade-prometheus-"));
  const ruleFiles = Object.entries(opts.rules ?? {}).map(([name, text]) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  });
  const interval = opts.scrapeInterval ?? "1s";
  writeFileSync(
    join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: opts.evaluationInterval ?? "1s" },
      rule_files: ruleFiles,
      scrape_configs: opts.targets.map((t) => ({ job_name: t.job, metrics_path: t.metricsPath, static_configs: [{ targets: [t.address] }] })),
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
      "--storage.tsdb.retention.time=1h",
      "--log.level=info",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? -1));
  const stop = async () => {
    if (exited === null) {
      child.kill("SIGTERM");
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          r();
        }, 10_000);
        child.once("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new PrometheusStartError(`prometheus exited with code ${exited} before becoming ready`, log);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      const l = log;
      await stop();
      throw new PrometheusStartError("prometheus did not become ready in time", l);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    logs: () => log,
    query: async (expr) => (await api<{ resultType: string; result: Sample[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await api<{ alerts: AlertState[] }>(`${url}/api/v1/alerts`)).alerts,
    rules: async () => (await api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string; state?: string }[] }[] }>(`${url}/api/v1/rules`)).groups,
    stop,
  };
}
