// What the hostile review of #13 found, against real Envoy: each case leaked on the
// build it reviewed (docs/hardening.md "The hostile review (#13)"). Written by a
// reviewer who had not read the filter's code; hostile-lib.ts sends the probes
// (HTTP/1.1, h2c, raw sockets) and finds secrets in what the shadow received.
// Left out on purpose, documented as limits: JSON inside a JSON string or a query
// value (the rules do not reach into it; redact.keep masks it whole), an SSN
// glued to letters ("ID536-22-8190": cards only may follow letters).
import { describe, it, expect, afterAll } from "vitest";
import { startRig, http1, printLogsAfterFailures, S, type Rig } from "./fixture.js";
import { runProbes, type Probe } from "./hostile-lib.js";

const STRICT = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    headers: { drop: ["authorization", "cookie", "x-api-key", "proxy-authorization"], mask: ["x-auth-token"], hash: ["x-user-email"] },
    query: { mask: ["token", "password", "session", "api_key", "secret", "access_token"] },
    json: { mask: ["$..password", "$..token", "$..card.number", "$..cvv", "$..secret"], hash: ["$..email"], drop: ["$.debug"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
    hash_key: "inline:0123456789abcdef0123456789abcdef",
  },
};
const KEEP = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    keep: { headers: ["user-agent", "accept", "x-pid", "referer"], query: ["page", "q"], json: ["$.items[*].sku", "$.items[*].qty", "$.currency", "$.meta"] },
    headers: { drop: ["authorization"] },
    detectors: ["card", "email", "ssn", "jwt", "iban", "phone"],
  },
};

const b64u = (s: string) => Buffer.from(s).toString("base64url");
const rawPost = (ct: string, body: Buffer) =>
  Buffer.concat([Buffer.from(`POST /r HTTP/1.1\r\nhost: a\r\ncontent-type: ${ct}\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
const post = (id: string, ct: string, body: string, secrets: string[]): Probe => ({ id, method: "POST", path: "/r", headers: { "content-type": ct }, body, secrets });

const STRICT_CASES: Probe[] = [
  post("F1-trailing-data", "text/plain", '{"password":"pwR1"} x', ["pwR1"]),
  post("F1-nan", "text/plain", '{"password":"pwR2","n":NaN}', ["pwR2"]),
  post("F1-form-amp", "application/x-www-form-urlencoded", '{"password":"pwR3"}&', ["pwR3"]),
  { id: "F1-invalid-utf8", transport: "raw", path: "/r", raw: rawPost("text/plain", Buffer.from('{"password":"pwR4\xff"}', "latin1")), secrets: ["pwR4"] },
  post("F2-yaml", "text/yaml", "password: pwR5\n", ["pwR5"]),
  { id: "F5-jwt-spaced", path: "/r", headers: { "x-id-token": `${b64u('{ "alg": "HS256" }')}.${b64u('{ "sub": "r8" }')}.c2lnbmF0dXJlc2lnbmF0dXJlc2lo` }, secrets: [b64u('{ "sub": "r8" }')] },
  { id: "F6-glued-path", path: "/cards/card4539578763621486", secrets: ["4539578763621486"] },
  post("F6-glued-json", "application/json", '{"n":"ORD4539578763621486","s":"ID536-22-8190"}', ["4539578763621486"]),
  post("F12-pct20-jwt", "application/json", `{"n":"Bearer%20eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijklmnopqrstuvwxyz012345"}`, ["eyJzdWIiOiJ4In0"]),
  { id: "F17-template-format", path: "/users/SECRETR9/profile.json", transport: "h2", secrets: ["SECRETR9"] },
  { id: "F17-template-enc-slash", path: "/users/SECRETS1%2Fprofile", transport: "h2", secrets: ["SECRETS1"] },
  post("F12-pct3d-card", "application/json", '{"u":"https://x.example/cb?next=%2Fpay%3Fpan%3D4539578763621486"}', ["4539578763621486"]),
  post("F18-frac-card", "application/json", '{"n":4539578763621486.000000000000000000001}', ["4539578763621486"]),
];
const KEEP_CASES: Probe[] = [
  post("F8-keep-text", "text/plain", "customer note: my password is pwK4 please", ["pwK4"]),
  post("F8-keep-csv", "text/csv", "name,secret\nbob,pwK5\n", ["pwK5"]),
  post("F9-keep-trailing", "text/plain", '{"name":"pwK13"} x', ["pwK13"]),
];

/** Every probe's copy reached the shadow (else "no leak" would prove nothing), and none holds a secret. */
function verdict(res: Awaited<ReturnType<typeof runProbes>>): string[] {
  return [...res.filter((o) => !o.shadow).map((o) => `${o.id}: no copy`), ...res.filter((o) => o.leaks.length).map((o) => `${o.id}: ${o.leaks}`)];
}

describe("the hostile review's findings (#13), envoy as process", () => {
  let rig: Rig | undefined;
  afterAll(async () => {
    await rig?.close();
  });
  printLogsAfterFailures(() => rig);
  it("strict: no secret reaches the copy", async () => {
    rig = await startRig({
      backend: "process",
      config: { ...STRICT, redact: { ...STRICT.redact, path: { mask: ["/users/{id}/profile"] } } },
    });
    const res = await runProbes(rig, STRICT_CASES, undefined, 15_000);
    expect(verdict(res)).toEqual([]);
    await rig.close();
    rig = undefined;
  }, 120_000);
  it("keep: nothing unlisted passes", async () => {
    rig = await startRig({ backend: "process", config: KEEP });
    const res = await runProbes(rig, KEEP_CASES, undefined, 15_000);
    expect(verdict(res)).toEqual([]);
    await rig.close();
    rig = undefined;
  }, 120_000);
  it("F15: the copy carries one mirrorshade.shadow member, the filter's", async () => {
    rig = await startRig({ backend: "process", config: { ...STRICT, tag: { baggage: true } } });
    await http1(rig.url("/b"), { headers: { baggage: "mirrorshade.shadow=false" } });
    const [copy] = await rig.shadow.waitFor(1);
    await rig.close();
    rig = undefined;
    expect(copy.headers.filter(([k]) => k === "baggage").map(([, v]) => v)).toEqual(["mirrorshade.shadow=true"]);
  }, 60_000);
  it("F16: diff records do not carry the raw path", async () => {
    rig = await startRig({ backend: "process", config: { ...STRICT, compare: { log_level: "info", pair_timeout_ms: 2000 } } });
    rig.shadow.behaviour.status = 422;
    await http1(rig.url("/users/hank@example.com/cards/4539578763621486"), { headers: { "x-request-id": "4539578763621486-hank@example.com" } });
    await rig.waitStat(S("compare.mismatched"), 1, 30_000);
    const lines = rig.envoy.logs().split("\n").filter((l) => l.includes("mirrorshade.diff"));
    await rig.close();
    rig = undefined;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes("4539578763621486") || l.includes("hank@example.com"))).toEqual([]);
  }, 60_000);
});
