// The filter is built with AssemblyScript's minimal runtime: nothing is freed
// unless the filter asks, which it does when a stream context is created
// (filter/gc.ts). Every role creates its stream contexts there, so in every role
// a long run of redacted requests must leave the module's memory where it was
// after the first few hundred; without the collection it would grow by the
// bodies' size many times over.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadFilter, send } from "../../support/filter.js";
import { projectRoot } from "../../../harness/paths.js";
import { sampleJson } from "../../../harness/bench/redact.js";

const example = (name: string) => JSON.parse(readFileSync(join(projectRoot, "examples", `${name}.json`), "utf8"));
const env = { MIRRORSHADE_HASH_KEY: "memory-test-hash-key-0123456789" };
const body = sampleJson(16 * 1024);

const roles: [string, object, { authority?: string; path?: string; headers?: [string, string][] }][] = [
  ["mirror", example("redact"), {}],
  ["upstream", { ...example("upstream"), select: { percent: 100 } }, { authority: "orders-shadow" }],
  ["shadow", example("shadow"), { authority: "orders-shadow" }],
  ["egress-guard", example("egress-guard"), { authority: "api.payments.example", path: "/v1/charges", headers: [["x-shadow-request", "true"]] }],
];

describe("memory with the minimal runtime: collected at each stream's start", () => {
  it.each(roles)("%s: 1500 requests with 16 KB JSON bodies leave memory where it was after 300", async (_role, policy, req) => {
    const { host, ok } = await loadFilter(policy, { env });
    expect(ok).toBe(true);
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        const { call } = send(host, {
          method: "POST",
          path: req.path ?? "/orders?token=t0k3n",
          authority: req.authority,
          headers: [["content-type", "application/json"], ["authorization", "Bearer x"], ...(req.headers ?? [])],
          body,
          chunkSize: 4096,
        });
        if (call) host.respondToCall(call.token, { headers: [[":status", "200"], ["x-envoy-upstream-service-time", "1"]] });
      }
    };
    run(300);
    const after300 = host.memoryBytes();
    run(1500); // 24 MB of bodies, each copied and redacted
    expect(host.memoryBytes()).toBeLessThanOrEqual(after300 + 512 * 1024);
    expect(host.vmFailed).toBe(false);
  });
});
