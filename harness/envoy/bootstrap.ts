// Typed builder for the Envoy bootstraps the harness and the docs use: one
// listener with the mirrorshade Wasm filter in front of the router, a primary and
// a shadow cluster, optional native route mirror policies.
import { statsConfig } from "./stats-tags.js";
export interface ClusterSpec {
  name: string;
  port: number;
  host?: string; // always 127.0.0.1 in tests
  http2?: boolean;
  /** HTTP/1.1 upstream that receives request trailers (http_protocol_options.enable_trailers). */
  http1Trailers?: boolean;
  connectTimeoutMs?: number;
  /** Upstream HTTP filters of this cluster (cluster-level http_filters); the upstream codec is appended. */
  upstreamFilters?: object[];
}

export interface WasmFilterSpec {
  /** HTTP filter name (istiod: extensions.istio.io/wasmplugin/<ns>.<name>). */
  filterName?: string;
  /** PluginConfig name (istiod: <ns>.<name>). */
  pluginName?: string;
  /** Plugin configuration, serialized to JSON into a google.protobuf.StringValue (as Istio delivers it). */
  configuration: object | string;
  wasmPath: string;
  rootId?: string;
  vmId?: string;
  /**
   * Unset: mirrorshade's setting, `failure_policy: FAIL_RELOAD` with a 100 ms reload backoff
   * (RELOAD_BACKOFF): after a VM fault the next requests get a fresh VM, so no request ever passes the
   * filter unfiltered (docs/vm-faults.md). A value: that failure_policy as given (Envoy's defaults);
   * LEGACY_FAIL_OPEN: the deprecated `fail_open: true` (test/e2e/failure-policy.test.ts compares them).
   */
  failurePolicy?: "FAIL_OPEN" | "FAIL_CLOSED" | "FAIL_RELOAD" | "LEGACY_FAIL_OPEN";
  envKeys?: string[];
  env?: Record<string, string>;
}

export interface BootstrapSpec {
  adminPort: number;
  listenerPort: number;
  primary: ClusterSpec;
  extraClusters?: ClusterSpec[];
  wasm?: WasmFilterSpec;
  /** Envoy's own route-level mirroring (request_mirror_policies). */
  nativeMirror?: { cluster: string; percent?: number };
  /** Headers Envoy itself removes from every request of the virtual host, before the primary (request_headers_to_remove). */
  removeRequestHeaders?: string[];
  /** Listener name (istiod: virtualInbound, virtualOutbound). */
  listenerName?: string;
  /** Per-request buffer limit of the listener (bytes). */
  bufferLimitBytes?: number;
  routeTimeoutMs?: number;
  /** stats_config.stats_tags: the filter's metrics as Prometheus labels (stats-tags.ts); unset: on. */
  statsTags?: boolean;
}

/** reload_config.backoff.base_interval of mirrorshade's FAIL_RELOAD (docs/vm-faults.md: under 2 ms Envoy 1.40 crashes; 100 ms bounds reloads to 10 per second per worker). */
export const RELOAD_BACKOFF = "0.1s";

function failureSettings(policy: WasmFilterSpec["failurePolicy"]): Record<string, unknown> {
  if (policy === undefined) return { failure_policy: "FAIL_RELOAD", reload_config: { backoff: { base_interval: RELOAD_BACKOFF } } };
  if (policy === "LEGACY_FAIL_OPEN") return { fail_open: true };
  return { failure_policy: policy };
}

export function wasmHttpFilter(w: WasmFilterSpec): object {
  const configuration = typeof w.configuration === "string" ? w.configuration : JSON.stringify(w.configuration);
  const vmConfig: Record<string, unknown> = {
    vm_id: w.vmId ?? "mirrorshade",
    runtime: "envoy.wasm.runtime.v8",
    code: { local: { filename: w.wasmPath } },
  };
  if (w.envKeys?.length || (w.env && Object.keys(w.env).length)) {
    vmConfig.environment_variables = {
      ...(w.envKeys?.length ? { host_env_keys: w.envKeys } : {}),
      ...(w.env && Object.keys(w.env).length ? { key_values: w.env } : {}),
    };
  }
  return {
    name: w.filterName ?? "envoy.filters.http.wasm",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
      config: {
        name: w.pluginName ?? "mirrorshade",
        root_id: w.rootId ?? "mirrorshade",
        configuration: { "@type": "type.googleapis.com/google.protobuf.StringValue", value: configuration },
        ...failureSettings(w.failurePolicy),
        vm_config: vmConfig,
      },
    },
  };
}

export function cluster(c: ClusterSpec): object {
  return {
    name: c.name,
    type: "STATIC",
    connect_timeout: `${(c.connectTimeoutMs ?? 1000) / 1000}s`,
    load_assignment: {
      cluster_name: c.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: c.host ?? "127.0.0.1", port_value: c.port } } } }] }],
    },
    ...(c.http2 || c.upstreamFilters || c.http1Trailers
      ? {
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: c.http2 ? { http2_protocol_options: {} } : { http_protocol_options: c.http1Trailers ? { enable_trailers: true } : {} },
              ...(c.upstreamFilters
                ? {
                    http_filters: [
                      ...c.upstreamFilters,
                      {
                        name: "envoy.filters.http.upstream_codec",
                        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec" },
                      },
                    ],
                  }
                : {}),
            },
          },
        }
      : {}),
  };
}

export function buildBootstrap(spec: BootstrapSpec): object {
  const route: Record<string, unknown> = {
    cluster: spec.primary.name,
    timeout: `${(spec.routeTimeoutMs ?? 15000) / 1000}s`,
  };
  if (spec.nativeMirror) {
    route.request_mirror_policies = [
      {
        cluster: spec.nativeMirror.cluster,
        ...(spec.nativeMirror.percent !== undefined
          ? { runtime_fraction: { default_value: { numerator: Math.round(spec.nativeMirror.percent * 10000), denominator: "MILLION" } } }
          : {}),
      },
    ];
  }
  const httpFilters: object[] = [];
  if (spec.wasm) httpFilters.push(wasmHttpFilter(spec.wasm));
  httpFilters.push({
    name: "envoy.filters.http.router",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
  });
  return {
    ...(spec.statsTags === false ? {} : { stats_config: statsConfig() }),
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: spec.adminPort } } },
    static_resources: {
      listeners: [
        {
          name: spec.listenerName ?? "ingress",
          address: { socket_address: { address: "127.0.0.1", port_value: spec.listenerPort } },
          ...(spec.bufferLimitBytes ? { per_connection_buffer_limit_bytes: spec.bufferLimitBytes } : {}),
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "ingress",
                    // Accept HTTP/1.1 and prior-knowledge h2c on the same port.
                    codec_type: "AUTO",
                    route_config: {
                      name: "local",
                      virtual_hosts: [
                        {
                          name: "all",
                          domains: ["*"],
                          ...(spec.removeRequestHeaders?.length ? { request_headers_to_remove: spec.removeRequestHeaders } : {}),
                          routes: [{ match: { prefix: "/" }, route }],
                        },
                      ],
                    },
                    http_filters: httpFilters,
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [cluster(spec.primary), ...(spec.extraClusters ?? []).map(cluster)],
    },
  };
}
