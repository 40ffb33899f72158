// What istiod delivers to a sidecar for one rendered WasmPlugin, as the harness's
// WasmFilterSpec (harness/envoy/bootstrap.ts): test/e2e/istio-shaped.test.ts runs it in
// plain Envoy, and the real-Istio tests (istio-mesh, istio-shadow, istio-egress) compare
// it with the ECDS config the real control plane delivered (deliveredShape), per
// release, so the hand-written shape cannot drift from istiod.
import type { WasmFilterSpec } from "../envoy/bootstrap.js";
import type { Manifest } from "./mesh.js";
import { wasmPluginNames } from "./versions.js";

interface WasmPluginSpec {
  pluginName: string;
  pluginConfig: object;
  failStrategy: string;
  match: { mode: string }[];
  vmConfig?: { env: { name: string; valueFrom: string; value?: string }[] };
}

/** The fields of a WasmFilterSpec istiod decides (everything but where the module lives). */
export type IstiodShape = Required<Pick<WasmFilterSpec, "filterName" | "pluginName" | "rootId" | "vmId" | "failurePolicy" | "envKeys" | "env">> & { configuration: string };

/** istiod's translation of the WasmPlugin among `manifests` (pilot/pkg/model/extensions.go), for `release`. */
export function istiodShape(release: string, manifests: object[]): { shape: IstiodShape; mode: string } {
  const p = manifests.find((m) => (m as Manifest).kind === "WasmPlugin") as Manifest;
  const spec = p.spec as unknown as WasmPluginSpec;
  const env = spec.vmConfig?.env ?? [];
  const names = wasmPluginNames(release, p.metadata.namespace, p.metadata.name);
  return {
    mode: spec.match[0].mode,
    shape: {
      filterName: names.filter,
      pluginName: names.plugin,
      rootId: spec.pluginName,
      // istiod sets no vm_id.
      vmId: "",
      // A protobuf Struct on the way: istiod's JSON has its keys sorted.
      configuration: sortedJson(spec.pluginConfig),
      // FAIL_CLOSE -> FAIL_CLOSED, FAIL_OPEN and FAIL_RELOAD as named, no reload_config (docs/vm-faults.md).
      failurePolicy: spec.failStrategy === "FAIL_CLOSE" ? "FAIL_CLOSED" : spec.failStrategy === "FAIL_OPEN" ? "FAIL_OPEN" : "FAIL_RELOAD",
      // vmConfig.env: valueFrom HOST reads the sidecar's environment, INLINE carries the value.
      envKeys: env.filter((e) => e.valueFrom === "HOST").map((e) => e.name),
      env: Object.fromEntries(env.filter((e) => e.valueFrom === "INLINE").map((e) => [e.name, e.value ?? ""])),
    },
  };
}

interface DeliveredWasm {
  name: string;
  root_id?: string;
  failure_policy?: string;
  configuration?: { value?: string };
  vm_config: { vm_id?: string; environment_variables?: { host_env_keys?: string[]; key_values?: Record<string, string> } };
}

const sortedJson = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(sortedJson).join(",")}]`
  : v !== null && typeof v === "object" ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(",")}}`
  : JSON.stringify(v);

/** The same fields read from an ECDS filter Envoy runs (config_dump?resource=ecds_filters). */
export function deliveredShape(filterName: string, typedConfig: { config: DeliveredWasm }): IstiodShape {
  const c = typedConfig.config;
  return {
    filterName,
    pluginName: c.name,
    rootId: c.root_id ?? "",
    vmId: c.vm_config.vm_id ?? "",
    configuration: c.configuration?.value ?? "",
    failurePolicy: (c.failure_policy ?? "FAIL_CLOSED") as IstiodShape["failurePolicy"],
    envKeys: c.vm_config.environment_variables?.host_env_keys ?? [],
    env: c.vm_config.environment_variables?.key_values ?? {},
  };
}
