// Second hostile review of the percent-decoded views (f773e39: every JSON string with a '%'
// read decoded; a decoded view's finding kept where the raw scan lacked its context; query,
// form and non-URL header values read decoded once more; a second view reading '+' before a
// digit at a word's start as a plus; raw hits with escapes hashed as their decoded value), and
// of the speed work merged the same day (stream contexts, call records and header cursors
// reused; SIMD hashing; the collector every 256 streams or 1 MiB). Against real Envoy,
// written without reading filter/. Bodies go whole, in 1-7 byte HTTP/1.1 chunks and (some)
// in 1-7 byte h2c DATA frames; hostile-lib reads every decoding of the copy.
// `it`: held on f773e39. `it.fails`: a leak found on f773e39; a fix flips it.
import { describe, it, expect } from "vitest";
import { connect as netConnect } from "node:net";
import { connect as http2Connect, constants as h2 } from "node:http2";
import { readFileSync } from "node:fs";
import { S, type Rig } from "./fixture.js";
import { hostileRigs } from "./hostile-rigs.js";
import { RawStream } from "./h2raw-stream.js";
import { runProbes, findLeaks, type Probe } from "./hostile-lib.js";
import { verdict } from "./hostile-pct-verdict.js";
import * as P from "./hostile-pct-probes.js";
import type { RecordedRequest } from "../../harness/net/upstreams.js";

const J = (o: object) => JSON.stringify(o);
const PH = "4155552671";
const PH2 = "4155550100";

/** A URL whose `next` parameter is a URL whose query carries v (the client encoded the inner URL once more). */
const nested = (v: string) => `https://a.example/login?next=${encodeURIComponent(P.url(v))}`;
/** Inner query spellings that the single-nesting fix reads in a query, a form, a referer and a text body. */
const NESTED: [string, string, string][] = [
  ["phone-2b", "%2B14155552671", PH],
  ["phone-20", "%2B1%20415%20555%202671", PH],
  ["card-20", "4556%207375%208689%209855", P.CARD],
  ["card-2d", "4556%2D7375%2D8689%2D9855", P.CARD],
  ["ssn-2d", "536%2D22%2D8147", "536228147"],
  ["iban-20", "DE89%203704%200044%200532%200130%2000", P.IBAN],
  ["jwt-2e", P.JWT.replace(/\./g, "%2E"), P.JWT],
];

/** Bodies a client resets halfway (hostile review 2: text, NDJSON, form, JSON). */
const RESET_BODIES: [string, string][] = [
  ["text/plain", "amount=100&to=alice&note=" + "n".repeat(200) + "&confirm=yes"],
  ["application/x-ndjson", '{"op":"debit","n":1}\n{"op":"credit","n":2}\n'.repeat(4)],
  ["application/x-www-form-urlencoded", "a=1&b=2&note=" + "n".repeat(200) + "&confirm=yes"],
  ["application/json", J({ op: "debit", note: "n".repeat(200) })],
];
const postHeaders = (ct: string, pid: string): [string, string][] => [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/r"],
  [":authority", "mirrorshade.test"],
  ["content-type", ct],
  ["x-pid", pid],
];
const pidOf = (x: RecordedRequest) => x.headers.find(([k]) => k === "x-pid")?.[1];
/** Waits until ok() holds, or gives up after timeoutMs (the assertions after it then say what is missing). */
async function untilAsync(ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await ok()) && Date.now() < end; ) await new Promise((res) => setTimeout(res, 20));
}
const until = (ok: () => boolean, timeoutMs?: number) => untilAsync(async () => ok(), timeoutMs);

describe("hostile review 2: percent views and reused request state through real Envoy", () => {
  const { use, expectClean } = hostileRigs(verdict, 8);

  it("held: a nested URL (next= holding an encoded URL) in a referer and a text body", async () => {
    const probes: Probe[] = [];
    for (const [n, v, s] of NESTED) {
      const u = nested(v);
      probes.push(...P.get(`nest-ref-${n}`, "/r", [s], { referer: u }));
      probes.push(...P.body(`nest-tx-${n}`, `see ${u} ok`, [s], "text/plain", { h2: true }));
    }
    await expectClean("nested URL, held places", P.POLICY, probes);
  }, 600_000);

  // LEAK, fixed (2026-12-03: a decoded view that is encoded still has its own views read,
  // filter/redact/detect-run.ts and values.ts): the same nested URL inside a JSON string, a JSON member name or a header
  // outside redact.url_headers (x-callback-url) passes for every spelling but the e-mail's
  // (`%2540` is matched raw). A JSON body carrying the page's address (an SPA posting
  // location.href, a stored return URL, an OAuth state) holds exactly this after a login
  // redirect: `{"return":"https://a/login?next=https%3A%2F%2Fx%2Fk%3Fv%3D%252B14155552671"}`.
  // The application reads `next` decoded once, `https://x/k?v=%2B14155552671`, and that URL's
  // `v` is the phone number. The text body, the form, the query and the referer mask it, so
  // the JSON string and the header are a decoding short: the inner query value needs the
  // second decoding that query values get since f773e39.
  it("fixed: a nested URL in a JSON string, a JSON member name, an NDJSON line or an x-callback-url header", async () => {
    const probes: Probe[] = [];
    for (const [n, v, s] of NESTED) {
      const u = nested(v);
      probes.push(...P.body(`nest-js-${n}`, J({ return: u }), [s], "application/json", { h2: true }).slice(0, 1));
      probes.push(...P.body(`nest-jn-${n}`, J({ [u]: 1 }), [s]).slice(0, 1));
      probes.push(...P.body(`nest-nd-${n}`, `{"a":1}\n${J({ u })}\n`, [s], "application/x-ndjson").slice(0, 1));
      probes.push(...P.get(`nest-hdr-${n}`, "/r", [s], { "x-callback-url": u }));
    }
    await expectClean("nested URL, JSON and headers", P.POLICY, probes);
  }, 600_000);

  it("held: double-encoded query, form and referer values; encodeURI phone lists; both '+' views merged", async () => {
    const c = (n: string, v: string, s: string[]) => P.body(n, J({ c: v }), s, "application/json", { h2: true });
    const t = (n: string, v: string, s: string[]) => P.body(n, `x ${v} y`, s, "text/plain");
    const dbl: [string, string, string][] = [
      ["phone", "%252B14155552671", PH],
      ["phone-20", "%252B1%2520415%2520555%25202671", PH],
      ["phone-plus-encoded", "%2B1%2B415%2B555%2B2671", PH],
      ["card-20", "4556%25207375%25208689%25209855", P.CARD],
      ["card-2b", "4556%2B7375%2B8689%2B9855", P.CARD],
      ["email", "bob.pct%2540example.org", P.EMAIL],
      ["ssn-label", "ssn%253D536228147", "536228147"],
      ["ssn-label-once", "ssn%3D536228147", "536228147"],
      ["stray-then-phone", "%2525%252B14155552671", PH],
    ];
    const probes: Probe[] = [];
    for (const [n, v, s] of dbl) {
      probes.push(...P.get(`dq-${n}`, `/r?a=1&v=${v}&z=2`, [s]));
      probes.push(...P.body(`df-${n}`, `a=1&v=${v}&z=2`, [s], "application/x-www-form-urlencoded").slice(0, 2));
      probes.push(...P.get(`dr-${n}`, "/r", [s], { referer: `https://a.example/p?v=${v}` }));
    }
    const lists = ["+1 415 555 2671, +1 415 555 0100", "+1 415 555 2671,+1 415 555 0100", "+1 415 555 2671;+1 415 555 0100", "+1 415 555 2671 / +1 415 555 0100"];
    lists.forEach((l, i) => {
      probes.push(...c(`list-js-${i}`, encodeURI(l), [PH, PH2]), ...t(`list-tx-${i}`, encodeURI(l), [PH, PH2]));
    });
    probes.push(
      ...c("view-mix-1", "+1%20415+555+2671", [PH]),
      ...c("view-mix-2", "tel:+1%20415%20555%202671;ssn%3D536228147", [PH, "536228147"]),
      ...c("view-mix-3", "%2B1%20415%20555%202671%2C4556%207375%208689%209855", [PH, P.CARD]),
      ...c("view-mix-4", "+14155552671+4556737586899855", [PH, P.CARD]),
      ...c("view-mix-5", "+4556+7375+8689+9855", [P.CARD]),
      ...c("view-mix-6", "a%3D+1%20415%20555%202671", [PH]),
      ...c("view-mix-7", "+14155552671%2C536-22-8147", [PH, "536228147"]),
    );
    await expectClean("double encoding and views", P.POLICY, probes);
  }, 600_000);

  // LEAK (f773e39; the raw form passed before the views too): a second E.164 number glued to
  // the first by its '+' (`+14155552671+14155550100`, lists joined without a separator, a
  // `to=` field concatenated by a template) passes, in mask and hash mode; spelled by
  // encodeURI (`+1%20415%20555%202671+1%20415%20555%200100`) neither number is masked, in a
  // JSON string or a text body: the '+'-as-plus view stops at `2671+1` (the '+' is not at a
  // word's start, so it reads a space) and the '+'-as-space view has no E.164 marker. With
  // `, ` between them (`+1%20415...,%20+1%20415...`) both are masked.
  it("fixed: an E.164 number glued by its '+' to the number before it (raw digits)", async () => {
    const probes = [
      ...P.body("glued-raw", J({ c: "+14155552671+14155550100" }), [PH2]).slice(0, 1),
      ...P.body("glued-raw-text", "to +14155552671+14155550100 now", [PH2], "text/plain").slice(0, 1),
      ...P.body("glued-spaced-raw", J({ c: "+1 415 555 2671+1 415 555 0100" }), [PH2]).slice(0, 1),
    ];
    await expectClean("glued E.164", P.POLICY, probes);
  }, 300_000);

  // LEAK, fixed (2026-12-03): spelled by encodeURI the second '+' follows a digit, so the
  // '+'-as-plus view (a plus only at a word's start, which "+1%20415+555+2671" needs) read it
  // as a space and the run grew past E.164's 15 digits. Now a '+' right after the digits of a
  // whole number (8 to 15 since the kept '+' that began it) begins the next number in that view
  // (filter/redact/percent.ts decode).
  it("fixed: two encodeURI-spelled E.164 numbers glued by '+'", async () => {
    const probes = [
      ...P.body("glued-encodeuri", J({ c: encodeURI("+1 415 555 2671") + encodeURI("+1 415 555 0100") }), [PH, PH2]).slice(0, 1),
      ...P.body("glued-encodeuri-text", "x " + encodeURI("+1 415 555 2671") + encodeURI("+1 415 555 0100") + " y", [PH, PH2], "text/plain").slice(0, 1),
    ];
    await expectClean("glued E.164, encodeURI", P.POLICY, probes);
  }, 300_000);

  it("held (hash): one token per value across spellings, views and places (JSON, text, query, double-encoded query, referer)", async () => {
    const r = await use(P.HASH_POLICY);
    const groups: [string, [string, string][]][] = [
      ["phonesp", [["json", "+1 415 555 2671"], ["json", encodeURI("+1 415 555 2671")], ["json", "%2B1%20415%20555%202671"], ["json", "+1+415+555+2671"], ["json", "%2B1+415+555+2671"], ["query", "%2B1%20415%20555%202671"], ["query", "%252B1%2520415%2520555%25202671"], ["text", "%2B1+415+555+2671"]]],
      ["phone", [["json", "+14155552671"], ["json", "\\u002B14155552671"], ["query", "%2B14155552671"], ["query", "%252B14155552671"], ["referer", "%252B14155552671"], ["text", "%2B14155552671"]]],
      ["card", [["json", "4556 7375 8689 9855"], ["json", "4556+7375+8689+9855"], ["json", "4556%207375%208689%209855"], ["query", "4556+7375+8689+9855"], ["query", "4556%25207375%25208689%25209855"], ["text", "4556%207375%208689%209855"]]],
    ];
    const probes: Probe[] = [];
    const gOf = new Map<string, string>();
    for (const [g, sp] of groups)
      sp.forEach(([place, v], i) => {
        const id = `tok-${g}-${i}`;
        const ps =
          place === "json" ? P.body(id, `{"c":"${v}"}`, [], "application/json", { h2: true })
          : place === "text" ? P.body(id, `v=${v} z`, [], "text/plain")
          : place === "query" ? P.get(id, `/r?v=${v}&z=1`, [])
          : P.get(id, "/r", [], { referer: `https://a.example/p?v=${v}&z=1` });
        for (const p of ps) gOf.set(p.id, g);
        probes.push(...ps);
      });
    const res = await runProbes(r, probes, undefined, 5_000);
    const tokens = new Map<string, Set<string>>();
    const byProbe: string[] = [];
    for (const o of res) {
      // Where the value was put: the body, the path, the referer (not headers Envoy adds).
      const referer = o.shadow?.headers.find(([k]) => k === "referer")?.[1] ?? "";
      const all = o.shadow ? [o.shadow.body, o.shadow.path, referer].join(" ") : "";
      const t = all.match(/hmac:[0-9a-f]{32}/g) ?? [`none(${o.id})`];
      const g = gOf.get(o.id)!;
      byProbe.push(`${o.id}: ${t.join(" ")}`);
      for (const x of t) (tokens.get(g) ?? tokens.set(g, new Set()).get(g)!).add(x);
    }
    const shapes = [...tokens.entries()].map(([g, t]) => `${g}: ${[...t].join(" ")}`);
    console.log(shapes.join("\n"));
    if ([...tokens.values()].some((t) => t.size > 1)) console.log(byProbe.join("\n"));
    expect(shapes.map((s) => s.split(" ").length)).toEqual(groups.map(() => 2));
    expect(res.flatMap((o) => o.primaryAltered)).toEqual([]);
  }, 300_000);

  // ---- request reuse: nothing of one request's copy may reach another's ----

  const marker = (i: number) => `mkq${String(i).padStart(4, "0")}zz`;
  /** Every marker other than the request's own found in a recorded request. */
  function foreign(r: RecordedRequest, own: number, n: number): string[] {
    const text = [r.path, ...r.headers.flatMap(([k, v]) => [k, v]), r.body.toString("latin1")].join("\n");
    const out: string[] = [];
    for (let j = 0; j < n; j++) if (j !== own && text.includes(marker(j))) out.push(marker(j));
    return out;
  }
  /** Request i: a few or many headers (names and values carry the marker), a JSON body with a secret in a percent-encoded URL, a masked header. */
  function reqOf(i: number): { path: string; headers: [string, string][]; body: string } {
    const m = marker(i);
    const headers: [string, string][] = [["x-pid", `reuse-${i}`], ["content-type", "application/json"], ["x-api-key", `key-${m}`]];
    const many = i % 3 === 0 ? 40 : i % 3 === 1 ? 1 : 8;
    for (let k = 0; k < many; k++) headers.push([`x-h${k}-${m}`, `v-${m}-${k}`]);
    const body = J({ id: m, cb: P.url(i % 2 ? "%2B14155552671" : "4556%207375%208689%209855"), pad: "p".repeat((i * 97) % 3000), tail: m });
    return { path: `/r/${m}?q=${m}&token=t${m}`, headers, body };
  }
  /** The copy of request i: its own markers, none of another's, no secret, its masked header masked, valid JSON. */
  function checkCopy(i: number, n: number, sh: RecordedRequest | undefined, out: string[]) {
    const m = marker(i);
    if (!sh) return void out.push(`${i}: no copy`);
    const f = foreign(sh, i, n);
    if (f.length) out.push(`${i}: foreign ${f.slice(0, 3)}`);
    const leaks = findLeaks([sh.path, ...sh.headers.map(([, v]) => v), sh.body.toString()], [PH, P.CARD, `key-${m}`, `t${m}`]);
    if (leaks.length) out.push(`${i}: leaked ${leaks}`);
    try {
      const b = JSON.parse(sh.body.toString()) as { id: string; tail: string };
      if (b.id !== m || b.tail !== m) out.push(`${i}: body of ${b.id}/${b.tail}`);
    } catch {
      out.push(`${i}: copy not JSON: ${sh.body.toString().slice(0, 80)}`);
    }
    const own = reqOf(i).headers.filter(([k]) => k.startsWith("x-h")).length;
    const got = sh.headers.filter(([k]) => k.startsWith("x-h")).length;
    if (own !== got) out.push(`${i}: ${got} x-h headers, sent ${own}`);
  }
  const byPid = (list: RecordedRequest[], pid: string) => list.find((r) => r.headers.some(([k, v]) => k === "x-pid" && v === pid));
  async function waitCopies(r: Rig, pids: string[], ms = 20_000) {
    const end = Date.now() + ms;
    while (Date.now() < end && pids.some((p) => !byPid(r.shadow.requests, p))) await new Promise((res) => setTimeout(res, 50));
  }

  /** HTTP/1.1 keep-alive: requests on one connection, the body of some in 1-7 byte chunks, some aborted halfway (the connection then closes and a new one opens). */
  async function h1KeepAlive(port: number, ids: number[], abortEvery: number): Promise<number[]> {
    const sent: number[] = [];
    let sock = netConnect(port, "127.0.0.1");
    let buf = "";
    const attach = () => sock.on("data", (d) => (buf += d.toString("latin1")));
    attach();
    const responses = () => (buf.match(/HTTP\/1\.1 \d{3}/g) ?? []).length;
    let expected = 0;
    for (const i of ids) {
      const q = reqOf(i);
      const chunked = i % 2 === 0;
      const head = `POST ${q.path} HTTP/1.1\r\nhost: a\r\n${q.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}${chunked ? "transfer-encoding: chunked\r\n" : `content-length: ${Buffer.byteLength(q.body)}\r\n`}\r\n`;
      sock.write(head);
      const pieces = P.pieces(q.body);
      if (abortEvery && i % abortEvery === abortEvery - 1) {
        for (const p of pieces.slice(0, Math.floor(pieces.length / 2))) sock.write(chunked ? `${p.length.toString(16)}\r\n${p}\r\n` : p);
        await new Promise((res) => setTimeout(res, 20));
        sock.destroy();
        sock = netConnect(port, "127.0.0.1");
        buf = "";
        expected = 0;
        attach();
        continue;
      }
      if (chunked) {
        for (const p of pieces) sock.write(`${p.length.toString(16)}\r\n${p}\r\n`);
        sock.write("0\r\n\r\n");
      } else sock.write(q.body);
      expected++;
      const end = Date.now() + 15_000;
      while (responses() < expected && Date.now() < end) await new Promise((res) => setTimeout(res, 5));
      sent.push(i);
    }
    sock.end();
    return sent;
  }

  /** h2c: many streams on one session, their DATA frames interleaved; some closed halfway (node's close(CANCEL): the prefix ends with END_STREAM, then RST_STREAM). */
  async function h2Interleaved(url: string, ids: number[], resetEvery: number): Promise<number[]> {
    const session = http2Connect(url);
    session.on("error", () => {});
    const streams = ids.map((i) => {
      const q = reqOf(i);
      const hs: Record<string, string> = { [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: q.path };
      for (const [k, v] of q.headers) hs[k] = v;
      const s = session.request(hs);
      s.on("error", () => {});
      s.on("data", () => {});
      const done = new Promise<void>((res) => {
        s.on("close", () => res());
      });
      return { i, s, pieces: P.pieces(q.body), done, reset: resetEvery > 0 && i % resetEvery === resetEvery - 1 };
    });
    for (let k = 0; streams.some((x) => k < x.pieces.length); k++) {
      for (const x of streams) {
        if (x.reset && k === Math.floor(x.pieces.length / 2)) x.s.close(h2.NGHTTP2_CANCEL);
        if (!x.s.closed && k < x.pieces.length) x.s.write(x.pieces[k]);
      }
      if (k % 16 === 0) await new Promise((res) => setImmediate(res));
    }
    for (const x of streams) if (!x.s.closed) x.s.end();
    await Promise.race([Promise.all(streams.map((x) => x.done)), new Promise((res) => setTimeout(res, 60_000))]);
    session.close();
    return streams.filter((x) => !x.reset).map((x) => x.i);
  }

  it("held: no header, body fragment, tag or masked value of one request reaches another's copy (h1 keep-alive with aborts, h2 interleaved with resets, concurrent h1)", async () => {
    const r = await use(P.POLICY);
    const N = 600;
    const bad: string[] = [];
    const ok: number[] = [];
    // 1. h1 keep-alive, 4 connections one after the other, every 7th request aborted halfway
    for (let c = 0; c < 4; c++) ok.push(...(await h1KeepAlive(r.listenerPort, Array.from({ length: 60 }, (_, k) => c * 60 + k), 7)));
    // 2. h2c, 3 sessions of 60 interleaved streams, every 5th reset
    for (let c = 0; c < 3; c++) ok.push(...(await h2Interleaved(r.url(""), Array.from({ length: 60 }, (_, k) => 240 + c * 60 + k), 5)));
    // 3. 180 concurrent h1 requests (new connections), whole bodies and chunks
    const conc = Array.from({ length: 180 }, (_, k) => 420 + k);
    await Promise.all(
      conc.map(async (i) => {
        const q = reqOf(i);
        await new Promise<void>((res) => {
          const s = netConnect(r.listenerPort, "127.0.0.1");
          s.on("data", (d) => {
            if (/HTTP\/1\.1 \d{3}/.test(d.toString("latin1"))) s.end();
          });
          s.on("close", () => res());
          s.on("error", () => res());
          s.write(`POST ${q.path} HTTP/1.1\r\nhost: a\r\nconnection: close\r\n${q.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}content-length: ${Buffer.byteLength(q.body)}\r\n\r\n${q.body}`);
        });
      }),
    );
    ok.push(...conc);
    await waitCopies(r, ok.map((i) => `reuse-${i}`));
    for (const i of ok) {
      const pid = `reuse-${i}`;
      const prim = byPid(r.primary.requests, pid);
      if (!prim) bad.push(`${i}: primary missing`);
      else if (prim.body.toString() !== reqOf(i).body) bad.push(`${i}: primary body altered`);
      checkCopy(i, N, byPid(r.shadow.requests, pid), bad);
    }
    // an aborted or reset request's own marker may show up nowhere in another copy (checked above) nor as a copy of its own
    const abortedCopies = r.shadow.requests.filter((x) => {
      const pid = x.headers.find(([k]) => k === "x-pid")?.[1] ?? "";
      return pid.startsWith("reuse-") && !ok.includes(Number(pid.slice(6)));
    });
    const complete = abortedCopies.filter((x) => {
      try {
        JSON.parse(x.body.toString());
        return true;
      } catch {
        return x.body.length === 0;
      }
    });
    if (complete.length !== abortedCopies.length) bad.push(`${abortedCopies.length - complete.length} aborted requests mirrored with a partial body`);
    for (const x of abortedCopies) console.log(`copy of an aborted request ${x.headers.find(([k]) => k === "x-pid")?.[1]}: ${x.body.length} B (sent ${Buffer.byteLength(reqOf(Number(x.headers.find(([k]) => k === "x-pid")![1].slice(6))).body)}), dropped ${x.headers.find(([k]) => k === "x-mirrorshade-body-dropped")?.[1] ?? "-"}`);
    const s = await r.envoy.stats();
    console.log(`reuse: ${ok.length} completed (${N - ok.length} aborted or reset), ${bad.length} bad, copies of aborted ${abortedCopies.length}, mirrored ${s.get(S("mirrored"))}, buffered_bytes ${s.get(S("buffered_bytes"))}, vm.memory_bytes ${s.get(S("vm.memory_bytes"))}\n${bad.slice(0, 10).join("\n")}`);
    expect(bad).toEqual([]);
    expect(ok.length).toBeGreaterThan(500);
    expect(s.get(S("buffered_bytes")) ?? 0).toBe(0);
  }, 900_000);

  it("held (hash): tokens stay the same across 300 reused streams, interleaved on h2 and mixed with other values", async () => {
    // room for all 300 copies in flight (the default 256 per worker sheds some: skipped.inflight_full)
    const r = await use({ ...P.HASH_POLICY, shadow: { cluster: "shadow", max_inflight: 1024 } });
    const ids = Array.from({ length: 300 }, (_, i) => i);
    const session = http2Connect(r.url(""));
    session.on("error", () => {});
    // the SIMD lanes hash up to four values at a time: 1 to 9 values per body, the phone in a different lane each time
    const phoneAt = (i: number) => i % (1 + (i % 9));
    const bodyOf = (i: number) => {
      const vals = Array.from({ length: 1 + (i % 9) }, (_, k) => `e${i}.${k}@example.org`);
      vals.splice(phoneAt(i), 0, "%2B14155552671");
      return J({ v: vals.map((v) => "https://x.example/?e=" + v) });
    };
    await Promise.all(
      ids.map(
        (i) =>
          new Promise<void>((res) => {
            const s = session.request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: "/r", "content-type": "application/json", "x-pid": `tok-${i}` });
            s.on("error", () => res());
            s.on("data", () => {});
            s.on("close", () => res());
            const ps = P.pieces(bodyOf(i));
            let k = 0;
            const next = () => (k < ps.length ? (s.write(ps[k++]), setImmediate(next)) : s.end());
            next();
          }),
      ),
    );
    session.close();
    await waitCopies(r, ids.map((i) => `tok-${i}`));
    const phoneTokens = new Set<string>();
    const bad: string[] = [];
    const emailTok = new Map<string, string>();
    for (const i of ids) {
      const sh = byPid(r.shadow.requests, `tok-${i}`);
      if (!sh) {
        bad.push(`${i}: no copy`);
        continue;
      }
      const v = (JSON.parse(sh.body.toString()) as { v: string[] }).v;
      const at = phoneAt(i);
      phoneTokens.add(v[at]);
      if (findLeaks([sh.body.toString()], [PH, `e${i}.0@example.org`]).length) bad.push(`${i}: leak ${sh.body.toString().slice(0, 100)}`);
      // e-mail k of request i sits at index k, or k + 1 after the phone
      v.forEach((x, j) => j !== at && emailTok.set(`${i}.${j < at ? j : j - 1}`, x));
    }
    // the same e-mails, one per request over h1, none reused between them
    const sample = ids.filter((i) => i % 37 === 0 && emailTok.has(`${i}.0`));
    const probes: Probe[] = sample.map((i) => ({ id: `alone-${i}`, method: "POST", path: "/r", headers: { "content-type": "application/json" }, body: J({ v: ["https://x.example/?e=" + `e${i}.0@example.org`] }), secrets: [] }));
    const res = await runProbes(r, probes, undefined, 5_000);
    for (const [n, o] of res.entries()) {
      const i = sample[n];
      const alone = o.shadow ? (JSON.parse(o.shadow.body) as { v: string[] }).v[0] : "none";
      const inBatch = emailTok.get(`${i}.0`);
      if (alone !== inBatch) bad.push(`e${i}.0: ${alone} alone, ${inBatch} in a batch`);
    }
    console.log(`hash reuse: phone tokens ${[...phoneTokens].slice(0, 3).join(" ")} (${phoneTokens.size}), ${bad.length} bad, mirrored ${await r.stat(S("mirrored"))}, queued ${await r.stat(S("redaction.queued"))}\n${bad.filter((b) => !/no copy/.test(b)).slice(0, 8).join("\n")}`);
    const st = await r.envoy.stats();
    console.log([...st.entries()].filter(([k, v]) => k.startsWith(S("")) && v && !/shadows\.|configured/.test(k)).map(([k, v]) => `${k.slice(S("").length)}=${v}`).join(" "));
    expect(bad).toEqual([]);
    expect(phoneTokens.size).toBe(1);
    expect([...phoneTokens][0]).toMatch(/^https:\/\/x\.example\/\?e=hmac:[0-9a-f]{32}$/);
  }, 600_000);

  // Re-examined 2026-12-03: the fault reported here (f773e39, "an h2 stream reset halfway through
  // its body is mirrored with the body's prefix") was the client's. Node's Http2Stream.close(CANCEL)
  // on a stream still open for writing first ends it: an empty DATA frame with END_STREAM, then
  // RST_STREAM. The request had ended, Envoy forwarded it whole to the primary (the prefix with its
  // end: the primary answered it) and the copy was that same request. A stream truly reset halfway
  // (raw frames, RST_STREAM without END_STREAM) reaches the primary as a prefix and an abort: Envoy
  // calls proxy_on_done without end_of_stream, and nothing is mirrored, counted
  // skipped.request_incomplete as the same abort over HTTP/1.1.
  it("held: an h2 stream reset halfway through its body (RST_STREAM, no END_STREAM) is not mirrored, counted skipped.request_incomplete", async () => {
    const r = await use(P.POLICY);
    const n = RESET_BODIES.length * 2;
    const left: string[] = [];
    for (let i = 0; i < n; i++) {
      const [ct, b] = RESET_BODIES[i % RESET_BODIES.length];
      const half = b.slice(0, b.length >> 1);
      const pid = `rst-${i}`;
      const s = await RawStream.open(r.listenerPort);
      s.headers(postHeaders(ct, pid));
      s.data(half);
      // The reset once the primary holds the prefix: what the reset leaves the primary with is then known.
      await until(() => r.primary.inProgress().some((x) => pidOf(x) === pid && x.body.length === half.length));
      s.reset();
      await until(() => r.primary.incomplete.some((x) => pidOf(x) === pid));
      s.close();
      const got = r.primary.incomplete.find((x) => pidOf(x) === pid);
      if (got?.body.toString() !== half) left.push(`${pid}: the primary was left with ${got ? JSON.stringify(got.body.toString()) : "nothing"}`);
    }
    const skipped = await r.waitStat(S("skipped.request_incomplete"), n, 30_000);
    const copies = r.shadow.requests.filter((x) => pidOf(x)?.startsWith("rst-"));
    console.log(`truly reset streams: ${n} sent, ${copies.length} mirrored, skipped.request_incomplete ${skipped}, primary: ${r.primary.incomplete.length} aborted, ${r.primary.requests.length} complete`);
    expect(left).toEqual([]);
    expect(r.primary.requests.filter((x) => pidOf(x)?.startsWith("rst-")).map(pidOf)).toEqual([]);
    expect(copies.map(pidOf)).toEqual([]);
    expect(skipped).toBe(n);
    expect(await r.stat(S("mirrored"))).toBe(0);
  }, 300_000);

  // What node's close(CANCEL) sends: the body's prefix, an empty DATA frame with END_STREAM, then
  // RST_STREAM. The client ended the request; the reset only cancels the answer. Envoy forwards
  // the request with its end to the primary when it has a connection to it, and the copy must
  // then be exactly what the primary received (native request_mirror_policies streams the same
  // frames to the shadow). Here the reset waits until the primary recorded the request, and the
  // primary holds its answer, so the reset finds the stream open (the client gets no answer).
  it("held: an h2 request reset after END_STREAM, once the primary has it, is mirrored as the primary received it", async () => {
    const r = await use(P.POLICY);
    r.primary.behaviour.delayMs = 30_000;
    // Bodies whose copy is the body as sent (no secrets; a JSON or NDJSON prefix would be invalid and go without its body).
    const bodies = RESET_BODIES.filter(([ct]) => ct === "text/plain" || ct === "application/x-www-form-urlencoded");
    const n = bodies.length * 3;
    const streams: RawStream[] = [];
    for (let i = 0; i < n; i++) {
      const [ct, b] = bodies[i % bodies.length];
      const pid = `end-rst-${i}`;
      const s = await RawStream.open(r.listenerPort);
      s.headers(postHeaders(ct, pid));
      s.data(b.slice(0, b.length >> 1));
      s.data("", true);
      await until(() => r.primary.requests.some((x) => pidOf(x) === pid));
      s.reset();
      streams.push(s);
    }
    await r.waitStat(S("mirrored"), n, 30_000);
    await until(() => r.shadow.requests.filter((x) => pidOf(x)?.startsWith("end-rst-")).length >= n);
    const bad: string[] = [];
    for (let i = 0; i < n; i++) {
      const pid = `end-rst-${i}`;
      const p = r.primary.requests.filter((x) => pidOf(x) === pid);
      const c = r.shadow.requests.filter((x) => pidOf(x) === pid);
      if (p.length !== 1 || c.length !== 1) bad.push(`${pid}: primary ${p.length}, shadow ${c.length}`);
      else if (c[0].method !== p[0].method || c[0].path !== p[0].path || !c[0].body.equals(p[0].body))
        bad.push(`${pid}: copy ${c[0].method} ${c[0].path} ${JSON.stringify(c[0].body.toString())} != primary ${p[0].method} ${p[0].path} ${JSON.stringify(p[0].body.toString())}`);
    }
    const answered = streams.filter((s) => s.outcome.responded).length;
    for (const s of streams) s.close();
    console.log(`ended, then reset: ${n} sent, ${answered} answered, ${bad.length} bad; mirrored ${await r.stat(S("mirrored"))}, skipped.request_incomplete ${await r.stat(S("skipped.request_incomplete"))}\n${bad.slice(0, 6).join("\n")}`);
    expect(answered).toBe(0);
    expect(bad).toEqual([]);
  }, 300_000);

  // FAULT (found 2026-12-03): the same END_STREAM-then-RST_STREAM arriving in one read, while
  // Envoy has no connection to the primary yet: Envoy cancels the primary's request before it is
  // sent (cluster.primary.upstream_rq_cancelled; the router's onDestroy would cancel a native
  // request_mirror_policies shadow stream with it), but the filter dispatched the copy at
  // end_of_stream, and a dispatch_http_call is not cancelled by the stream's reset. The shadow
  // runs a request the primary never received. Measured: 19 of 40 such bursts in a row (every
  // other one: a burst after a reset finds no idle primary connection; the connection its
  // cancelled request opened serves the next). A fresh Envoy has no primary connection, so the
  // first burst is one.
  it.fails("fault: an h2 request reset in the read that ended it, before Envoy reached the primary, is mirrored though the primary never received it", async () => {
    const r = await use(P.POLICY);
    const [ct, b] = RESET_BODIES[0];
    const half = b.slice(0, b.length >> 1);
    const n = 8;
    const cancelled = "cluster.primary.upstream_rq_cancelled";
    const bad: string[] = [];
    for (let i = 0; i < n; i++) {
      const pid = `burst-${i}`;
      const before = { skipped: await r.stat(S("skipped.request_incomplete")), cancelled: await r.stat(cancelled) };
      const s = await RawStream.open(r.listenerPort);
      s.batch(() => {
        s.headers(postHeaders(ct, pid));
        s.data(half);
        s.data("", true);
        s.reset();
      });
      // Settled: the copy arrived or was skipped, and Envoy either reached the primary or cancelled its request.
      await untilAsync(async () => {
        const st = await r.envoy.stats();
        const copied = r.shadow.requests.some((x) => pidOf(x) === pid) || (st.get(S("skipped.request_incomplete")) ?? 0) > before.skipped;
        const reached = [...r.primary.requests, ...r.primary.incomplete].some((x) => pidOf(x) === pid) || (st.get(cancelled) ?? 0) > before.cancelled;
        return copied && reached;
      });
      s.close();
      const c = r.shadow.requests.find((x) => pidOf(x) === pid);
      const p = r.primary.requests.find((x) => pidOf(x) === pid);
      if (c && !(p && p.body.equals(c.body))) bad.push(`${pid}: the shadow got ${JSON.stringify(c.body.toString().slice(0, 30))}, the primary ${p ? JSON.stringify(p.body.toString().slice(0, 30)) : r.primary.incomplete.some((x) => pidOf(x) === pid) ? "an aborted request" : "nothing"}`);
    }
    console.log(`ended and reset in one read: ${n} sent, ${bad.length} copies the primary never received; ${cancelled} ${await r.stat(cancelled)}, mirrored ${await r.stat(S("mirrored"))}\n${bad.slice(0, 4).join("\n")}`);
    expect(bad).toEqual([]);
  }, 300_000);

  it("held: memory stays bounded over rounds of 200 concurrent h2 streams with escaped secrets, and the primary is never broken", async () => {
    const r = await use(P.POLICY);
    const pid = r.envoy.pid();
    const rss = () => {
      try {
        return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      } catch {
        return 0;
      }
    };
    const body = (i: number) => J({ a: Array.from({ length: 400 }, (_, k) => `https://x/?v=%2B1415555${(2600 + ((i + k) % 100)).toString()}&p=4556%207375%208689%209855`).join(" ") });
    const rows: string[] = [];
    const mem: number[] = [];
    const bad: string[] = [];
    for (let round = 0; round < 6; round++) {
      const session = http2Connect(r.url(""));
      session.on("error", () => {});
      const statuses = await Promise.all(
        Array.from({ length: 200 }, (_, k) =>
          new Promise<number>((res) => {
            const s = session.request({ [h2.HTTP2_HEADER_METHOD]: "POST", [h2.HTTP2_HEADER_PATH]: "/r", "content-type": "application/json", "x-pid": `mem-${round}-${k}` });
            let st = 0;
            s.on("response", (h) => (st = Number(h[h2.HTTP2_HEADER_STATUS])));
            s.on("data", () => {});
            s.on("close", () => res(st));
            s.on("error", () => res(-1));
            // every 10th stream closed after its first half (node's close(CANCEL): END_STREAM, then RST_STREAM)
            const b = body(round * 200 + k);
            if (k % 10 === 9) {
              s.write(b.slice(0, b.length >> 1));
              setTimeout(() => s.close(h2.NGHTTP2_CANCEL), 5);
            } else s.end(b);
          }),
        ),
      );
      session.close();
      const notOk = statuses.filter((x, k) => k % 10 !== 9 && x !== 200).length;
      if (notOk) bad.push(`round ${round}: ${notOk} primaries not 200`);
      const end = Date.now() + 60_000;
      while (Date.now() < end && ((await r.stat(S("redaction.queued"))) > 0 || (await r.stat(S("buffered_bytes"))) > 0)) await new Promise((res) => setTimeout(res, 100));
      const m = await r.stat(S("vm.memory_bytes"));
      mem.push(m);
      rows.push(`round ${round}: vm.memory_bytes ${m}, envoy rss ${rss()} kB, mirrored ${await r.stat(S("mirrored"))}, buffered ${await r.stat(S("buffered_bytes"))}`);
    }
    const leaked = r.shadow.requests.filter((x) => x.headers.some(([k, v]) => k === "x-pid" && v.startsWith("mem-")) && findLeaks([x.body.toString()], [P.CARD]).length).length;
    if (leaked) bad.push(`${leaked} copies with the card`);
    console.log(rows.join("\n"));
    expect(bad).toEqual([]);
    // bounded: after the second round, memory grows no more than half again (reused objects, a collector per 256 streams)
    expect(Math.max(...mem.slice(2))).toBeLessThanOrEqual(mem[1] * 1.5);
    expect(await r.stat(S("buffered_bytes"))).toBe(0);
  }, 900_000);
});
