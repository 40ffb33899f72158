// The mirror role inside real Envoy: tagged copies reach the shadow, the primary
// is untouched, and shadow faults never reach the client. Runs against each
// backend (a local Envoy process, and Envoy in a container).
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { randomBytes, createHash } from "node:crypto";
import { startRig, printLogsOnFailure, printLogsAfterFailures, http1, h2c, comparableHeaders, S, type Rig } from "./fixture.js";
import { e2eBackends } from "./backends.js";
import { EnvoyStartError } from "../../harness/envoy/index.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe.each(e2eBackends())("mirror role, envoy as %s", (backend) => {
  describe("default policy", () => {
    let rig: Rig | undefined;
    beforeAll(async () => {
      rig = await startRig({ backend });
    });
    afterAll(async () => rig?.close());
    beforeEach(() => {
      rig!.primary.clear();
      rig!.shadow.clear();
    });
    printLogsAfterFailures(() => rig);

    it("sends an identical, tagged copy to the shadow and leaves the primary untouched", async () => {
      const r = rig!;
      const body = JSON.stringify({ order: 42, note: "Zoë's café ☕", amount: 12.5 });
      const sent = {
        "content-type": "application/json",
        "x-user-id": "alice",
        "x-trace": "a=1, b=2",
        "x-shadow-request": "forged-by-client",
      };
      const res = await http1(r.url("/api/orders?id=7&sort=desc"), { method: "POST", headers: sent, body });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe("primary ok");
      expect(res.headers["x-upstream"]).toBe("primary");

      const [p] = await r.primary.waitFor(1);
      const [s] = await r.shadow.waitFor(1);

      // The primary sees exactly what the client sent, minus the forged tag.
      expect(p.method).toBe("POST");
      expect(p.path).toBe("/api/orders?id=7&sort=desc");
      expect(p.body.toString()).toBe(body);
      expect(r.primary.header(p, "x-shadow-request")).toBeUndefined();
      for (const [k, v] of Object.entries(sent)) if (k !== "x-shadow-request") expect(r.primary.header(p, k)).toBe(v);

      // The shadow sees the same request, tagged, with the shadow authority.
      expect(s.method).toBe(p.method);
      expect(s.path).toBe(p.path);
      expect(s.body.equals(p.body)).toBe(true);
      expect(r.shadow.header(s, "x-shadow-request")).toBe("true");
      expect(r.shadow.header(s, "host")).toBe(`127.0.0.1-shadow:${r.listenerPort}`);
      expect(comparableHeaders(s.headers, ["x-shadow-request"])).toEqual(comparableHeaders(p.headers));
      expect(await r.stat(S("primary.tag_stripped"))).toBeGreaterThanOrEqual(1);
      await r.waitStat(S("shadow.responses.2xx"), 1);
    });

    it("copies a request without body (GET)", async () => {
      const r = rig!;
      const res = await http1(r.url("/health/deep?verbose=1"), { headers: { accept: "application/json" } });
      expect(res.status).toBe(200);
      const [s] = await r.shadow.waitFor(1);
      expect(s.method).toBe("GET");
      expect(s.path).toBe("/health/deep?verbose=1");
      expect(s.body.length).toBe(0);
      expect(r.shadow.header(s, "accept")).toBe("application/json");
    });

    it("copies a 1 MiB body byte for byte", async () => {
      const r = rig!;
      const body = randomBytes(1024 * 1024);
      const res = await http1(r.url("/upload"), { method: "PUT", headers: { "content-type": "application/octet-stream" }, body });
      expect(res.status).toBe(200);
      const [p] = await r.primary.waitFor(1);
      const [s] = await r.shadow.waitFor(1);
      expect(p.body.length).toBe(body.length);
      expect(sha(p.body)).toBe(sha(body));
      expect(s.body.length).toBe(body.length);
      expect(sha(s.body)).toBe(sha(body));
    });

    it("copies a chunked streaming upload after its last chunk", async () => {
      const r = rig!;
      const chunks = Array.from({ length: 8 }, (_, i) => `chunk-${i}-` + "x".repeat(1000 + i));
      const res = await http1(r.url("/stream"), { method: "POST", headers: { "content-type": "text/plain" }, chunks, chunkPauseMs: 15 });
      expect(res.status).toBe(200);
      const [p] = await r.primary.waitFor(1);
      const [s] = await r.shadow.waitFor(1);
      expect(r.primary.header(p, "transfer-encoding")).toBe("chunked");
      expect(p.body.toString()).toBe(chunks.join(""));
      expect(s.body.toString()).toBe(chunks.join(""));
    });

    it("mirrors HTTP/2 (h2c) requests, including ones ended by trailers", async () => {
      const r = rig!;
      const res = await h2c(r.url("/grpc-like?x=1"), { method: "POST", headers: { "content-type": "application/json", "x-user-id": "bob" }, body: '{"a":1}' });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe("primary ok");
      const res2 = await h2c(r.url("/with-trailers"), { method: "POST", body: "payload", trailers: { "x-checksum": "abc" } });
      expect(res2.status).toBe(200);
      const shadows = await r.shadow.waitFor(2);
      const first = shadows.find((x) => x.path === "/grpc-like?x=1")!;
      const second = shadows.find((x) => x.path === "/with-trailers")!;
      expect(first.body.toString()).toBe('{"a":1}');
      expect(r.shadow.header(first, "x-user-id")).toBe("bob");
      expect(r.shadow.header(first, "x-shadow-request")).toBe("true");
      expect(second.body.toString()).toBe("payload");
    });

    it("counts a shadow answering 5xx and never shows it to the client", async () => {
      const r = rig!;
      const before = await r.stat(S("shadow.responses.5xx"));
      r.shadow.behaviour.status = 503;
      try {
        const res = await http1(r.url("/x"));
        expect(res.status).toBe(200);
        expect(res.body.toString()).toBe("primary ok");
        await r.waitStat(S("shadow.responses.5xx"), before + 1);
        expect(await r.stat(S("shadow.responses.5xx"))).toBe(before + 1);
      } finally {
        r.shadow.behaviour.status = 200;
      }
    });

    it("reports its counters in /stats/prometheus", async () => {
      const r = rig!;
      await http1(r.url("/prom"));
      await r.waitStat(S("mirrored"), 1);
      const text = await r.envoy.admin("/stats/prometheus");
      expect(text).toMatch(/mirrorshade_mirrored\{?.*\}? \d+/);
      expect(text).toMatch(/mirrorshade_requests/);
    });
  });

  describe("shadow faults", () => {
    it("shadow down: the primary answers, the failure is counted", async () => {
      const rig = await startRig({ backend, shadowDown: true });
      printLogsOnFailure(() => rig);
      try {
        for (let i = 0; i < 3; i++) {
          const res = await http1(rig.url(`/down/${i}`), { method: "POST", body: "x" });
          expect(res.status).toBe(200);
          expect(res.body.toString()).toBe("primary ok");
        }
        expect(rig.primary.requests).toHaveLength(3);
        expect(await rig.waitStat(S("shadow.failures"), 3)).toBe(3);
        expect(await rig.stat(S("mirrored"))).toBe(3);
      } finally {
        await rig.close();
      }
    });

    it("shadow slow: the primary answers before the shadow does; the call times out and is counted", async () => {
      const rig = await startRig({ backend, config: { role: "mirror", shadow: { cluster: "shadow", timeout_ms: 300 } } });
      printLogsOnFailure(() => rig);
      rig.shadow.behaviour.delayMs = 2000;
      try {
        const res = await http1(rig.url("/slow"));
        const answeredAt = Date.now();
        expect(res.status).toBe(200);
        const [s] = await rig.shadow.waitFor(1);
        // The client had its answer while the shadow was still holding the copy.
        expect(answeredAt).toBeLessThan(s.receivedAt + 2000);
        expect(await rig.waitStat(S("shadow.failures"), 1)).toBe(1);
        expect(await rig.stat(S("shadow.timeouts"))).toBe(1);
        expect(await rig.stat(S("shadow.inflight"))).toBe(0);
      } finally {
        await rig.close();
      }
    });

    it("shadow resetting connections: the primary answers, failures are counted", async () => {
      const rig = await startRig({ backend });
      printLogsOnFailure(() => rig);
      rig.shadow.behaviour.reset = true;
      try {
        for (let i = 0; i < 3; i++) expect((await http1(rig.url(`/reset/${i}`))).status).toBe(200);
        expect(await rig.waitStat(S("shadow.failures"), 3)).toBe(3);
      } finally {
        await rig.close();
      }
    });
  });

  describe("bodies over max_body_bytes", () => {
    it("skip (default): no copy is sent, the primary gets the whole body", async () => {
      const rig = await startRig({ backend, config: { role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 1000 } } });
      printLogsOnFailure(() => rig);
      try {
        const big = "y".repeat(5000);
        expect((await http1(rig.url("/big"), { method: "POST", body: big })).status).toBe(200);
        // A chunked body (no content-length) that grows past the limit mid-stream.
        const res = await http1(rig.url("/big-chunked"), { method: "POST", chunks: ["a".repeat(600), "b".repeat(600)] });
        expect(res.status).toBe(200);
        expect((await http1(rig.url("/small"), { method: "POST", body: "small" })).status).toBe(200);
        await rig.shadow.waitFor(1);
        await rig.waitStat(S("skipped.body_too_large"), 2);
        expect(rig.primary.requests.map((r) => r.body.length)).toEqual([5000, 1200, 5]);
        expect(rig.shadow.requests.map((r) => r.path)).toEqual(["/small"]);
        expect(await rig.stat(S("skipped.body_too_large"))).toBe(2);
      } finally {
        await rig.close();
      }
    });

    it("headers_only: the copy goes without body, flagged by a header", async () => {
      const rig = await startRig({
        backend,
        config: { role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 1000, on_body_too_large: "headers_only" } },
      });
      printLogsOnFailure(() => rig);
      try {
        expect((await http1(rig.url("/big"), { method: "POST", body: "z".repeat(4000) })).status).toBe(200);
        const [s] = await rig.shadow.waitFor(1);
        expect(s.path).toBe("/big");
        expect(s.body.length).toBe(0);
        expect(rig.shadow.header(s, "x-mirrorshade-body-dropped")).toBe("too_large");
        expect(rig.primary.requests[0].body.length).toBe(4000);
        expect(await rig.waitStat(S("mirrored_without_body"), 1)).toBe(1);
      } finally {
        await rig.close();
      }
    });
  });

  describe("invalid configuration", () => {
    const cases: [string, object | string, RegExp][] = [
      ["not JSON", "{role: mirror", /configuration is not valid JSON/],
      ["missing shadow", { role: "mirror" }, /shadow: is required/],
      ["unknown field", { role: "mirror", shadow: { cluster: "shadow", clustr: "x" } }, /shadow\.clustr: unknown field/],
      ["zero timeout", { role: "mirror", shadow: { cluster: "shadow", timeout_ms: 0 } }, /shadow\.timeout_ms: must be a whole number from 1 to 600000, got 0/],
      ["a shadow name used twice", { role: "mirror", shadows: [{ name: "v2", cluster: "shadow" }, { name: "v2", cluster: "other" }] }, /shadows\[1\]\.name: "v2" is used twice/],
      ["a cluster used twice", { role: "mirror", shadows: [{ name: "a", cluster: "shadow" }, { name: "b", cluster: "shadow" }] }, /shadows\[1\]\.cluster: "shadow" is used by shadows\[0\] too/],
      ["shadow and shadows", { role: "mirror", shadow: { cluster: "shadow" }, shadows: [{ name: "a", cluster: "shadow" }] }, /shadows: give either shadow or shadows, not both/],
      ["an empty shadows list", { role: "mirror", shadows: [] }, /shadows: must not be an empty list/],
      ["a name that is not a token", { role: "mirror", shadows: [{ name: "V 2", cluster: "shadow" }] }, /shadows\[0\]\.name: must be a lower-case token/],
      ["a section twice (the first one's rules would be lost)", '{"role":"mirror","shadow":{"cluster":"shadow"},"redact":{"headers":{"drop":["authorization"]},"detectors":["card"]},"redact":{}}', /redact: appears twice/],
      ["an unknown key in a shadow's select", { role: "mirror", shadows: [{ name: "a", cluster: "shadow", select: { precent: 5 } }] }, /shadows\[0\]\.select\.precent: unknown field/],
    ];
    it.each(cases)("%s: Envoy refuses to start and names the field", async (_name, config, message) => {
      const err = await startRig({ backend, config }).then(
        async (rig) => {
          await rig.close();
          return null;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EnvoyStartError);
      const logs = (err as EnvoyStartError).logs;
      expect(logs).toMatch(/critical.*mirrorshade: invalid configuration/);
      expect(logs).toMatch(message);
    });
  });
});
