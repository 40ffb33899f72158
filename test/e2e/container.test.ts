// The "container" backend end to end: a locally built Envoy image (no registry),
// started through testcontainers with host networking (the global setup builds
// the image with scripts/build-envoy-image.sh when the container backend runs).
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { EnvoyStartError, startEnvoy, type EnvoyInstance } from "../../harness/envoy/index.js";
import { freePort } from "../../harness/net/ports.js";
import { e2eBackends } from "./backends.js";

// Chosen once per run (backends.ts): without a Docker engine the run printed one line saying how to enable these.
const skipReason = e2eBackends().includes("container") ? null : "container backend not chosen for this run (see the line at its start)";

/** Containers the harness started from this process that still exist (running or not). */
function harnessContainers(): string[] {
  const out = execFileSync("docker", ["ps", "-aq", "--filter", `label=mirrorshade.harness.pid=${process.pid}`], {
    encoding: "utf8",
  });
  return out.split("\n").filter(Boolean);
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function bootstrap(adminPort: number, listenerPort: number): Record<string, unknown> {
  return {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } },
    static_resources: {
      listeners: [
        {
          name: "ingress",
          address: { socket_address: { address: "127.0.0.1", port_value: listenerPort } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "ingress",
                    route_config: {
                      name: "local",
                      virtual_hosts: [
                        {
                          name: "all",
                          domains: ["*"],
                          routes: [{ match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: "hello" } } }],
                        },
                      ],
                    },
                    http_filters: [
                      {
                        name: "envoy.filters.http.router",
                        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

describe("container backend", () => {
  let envoy: EnvoyInstance | undefined;
  afterAll(async () => {
    await envoy?.stop();
  });

  it("serves a direct response through the listener and reports http stats", async (ctx) => {
    ctx.skip(skipReason !== null, skipReason ?? undefined);
    const adminPort = await freePort();
    const listenerPort = await freePort();
    envoy = await startEnvoy({
      backend: "container",
      adminPort,
      bootstrap: bootstrap(adminPort, listenerPort),
      readyTimeoutMs: 30_000,
    });
    expect(envoy.backend).toBe("container");
    expect(harnessContainers()).toHaveLength(1);

    const res = await fetch(`http://127.0.0.1:${listenerPort}/anything`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");

    const stats = await envoy.admin("/stats");
    expect(stats).toMatch(/^http\.ingress\.downstream_rq_total: [1-9]/m);
    const parsed = await envoy.stats("http.ingress.");
    expect(parsed.get("http.ingress.downstream_rq_2xx")).toBeGreaterThanOrEqual(1);
    expect(envoy.logs()).toMatch(/starting main dispatch loop/);

    await envoy.stop();
    envoy = undefined;
    expect(await eventually(() => harnessContainers().length === 0)).toBe(true);
  }, 60_000);

  it("rejects with EnvoyStartError and Envoy's complaint for a broken bootstrap", async (ctx) => {
    ctx.skip(skipReason !== null, skipReason ?? undefined);
    const adminPort = await freePort();
    const listenerPort = await freePort();
    const broken = { ...bootstrap(adminPort, listenerPort), no_such_bootstrap_field: true };
    const started = Date.now();
    const err = await startEnvoy({ backend: "container", adminPort, bootstrap: broken, readyTimeoutMs: 30_000 }).then(
      (e) => {
        envoy = e;
        throw new Error("startEnvoy resolved for a broken bootstrap");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EnvoyStartError);
    const startErr = err as EnvoyStartError;
    // Detected through the container's exit, not the ready timeout.
    expect(startErr.exitCode).not.toBeNull();
    expect(startErr.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(startErr.logs).toMatch(/no_such_bootstrap_field/);
    // The exited container does not linger, although startEnvoy never calls stop() on this path.
    expect(await eventually(() => harnessContainers().length === 0)).toBe(true);
  }, 60_000);
});
