// Redaction throughput of the compiled filter in V8 (Node), through the host
// emulator: JSON bodies of 1 KB, 16 KB and 1 MB fed in 64 KB chunks as Envoy
// delivers them, with the example redaction policy, against the same filter
// copying without a redact section, and against V8's JSON.parse of the same bytes
// (the reference of issue #15), all in the same process run, interleaved in
// rounds. Reports medians in MB/s; numbers, not a pass/fail test.
//
// What one request costs here (wall time of the loop below): the emulator's
// host side in JS (headers in, each chunk copied into the module's memory
// through proxy_get_buffer_bytes, as Envoy does; the header map of the copy
// built and parsed; dispatch_http_call copying the copy's body out of the
// module; the copy's answer delivered; metrics and logs) and the filter's
// Wasm (buffering the copy, redaction in slices drained by ticks, the copy
// assembled). Not in it: the bytes the filter passes on to the primary's
// upstream are not collected (keepForwardedBodies: false; Envoy hands them to
// its codec), and the copy's record is dropped once answered.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpus } from "node:os";
import { ProxyWasmHost } from "../emulator/index.js";
import { drainRedaction } from "../drain.js";
import { projectRoot, FILTER_WASM } from "../paths.js";
import { progress } from "../cli/progress.js";

/** A realistic order document of about `size` bytes, with a few sensitive fields per record. */
export function sampleJson(size: number): string {
  const records: object[] = [];
  let i = 0;
  let text = "";
  do {
    records.push({
      id: i,
      customer: { name: `Zoë Müller ${i}`, email: `user${i}@example.com`, password: "hunter2", address: "Straße 1, 8000 Zürich" },
      card: { number: "4111111111111111", cvv: "123", expiry: "12/29" },
      items: [{ sku: `SKU-${i}`, qty: 1 + (i % 3), price: 19.99 }],
      note: "please deliver after 6pm",
    });
    i++;
    text = JSON.stringify({ orders: records, debug: { trace: "x" } });
  } while (text.length < size);
  return text;
}

/** What the bench compares redaction against, and the goal it keeps visible (issue #15); never asserted. */
export const REFERENCE = "JSON.parse(new TextDecoder().decode(bytes)) in the same process, as a JS service would read the body";
export const GOAL = "redaction MB/s >= 1.5 x JSON.parse MB/s at 16 KB and 1 MB (issue #15)";

interface Row {
  size: string;
  policy: string;
  requests: number;
  mb_per_s: number;
  us_per_request: number;
  /** V8's JSON.parse (decode + parse) of the same body, median over the same rounds. */
  json_parse_mb_per_s: number;
  /** This row's MB/s over JSON.parse's: the median of the per-round ratios (each round measures both back to back). */
  ratio_to_json_parse: number;
}

type Runner = () => void;

/** One request through the emulator: headers, the body in 64 KB chunks, the redaction queue drained, the copy answered. */
async function requestRunner(policy: object, body: Uint8Array, wasm: string): Promise<Runner> {
  const host = await ProxyWasmHost.load({
    wasm,
    pluginConfig: JSON.stringify(policy),
    logLevel: 3,
    keepForwardedBodies: false,
  });
  if (!host.start()) throw new Error(`policy rejected: ${host.logs.map((l) => l.message).join("; ")}`);
  const headers: [string, string][] = [[":method", "POST"], [":path", "/orders?token=abc"], [":authority", "svc"], ["content-type", "application/json"], ["content-length", String(body.length)]];
  return () => {
    const before = host.calls.length;
    const s = host.newStream();
    s.requestHeaders(headers, false);
    for (let i = 0; i < body.length; i += 65536) s.requestBody(body.subarray(i, Math.min(body.length, i + 65536)), i + 65536 >= body.length);
    drainRedaction(host);
    s.complete();
    // Every run must produce its copy: a skipped one (a budget, an unscannable body) would measure nothing.
    if (host.calls.length === before) throw new Error(`no copy was sent: ${[...host.metrics].filter(([k, v]) => k.includes("skipped") && v.value > 0n).map(([k]) => k).join(", ") || "see the filter's log"}`);
    for (const token of [...host.pendingCalls.keys()]) host.respondToCall(token, { headers: [[":status", "200"]] });
    // Each record holds the copy's body (up to a megabyte): kept, they would grow the JS heap the rounds measure.
    host.calls.length = 0;
  };
}

let sink: unknown;
/** The reference: what a JS service does with the same body. */
function jsonParseRunner(body: Uint8Array): Runner {
  const decoder = new TextDecoder();
  return () => {
    sink = JSON.parse(decoder.decode(body));
  };
}

/** Runs `run` for at least `minMs` (at least one run); returns runs and elapsed ms. */
function timed(run: Runner, minMs: number): { n: number; ms: number } {
  let n = 0;
  const start = performance.now();
  let ms = 0;
  do {
    run();
    n++;
    ms = performance.now() - start;
  } while (ms < minMs);
  return { n, ms };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface BenchOptions {
  /** Time per measurement and round, ms. */
  roundMs?: number;
  rounds?: number;
  wasm?: string;
  /** After each round of a size: rounds done of all (sizes x rounds). */
  onRound?: (done: number, total: number, label: string) => void;
}

export async function benchRedaction(opts: BenchOptions = {}): Promise<Row[]> {
  const example = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));
  example.redact.hash_key = "inline:bench-key-0123456789abcdef";
  // The redaction budget as high as it goes: the bench measures redaction, not the bucket that bounds it in production.
  const limits = { redaction_bytes_per_second: 1024 * 1048576 };
  const copyOnly = { role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 4 * 1048576 }, limits };
  const redact = { ...example, shadow: { cluster: "shadow", max_body_bytes: 4 * 1048576 }, limits };
  const rounds = Math.max(1, opts.rounds ?? 5);
  const roundMs = opts.roundMs ?? 400;
  const wasm = opts.wasm ?? FILTER_WASM;
  const rows: Row[] = [];
  for (const [label, size] of [["1 KB", 1024], ["16 KB", 16384], ["1 MB", 1048576]] as const) {
    const body = new TextEncoder().encode(sampleJson(size));
    const mb = body.length / 1048576;
    const subjects: { name: string; run: Runner; mbps: number[]; us: number[]; n: number }[] = [];
    for (const [name, policy] of [["copy only (no redact)", copyOnly], ["redact (examples/redact.json)", redact]] as const) {
      subjects.push({ name, run: await requestRunner(policy, body, wasm), mbps: [], us: [], n: 0 });
    }
    const parse = { run: jsonParseRunner(body), mbps: [] as number[] };
    // Warm-up, each subject for a round's time: every host compiles its own module, which V8 tiers up as it runs.
    for (const s of subjects) timed(s.run, roundMs);
    timed(parse.run, roundMs);
    // Rounds interleave the subjects and the reference, so drift (the shared machine, GC, tier-up) falls on all alike.
    for (let r = 0; r < rounds; r++) {
      const p = timed(parse.run, roundMs);
      parse.mbps.push((mb * p.n) / (p.ms / 1000));
      for (const s of subjects) {
        const { n, ms } = timed(s.run, roundMs);
        s.mbps.push((mb * n) / (ms / 1000));
        s.us.push((ms * 1000) / n);
        s.n += n;
      }
      opts.onRound?.(rows.length / 2 * rounds + r + 1, 3 * rounds, `${label} round ${r + 1}`);
    }
    const parseMbps = median(parse.mbps);
    for (const s of subjects) {
      rows.push({
        size: label,
        policy: s.name,
        requests: s.n,
        mb_per_s: median(s.mbps),
        us_per_request: median(s.us),
        json_parse_mb_per_s: parseMbps,
        ratio_to_json_parse: median(s.mbps.map((v, r) => v / parse.mbps[r])),
      });
    }
  }
  void sink;
  return rows;
}

export function formatRows(rows: Row[]): string {
  const lines = ["| body | policy | MB/s | µs per request | JSON.parse MB/s | ratio to JSON.parse |", "|---|---|---:|---:|---:|---:|"];
  for (const r of rows) {
    lines.push(`| ${r.size} | ${r.policy} | ${r.mb_per_s.toFixed(1)} | ${r.us_per_request.toFixed(1)} | ${r.json_parse_mb_per_s.toFixed(1)} | ${r.ratio_to_json_parse.toFixed(2)} |`);
  }
  return lines.join("\n");
}

export async function runRedactionBench(o: { quick?: boolean; json?: string; rounds?: number; wasm?: string }): Promise<number> {
  const rounds = o.rounds ?? (o.quick ? 3 : 5);
  const roundMs = o.quick ? 70 : 400;
  const bar = progress({ title: "bench-redact", total: 3 * rounds, unit: "rounds" });
  let rows: Row[];
  try {
    rows = await benchRedaction({ roundMs, rounds, wasm: o.wasm, onRound: (done, total, label) => bar.update(done, total, label) });
  } finally {
    bar.stop();
  }
  const machine = `${cpus()[0]?.model ?? "cpu"}, ${cpus().length} cores`;
  const date = new Date().toISOString().slice(0, 10);
  console.log(`redaction throughput, compiled filter in V8 (Node ${process.version}), ${machine}, ${date}`);
  console.log(`medians of ${rounds} interleaved rounds; reference: ${REFERENCE}; goal: ${GOAL}`);
  console.log(formatRows(rows));
  if (o.json) {
    const report = { command: "mirrorshade bench-redact", options: o, node: process.version, machine, date, rounds, round_ms: roundMs, reference: REFERENCE, goal: GOAL, rows };
    writeFileSync(o.json, JSON.stringify(report, null, 2) + "\n");
    console.log(`written: ${o.json}`);
  }
  return 0;
}
