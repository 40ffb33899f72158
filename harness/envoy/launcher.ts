// What every way of running Envoy provides: the options, the started instance
// (admin URL, stats, logs, pid, stop) and the launcher interface each backend
// implements (process.ts, container.ts). Types only.

export type Backend = "process" | "container";

export interface StartOptions {
  /** Envoy bootstrap, as an object (rendered to JSON). */
  bootstrap: object;
  /** Admin port the bootstrap listens on (127.0.0.1). */
  adminPort: number;
  backend?: Backend;
  concurrency?: number;
  logLevel?: "trace" | "debug" | "info" | "warning" | "error" | "critical";
  /** Extra environment for Envoy (visible to Wasm through vm_config.environment_variables.host_env_keys). */
  env?: Record<string, string>;
  /** How long to wait for the admin endpoint to report LIVE. */
  readyTimeoutMs?: number;
  /** Directories Envoy must be able to read (the container bind-mounts them at the same path). */
  mounts?: string[];
  /** CPU list for taskset (process backend), e.g. "1": keeps Envoy off the load generator's core. */
  cpus?: string;
}

export interface EnvoyInstance {
  readonly backend: Backend;
  readonly adminUrl: string;
  /** Everything Envoy printed so far. */
  logs(): string;
  /** /stats as a map from stat name to value (counters and gauges). */
  stats(filter?: string): Promise<Map<string, number>>;
  /** Host pid of the Envoy process (for CPU and RSS readings), when known. */
  pid(): number | undefined;
  /** Raw text of an admin path, e.g. "/stats/prometheus". */
  admin(path: string): Promise<string>;
  stop(): Promise<void>;
}

/** Implemented by each backend. `run` must resolve once Envoy was launched (not yet ready). */
export interface EnvoyLauncher {
  run(args: {
    configPath: string;
    workDir: string;
    cliArgs: string[];
    env: Record<string, string>;
    mounts: string[];
    cpus?: string;
  }): Promise<{ logs(): string; stop(): Promise<void>; exited(): number | null; pid?(): number | undefined }>;
}

export class EnvoyStartError extends Error {
  constructor(message: string, readonly logs: string, readonly exitCode: number | null) {
    super(`${message}\n--- envoy log ---\n${logs}`);
  }
}
