// `mirrorshade render` keeps envoy/ and istio/ current, and what it writes is
// valid: Istio manifests against Istio's schemas (@kubernetes-models/istio);
// Envoy configs by envoy --mode validate (configs.test.ts).
import { describe, it, expect } from "vitest";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { resolveEnvoyBinary } from "../../harness/envoy/binary.js";
import { MIRRORSHADE_STATS_TAGS } from "../../harness/envoy/stats-tags.js";
import { parse, parseAllDocuments } from "yaml";
import { WasmPlugin } from "@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import { ServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry";
import { Sidecar } from "@kubernetes-models/istio/networking.istio.io/v1/Sidecar";
import { renderEnvoy, renderIstioYaml, renderIstio, RenderError, DEFAULTS } from "../../harness/render.js";
import { projectRoot } from "../../harness/paths.js";
import { startEnvoyOnFreePorts } from "../../harness/envoy/index.js";
import { startRecordingUpstream } from "../../harness/net/upstreams.js";

const example = (role: string) => JSON.parse(readFileSync(join(projectRoot, "examples", `${role}.json`), "utf8"));
const file = (dir: string, role: string) => readFileSync(join(projectRoot, dir, `${role}.yaml`), "utf8");
/** The custom bootstrap for sidecar.istio.io/bootstrapOverride: a v1 ConfigMap holding the filter's stats_tags only. */
class StatsTagsConfigMap {
  constructor(private d: { apiVersion: string; data: Record<string, string> }) {}
  validate(): void {
    const boot = JSON.parse(this.d.data["custom_bootstrap.json"]);
    if (this.d.apiVersion !== "v1" || Object.keys(boot).join() !== "stats_config" || JSON.stringify(boot.stats_config.stats_tags) !== JSON.stringify(MIRRORSHADE_STATS_TAGS))
      throw new Error("not mirrorshade's stats_tags bootstrap override");
  }
}
const MODELS: Record<string, new (data: never) => { validate(): void }> = { WasmPlugin, VirtualService, DestinationRule, ServiceEntry, Sidecar, ConfigMap: StatsTagsConfigMap };

describe.each(["mirror", "upstream", "shadow", "egress-guard"])("role %s", (role) => {
  it("envoy/<role>.yaml is the current render of examples/<role>.json", () => {
    expect(file("envoy", role)).toBe(renderEnvoy(example(role)));
  });

  if (role === "upstream") {
    it("has no Istio WasmPlugin placement, and render says so", () => {
      expect(() => renderIstio(example(role))).toThrow(RenderError);
      expect(() => renderIstio(example(role))).toThrow(/WasmPlugin cannot add upstream/);
    });
    return;
  }

  it("istio/<role>.yaml is the current render, and every manifest validates against Istio's schema", () => {
    const text = file("istio", role);
    expect(text).toBe(renderIstioYaml(example(role)));
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    expect(docs.length).toBeGreaterThan(1);
    for (const doc of docs) {
      const Model = MODELS[doc.kind];
      expect(Model, doc.kind).toBeDefined();
      expect(() => new Model(doc as never).validate()).not.toThrow();
    }
    const plugin = docs.find((d) => d.kind === "WasmPlugin");
    expect(plugin.spec.pluginName).toBe("mirrorshade");
    expect(plugin.spec.failStrategy).toBe(role === "egress-guard" ? "FAIL_CLOSE" : "FAIL_RELOAD");
  });
});

describe("istio specifics", () => {
  it("the mirror role's shadow cluster takes Istio's outbound|PORT||HOST form", () => {
    const plugin = renderIstio(example("mirror"), { ...DEFAULTS, namespace: "shop", shadowService: "payments-v2", port: 9090 }).find((m) => m.kind === "WasmPlugin")!;
    expect((plugin.spec.pluginConfig as { shadow: { cluster: string } }).shadow.cluster).toBe("outbound|9090||payments-v2.shop.svc.cluster.local");
  });

  it("the hash key reaches the VM from the sidecar's environment", () => {
    const plugin = renderIstio(example("mirror")).find((m) => m.kind === "WasmPlugin")!;
    expect(plugin.spec.vmConfig).toEqual({ env: [{ name: "MIRRORSHADE_HASH_KEY", valueFrom: "HOST" }] });
  });

  it("the shadow role comes with the VirtualService mirror and its percentage", () => {
    const vs = renderIstio(example("shadow"), { ...DEFAULTS, mirrorPercent: 12.5 }).find((m) => m.kind === "VirtualService")!;
    const http = (vs.spec.http as { mirror: { host: string }; mirrorPercentage: { value: number } }[])[0];
    expect(http.mirror.host).toBe("payments-v2.default.svc.cluster.local");
    expect(http.mirrorPercentage.value).toBe(12.5);
  });

  it.each(["mirror", "upstream"])("the rendered %s config removes a forged tag natively: with no filter running, the primary never sees it", async (role) => {
    const primary = await startRecordingUpstream("primary");
    type Socket = { socket_address: { port_value: number } };
    const { envoy, listenerPort } = await startEnvoyOnFreePorts((adminPort: number, listener: number) => {
      const b = parse(renderEnvoy(example(role)));
      b.admin.address.socket_address.port_value = adminPort;
      const l = b.static_resources.listeners[0];
      l.address.socket_address.port_value = listener;
      const hcm = l.filter_chains[0].filters[0].typed_config;
      // As if the VM had failed open: no mirrorshade anywhere.
      hcm.http_filters = hcm.http_filters.filter((f: { name: string }) => f.name !== "envoy.filters.http.wasm");
      for (const c of b.static_resources.clusters) {
        delete c.typed_extension_protocol_options;
        const at = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address as Socket;
        if (c.name === "primary") at.socket_address.port_value = primary.port;
      }
      return b;
    });
    try {
      for (const name of ["x-shadow-request", "x_shadow_request"]) {
        const res = await fetch(`http://127.0.0.1:${listenerPort}/pay`, { headers: { [name]: "true", "x-kept": "1" } });
        expect(res.status).toBe(200);
      }
      await primary.waitFor(2, 15_000);
      for (const r of primary.requests) {
        expect(r.headers.map(([k]) => k.replace(/_/g, "-"))).not.toContain("x-shadow-request");
        expect(primary.header(r, "x-kept")).toBe("1");
      }
    } finally {
      await envoy.stop();
      await primary.close();
    }
  });

  it("istio: the shadow role's VirtualService removes the tag before the primary", () => {
    const vs = renderIstio(example("shadow")).find((m) => m.kind === "VirtualService")!;
    const http = (vs.spec.http as { headers: { request: { remove: string[] } } }[])[0];
    expect(http.headers.request.remove).toEqual(["x-shadow-request", "x_shadow_request"]);
  });

  it("an invalid manifest would be caught by the schema check", () => {
    const bad = { ...renderIstio(example("egress-guard"))[0] };
    bad.spec = { ...bad.spec, failStrategy: "SOMETIMES" };
    expect(() => new WasmPlugin(bad as never).validate()).toThrow();
  });
});

// Several shadows (examples/shadows.json: v2 at 50 % and canary at 10 % of users by
// x-user-id). Rendered in memory: envoy/ and istio/ hold one file per role.
describe("several shadows", () => {
  const policy = example("shadows");
  type Cluster = { name: string; load_assignment: { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string; port_value: number } } } }[] }[] } };
  const clustersOf = (bootstrap: { static_resources: { clusters: Cluster[] } }) =>
    bootstrap.static_resources.clusters.map((c) => [c.name, c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value]);
  /** The rendered bootstrap on fresh admin and listener ports, optionally without the Wasm filter. */
  const onPorts = (withFilter: boolean) => (adminPort: number, listenerPort: number) => {
    const b = parse(renderEnvoy(policy, { ...DEFAULTS, wasmPath: join(projectRoot, "build", "mirrorshade.wasm") }));
    b.admin.address.socket_address.port_value = adminPort;
    const listener = b.static_resources.listeners[0];
    listener.address.socket_address.port_value = listenerPort;
    const hcm = listener.filter_chains[0].filters[0].typed_config;
    if (!withFilter) hcm.http_filters = hcm.http_filters.filter((f: { name: string }) => f.name !== "envoy.filters.http.wasm");
    return b;
  };

  it("envoy: one cluster per shadow, named by its cluster, on 8081, 8082; the policy as written", () => {
    const b = parse(renderEnvoy(policy));
    expect(clustersOf(b)).toEqual([["primary", 8080], ["payments-v2", 8081], ["payments-canary", 8082]]);
    const text = renderEnvoy(policy);
    expect(text.split("\n")[0]).toContain('"payments-v2" (v2, 127.0.0.1:8081), "payments-canary" (canary, 127.0.0.1:8082)');
    const wasm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0];
    expect(JSON.parse(wasm.typed_config.config.configuration.value)).toEqual(policy);
  });

  it("istio: the WasmPlugin with each cluster in outbound|PORT||HOST form, one DestinationRule per shadow, all valid", () => {
    const docs = parseAllDocuments(renderIstioYaml(policy, { ...DEFAULTS, namespace: "shop", port: 9090 })).map((d) => d.toJS());
    for (const doc of docs) expect(() => new MODELS[doc.kind](doc as never).validate()).not.toThrow();
    expect(docs.map((d) => d.kind)).toEqual(["WasmPlugin", "DestinationRule", "DestinationRule", "ConfigMap"]);
    const plugin = docs[0];
    expect(plugin.spec.pluginConfig.shadows.map((s: { name: string; cluster: string }) => [s.name, s.cluster])).toEqual([
      ["v2", "outbound|9090||payments-v2.shop.svc.cluster.local"],
      ["canary", "outbound|9090||payments-canary.shop.svc.cluster.local"],
    ]);
    // Everything but the clusters is the policy as written.
    const rest = structuredClone(plugin.spec.pluginConfig);
    rest.shadows.forEach((s: { cluster: string }, i: number) => (s.cluster = policy.shadows[i].cluster));
    expect(rest).toEqual(policy);
    expect(docs.slice(1, 3).map((d) => [d.metadata.name, d.spec.host, d.spec.trafficPolicy.connectionPool.tcp.maxConnections])).toEqual([
      ["payments-v2-shadow-limits", "payments-v2.shop.svc.cluster.local", 256],
      ["payments-canary-shadow-limits", "payments-canary.shop.svc.cluster.local", 256],
    ]);
  });

  it("istio: a cluster already in Istio's form is kept and names the DestinationRule's host; other names must be Service names", () => {
    const p = { ...policy, shadows: [{ ...policy.shadows[0], cluster: "outbound|8443||pay-next.staging.svc.cluster.local" }, policy.shadows[1]] };
    const docs = renderIstio(p);
    expect((docs[0].spec.pluginConfig as typeof p).shadows[0].cluster).toBe("outbound|8443||pay-next.staging.svc.cluster.local");
    expect(docs[1].metadata.name).toBe("pay-next-shadow-limits");
    expect(docs[1].spec.host).toBe("pay-next.staging.svc.cluster.local");
    const bad = { ...policy, shadows: [{ ...policy.shadows[0], cluster: "Payments_V2" }] };
    expect(() => renderIstio(bad)).toThrow(/policy\.shadows\[0\]\.cluster: "Payments_V2" is neither outbound\|PORT\|\|HOST nor a Kubernetes Service name/);
    const same = { ...policy, shadows: [policy.shadows[0], { ...policy.shadows[1], cluster: "outbound|8080||payments-v2.default.svc.cluster.local" }] };
    expect(() => renderIstio(same)).toThrow(/host payments-v2\.default\.svc\.cluster\.local is also the host of policy\.shadows\[0\]/);
  });

  it("real Envoy loads the rendered clusters (the bootstrap without the Wasm filter)", async () => {
    const { envoy } = await startEnvoyOnFreePorts(onPorts(false));
    try {
      const clusters = await envoy.admin("/clusters");
      expect(clusters).toContain("payments-v2::127.0.0.1:8081::");
      expect(clusters).toContain("payments-canary::127.0.0.1:8082::");
    } finally {
      await envoy.stop();
    }
  });

  it("real Envoy loads the rendered bootstrap as rendered, filter included", async () => {
    const { envoy } = await startEnvoyOnFreePorts(onPorts(true), { env: { MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" } });
    try {
      const clusters = await envoy.admin("/clusters");
      expect(clusters).toContain("payments-v2::127.0.0.1:8081::");
      expect(clusters).toContain("payments-canary::127.0.0.1:8082::");
      expect(envoy.logs()).not.toContain("invalid configuration");
    } finally {
      await envoy.stop();
    }
  });
});

// gRPC: `render --descriptor-set FILE` writes the set into the policy, and with it
// (or --grpc) every cluster the calls and their copies go to speaks HTTP/2.
describe("gRPC (render --grpc, --descriptor-set)", () => {
  const dir = mkdtempSync(join(tmpdir(), "mirrorshade-render-grpc-"));
  const pb = join(projectRoot, "examples", "grpc", "payments.pb");
  type Cluster = { name: string; typed_extension_protocol_options?: Record<string, { explicit_http_config: Record<string, unknown> }> };
  const http2Of = (yamlText: string) =>
    (parse(yamlText).static_resources.clusters as Cluster[]).map((c) => [c.name, Boolean(Object.values(c.typed_extension_protocol_options ?? {})[0]?.explicit_http_config.http2_protocol_options)]);
  const envoyValidates = (yamlText: string) => {
    const file = join(dir, `rendered-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yamlText);
    return execFileSync(resolveEnvoyBinary(), ["--mode", "validate", "-c", file], { cwd: projectRoot, env: { ...process.env, MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" } }).toString();
  };
  const cli = (args: string[]) => {
    try {
      return { code: 0, stdout: execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), "render", ...args], { cwd: projectRoot, stdio: "pipe", env: { ...process.env, MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" } }).toString(), stderr: "" };
    } catch (e) {
      const err = e as { status: number; stdout: Buffer; stderr: Buffer };
      return { code: err.status, stdout: err.stdout.toString(), stderr: err.stderr.toString() };
    }
  };

  it.each([
    ["mirror", [["primary", true], ["shadow", true]]],
    ["upstream", [["primary", true], ["shadow", true]]],
    ["shadow", [["shadow-app", true]]],
    ["egress-guard", [["external", false]]],
  ])("%s with --grpc: the service's clusters are explicit HTTP/2, and envoy --mode validate accepts the config", (role, expected) => {
    const text = renderEnvoy(example(role), { ...DEFAULTS, grpc: true });
    expect(http2Of(text)).toEqual(expected);
    expect(http2Of(renderEnvoy(example(role))).every(([, h2]) => !h2)).toBe(true);
    expect(text.split("\n").slice(0, 4).join("\n").includes("gRPC: the clusters speak HTTP/2")).toBe(role !== "egress-guard");
    expect(envoyValidates(text)).toContain("OK");
  });

  it("a policy that carries a descriptor set renders HTTP/2 clusters without --grpc", () => {
    const p = { ...example("mirror"), redact: { ...example("mirror").redact, grpc: { descriptor_set: readFileSync(pb).toString("base64") } } };
    expect(http2Of(renderEnvoy(p))).toEqual([["primary", true], ["shadow", true]]);
  });

  it("istio with --grpc: the manifests say to name the ports grpc / appProtocol grpc, and still validate", () => {
    const text = renderIstioYaml(example("mirror"), { ...DEFAULTS, grpc: true });
    expect(text).toContain("appProtocol: grpc");
    expect(renderIstioYaml(example("mirror"))).not.toContain("appProtocol");
    for (const doc of parseAllDocuments(text).map((d) => d.toJS())) expect(() => new MODELS[doc.kind](doc as never).validate()).not.toThrow();
  });

  it.each([
    ["the .proto source", join(projectRoot, "examples", "grpc", "payments.proto"), 1, "--descriptor-set examples/grpc/payments.proto: not a FileDescriptorSet"],
    ["a policy file", join(projectRoot, "examples", "mirror.json"), 1, "not a FileDescriptorSet"],
    ["a missing file", join(dir, "nope.pb"), 2, "no such file"],
  ])("render --descriptor-set refuses %s in one line", (_what, file, code, message) => {
    const r = cli(["--target", "envoy", "--policy", "examples/mirror.json", "--descriptor-set", file.replace(projectRoot + "/", "")]);
    expect(r.code).toBe(code);
    expect(r.stderr.split("\n")[0]).toContain(message);
    expect(r.stdout).toBe("");
  });

  it("render --descriptor-set payments.pb writes it into the policy as base64; the clusters are HTTP/2; Envoy validates it", () => {
    // examples/grpc-redact.json without its descriptor set, as a user writes the policy before rendering.
    const { grpc: _set, ...redact } = example("grpc-redact").redact;
    const given = { ...example("grpc-redact"), redact };
    const file = join(dir, "grpc-policy.json");
    writeFileSync(file, JSON.stringify(given));
    const r = cli(["--target", "envoy", "--policy", file, "--descriptor-set", "examples/grpc/payments.pb"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const b = parse(r.stdout);
    const wasm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0];
    const policy = JSON.parse(wasm.typed_config.config.configuration.value);
    expect(policy).toEqual(example("grpc-redact"));
    expect(policy.redact.grpc.descriptor_set).toBe(readFileSync(pb).toString("base64"));
    expect(http2Of(r.stdout)).toEqual([["primary", true], ["shadow", true]]);
    expect(envoyValidates(r.stdout)).toContain("OK");
  });

  it("a descriptor set from env:NAME renders where the variable is not set (it reaches the VM from Envoy's environment), and is checked where it is", () => {
    const p = { ...example("grpc-redact"), redact: { ...example("grpc-redact").redact, grpc: { descriptor_set: "env:MIRRORSHADE_DESCRIPTOR_SET" } } };
    const file = join(dir, "grpc-env-policy.json");
    writeFileSync(file, JSON.stringify(p));
    const { MIRRORSHADE_DESCRIPTOR_SET: _unset, ...env } = process.env;
    const run = (extra: Record<string, string>) => {
      try {
        const out = execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), "render", "--target", "envoy", "--policy", file], { cwd: projectRoot, stdio: "pipe", env: { ...env, ...extra } });
        return { code: 0, stdout: out.toString(), stderr: "" };
      } catch (e) {
        const err = e as { status: number; stdout: Buffer; stderr: Buffer };
        return { code: err.status, stdout: err.stdout.toString(), stderr: err.stderr.toString() };
      }
    };
    const r = run({});
    expect(r.stderr).toBe("");
    expect(http2Of(r.stdout)).toEqual([["primary", true], ["shadow", true]]);
    const vm = parse(r.stdout).static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config.vm_config;
    expect(vm.environment_variables.host_env_keys).toContain("MIRRORSHADE_DESCRIPTOR_SET");
    const bad = run({ MIRRORSHADE_DESCRIPTOR_SET: Buffer.from("not a descriptor set").toString("base64") });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("redact.grpc.descriptor_set");
  });

  it("render --descriptor-set checks the policy's rules against the set: a path no request type has is refused by name", () => {
    // examples/mirror.json is an HTTP policy: its $..password names no field of shop.v1.
    const r = cli(["--target", "envoy", "--policy", "examples/mirror.json", "--descriptor-set", "examples/grpc/payments.pb"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim()).toMatch(/^mirrorshade render: examples\/mirror\.json: invalid configuration: redact\.json\.mask\[2\]: "\$\.\.password"/);
  });
});
