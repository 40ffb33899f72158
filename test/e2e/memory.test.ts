// What one client can send does not exhaust the filter's memory (real Envoy,
// HTTP/2): thousands of streams announcing large bodies and sending nothing
// hold nothing; hundreds of dense bodies at once are bounded by
// limits.max_buffered_bytes (the rest are skipped and counted); afterwards the
// VM still runs: requests are mirrored and forged tags stripped.
import { describe, it, expect } from "vitest";
import { connect, type ClientHttp2Session } from "node:http2";
import { startRig, printLogsOnFailure, http1, S } from "./fixture.js";
import { e2eBackends } from "./backends.js";

const open = async (url: string) => {
  const s = connect(url);
  s.on("error", () => {});
  await new Promise((r) => s.once("remoteSettings", r));
  return s;
};

describe.each(e2eBackends())("memory under attack, envoy as %s", (backend) => {
  it("2,000 silent streams and 200 dense 1 MiB bodies: the VM survives and keeps its protections", async () => {
    const rig = await startRig({ backend, config: { role: "mirror", shadow: { cluster: "shadow" }, redact: { detectors: ["email"] } } });
    printLogsOnFailure(() => rig);
    const url = `http://127.0.0.1:${rig.listenerPort}`;
    const sessions: ClientHttp2Session[] = [];
    try {
      // Envoy takes 1,024 streams per connection: two connections.
      sessions.push(await open(url), await open(url));
      for (let i = 0; i < 2000; i++) {
        const st = sessions[i % 2].request({ ":method": "POST", ":path": `/up/${i}`, "content-length": "1048576", "content-type": "text/plain" }, { endStream: false });
        st.on("error", () => {});
      }
      await rig.waitStat(S("requests"), 2000, 60_000);
      expect(await rig.stat(S("buffered_bytes"))).toBe(0);
      for (const s of sessions.splice(0)) s.destroy();

      const dense = Buffer.from("a@b.cc ".repeat(Math.floor(1048576 / 7)));
      const s2 = await open(url);
      sessions.push(s2);
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, i) => new Promise<number>((resolve) => {
          const st = s2.request({ ":method": "POST", ":path": `/dense/${i}`, "content-type": "text/plain" });
          let status = 0;
          st.on("response", (h) => (status = Number(h[":status"])));
          st.on("data", () => {});
          st.on("end", () => resolve(status));
          st.on("error", () => resolve(-1));
          st.end(dense);
        })),
      );
      // The primary answered every one: production is not harmed.
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      await rig.waitStat(S("requests"), 2200, 60_000);
      // Beyond what the VM may hold or redact, copies are skipped and counted; what was admitted is
      // redacted from the tick (each body past the findings cap goes without its body), then let go.
      const skipped = (await rig.stat(S("skipped.memory_budget"))) + (await rig.stat(S("skipped.redaction_budget")));
      expect(skipped).toBeGreaterThan(0);
      await rig.waitStat(S("redact.body_unscannable.too_many_findings"), 1, 60_000);
      const drained = Date.now() + 120_000;
      while (((await rig.stat(S("buffered_bytes"))) > 0 || (await rig.stat(S("redaction.queued"))) > 0) && Date.now() < drained) await new Promise((r) => setTimeout(r, 200));

      // Afterwards: a forged tag is still stripped and the request mirrored, so the VM is alive.
      const res = await http1(rig.url("/after"), { headers: { "x-shadow-request": "true" } });
      expect(res.status).toBe(200);
      await rig.shadow.waitFor(1, 15_000);
      const deadline = Date.now() + 15_000;
      while (!rig.shadow.requests.some((r) => r.path === "/after") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(rig.shadow.requests.some((r) => r.path === "/after")).toBe(true);
      const atPrimary = rig.primary.requests.find((r) => r.path === "/after")!;
      expect(rig.primary.header(atPrimary, "x-shadow-request")).toBeUndefined();
      expect(rig.envoy.logs()).not.toMatch(/Uncaught RuntimeError|proxy_on_\w+ failed/);
      expect(await rig.stat(S("buffered_bytes"))).toBe(0);
      console.log(`after the attack: vm.memory_bytes ${await rig.stat(S("vm.memory_bytes"))}, skipped.memory_budget ${await rig.stat(S("skipped.memory_budget"))}, skipped.redaction_budget ${await rig.stat(S("skipped.redaction_budget"))}, too_many_findings ${await rig.stat(S("redact.body_unscannable.too_many_findings"))}, redaction.slices ${await rig.stat(S("redaction.slices"))}`);
    } finally {
      for (const s of sessions) s.destroy();
      await rig.close();
    }
  }, 240_000);
});
