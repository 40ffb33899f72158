// What the bench measures: the scenarios (each an Envoy bootstrap: no filter, native
// mirroring, Lua, mirrorshade with its policies, the lower-bound probes) and the loads.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildBootstrap, wasmHttpFilter, type BootstrapSpec } from "../envoy/bootstrap.js";
import { FILTER_WASM, probeWasm, projectRoot } from "../paths.js";
import { GRPC_SCENARIOS, GRPC_LOADS, grpcBootstrapFor, type GrpcScenario } from "./grpc.js";

let WASM = FILTER_WASM;
/** The filter module the mirrorshade scenarios load. */
export const benchWasm = (): string => WASM;
/** Measure another build instead (bench --wasm FILE). */
export function useBenchWasm(file: string): void {
  WASM = file;
}
const KEY = "bench-hash-key-0123456789abcdef";

/**
 * The mirrorshade scenarios again with another build of the filter (bench --before-wasm FILE): the two
 * builds measured in the same rounds, interleaved, against the same probes (before_mirrorshade against
 * mirrorshade, both against wasm_dispatch).
 */
export const BEFORE_SCENARIOS = ["before_mirrorshade", "before_mirrorshade_copy", "before_mirrorshade_empty", "before_mirrorshade_inline"] as const;
let BEFORE: string | null = null;
/** The module of the before_* scenarios (null: none given). */
export const beforeWasm = (): string | null => BEFORE;
export function useBeforeWasm(file: string): void {
  BEFORE = file;
}
const isBefore = (s: string): s is (typeof BEFORE_SCENARIOS)[number] => (BEFORE_SCENARIOS as readonly string[]).includes(s);

/** The same two probes written with the Go and the Rust SDK (bench/probes/go, bench/probes/rust; scripts/build-sdk-probes.mjs). */
export const SDK_PROBES = ["go_noop", "go_dispatch", "rust_noop", "rust_dispatch"] as const;
export const SCENARIOS = ["floor", "native", "native_lua", "mirrorshade", "mirrorshade_empty", "native_upstream", "mirrorshade_copy", "mirrorshade_no_detectors", "mirrorshade_inline", "wasm_noop", "wasm_dispatch", ...SDK_PROBES, ...BEFORE_SCENARIOS] as const;
/** The gRPC unary family (bench --grpc; bench/grpc.ts), run on the gRPC loads only. */
export { GRPC_SCENARIOS };
export const ALL_SCENARIOS = [...SCENARIOS, ...GRPC_SCENARIOS] as const;
export type Scenario = (typeof SCENARIOS)[number] | GrpcScenario;
const isGrpc = (s: Scenario): s is GrpcScenario => (GRPC_SCENARIOS as readonly string[]).includes(s);
/** What the spec compares; the attribution scenarios only say where mirrorshade's cost goes. */
export const CORE: readonly Scenario[] = ["floor", "native", "native_lua", "mirrorshade", "mirrorshade_empty"];
const ATTRIBUTION: readonly Scenario[] = ["mirrorshade_copy", "mirrorshade_no_detectors", "before_mirrorshade_copy"];
/** Only where named (--scenarios): the full policy with every body redacted on the request's path, none skipped for the budgets. */
const ON_REQUEST: readonly Scenario[] = ["mirrorshade_inline", "before_mirrorshade_inline"];
/** What a run without --scenarios measures. */
export const DEFAULT_SCENARIOS: readonly Scenario[] = SCENARIOS.filter((s) => !ON_REQUEST.includes(s) && !isBefore(s));
/** The lower-bound probes run on every 1 KB load, beside the targets they bound. */
const PROBES: readonly Scenario[] = ["wasm_noop", "wasm_dispatch", ...SDK_PROBES];
/** Lower-bound probes (bench/probes): raw proxy-wasm modules with no SDK, built next to the filter. */
const PROBE = probeWasm;
/** The module an SDK probe scenario loads: go_noop → build/probe-go-noop.wasm. */
const sdkProbeWasm = (s: (typeof SDK_PROBES)[number]): string => PROBE(s.replace("_", "-"));
/** The SDK probes among these scenarios whose module was not built (its toolchain was missing). */
export const unbuiltProbes = (scenarios: readonly string[]): string[] =>
  SDK_PROBES.filter((s) => scenarios.includes(s) && !existsSync(sdkProbeWasm(s)));

/** examples/redact.json with the hash key inline, its card path widened to every record ($..), as the sample body nests cards. */
const EXAMPLE = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8")) as { redact: { json: { mask: string[] }; detectors: string[] } & Record<string, unknown> };
const REDACT = {
  ...EXAMPLE.redact,
  json: { ...EXAMPLE.redact.json, mask: EXAMPLE.redact.json.mask.map((p) => p.replace(/^\$\.card/, "$..card")) },
  hash_key: `inline:${KEY}`,
};
/** The full mirror role: selection (everything passes the rules), redaction, tagging (on by default). */
export const MIRROR_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 },
  select: { exclude: [{ path: { exact: "/healthz" } }], percent: 100 },
  redact: REDACT,
};
/**
 * The VM and SDK alone: the smallest valid policy that loads the filter and runs it on every request
 * while mirroring nothing (a match rule on a header no request carries), so no copy is ever made.
 */
export const EMPTY_POLICY = { role: "mirror", shadow: { cluster: "shadow" }, select: { match: [{ header: "x-never-present-header", present: true }] } };
/** What a team would otherwise write: the same header redaction in Lua (it cannot touch only the copy: the primary gets it too). */
export const LUA = `
function envoy_on_request(h)
  local hs = h:headers()
  hs:remove("authorization")
  hs:remove("cookie")
  local k = hs:get("x-api-key")
  if k then hs:replace("x-api-key", string.rep("*", #k)) end
  local e = hs:get("x-user-email")
  if e then hs:replace("x-user-email", "hashed") end
end`;

type Ports = { admin: number; listener: number; primary: number; shadow: number };

export function bootstrapFor(s: Scenario, ports: Ports): object {
  if (isGrpc(s)) return grpcBootstrapFor(s, ports, WASM);
  if (isBefore(s)) {
    if (BEFORE === null) throw new Error(`${s}: needs bench --before-wasm FILE`);
    const measured = WASM;
    WASM = BEFORE;
    try {
      return bootstrapFor(s.slice("before_".length) as Scenario, ports);
    } finally {
      WASM = measured;
    }
  }
  const base: BootstrapSpec = {
    adminPort: ports.admin,
    listenerPort: ports.listener,
    primary: { name: "primary", port: ports.primary },
    extraClusters: [{ name: "shadow", port: ports.shadow }],
  };
  const wasm = (configuration: object) => buildBootstrap({ ...base, wasm: { wasmPath: WASM, configuration } });
  switch (s) {
    case "floor":
      return buildBootstrap(base);
    case "native":
      return buildBootstrap({ ...base, nativeMirror: { cluster: "shadow" } });
    case "native_lua": {
      const b = buildBootstrap({ ...base, nativeMirror: { cluster: "shadow" } }) as { static_resources: { listeners: { filter_chains: { filters: { typed_config: { http_filters: object[] } }[] }[] }[] } };
      b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.unshift({
        name: "envoy.filters.http.lua",
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua", default_source_code: { inline_string: LUA } },
      });
      return b;
    }
    case "mirrorshade":
      return wasm(MIRROR_POLICY);
    case "mirrorshade_empty":
      return wasm(EMPTY_POLICY);
    // Attribution: the copy alone (no selection, no redaction), and the full policy without detectors.
    case "mirrorshade_copy":
      return wasm({ role: "mirror", shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 } });
    // The full policy redacting every body inline, within any budget: what redaction itself costs at
    // saturation, where the default budgets would skip most large copies (limits in the README).
    case "mirrorshade_inline":
      return wasm({ ...MIRROR_POLICY, limits: { redaction_inline_bytes: 65536, redaction_bytes_per_second: 1073741824, max_buffered_bytes: 268435456 } });
    case "mirrorshade_no_detectors": {
      const { detectors: _d, ...rest } = REDACT;
      return wasm({ ...MIRROR_POLICY, redact: rest });
    }
    // Lower bounds: any Wasm filter with mirrorshade's callbacks, doing nothing; and the barest dispatch_http_call mirror.
    case "wasm_noop":
      return buildBootstrap({ ...base, wasm: { wasmPath: PROBE("noop"), configuration: "" } });
    case "wasm_dispatch":
      return buildBootstrap({ ...base, wasm: { wasmPath: PROBE("dispatch"), configuration: "" } });
    // The same two lower bounds written with the Go and the Rust SDK.
    case "go_noop":
    case "go_dispatch":
    case "rust_noop":
    case "rust_dispatch":
      return buildBootstrap({ ...base, wasm: { wasmPath: sdkProbeWasm(s), configuration: "" } });
    case "native_upstream": {
      const filter = wasmHttpFilter({ wasmPath: WASM, configuration: { role: "upstream", redact: REDACT } });
      return buildBootstrap({ ...base, extraClusters: [{ name: "shadow", port: ports.shadow, upstreamFilters: [filter] }], nativeMirror: { cluster: "shadow" } });
    }
  }
}

export interface Load {
  name: string;
  kind: "open" | "closed";
  protocol: "h1" | "h2c";
  bodyBytes: number;
  rps?: number;
  /** Also run the attribution scenarios on this load. */
  attribution?: boolean;
  /** A gRPC unary load: the gRPC scenarios run on it, and only they. */
  grpc?: boolean;
}

export const GRPC_BENCH_LOADS: Load[] = GRPC_LOADS.map((l) => ({ ...l }));

export const FULL_LOADS: Load[] = [
  { name: "open 500 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 500, attribution: true },
  { name: "open 2000 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 2000, attribution: true },
  { name: "open 500 rps h1 0B", kind: "open", protocol: "h1", bodyBytes: 0, rps: 500 },
  { name: "open 500 rps h1 16KB", kind: "open", protocol: "h1", bodyBytes: 16384, rps: 500 },
  { name: "open 500 rps h2c 1KB", kind: "open", protocol: "h2c", bodyBytes: 1024, rps: 500 },
  { name: "open 2000 rps h2c 1KB", kind: "open", protocol: "h2c", bodyBytes: 1024, rps: 2000 },
  { name: "saturation h1 1KB", kind: "closed", protocol: "h1", bodyBytes: 1024, attribution: true },
  { name: "saturation h2c 1KB", kind: "closed", protocol: "h2c", bodyBytes: 1024 },
  { name: "saturation h1 16KB", kind: "closed", protocol: "h1", bodyBytes: 16384 },
];

export const QUICK_LOADS: Load[] = [
  { name: "open 500 rps h1 1KB", kind: "open", protocol: "h1", bodyBytes: 1024, rps: 500 },
  { name: "saturation h1 1KB", kind: "closed", protocol: "h1", bodyBytes: 1024 },
];

export function scenariosFor(load: Load, scenarios: readonly Scenario[]): Scenario[] {
  if (load.grpc) return scenarios.filter(isGrpc);
  return scenarios.filter((s) => !isGrpc(s) && (!ATTRIBUTION.includes(s) || load.attribution) && (!PROBES.includes(s) || load.bodyBytes === 1024));
}
