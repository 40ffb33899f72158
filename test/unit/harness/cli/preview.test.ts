// `mirrorshade preview` as a user runs it: one JSON line per request with the
// decision, its reason, and what the shadow and the primary receive.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { projectRoot } from "../../../../harness/paths.js";

const KEY = "0123456789abcdef0123456789abcdef";
const dir = mkdtempSync(join(tmpdir(), "mirrorshade-preview-"));

function run(args: string[], env: Record<string, string> = { MIRRORSHADE_HASH_KEY: KEY }) {
  try {
    const out = execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), "preview", ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: "pipe",
    });
    return { code: 0, stdout: out.toString(), stderr: "" };
  } catch (e) {
    const err = e as { status: number; stdout: Buffer; stderr: Buffer };
    return { code: err.status, stdout: err.stdout.toString(), stderr: err.stderr.toString() };
  }
}

describe("mirrorshade preview", () => {
  it("reports decisions with reasons and the scrubbed copy, for the example files", () => {
    const r = run(["--config", "examples/redact-select.json", "--request", "examples/requests.json", "--chunk-size", "5"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.selected, l.reason])).toEqual([[true, "selected"], [false, "excluded"], [false, "not_matched"]]);
    const [first] = lines;
    expect(first.shadow.path).toBe("/api/payments?token=******&amount=10");
    expect(first.shadow.headers).toContainEqual(["x-shadow-rule", "staff"]);
    expect(first.shadow.headers.map((h: string[]) => h[0])).not.toContain("authorization");
    expect(JSON.parse(first.shadow.body).card.number).toBe("****************");
    expect(JSON.parse(first.primary.body).card.number).toBe("4111111111111111");
    expect(lines[1].shadow).toBeNull();
  });

  it("the same answer whatever the chunk size", () => {
    const a = run(["--config", "examples/redact-select.json", "--request", "examples/requests.json", "--chunk-size", "1"]);
    const b = run(["--config", "examples/redact-select.json", "--request", "examples/requests.json"]);
    expect(a.stdout).toBe(b.stdout);
  });

  it("accepts one request object, header pairs, and bodyBase64 (binary bodies come back as bodyBase64)", () => {
    const file = join(dir, "one.json");
    writeFileSync(file, JSON.stringify({ method: "PUT", path: "/b", headers: [["content-type", "image/png"]], bodyBase64: Buffer.from([0x89, 0xff, 0x00]).toString("base64") }));
    const policy = join(dir, "pass.json");
    writeFileSync(policy, JSON.stringify({ role: "mirror", shadow: { cluster: "s" }, redact: { body: { pass_through: ["image/*"] } } }));
    const r = run(["--config", policy, "--request", file]);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout);
    expect(line.shadow.body).toBeNull();
    expect(line.shadow.bodyBase64).toBe(Buffer.from([0x89, 0xff, 0x00]).toString("base64"));
  });

  it.each([
    [["--config", "examples/redact-select.json"], 2, "mirrorshade preview: required option '--request <requests.json>' not specified"],
    [["--config", "examples/redact-select.json", "--request", "nope.json"], 2, "--request nope.json: no such file"],
    [["--config", "examples/redact-select.json", "--request", "examples/requests.json", "--chunk-size", "0"], 2, "option '--chunk-size <bytes>' argument '0' is invalid. must be a whole number ≥ 1"],
    [["--config", "examples/redact-select.json", "--request", "examples/requests.json", "--verbose", "1"], 2, "unknown option '--verbose'"],
  ])("usage error %#: one clear line, exit %i", (args, code, message) => {
    const r = run(args as string[]);
    expect(r.code).toBe(code);
    expect(r.stderr.split("\n")[0]).toContain(message);
  });

  it.each([
    [{ method: "post" }, 'request[0].method: must be an HTTP method'],
    [{ path: "nope" }, 'request[0].path: must be a string starting with "/"'],
    [{ headers: [["a"]] }, "request[0].headers[0]: must be a [name, value] pair"],
    [{ body: 1 }, "request[0].body: must be a string"],
    [{ colour: "red" }, "request[0].colour: unknown field"],
  ])("bad request %#: names the field, exit 1", (req, message) => {
    const file = join(dir, `bad-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify([req]));
    const r = run(["--config", "examples/redact-select.json", "--request", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an invalid policy is reported with the field", () => {
    const r = run(["--config", "examples/redact-select.json", "--request", "examples/requests.json"], { MIRRORSHADE_HASH_KEY: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("redact.hash_key");
  });

  it("lists each copy in copies, with the shadow's name and cluster; the one-shadow form names it \"shadow\"", () => {
    const r = run(["--config", "examples/redact-select.json", "--request", "examples/requests.json"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(Object.keys(lines[0])).toEqual(["selected", "reason", "shadow", "primary", "copies"]);
    expect(lines.map((l) => l.copies.length)).toEqual([1, 0, 0]);
    const [copy] = lines[0].copies;
    expect(copy.shadow).toBe("shadow");
    expect(copy.cluster).toBe("shadow");
    const { shadow: _name, cluster: _cluster, ...rest } = copy;
    expect(rest).toEqual(lines[0].shadow);
  });

  it("a binary copy body is bodyBase64 in copies, and calls to the compare noise cluster are not copies", () => {
    const file = join(dir, "noise.json");
    writeFileSync(file, JSON.stringify([{ method: "PUT", path: "/b", headers: [["content-type", "image/png"]], bodyBase64: Buffer.from([0x89, 0xff, 0x00]).toString("base64") }]));
    const policy = join(dir, "noise-policy.json");
    writeFileSync(policy, JSON.stringify({ role: "mirror", shadow: { cluster: "s" }, redact: { body: { pass_through: ["image/*"] } }, compare: { noise: { cluster: "primary-2", percent: 100 } } }));
    const r = run(["--config", policy, "--request", file]);
    expect(r.code).toBe(0);
    const line = JSON.parse(r.stdout);
    expect(line.copies.map((c: { shadow: string; cluster: string }) => [c.shadow, c.cluster])).toEqual([["shadow", "s"]]);
    expect(line.copies[0].bodyBase64).toBe(Buffer.from([0x89, 0xff, 0x00]).toString("base64"));
    expect(line.copies[0]).not.toHaveProperty("body");
  });

  // needs several-shadow filter
  it("two shadows (examples/shadows.json): one copy per selected shadow in dispatch order, redacted alike", () => {
    // The consistent share: in when sha256(value)[0:4], big-endian, is below percent% of 2^32.
    const share = (v: string) => (createHash("sha256").update(v).digest().readUInt32BE(0) / 2 ** 32) * 100;
    const users = [...Array(500).keys()].map((i) => `user-${i}`);
    const inBoth = users.find((u) => share(u) < 8)!;
    const inV2 = users.find((u) => share(u) > 12 && share(u) < 48)!;
    const inNone = users.find((u) => share(u) > 52)!;
    const file = join(dir, "shadows-requests.json");
    const body = JSON.stringify({ amount: 10, card: { number: "4111111111111111", cvv: "123" }, email: "a@example.com" });
    writeFileSync(file, JSON.stringify([inBoth, inV2, inNone].map((u) => ({ method: "POST", path: "/api/payments", headers: { "x-user-id": u, "content-type": "application/json", authorization: "Bearer t" }, body }))));
    const r = run(["--config", "examples/shadows.json", "--request", file, "--chunk-size", "7"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const names = (l: { copies: { shadow: string; cluster: string }[] }) => l.copies.map((c) => [c.shadow, c.cluster]);
    expect(names(lines[0])).toEqual([["v2", "payments-v2"], ["canary", "payments-canary"]]);
    expect(names(lines[1])).toEqual([["v2", "payments-v2"]]);
    expect(names(lines[2])).toEqual([]);
    expect(lines.map((l) => l.selected)).toEqual([true, true, false]);
    expect(lines[2].shadow).toBeNull();
    // shadow is the first copy; the body is redacted once and sent to both.
    const [v2, canary] = lines[0].copies;
    const { shadow: _n, cluster: _c, ...first } = v2;
    expect(first).toEqual(lines[0].shadow);
    expect(canary.body).toBe(v2.body);
    expect(JSON.parse(v2.body).card.number).toBe("****************");
    expect(v2.headers.map((h: string[]) => h[0])).not.toContain("authorization");
    expect(JSON.parse(lines[0].primary.body).card.number).toBe("4111111111111111");
  });
});

describe("mirrorshade preview: gRPC calls", () => {
  // A framed message whose bytes are all valid UTF-8 (NULs and ASCII): still shown as bodyBase64.
  const message = Buffer.from([0x0a, 0x05, ...Buffer.from("hello")]);
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]).toString("base64");
  const call = (extra: object = {}) => ({ method: "POST", path: "/shop.v1.Payments/Charge", headers: { "content-type": "application/grpc", te: "trailers" }, bodyBase64: framed, ...extra });
  const passPolicy = join(dir, "grpc-pass.json");
  writeFileSync(passPolicy, JSON.stringify({ role: "mirror", shadow: { cluster: "s" } }));
  const write = (name: string, v: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(v));
    return file;
  };

  it("a gRPC body is bodyBase64 on every side, even when its bytes are valid UTF-8", () => {
    const r = run(["--config", passPolicy, "--request", write("grpc-one.json", [call()]), "--protocol", "h2"]);
    expect(r.stderr).toBe("");
    const line = JSON.parse(r.stdout);
    for (const s of [line.shadow, line.primary, line.copies[0]]) {
      expect(s.bodyBase64).toBe(framed);
      expect(s.body ?? null).toBeNull();
    }
    // No descriptor set in the policy: nothing to decode the messages by.
    expect(line.copies[0]).not.toHaveProperty("decoded");
  });

  it("needs --protocol h2: gRPC is HTTP/2 only", () => {
    const r = run(["--config", passPolicy, "--request", write("grpc-h1.json", [call()])]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("mirrorshade preview: request[0]: a gRPC call (content-type application/grpc) needs --protocol h2");
  });

  it("takes request trailers over h2 (the body then does not end the stream); they are checked like headers", () => {
    const ok = run(["--config", passPolicy, "--request", write("grpc-trailers.json", [call({ trailers: { "x-checksum": "abc" } })]), "--protocol", "h2", "--chunk-size", "3"]);
    expect(ok.stderr).toBe("");
    expect(JSON.parse(ok.stdout).primary.bodyBase64).toBe(framed);
    expect(JSON.parse(ok.stdout).primary.trailers).toEqual([["x-checksum", "abc"]]);
    const bad = run(["--config", passPolicy, "--request", write("grpc-bad-trailers.json", [call({ trailers: [["x"]] })]), "--protocol", "h2"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("request[0].trailers[0]: must be a [name, value] pair");
    const h1 = run(["--config", passPolicy, "--request", write("h1-trailers.json", [{ path: "/x", body: "a", trailers: { t: "1" } }])]);
    expect(h1.code).toBe(1);
    expect(h1.stderr).toContain("request[0]: trailers needs --protocol h2");
  });
});
