// The worker bench's shapes: its configurations, the policy's limits it passes on,
// one measurement, a configuration's summary and the report (worker.json).
import type { Backend } from "../envoy/index.js";
import type { Buckets, FilterStats } from "./worker-stats.js";

export const WORKER_CONFIGS = ["floor", "native", "mirrorshade", "mirrorshade_before"] as const;
export type WorkerConfig = (typeof WORKER_CONFIGS)[number];

/** The policy's new limits (limits.redaction_slice_us, limits.redaction_bytes_per_second): given to `mirrorshade` only, as older builds refuse them. */
export interface RedactionLimits {
  redaction_slice_us?: number;
  redaction_bytes_per_second?: number;
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
  /** The measurement's length; from the first upload's schedule to the last one's answer; the bystanders' planned window. */
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
  /** Seconds the hypervisor took from Envoy's core during the measurement (steal). */
  steal_s: number;
  retries?: number;
  /** Kept although other processes used more CPU than the limit (no retake left). */
  disturbed?: boolean;
}

export interface ConfigSummary {
  uploads: number;
  upload_errors: number;
  upload_primary_median_ms: number;
  upload_primary_p99_ms: number;
  upload_primary_max_ms: number;
  /** The per-round medians: their median, lowest and highest. */
  upload_primary_median_of_rounds: number;
  upload_primary_median_spread: [number, number];
  upload_answered_median_ms: number;
  uploads_late: number;
  bystanders: number;
  bystander_errors: number;
  bystander_p50_ms: number;
  bystander_p99_ms: number;
  bystander_p999_ms: number;
  bystander_max_ms: number;
  /** Bystanders answered after more than 10 ms. */
  bystanders_over_10ms: number;
  /** The per-round p99s: their median, lowest and highest. */
  bystander_p99_median_of_rounds: number;
  bystander_p99_spread: [number, number];
  bystander_late: number;
  envoy_cpu_ms_per_upload: number;
  shadow_uploads: number;
  checked: number;
  redacted: number;
  foreign_cpu_s: number;
  steal_s: number;
  retries: number;
  /** Measurements kept although disturbed by other processes. */
  disturbed: number;
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
