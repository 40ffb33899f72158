// Several shadows in real Envoy (process and container): two shadows with
// different shares of the same users receive exactly the copies their rules
// select, each redacted and tagged; a shadow that is down disturbs neither the
// other shadow nor the primary. preview agrees with Envoy on which copies go.
import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { startRig, printLogsOnFailure, http1, h2c, S } from "./fixture.js";
import { e2eBackends } from "./backends.js";
import { preview } from "../../harness/preview.js";
import { FILTER_WASM } from "../../harness/paths.js";

const consistentIn = (value: string, percent: number) => createHash("sha256").update(value).digest().readUInt32BE(0) < (percent / 100) * 2 ** 32;

const POLICY = {
  role: "mirror",
  select: { exclude: [{ path: { prefix: "/admin" } }] },
  shadows: [
    { name: "v2", cluster: "shadow-v2", select: { percent: 50, hash_header: "x-user-id" } },
    { name: "canary", cluster: "shadow-canary", select: { percent: 10, hash_header: "x-user-id" } },
  ],
  redact: { headers: { drop: ["authorization"] }, json: { mask: ["$..password"] }, detectors: ["card"] },
};
const CARD = "4111 1111 1111 1111";
const body = (user: string) => JSON.stringify({ user, password: "hunter2", card: CARD });
const USERS = Array.from({ length: 40 }, (_, i) => `customer-${i}`);

describe.each(e2eBackends())("several shadows, envoy as %s", (backend) => {
  it("each shadow receives exactly the users its share selects, redacted and tagged; the canary's users are a subset of v2's", async () => {
    const rig = await startRig({ backend, config: POLICY, shadows: [{ cluster: "shadow-v2" }, { cluster: "shadow-canary" }] });
    printLogsOnFailure(() => rig);
    try {
      const v2 = rig.shadows.get("shadow-v2")!;
      const canary = rig.shadows.get("shadow-canary")!;
      // HTTP/1.1 and h2c alike, plus an excluded path that goes nowhere.
      for (const [i, user] of USERS.entries()) {
        const send = i % 2 === 0 ? http1 : h2c;
        const res = await send(rig.url(`/api/pay/${i}`), {
          method: "POST",
          headers: { "x-user-id": user, "content-type": "application/json", authorization: "Bearer s3cret", "x-shadow-rule": "forged" },
          body: body(user),
        });
        expect(res.status).toBe(200);
      }
      await http1(rig.url("/admin/users"), { headers: { "x-user-id": USERS.find((u) => consistentIn(u, 10))! } });
      const expectV2 = USERS.filter((u) => consistentIn(u, 50));
      const expectCanary = USERS.filter((u) => consistentIn(u, 10));
      expect(expectCanary.length).toBeGreaterThan(0);
      await v2.waitFor(expectV2.length, 15_000);
      await canary.waitFor(expectCanary.length, 15_000);
      await rig.waitStat(S("mirrored"), expectV2.length + expectCanary.length);
      await new Promise((r) => setTimeout(r, 300));
      const users = (u: typeof v2) => u.requests.map((r) => u.header(r, "x-user-id")!).sort();
      expect(users(v2)).toEqual([...expectV2].sort());
      expect(users(canary)).toEqual([...expectCanary].sort());
      for (const u of users(canary)) expect(users(v2)).toContain(u);
      expect(rig.shadow.requests).toHaveLength(0);
      for (const upstream of [v2, canary]) {
        for (const r of upstream.requests) {
          const text = r.body.toString();
          expect(text).not.toContain("hunter2");
          expect(text).not.toContain(CARD);
          expect(JSON.parse(text).user).toBe(upstream.header(r, "x-user-id"));
          expect(upstream.header(r, "authorization")).toBeUndefined();
          expect(upstream.header(r, "x-shadow-request")).toBe("true");
          expect(r.headers.filter(([k]) => k === "x-shadow-rule")).toEqual([]);
        }
      }
      // The primary got every request as sent, with its secret.
      expect(rig.primary.requests).toHaveLength(USERS.length + 1);
      for (const r of rig.primary.requests.slice(0, USERS.length)) {
        expect(r.body.toString()).toContain("hunter2");
        expect(rig.primary.header(r, "authorization")).toBe("Bearer s3cret");
      }
      expect(await rig.stat(S("shadows.v2.mirrored"))).toBe(expectV2.length);
      expect(await rig.stat(S("shadows.canary.mirrored"))).toBe(expectCanary.length);
      expect(await rig.stat(S("shadows.canary.select.sampled_out"))).toBe(USERS.length - expectCanary.length);
      expect(await rig.stat(S("select.excluded"))).toBe(1);
      await rig.waitStat(S("shadows.v2.responses.2xx"), expectV2.length);
      await rig.waitStat(S("shadows.canary.responses.2xx"), expectCanary.length);
      // Redacted once per request, however many shadows it went to.
      expect(await rig.stat(S("redact.json.masked"))).toBe(USERS.filter((u) => consistentIn(u, 50) || consistentIn(u, 10)).length);

      // preview, from the same policy, sends the same copies.
      const previewed = await preview({
        wasm: FILTER_WASM,
        policy: JSON.stringify(POLICY),
        requests: USERS.map((u, i) => ({ method: "POST", path: `/api/pay/${i}`, headers: { "x-user-id": u, "content-type": "application/json" }, body: body(u) })),
      });
      const previewUsers = (name: string) => previewed.flatMap((p, i) => (p.copies.some((c) => c.shadow === name) ? [USERS[i]] : [])).sort();
      expect(previewUsers("v2")).toEqual(users(v2));
      expect(previewUsers("canary")).toEqual(users(canary));
    } finally {
      await rig.close();
    }
  });

  it("a shadow that is down disturbs neither the other shadow nor the primary", async () => {
    const rig = await startRig({
      backend,
      config: { role: "mirror", shadows: [{ name: "up", cluster: "shadow-up" }, { name: "down", cluster: "shadow-down", timeout_ms: 1000 }] },
      shadows: [{ cluster: "shadow-up" }, { cluster: "shadow-down", down: true }],
    });
    printLogsOnFailure(() => rig);
    try {
      const up = rig.shadows.get("shadow-up")!;
      for (let i = 0; i < 10; i++) {
        const res = await (i % 2 ? h2c : http1)(rig.url(`/orders/${i}`), { method: "POST", headers: { "content-type": "text/plain" }, body: `order ${i}` });
        expect(res.status).toBe(200);
        expect(res.body.toString()).toBe("primary ok");
      }
      await up.waitFor(10, 15_000);
      expect(up.requests.map((r) => r.body.toString()).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `order ${i}`).sort());
      expect(rig.primary.requests).toHaveLength(10);
      await rig.waitStat(S("shadows.down.failures"), 10, 20_000);
      expect(await rig.stat(S("shadows.up.failures"))).toBe(0);
      await rig.waitStat(S("shadows.up.responses.2xx"), 10);
      expect(await rig.stat(S("shadow.failures"))).toBe(10);
      expect(await rig.stat(S("mirrored"))).toBe(20);
    } finally {
      await rig.close();
    }
  });

  it("a request that never ends is copied to no shadow, even when its copies would go without the body", async () => {
    const rig = await startRig({
      backend,
      config: { role: "mirror", shadows: [{ name: "a", cluster: "shadow-a", max_body_bytes: 20, on_body_too_large: "headers_only" }, { name: "b", cluster: "shadow-b", max_body_bytes: 50, on_body_too_large: "headers_only" }] },
      shadows: [{ cluster: "shadow-a" }, { cluster: "shadow-b" }],
    });
    printLogsOnFailure(() => rig);
    try {
      // HTTP/1.1: announces 2 MB, sends 10 bytes, goes away.
      await new Promise<void>((resolve, reject) => {
        const sock = connect(rig.listenerPort, "127.0.0.1", () => {
          sock.write("POST /api/payments/charge HTTP/1.1\r\nhost: pay\r\ncontent-type: application/json\r\ncontent-length: 2000000\r\n\r\n0123456789");
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 300);
        });
        sock.on("error", reject);
      });
      await rig.waitStat(S("skipped.request_incomplete"), 1);
      // A complete one over both limits goes, headers only, to both.
      const res = await http1(rig.url("/api/payments/charge"), { method: "POST", headers: { "content-type": "text/plain" }, body: "x".repeat(100) });
      expect(res.status).toBe(200);
      await rig.shadows.get("shadow-a")!.waitFor(1, 15_000);
      await rig.shadows.get("shadow-b")!.waitFor(1, 15_000);
      await new Promise((r) => setTimeout(r, 300));
      for (const name of ["shadow-a", "shadow-b"]) {
        const u = rig.shadows.get(name)!;
        expect(u.requests, name).toHaveLength(1);
        expect(u.requests[0].body.length).toBe(0);
        expect(u.header(u.requests[0], "x-mirrorshade-body-dropped")).toBe("too_large");
      }
      expect(await rig.stat(S("mirrored"))).toBe(2);
    } finally {
      await rig.close();
    }
  });

  it("the tag in underscore spelling never reaches the primary, nor a forged x_shadow_rule a copy", async () => {
    const rig = await startRig({ backend, config: { role: "mirror", shadows: [{ name: "v2", cluster: "shadow-v2" }] }, shadows: [{ cluster: "shadow-v2" }] });
    printLogsOnFailure(() => rig);
    try {
      for (const send of [http1, h2c]) {
        const res = await send(rig.url("/orders"), { headers: { x_shadow_request: "true", x_shadow_rule: "forged", "x-mirrorshade-body-dropped": "forged" } });
        expect(res.status).toBe(200);
      }
      const v2 = rig.shadows.get("shadow-v2")!;
      await v2.waitFor(2, 15_000);
      for (const r of rig.primary.requests) expect(r.headers.filter(([k]) => k.replace(/_/g, "-") === "x-shadow-request")).toEqual([]);
      for (const r of v2.requests) {
        const names = r.headers.map(([k]) => k);
        expect(names.filter((k) => k.replace(/_/g, "-") === "x-shadow-request")).toEqual(["x-shadow-request"]);
        expect(names).not.toContain("x_shadow_rule");
        expect(names).not.toContain("x-mirrorshade-body-dropped");
      }
      expect(await rig.stat(S("primary.tag_stripped"))).toBe(2);
    } finally {
      await rig.close();
    }
  });

  it("a forged tag in request trailers never reaches the primary; the other trailers do", async () => {
    const rig = await startRig({ backend, config: { role: "mirror", shadow: { cluster: "shadow" } }, primaryTrailers: true });
    printLogsOnFailure(() => rig);
    try {
      const res = await h2c(rig.url("/upload"), {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "hello",
        trailers: { "x-shadow-request": "true", x_shadow_request: "true", baggage: "a=1,mirrorshade.shadow=true", "x-checksum": "abc" },
      });
      expect(res.status).toBe(200);
      await rig.primary.waitFor(1, 15_000);
      const t = rig.primary.requests[0].trailers;
      expect(t.filter(([k]) => k.replace(/_/g, "-") === "x-shadow-request")).toEqual([]);
      expect(t).toContainEqual(["baggage", "a=1"]);
      expect(t).toContainEqual(["x-checksum", "abc"]);
      expect(rig.primary.requests[0].body.toString()).toBe("hello");
      await rig.shadow.waitFor(1, 15_000);
      expect(await rig.stat(S("primary.tag_stripped"))).toBe(1);
    } finally {
      await rig.close();
    }
  });

  it("forged baggage members go in every form; other members and headers reach the primary as sent", async () => {
    const rig = await startRig({ backend, config: { role: "mirror", shadow: { cluster: "shadow" } } });
    printLogsOnFailure(() => rig);
    try {
      const sent: [string, string][][] = [
        [["baggage", "userId=alice"], ["baggage", "mirrorshade.shadow=true"]],
        [["baggage", "mirrorshade.shadow=true,x=1"], ["baggage", "y=2"]],
        [["baggage", "mirrorshade.shadow=true,mirrorshade.shadow=tru%65"]],
        [["baggage", "a=1, mirrorshade.shadow=true;p=1, b=2"]],
      ];
      const expected = [["userId=alice"], ["x=1", "y=2"], [], ["a=1, b=2"]];
      for (const [i, pairs] of sent.entries()) {
        for (const client of ["h1", "h2c"] as const) {
          const before = rig.primary.requests.length;
          if (client === "h1") {
            // Raw HTTP/1.1, so that both baggage lines go out as written.
            await new Promise<void>((resolve, reject) => {
              const sock = connect(rig.listenerPort, "127.0.0.1", () => {
                sock.write(`GET /b/${i} HTTP/1.1\r\nhost: svc\r\n${pairs.map(([k, v]) => `${k}: ${v}\r\n`).join("")}connection: close\r\n\r\n`);
              });
              sock.on("data", () => {});
              sock.on("close", () => resolve());
              sock.on("error", reject);
            });
          } else {
            const { connect: h2 } = await import("node:http2");
            await new Promise<void>((resolve, reject) => {
              const session = h2(`http://127.0.0.1:${rig.listenerPort}`);
              session.on("error", reject);
              // An array value goes out as one header field per element.
              const stream = session.request({ ":method": "GET", ":path": `/b/${i}`, ":authority": "svc", baggage: pairs.map(([, v]) => v) });
              stream.on("response", () => {});
              stream.on("data", () => {});
              stream.on("end", () => {
                session.close();
                resolve();
              });
              stream.on("error", reject);
              stream.end();
            });
          }
          await rig.primary.waitFor(before + 1, 15_000);
          const got = rig.primary.requests[before].headers.filter(([k]) => k === "baggage").map(([, v]) => v);
          // Envoy may join repeated headers with ", " on the way to an HTTP/1.1 upstream: compare the members.
          const members = (vs: string[]) => vs.flatMap((v) => v.split(",")).map((m) => m.trim()).filter(Boolean);
          expect(members(got), `${client} case ${i}`).toEqual(members(expected[i]));
        }
      }
    } finally {
      await rig.close();
    }
  });
});
