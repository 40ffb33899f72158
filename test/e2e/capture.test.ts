// Capture and replay in real Envoy: a v2 shadow that answers 500 to some payments,
// disagrees with v1 on others and is too slow on one; the filter captures exactly
// those copies to mirrorshade's capture sink, which writes a HAR (valid per
// har-schema 2.0.0) whose bodies are what the shadow received, byte for byte, and
// which holds none of the secrets the requests carried (cards, e-mails, tokens in
// headers, query and JSON: the same secret checks as the copy's). The budget caps
// captures (counted), and replay sends the captured requests to a real server.
import { describe, it, expect } from "vitest";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startEnvoyOnFreePorts } from "../../harness/envoy/index.js";
import { buildBootstrap } from "../../harness/envoy/bootstrap.js";
import { startRecordingUpstream } from "../../harness/net/upstreams.js";
import { startSink } from "../../harness/capture/sink.js";
import { entryBody, type Har } from "../../harness/capture/har.js";
import { replay, summaryTable } from "../../harness/capture/replay.js";
import { projectRoot } from "../../harness/paths.js";
import { harErrors } from "../support/har-validate.js";
import { STRICT_POLICY } from "../support/leak-corpus.js";
import { findLeaks } from "./hostile-lib.js";
import { e2eBackends } from "./backends.js";
import { http1, WASM, S } from "./fixture.js";

const CARD = "4539578763621486";
const CARD2 = "5555555555554444";
const EMAIL = "hank.hill@example.com";
const TOKEN = "tok_9f8e7d6c5b4a3f2e";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJoYW5rIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
const SECRETS = [CARD, CARD2, EMAIL, TOKEN, JWT, "hank.hill", "s3cr3t-pw"];

/** v1 and v2 of the payment service; v2 answers by the request's x-case: fail (500), mismatch (rejects), slow (past the shadow's timeout), ok. */
async function service(version: 1 | 2) {
  const got = new Map<string, { headers: [string, string][]; body: Buffer }>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
      got.set(String(req.headers["x-request-id"]), { headers, body: Buffer.concat(chunks) });
      const kase = version === 2 ? String(req.headers["x-case"]) : "ok";
      const answer = (status: number, body: object) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (kase === "fail") return answer(500, { error: "internal" });
      if (kase === "mismatch") return answer(200, { status: "rejected" });
      if (kase === "slow") return void setTimeout(() => answer(200, { status: "accepted" }), 1500);
      answer(200, { status: "accepted" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, port: (server.address() as AddressInfo).port, got };
}

const CASES: [string, string][] = [
  ["cap-0", "fail"],
  ["cap-1", "ok"],
  ["cap-2", "mismatch"],
  ["cap-3", "fail"],
  ["cap-4", "ok"],
  ["cap-5", "mismatch"],
  ["cap-6", "slow"],
];
const CAPTURED = ["cap-0", "cap-2", "cap-3", "cap-5", "cap-6"];

function payment(id: string, kase: string, port: number) {
  const body = JSON.stringify({ order: id, amount: 1299, card: { number: CARD, cvv: "123" }, email: EMAIL, note: `card ${CARD2} or mail ${EMAIL}`, password: "s3cr3t-pw", token: TOKEN });
  return http1(`http://127.0.0.1:${port}/api/payments/${id}?token=${TOKEN}&email=${encodeURIComponent(EMAIL)}&page=2`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-request-id": id, "x-case": kase, authorization: `Bearer ${JWT}`, "x-customer": EMAIL, cookie: `session=${TOKEN}` },
    body,
  });
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, tries = 200): Promise<T> {
  let v = await what();
  for (let i = 0; i < tries && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await what();
  }
  return v;
}

describe.each(e2eBackends())("capture and replay, envoy as %s", (backend) => {
  it("captures the shadow's failures, mismatches and timeouts as it received them, with no secret, within the budget; replay reproduces them", async () => {
    const v1 = await service(1);
    const v2 = await service(2);
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-capture-"));
    const file = join(dir, "captures.har");
    const sink = await startSink({ out: file, version: "e2e" });
    const target = await startRecordingUpstream("replay-target");
    const { envoy, listenerPort: port } = await startEnvoyOnFreePorts(
      (adminPort, listenerPort) =>
        buildBootstrap({
          adminPort,
          listenerPort,
          primary: { name: "primary", port: v1.port },
          extraClusters: [{ name: "shadow", port: v2.port }, { name: "capture", port: sink.port }],
          wasm: {
            wasmPath: WASM,
            configuration: {
              role: "mirror",
              shadow: { cluster: "shadow", timeout_ms: 400 },
              redact: STRICT_POLICY.redact,
              compare: { pair_timeout_ms: 3000, capture: { cluster: "capture", rate_limit_per_second: 6 } },
            },
          },
        }),
      { backend, mounts: [join(projectRoot, "build")] },
    );
    try {
      for (const [id, kase] of CASES) expect((await payment(id, kase, port)).status).toBe(200);
      const stats = await until(() => envoy.stats(), (s) => (s.get(S("capture.captured")) ?? 0) >= CAPTURED.length && sink.appended >= CAPTURED.length);
      expect(stats.get(S("capture.captured"))).toBe(CAPTURED.length);
      expect(sink.appended).toBe(CAPTURED.length);
      expect(stats.get(S("compare.mismatched"))).toBe(4);

      const text = readFileSync(file, "utf8");
      const har = JSON.parse(text) as Har;
      expect(harErrors(har)).toEqual([]);
      const idOf = (e: Har["log"]["entries"][number]) => e.request.headers.find((h) => h.name === "x-request-id")?.value ?? "";
      expect(har.log.entries.map(idOf).sort()).toEqual(CAPTURED);
      for (const e of har.log.entries) {
        const id = idOf(e);
        const kase = CASES.find(([i]) => i === id)![1];
        const received = v2.got.get(id)!;
        // The body the shadow received, byte for byte; every header the filter sent is one the shadow got.
        expect(Buffer.compare(entryBody(e), received.body), id).toBe(0);
        for (const h of e.request.headers) expect(received.headers, `${id} ${h.name}`).toContainEqual([h.name, h.value]);
        expect(e._mirrorshade!.reason).toBe(kase === "fail" ? "shadow_error" : kase === "slow" ? "timeout" : "mismatch");
        expect(e.response.status).toBe(kase === "fail" ? 500 : kase === "slow" ? 504 : 200);
        if (kase === "mismatch") expect(e._mirrorshade!.primary!.status).toBe(200);
      }
      // The same secret checks as the copy's, over the whole archive, and over what the shadow received.
      expect(findLeaks([text], SECRETS)).toEqual([]);
      expect(findLeaks([...v2.got.values()].map((r) => JSON.stringify(r.headers) + r.body.toString("latin1")), SECRETS)).toEqual([]);

      // The budget: 6 per second (a bucket of 6); 30 failing payments at once go over it.
      const before = (await envoy.stats()).get(S("capture.captured")) ?? 0;
      await Promise.all(Array.from({ length: 30 }, (_, i) => payment(`burst-${i}`, "fail", port)));
      const after = await until(() => envoy.stats(), (s) => (s.get(S("capture.captured")) ?? 0) + (s.get(S("capture.skipped.budget")) ?? 0) >= before + 30);
      const captured = after.get(S("capture.captured"))! - before;
      const skipped = after.get(S("capture.skipped.budget")) ?? 0;
      expect(captured + skipped).toBe(30);
      expect(skipped).toBeGreaterThan(0);
      await until(async () => sink.appended, (n) => n >= CAPTURED.length + captured);
      expect(sink.appended).toBe(CAPTURED.length + captured);

      // Replay the first captures against a real server: it gets the requests as captured.
      const run = await replay({ entries: har.log.entries, target: `http://127.0.0.1:${target.port}` });
      expect(run.sent).toBe(CAPTURED.length);
      const replayed = await target.waitFor(CAPTURED.length);
      for (const e of har.log.entries) {
        const id = idOf(e);
        const r = replayed.find((q) => target.header(q, "x-request-id") === id)!;
        expect(r, id).toBeDefined();
        expect(r.method).toBe("POST");
        expect(r.path).toBe(new URL(e.request.url).pathname + new URL(e.request.url).search);
        expect(Buffer.compare(r.body, v2.got.get(id)!.body)).toBe(0);
      }
      const table = summaryTable(run.results);
      expect(table).toContain("500");
      expect(table.split("\n").filter((l) => /\s200$/.test(l))).toHaveLength(CAPTURED.length);
    } catch (e) {
      console.error(`--- envoy log ---\n${envoy.logs()}`);
      throw e;
    } finally {
      await envoy.stop();
      v1.server.close();
      v2.server.close();
      await sink.close();
      await target.close();
      if (process.env.MIRRORSHADE_KEEP_HAR) console.error(`HAR kept: ${file}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
