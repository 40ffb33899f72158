// Redaction inside real Envoy: the shadow upstream receives the scrubbed copy,
// the primary the original, with the issue's example policy and the hash key
// taken from Envoy's environment (vm_config.environment_variables.host_env_keys).
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startRig, printLogsAfterFailures, http1, h2c, S, type Rig } from "./fixture.js";
import { e2eBackends } from "./backends.js";
import { h2raw } from "./h2raw.js";
import { projectRoot } from "../../harness/paths.js";
import { PATH_SECRETS, PLACES_QUERY_RULES } from "../support/places-corpus.js";

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

  // #13, places the filter used never to look: path segments and matrix parameters,
  // the authority's host labels, header names, URL-valued headers.
  it.each([
    ["HTTP/1.1", http1],
    ["h2c", h2c],
  ] as const)("the path, the host, header names and URL headers are scanned too (%s)", async (_proto, client) => {
    const r = rig!;
    const path = "/users/zq.alice77@mailhost-secret.io/cards/4111111111111111;jsessionid=eve%40example.org/ssn/536-22-8147?page=2&token=t0k3n";
    const authority = "4111111111111111.tenant.example";
    const headers: Record<string, string> = {
      "x-4111111111111111": "v",
      // ('@' is not a token character: no e-mail address reaches Envoy as a header name)
      "x-ssn-536-22-8147": "v",
      referer: "https://shop.example/cart/bob%40example.com?session=s3cr3t&x=1",
      // (Envoy drops a Referer with userinfo itself; other URL headers keep theirs, the copy does not)
      "content-location": "https://alice:Hunter2-Pa55word@shop.example/c?token=t0k3n3",
      "x-original-url": "/pay?token=t0k3n2",
      "x-plain": "kept",
      ...(client === h2c ? { ":authority": authority } : { host: authority }),
    };
    await client(r.url(path), { headers });
    const [p] = await r.primary.waitFor(1);
    const [s] = await r.shadow.waitFor(1);
    expect(p.path).toBe(path);
    expect(s.path).toMatch(/^\/users\/[^/]+\/cards\/4\d{11}1111;jsessionid=[^/]+\/ssn\/\*\*\*-\*\*-8147\?page=2&token=\*\*\*\*\*$/);
    const host = r.shadow.header(s, "host") ?? r.shadow.header(s, ":authority");
    expect(host).toMatch(/^4\d{11}1111\.tenant\.example-shadow$/);
    expect(r.shadow.header(s, "referer")).toBe("https://shop.example/cart/***%40*******.com?session=******&x=1");
    expect(r.shadow.header(s, "x-original-url")).toBe("/pay?token=******");
    expect(r.shadow.header(s, "content-location")).toBe("https://shop.example/c?token=******");
    expect(r.shadow.header(s, "x-plain")).toBe("kept");
    const all = decodeURIComponent(s.path) + JSON.stringify(s.headers);
    for (const secret of ["zq.alice77@mailhost-secret.io", "4111111111111111", "eve@example.org", "536-22", "t0k3n", "Hunter2", "bob@example.com", "s3cr3t", "8147\":"]) {
      expect(all).not.toContain(secret);
    }
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

  it("h2c: a request ending with an empty DATA frame keeps its body (no body-dropped header)", async () => {
    const r = rig!;
    const head = (path: string, type?: string): [string, string][] => [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", "orders.example"], ...(type ? [["content-type", type] as [string, string]] : [])];
    // Headers, a DATA frame, then an empty DATA frame with END_STREAM.
    await h2raw(r.listenerPort, head("/e/json", "application/json"), ['{"password":"pw","n":1}', ""]);
    // Headers, then only an empty DATA frame with END_STREAM: no body, of no type or an unscannable one.
    await h2raw(r.listenerPort, head("/e/none"), [""]);
    await h2raw(r.listenerPort, head("/e/octets", "application/octet-stream"), [""]);
    // A body of an unscannable type that is not empty is still dropped.
    await h2raw(r.listenerPort, head("/e/bytes", "application/octet-stream"), ["\u0001\u0002", ""]);
    const got = await r.shadow.waitFor(4);
    const at = (p: string) => got.find((s) => s.path === p)!;
    for (const p of ["/e/json", "/e/none", "/e/octets"]) expect(r.shadow.header(at(p), "x-mirrorshade-body-dropped")).toBeUndefined();
    expect(JSON.parse(at("/e/json").body.toString())).toEqual({ password: "**", n: 1 });
    expect(at("/e/none").body.length).toBe(0);
    expect(r.shadow.header(at("/e/bytes"), "x-mirrorshade-body-dropped")).toBe("unsupported_type");
    expect(at("/e/bytes").body.length).toBe(0);
  });

  it("a body is scanned by what it is: JSON sent as text/plain or as a form gets the JSON rules, XML is dropped", async () => {
    const r = rig!;
    const body = JSON.stringify({ user: "bob", password: "hunter2" });
    await http1(r.url("/k/text"), { method: "POST", headers: { "content-type": "text/plain" }, body });
    await h2c(r.url("/k/form"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    await http1(r.url("/k/textjson"), { method: "POST", headers: { "content-type": "text/json" }, body });
    await http1(r.url("/k/xml"), { method: "POST", headers: { "content-type": "text/xml" }, body: "<password>hunter2</password>" });
    await http1(r.url("/k/textform"), { method: "POST", headers: { "content-type": "text/plain" }, body: "token=t0k3n&x=1" });
    const got = await r.shadow.waitFor(5);
    const at = (p: string) => got.find((s) => s.path === p)!;
    for (const p of ["/k/text", "/k/form", "/k/textjson"]) expect(JSON.parse(at(p).body.toString())).toEqual({ user: "bob", password: "*******" });
    expect(r.shadow.header(at("/k/xml"), "x-mirrorshade-body-dropped")).toBe("unsupported_type");
    expect(at("/k/textform").body.toString()).toBe("token=*****&x=1");
    for (const s of got) expect(s.body.toString()).not.toMatch(/hunter2|t0k3n/);
  });

  // #13: JSON names, escapes kept around a hit, numbers by value; HTTP/1.1 chunked and h2c.
  const SPELLINGS = '{"zq.alice77@mailhost.io": 1, "n": "Zo\\u00eb \\/ 4111\\u00201111 1111 1111 \\/", ' +
    '"a": [4111111111111111e0, 4111111111111111.0, 4.111111111111111e15, 41111111111111110E-1, -4111111111111111, 4111111111111111.000e+0], "keep": 12.5}';
  const checkSpellings = (copy: string) => {
    const v = JSON.parse(copy);
    expect(copy).not.toContain("alice77");
    expect(copy).toContain('"n": "Zo\\u00eb \\/ 4000\\u00200000 0006 1111 \\/"');
    for (const n of v.a) {
      expect(typeof n).toBe("number");
      expect(Math.abs(n)).not.toBe(4111111111111111);
    }
    expect(copy).toContain('"keep": 12.5}');
    expect(copy.length).toBe(SPELLINGS.length);
  };

  it("JSON names, escaped strings and number spellings (HTTP/1.1, chunked)", async () => {
    const r = rig!;
    const chunks = [SPELLINGS.slice(0, 9), SPELLINGS.slice(9, 40), SPELLINGS.slice(40, 41), SPELLINGS.slice(41)];
    await http1(r.url("/spell"), { method: "POST", headers: { "content-type": "application/json" }, chunks });
    const [s] = await r.shadow.waitFor(1);
    checkSpellings(s.body.toString());
    expect(r.primary.requests[0].body.toString()).toBe(SPELLINGS);
  });

  it("JSON names, escaped strings and number spellings (h2c)", async () => {
    const r = rig!;
    await h2c(r.url("/spell2"), { method: "POST", headers: { "content-type": "application/json" }, body: SPELLINGS });
    const [s] = await r.shadow.waitFor(1);
    checkSpellings(s.body.toString());
  });
});

describe.each(e2eBackends())("allow-list mode, envoy as %s", (backend) => {
  let rig: Rig | undefined;
  const policy = { ...POLICY, redact: { ...POLICY.redact, keep: { headers: ["content-type"], json: ["$.order.id", "$.items[*].sku"] } } };
  beforeAll(async () => {
    rig = await startRig({ backend, config: policy, env: { MIRRORSHADE_HASH_KEY: KEY }, wasmEnvKeys: ["MIRRORSHADE_HASH_KEY"] });
  });
  afterAll(async () => rig?.close());
  printLogsAfterFailures(() => rig);

  it("every JSON string and number not kept is masked, shape kept; kept values pass", async () => {
    const r = rig!;
    const body = '{"order":{"id":"A-17","pan":"4111111111111111","amount":19.99,"paid":true},"items":[{"sku":"K-1","qty":3}],"password":"pw"}';
    await h2c(r.url("/keep"), { method: "POST", headers: { "content-type": "application/json" }, body });
    const [s] = await r.shadow.waitFor(1);
    const copy = s.body.toString();
    const v = JSON.parse(copy);
    expect(copy).toContain('"id":"A-17"');
    expect(copy).toContain('"sku":"K-1"');
    expect(v.order.paid).toBe(true);
    expect(typeof v.order.amount).toBe("number");
    expect(typeof v.items[0].qty).toBe("number");
    expect(v.password).toBe("**");
    for (const secret of ["4111111111111111", "19.99", '"qty":3']) expect(copy).not.toContain(secret);
    await r.waitStat(S("redact.json.keep_masked"), 1);
  });
});

// #13, names: query and form names as frameworks bind them, case and Unicode folding,
// '+' kept around a finding, and the allow-list mode for headers and values.
const NAMES_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: { query: { mask: ["password", "token"] }, json: { mask: ["$..password"] }, detectors: ["card"] },
};
const KEEP_POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: { keep: { headers: ["x-request-id"], query: ["page"] }, detectors: ["card"] },
};

describe.each(e2eBackends())("names, envoy as %s", (backend) => {
  let rig: Rig | undefined;
  let keep: Rig | undefined;
  beforeAll(async () => {
    rig = await startRig({ backend, config: NAMES_POLICY });
    keep = await startRig({ backend, config: KEEP_POLICY });
  });
  afterAll(async () => {
    await rig?.close();
    await keep?.close();
  });
  beforeEach(() => {
    for (const r of [rig!, keep!]) {
      r.primary.clear();
      r.shadow.clear();
    }
  });
  printLogsAfterFailures(() => rig);

  const QUERY: [string, string][] = [
    ["password[]=S3cret&a=1", "password[]=******&a=1"],
    ["user[password]=S3cret", "user[password]=******"],
    ["user%5Btoken%5D=S3cret", "user%5Btoken%5D=******"],
    ["a=1;password=S3cret", "a=1;password=******"],
    ["password%20=S3cret", "password%20=******"],
    ["PASSWORD=S3cret", "PASSWORD=******"],
    ["Password=S3cret", "Password=******"],
    ["pa%C5%BF%C5%BFword=S3cret", "pa%C5%BF%C5%BFword=******"],
    ["user.password=S3cret", "user.password=******"],
    ["q=card+4111+1111+1111+1111+end", "q=card+4000+0000+0006+1111+end"],
  ];

  it.each(QUERY)("query %s reaches the shadow as %s (HTTP/1.1 and h2c)", async (qs, expected) => {
    const r = rig!;
    await http1(r.url("/n?" + qs));
    await h2c(r.url("/n?" + qs));
    const shadows = await r.shadow.waitFor(2);
    for (const s of shadows) expect(s.path).toBe("/n?" + expected);
    for (const p of await r.primary.waitFor(2)) expect(p.path).toBe("/n?" + qs);
  });

  it("a chunked form body: every spelling masked, the rest as sent", async () => {
    const r = rig!;
    const body = QUERY.map(([qs]) => qs).join("&");
    const expected = QUERY.map(([, e]) => e).join("&");
    const chunks = [body.slice(0, 7), body.slice(7, 30), body.slice(30, 31), body.slice(31)];
    await http1(r.url("/form"), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, chunks });
    const [s] = await r.shadow.waitFor(1);
    expect(s.body.toString()).toBe(expected);
  });

  it("JSON member names by case and Unicode", async () => {
    const r = rig!;
    const body = '{"PASSWORD":"S3cret1","Password":"S3cret2","pa\u017f\u017fword":"S3cret3","pa\\u017f\\u017fword":"S3cret4","passwords":"ok"}';
    await h2c(r.url("/json"), { method: "POST", headers: { "content-type": "application/json" }, body });
    const [s] = await r.shadow.waitFor(1);
    expect(s.body.toString()).not.toMatch(/S3cret/);
    expect(JSON.parse(s.body.toString()).passwords).toBe("ok");
  });

  it("keep: only kept headers and values pass", async () => {
    const r = keep!;
    const headers = { "x-request-id": "r-1", "x-api-key": "k-123", cookie: "sid=abc", "content-type": "application/x-www-form-urlencoded" };
    await http1(r.url("/k?page=2&token=Ab3&password%5B%5D=S3cret"), { method: "POST", headers, body: "page=3&card=4111111111111111;pin=1234" });
    await h2c(r.url("/k?page=2&token=Ab3&password%5B%5D=S3cret"), { method: "POST", headers, body: "page=3&card=4111111111111111;pin=1234" });
    const shadows = await r.shadow.waitFor(2);
    for (const s of shadows) {
      expect(r.shadow.header(s, "x-request-id")).toBe("r-1");
      expect(r.shadow.header(s, "x-api-key")).toBeUndefined();
      expect(r.shadow.header(s, "cookie")).toBeUndefined();
      expect(r.shadow.header(s, "content-type")).toBe("application/x-www-form-urlencoded");
      expect(s.path).toMatch(/^\/k\?page=2&token=...&password%5B%5D=......$/);
      expect(s.path).not.toMatch(/Ab3|S3cret/);
      // card is not kept: its whole value is masked, ';pin=1234' and all.
      expect(s.body.toString()).toMatch(/^page=3&card=\d{16};...=\d{4}$/);
      expect(s.body.toString()).not.toMatch(/4111111111111111|1234|pin/);
    }
    await r.waitStat(S("redact.keep.headers_dropped"), 2);
    expect(await r.stat(S("redact.keep.query_masked"))).toBeGreaterThanOrEqual(4);
  });
});

describe.each(e2eBackends())("redact.path templates, envoy as %s", (backend) => {
  const policy = { ...POLICY, redact: { ...POLICY.redact, query: PLACES_QUERY_RULES, path: { mask: ["/accounts/{id}/statements/*"], hash: ["/customers/{customer}/**"] }, url_headers: ["x-envoy-original-path", "x-my-url"] } };
  let rig: Rig | undefined;
  beforeAll(async () => {
    rig = await startRig({ backend, config: policy, env: { MIRRORSHADE_HASH_KEY: KEY }, wasmEnvKeys: ["MIRRORSHADE_HASH_KEY"] });
  });
  afterAll(async () => rig?.close());
  beforeEach(() => {
    rig!.primary.clear();
    rig!.shadow.clear();
  });
  printLogsAfterFailures(() => rig);

  it.each([
    ["HTTP/1.1", http1],
    ["h2c", h2c],
  ] as const)("captured segments are masked or hashed by position, dot segments resolved (%s)", async (_proto, client) => {
    const r = rig!;
    await client(r.url("/accounts/9/..;v=1/98765/statements/2024?page=1"), { headers: { "x-my-url": "/customers/c-42/orders?token=t0k3n" } });
    await client(r.url("/customers/c-42/orders/7"));
    const [a, b] = await r.shadow.waitFor(2);
    const byPath = [a, b].sort((x, y) => x.path.localeCompare(y.path));
    // (a client's URL parser resolves "." and ".." itself; "..;v=1" reaches Envoy, and Tomcat reads it as "..")
    expect(byPath[0].path).toBe("/accounts/9/..;v=1/*****/statements/2024?page=1");
    expect(r.shadow.header(byPath[0], "x-my-url")).toBe(`/customers/${token("c-42")}/orders?token=*****`);
    expect(byPath[1].path).toBe(`/customers/${token("c-42")}/orders/7`);
    expect(r.primary.requests.map((p) => p.path).sort()).toEqual(["/accounts/9/..;v=1/98765/statements/2024?page=1", "/customers/c-42/orders/7"]);
    await r.waitStat(S("redact.path.masked"), 1);
  });

  it.each([
    ["HTTP/1.1", http1],
    ["h2c", h2c],
  ] as const)("the path corpus: no planted secret reaches the shadow (%s)", async (_proto, client) => {
    const r = rig!;
    for (const [path] of PATH_SECRETS) await client(r.url(`${path}?page=2`));
    const primaries = await r.primary.waitFor(PATH_SECRETS.length);
    // Every primary's copy, by its x-request-id: a count alone would also count a late copy of an earlier test.
    const ids = primaries.map((q) => r.primary.header(q, "x-request-id"));
    const copied = () => ids.every((id) => r.shadow.requests.some((q) => r.shadow.header(q, "x-request-id") === id));
    for (const until = Date.now() + 30_000; !copied() && Date.now() < until; ) await new Promise((res) => setTimeout(res, 50));
    if (!copied()) {
      // Seen once in a fresh-clone CI run (2026-12-03, h2c, one copy of 40 missing): say where the copy went.
      const missing = primaries.filter((q) => !r.shadow.requests.some((c) => r.shadow.header(c, "x-request-id") === r.primary.header(q, "x-request-id"))).map((q) => q.path);
      const st = await r.envoy.stats();
      console.log(`copies missing for ${missing.join(" ")}; shadow got ${r.shadow.requests.length}; ${[...st.entries()].filter(([k, v]) => v && (k.startsWith(S("")) || /cluster\.shadow\.(upstream_rq_|upstream_cx_)/.test(k))).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
    const shadows = r.shadow.requests;
    const leaked: string[] = [];
    for (const [path, secret] of PATH_SECRETS) {
      const p = primaries.find((q) => q.path === `${path}?page=2`);
      expect(p, `primary got ${path} as sent`).toBeDefined();
      // Copies pair with their primaries by Envoy's x-request-id, whatever order they arrive in.
      const id = r.primary.header(p!, "x-request-id");
      const s = shadows.find((q) => r.shadow.header(q, "x-request-id") === id)!;
      expect(s, `a copy of ${path}`).toBeDefined();
      let decoded = s.path;
      try {
        decoded = decodeURIComponent(s.path);
      } catch {}
      if (s.path.includes(secret) || decoded.includes(secret) || !s.path.endsWith("?page=2")) leaked.push(`${path} -> ${s.path}`);
    }
    expect(leaked).toEqual([]);
  });
});
