// Redaction inside real Envoy: the shadow upstream receives the scrubbed copy,
// the primary the original, with the example policy and the hash key
// taken from Envoy's environment (vm_config.environment_variables.host_env_keys).
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startRig, printLogsAfterFailures, http1, h2c, S, type Rig } from "./fixture.js";
import { e2eBackends } from "./backends.js";
import { projectRoot } from "../../harness/paths.js";

const KEY = "e2e-hash-key-0123456789abcdef";
const token = (v: string) => "hmac:" + createHmac("sha256", KEY).update(v).digest().subarray(0, 16).toString("hex");
const POLICY = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));

describe.each(e2eBackends())("redaction, envoy as %s", (backend) => {
  let rig: Rig | undefined;
  beforeAll(async () => {
    rig = await startRig({ backend, config: POLICY, env: { MIRRORSHADE_HASH_KEY: KEY }, wasmEnvKeys: ["MIRRORSHADE_HASH_KEY"] });
  });
  afterAll(async () => rig?.close());
  beforeEach(() => {
    rig!.primary.clear();
    rig!.shadow.clear();
  });
  printLogsAfterFailures(() => rig);

  it("the shadow gets the scrubbed copy, the primary the original", async () => {
    const r = rig!;
    const body = JSON.stringify({
      card: { number: "4111111111111111", cvv: "123", name: "Zoë Müller" },
      user: { email: "alice@example.com", password: "hunter2", address: "Straße 1, Zürich" },
      debug: { trace: "x" },
      note: "reach me at bob@example.org",
    });
    const headers = {
      "content-type": "application/json",
      authorization: "Bearer secret-token",
      cookie: "sid=abc",
      "x-api-key": "key-123",
      "x-user-email": "alice@example.com",
      "x-request-source": "checkout",
    };
    const res = await http1(r.url("/api/pay?token=t0k3n&amount=12.50&session=s1"), { method: "POST", headers, body });
    expect(res.status).toBe(200);
    const [p] = await r.primary.waitFor(1);
    const [s] = await r.shadow.waitFor(1);

    expect(p.body.toString()).toBe(body);
    expect(r.primary.header(p, "authorization")).toBe("Bearer secret-token");
    expect(p.path).toBe("/api/pay?token=t0k3n&amount=12.50&session=s1");

    expect(s.path).toBe("/api/pay?token=*****&amount=12.50&session=**");
    expect(r.shadow.header(s, "authorization")).toBeUndefined();
    expect(r.shadow.header(s, "cookie")).toBeUndefined();
    expect(r.shadow.header(s, "x-api-key")).toBe("*******");
    expect(r.shadow.header(s, "x-user-email")).toBe(token("alice@example.com"));
    expect(r.shadow.header(s, "x-request-source")).toBe("checkout");
    const copy = JSON.parse(s.body.toString());
    expect(copy.card).toEqual({ number: "****************", cvv: "***", name: "Zoë Müller" });
    expect(copy.user.email).toBe(token("alice@example.com"));
    expect(copy.user.password).toBe("*******");
    expect(copy.user.address).toBe("Straße 1, Zürich");
    expect(copy.debug).toBeUndefined();
    expect(copy.note).not.toContain("bob@example.org");
    for (const secret of ["4111111111111111", "hunter2", "secret-token", "t0k3n", "key-123", "bob@example.org"]) {
      expect(s.body.toString() + s.path + JSON.stringify(s.headers)).not.toContain(secret);
    }
    await r.waitStat(S("redact.headers.dropped"), 2);
    expect(await r.stat(S("redact.json.masked"))).toBeGreaterThanOrEqual(3);
    expect(await r.stat(S("redact.detector.email"))).toBeGreaterThanOrEqual(1);
  });

  it("a chunked upload with a card number split across chunks is still caught", async () => {
    const r = rig!;
    const body = '{"comment":"card 4111 1111 1111 1111 thanks","ok":true}';
    const chunks = [body.slice(0, 20), body.slice(20, 27), body.slice(27)];
    await http1(r.url("/chunked"), { method: "POST", headers: { "content-type": "application/json" }, chunks });
    const [s] = await r.shadow.waitFor(1);
    expect(s.body.toString()).not.toContain("4111 1111 1111 1111");
    expect(JSON.parse(s.body.toString()).ok).toBe(true);
    expect(r.primary.requests[0].body.toString()).toBe(body);
  });

  it("the detector spellings of #13 are masked on the wire (labels, full-width digits, no-break spaces, lower-case IBANs, quoted and encoded e-mails)", async () => {
    const r = rig!;
    const fw = "\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11";
    const body = `ssn: 536228147, tel:2025550143, card ${fw} or 4111\u00a01111\u00a01111\u00a01111 or 4111.1111.1111.1111, iban gb82 west 1234 5698 7654 32, mail "ann lee"@example.com or zq.alice77%40mailhost-secret.io`;
    await http1(r.url("/spellings"), { method: "POST", headers: { "content-type": "text/plain; charset=utf-8" }, body });
    const [s] = await r.shadow.waitFor(1);
    const copy = s.body.toString("utf8");
    for (const secret of ["536228147", "2025550143", fw, "4111\u00a01111", "4111.1111", "west", "ann lee", "zq.alice77"]) expect(copy).not.toContain(secret);
    expect(s.body.length).toBe(Buffer.byteLength(body));
    expect(r.primary.requests[0].body.toString("utf8")).toBe(body);
  });

  it("h2c requests are redacted the same way", async () => {
    const r = rig!;
    await h2c(r.url("/h2?session=abc"), { method: "POST", headers: { "content-type": "application/json", cookie: "a=b" }, body: '{"password":"pw"}' });
    const [s] = await r.shadow.waitFor(1);
    expect(s.path).toBe("/h2?session=***");
    expect(r.shadow.header(s, "cookie")).toBeUndefined();
    expect(JSON.parse(s.body.toString()).password).toBe("**");
  });

  it("a compressed or invalid body is never mirrored as it is", async () => {
    const r = rig!;
    const gz = gzipSync(Buffer.from('{"password":"pw"}'));
    await http1(r.url("/gz"), { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: gz });
    await http1(r.url("/bad"), { method: "POST", headers: { "content-type": "application/json" }, body: '{"password": "pw",' });
    const shadows = await r.shadow.waitFor(2);
    for (const s of shadows) {
      expect(s.body.length).toBe(0);
      expect(r.shadow.header(s, "x-mirrorshade-body-dropped")).toMatch(/^(compressed|invalid_json)$/);
    }
    expect(r.primary.requests.find((p) => p.path === "/gz")!.body.equals(gz)).toBe(true);
    await r.waitStat(S("redact.body_unscannable.invalid_json"), 1);
    expect(await r.stat(S("redact.body_unscannable.compressed"))).toBeGreaterThanOrEqual(1);
  });
});
