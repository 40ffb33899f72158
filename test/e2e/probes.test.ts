// The bench's probe modules in real Envoy: each loads, runs on every request and
// does its one job. simd: Envoy's V8 runs Wasm SIMD (v128) code (the count it
// adds comes from i8x16.eq/bitmask). noop: the request passes untouched.
// dispatch: an unchanged copy of each request reaches the shadow. The same for
// the Go and Rust SDK probes (bench/probes/go, bench/probes/rust), when the build
// had their toolchains (scripts/build-sdk-probes.mjs says when it skips them).
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { existsSync } from "node:fs";
import { startEnvoyOnFreePorts, type EnvoyInstance } from "../../harness/envoy/index.js";
import { buildBootstrap } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream, type RecordingUpstream } from "../../harness/net/upstreams.js";
import { BUILD_DIR, probeWasm } from "../../harness/paths.js";
import { http1 } from "./fixture.js";

interface Probe {
  name: string;
  kind: "noop" | "dispatch" | "simd";
  /** Built only where its SDK's toolchain is. */
  sdk?: boolean;
}
const PROBES: Probe[] = [
  { name: "simd", kind: "simd" },
  { name: "noop", kind: "noop" },
  { name: "dispatch", kind: "dispatch" },
  { name: "go-noop", kind: "noop", sdk: true },
  { name: "go-dispatch", kind: "dispatch", sdk: true },
  { name: "rust-noop", kind: "noop", sdk: true },
  { name: "rust-dispatch", kind: "dispatch", sdk: true },
];
const built = (p: Probe) => !p.sdk || existsSync(probeWasm(p.name));

describe.each(PROBES.filter(built))("probe $name in real Envoy", ({ name, kind }) => {
  const wasm = probeWasm(name);
  let envoy: EnvoyInstance | undefined;
  let primary: RecordingUpstream;
  let shadow: RecordingUpstream;
  let port = 0;

  beforeAll(async () => {
    if (!existsSync(wasm)) throw new Error(`${wasm} missing: npm run build`);
    primary = await startRecordingUpstream("primary");
    shadow = await startRecordingUpstream("shadow");
    const started = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "primary", port: primary.port },
          extraClusters: [{ name: "shadow", port: shadow.port }],
          wasm: { wasmPath: wasm, configuration: "{}", failurePolicy: "FAIL_CLOSED" },
        }),
      { mounts: [BUILD_DIR] },
    );
    envoy = started.envoy;
    port = started.listenerPort;
  });
  afterAll(async () => {
    await envoy?.stop();
    await primary?.close();
    await shadow?.close();
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === "fail" && envoy) console.error(`--- envoy log (${name}) ---\n${envoy.logs()}`);
  });

  it("loads without a Wasm error", () => {
    expect(envoy!.logs()).not.toMatch(/Failed to load Wasm|Wasm VM failed|Unable to create Wasm|wasm log.*error/i);
  });

  if (kind === "simd") {
    it("runs v128 code on each request: the colon count it adds matches", async () => {
      for (const input of ["a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q:r:s", "::::::::::::::::::::::::::::::::x", "no colons at all, none"]) {
        const res = await http1(`http://127.0.0.1:${port}/simd`, { headers: { "x-simd-input": input } });
        expect(res.status).toBe(200);
        const got = primary.requests.at(-1)!;
        expect(primary.header(got, "x-simd-colons")).toBe(String(input.split(":").length - 1));
      }
    });
  }

  if (kind === "noop") {
    it("passes the request through unchanged", async () => {
      const body = JSON.stringify({ probe: name, n: 1 });
      const res = await http1(`http://127.0.0.1:${port}/noop`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      expect(primary.requests.at(-1)!.body.toString()).toBe(body);
      expect(shadow.requests).toHaveLength(0);
    });
  }

  if (kind === "dispatch") {
    it("sends each request's headers and body unchanged to the shadow", async () => {
      const body = JSON.stringify({ probe: name, card: "4111 1111 1111 1111", pad: "x".repeat(1500) });
      const res = await http1(`http://127.0.0.1:${port}/orders?x=1`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-probe": name },
        chunks: [body.slice(0, 700), body.slice(700)],
      });
      expect(res.status).toBe(200);
      const [copy] = await shadow.waitFor(1, 10_000);
      expect(copy.method).toBe("POST");
      expect(copy.path).toBe("/orders?x=1");
      expect(shadow.header(copy, "x-probe")).toBe(name);
      expect(copy.body.toString()).toBe(body);
      expect(primary.requests.at(-1)!.body.toString()).toBe(body);
    });
  }
});
