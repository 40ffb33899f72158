// capture-sink and replay: real capture frames (made by the filter in the emulator)
// POSTed to the sink, concurrently and one by one; the HAR valid (har-schema 2.0.0)
// after every append, bodies byte for byte, no secret; a malformed frame refused;
// an existing archive kept; replay against a recording server on 127.0.0.1.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFilter, drainRedaction } from "../../support/filter.js";
import { harErrors } from "../../support/har-validate.js";
import { startSink } from "../../../harness/capture/sink.js";
import { entryBody, toEntry, type Har } from "../../../harness/capture/har.js";
import { replay, summaryTable, parseTarget } from "../../../harness/capture/replay.js";

const CARD = "4539578763621486";
const EMAIL = "hank.hill@example.com";
const TOKEN = "sk_live_9f8e7d6c5b4a";
const SECRETS = [CARD, "539578763621", EMAIL, "hank.hill", TOKEN];

/** Capture frames as the filter makes them, with the body each shadow call carried. */
async function frames(n: number) {
  const { host } = await loadFilter({
    role: "mirror",
    shadow: { cluster: "shadow" },
    redact: { detectors: ["card", "email"], headers: { drop: ["authorization"] }, query: { mask: ["token"] } },
    capture: { cluster: "capture", rate_limit_per_second: 1000 },
  });
  const out: { frame: Uint8Array; shadowBody: Uint8Array; path: string }[] = [];
  for (let i = 0; i < n; i++) {
    const before = host.calls.length;
    const stream = host.newStream();
    const body = Buffer.from(JSON.stringify({ i, card: CARD, email: EMAIL }));
    stream.requestHeaders([[":method", "POST"], [":path", `/pay/${i}?token=${TOKEN}&n=${i}`], [":authority", "payments"], [":scheme", "http"], ["authorization", `Bearer ${TOKEN}`], ["content-type", "application/json"], ["x-n", String(i)]], false);
    stream.requestBody(body, true);
    drainRedaction(host);
    const call = host.calls.slice(before).find((c) => c.cluster === "shadow")!;
    stream.responseHeaders([[":status", "200"], ["set-cookie", `s=${TOKEN}`]], true);
    host.respondToCall(call.token, { headers: [[":status", i % 2 ? "500" : "503"], ["x-shadow", "v2"]] });
    stream.complete();
    const cap = host.calls.slice(before).find((c) => c.cluster === "capture")!;
    out.push({ frame: cap.body, shadowBody: call.body, path: call.headers.find(([k]) => k === ":path")![1] });
  }
  return out;
}

const post = (url: string, body: Uint8Array) => fetch(url + "/captures", { method: "POST", body: Buffer.from(body), headers: { "content-type": "application/x-mirrorshade-capture" } });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mirrorshade-har-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("capture-sink", () => {
  it("appends concurrent captures; the HAR is valid, bodies byte for byte, no secret anywhere", async () => {
    const made = await frames(12);
    const file = join(dir, "concurrent.har");
    const sink = await startSink({ out: file, version: "test" });
    try {
      const answers = await Promise.all(made.map((m) => post(sink.url, m.frame)));
      expect(answers.map((a) => a.status)).toEqual(made.map(() => 204));
    } finally {
      await sink.close();
    }
    const text = readFileSync(file, "utf8");
    const har = JSON.parse(text) as Har;
    expect(harErrors(har)).toEqual([]);
    expect(har.log.entries).toHaveLength(12);
    for (const s of SECRETS) expect(text).not.toContain(s);
    // Each entry is one of the captures (arrival order is the sink's), its body exactly the shadow's.
    const byPath = new Map(made.map((m) => [m.path, m]));
    for (const e of har.log.entries) {
      const m = byPath.get(new URL(e.request.url).pathname + new URL(e.request.url).search)!;
      expect(m, e.request.url).toBeDefined();
      expect(Buffer.compare(entryBody(e), Buffer.from(m.shadowBody))).toBe(0);
      expect(e._mirrorshade!.reason).toBe("shadow_error");
      expect(e._mirrorshade!.primary!.status).toBe(200);
      expect([500, 503]).toContain(e.response.status);
      expect(e.request.headers.map((h) => h.name)).not.toContain("authorization");
    }
  });

  it("is valid after every append, and an existing archive keeps its entries", async () => {
    const made = await frames(3);
    const file = join(dir, "each.har");
    let sink = await startSink({ out: file });
    try {
      for (let i = 0; i < 2; i++) {
        expect((await post(sink.url, made[i].frame)).status).toBe(204);
        const har = JSON.parse(readFileSync(file, "utf8")) as Har;
        expect(harErrors(har)).toEqual([]);
        expect(har.log.entries).toHaveLength(i + 1);
      }
    } finally {
      await sink.close();
    }
    sink = await startSink({ out: file });
    try {
      expect((await post(sink.url, made[2].frame)).status).toBe(204);
    } finally {
      await sink.close();
    }
    const har = JSON.parse(readFileSync(file, "utf8")) as Har;
    expect(harErrors(har)).toEqual([]);
    expect(har.log.entries).toHaveLength(3);
  });

  it("refuses what is no capture frame (400) and does not append it", async () => {
    const file = join(dir, "bad.har");
    const sink = await startSink({ out: file });
    try {
      const cases = [Buffer.from("hello"), Buffer.from("MSC1"), Buffer.concat([Buffer.from("MSC1"), Buffer.alloc(4 * 7), Buffer.from("x")])];
      for (const c of cases) expect((await post(sink.url, c)).status).toBe(400);
      expect(sink.refused).toBe(3);
    } finally {
      await sink.close();
    }
    const small = await startSink({ out: join(dir, "small.har"), maxBytes: 64 });
    try {
      expect((await post(small.url, new Uint8Array(4096))).status).toBe(413);
    } finally {
      await small.close();
    }
    expect((JSON.parse(readFileSync(file, "utf8")) as Har).log.entries).toHaveLength(0);
  });
});

describe("HAR entries", () => {
  it("a body that is not UTF-8 goes in base64 and comes back byte for byte; header bytes that are not UTF-8 as latin1", () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80]);
    const h = (pairs: [string, Buffer | string][]) => pairs.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as [Buffer, Buffer]);
    const e = toEntry({
      meta: { reason: "timeout", detail: "timeout", shadow: "v2", grpc: false },
      request: { headers: h([[":method", "PUT"], [":path", "/a?q=%41+b&flag"], [":authority", "svc"], ["x-raw", Buffer.from([0xe9])]]), body, trailers: [] },
      shadow: null,
      primary: null,
    });
    expect(harErrors({ log: { version: "1.2", creator: { name: "t", version: "1" }, entries: [e] } })).toEqual([]);
    expect(e.request.postData!.encoding).toBe("base64");
    expect(Buffer.compare(entryBody(e), body)).toBe(0);
    expect(e.request.queryString).toEqual([{ name: "q", value: "A b" }, { name: "flag", value: "" }]);
    expect(e.request.headers.find((x) => x.name === "x-raw")).toEqual({ name: "x-raw", value: "\u00e9", comment: "latin1" });
    expect(e.response.status).toBe(0);
    expect(e._mirrorshade!.primary).toBeNull();
    // Without the filter's times, the sink's; with them, when the copy went and how long the shadow took.
    const timed = toEntry({ meta: { reason: "timeout", detail: "timeout", shadow: "v2", grpc: false, started_ms: 1_700_000_000_000, elapsed_ms: 250 }, request: { headers: [], body: Buffer.alloc(0), trailers: [] }, shadow: null, primary: null }, new Date(0));
    expect(timed.startedDateTime).toBe(new Date(1_700_000_000_000).toISOString());
    expect(timed.time).toBe(250);
  });
});

describe("replay", () => {
  let server: Server;
  let target: string;
  const got: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: Buffer }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        got.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  let archives = 0;
  async function archive(n: number) {
    const made = await frames(n);
    const file = join(dir, `replay-${archives++}.har`);
    const sink = await startSink({ out: file });
    for (const m of made) await post(sink.url, m.frame);
    await sink.close();
    return JSON.parse(readFileSync(file, "utf8")) as Har;
  }

  it("sends every entry's request as captured (method, path and query, headers, body byte for byte), --loop times", async () => {
    const har = await archive(4);
    got.length = 0;
    const run = await replay({ entries: har.log.entries, target, loop: 2 });
    expect(run.sent).toBe(8);
    expect(got).toHaveLength(8);
    for (let i = 0; i < 8; i++) {
      const e = har.log.entries[i % 4];
      const r = got[i];
      expect(r.method).toBe(e.request.method);
      const u = new URL(e.request.url);
      expect(r.url).toBe(u.pathname + u.search);
      expect(Buffer.compare(r.body, entryBody(e))).toBe(0);
      expect(r.headers["x-n"]).toBe(e.request.headers.find((h) => h.name === "x-n")!.value);
    }
    const table = summaryTable(run.results);
    expect(table.split("\n")[0]).toMatch(/^#\s+method\s+path\s+then\s+now$/);
    expect(table).toContain("200 ×2");
  });

  it("--only-failed keeps entries whose recorded answer failed; --rate paces them", async () => {
    const har = await archive(2);
    har.log.entries[0]._mirrorshade!.reason = "mismatch";
    har.log.entries[0].response.status = 200;
    got.length = 0;
    const run = await replay({ entries: har.log.entries, target, onlyFailed: true, rate: 50 });
    expect(run.results.map((r) => r.index)).toEqual([1]);
    expect(got).toHaveLength(1);
  });

  it("--speed keeps the recorded gaps, each at most a minute (an archive spanning a day does not make the replay wait a day)", async () => {
    const har = await archive(2);
    har.log.entries[1].startedDateTime = new Date(Date.parse(har.log.entries[0].startedDateTime) + 86_400_000).toISOString();
    got.length = 0;
    const run = await replay({ entries: har.log.entries, target, speed: 1000 });
    expect(run.sent).toBe(2);
  });

  it("refuses a target that is not http(s), by name", () => {
    expect(() => parseTarget("ftp://127.0.0.1/")).toThrow('--target: must be an http:// or https:// URL, got "ftp:"');
    expect(() => parseTarget("127.0.0.1:80")).toThrow("--target");
  });
});

describe("the commands", () => {
  it("refuse what they cannot run, by name, with exit 2", async () => {
    const { main } = await import("../../../harness/cli/main.js");
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((m: string | Uint8Array) => (errors.push(String(m)), true)) as typeof process.stderr.write;
    const last = () => errors.join("");
    const har = join(dir, "exists.har");
    writeFileSync(har, JSON.stringify({ log: { version: "1.2", creator: { name: "t", version: "1" }, entries: [] } }));
    try {
      const cases: [string[], string][] = [
        [["replay", "--har", har, "--target", "ftp://127.0.0.1/"], '--target: must be an http:// or https:// URL, got "ftp:"'],
        [["replay", "--har", har, "--target", "http://127.0.0.1:1", "--rate", "5", "--speed", "2x"], "--rate and --speed: give one of them"],
        [["replay", "--har", har, "--target", "http://127.0.0.1:1", "--loop", "0"], "must be a whole number from 1 to 100000"],
        [["replay", "--har", join(dir, "none.har"), "--target", "http://127.0.0.1:1"], "no such file"],
        [["capture-sink"], "--out"],
        [["capture-sink", "--out", join(dir, "x.har"), "--listen", "nohost"], "--listen: expected HOST:PORT"],
      ];
      for (const [args, message] of cases) {
        errors.length = 0;
        expect(await main(args), args.join(" ")).toBe(2);
        expect(last()).toContain(message);
      }
    } finally {
      process.stderr.write = write;
    }
  });
});
