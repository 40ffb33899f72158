// Redaction throughput of the compiled filter in V8 (Node), through the host
// emulator: JSON bodies of 1 KB, 16 KB and 1 MB fed in 64 KB chunks as Envoy
// delivers them, with the example redaction policy, against the same filter
// copying without a redact section. Reports MB/s; numbers, not a pass/fail test.
import { readFileSync } from "node:fs";
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

interface Row {
  size: string;
  policy: string;
  requests: number;
  mb_per_s: number;
  us_per_request: number;
}

async function measure(policy: object, body: Uint8Array, minMs: number, wasm: string): Promise<{ n: number; ms: number }> {
  const host = await ProxyWasmHost.load({
    wasm,
    pluginConfig: JSON.stringify(policy),
    logLevel: 3,
  });
  if (!host.start()) throw new Error(`policy rejected: ${host.logs.map((l) => l.message).join("; ")}`);
  const headers: [string, string][] = [[":method", "POST"], [":path", "/orders?token=abc"], [":authority", "svc"], ["content-type", "application/json"], ["content-length", String(body.length)]];
  const run = () => {
    const before = host.calls.length;
    const s = host.newStream();
    s.requestHeaders(headers, false);
    for (let i = 0; i < body.length; i += 65536) s.requestBody(body.subarray(i, Math.min(body.length, i + 65536)), i + 65536 >= body.length);
    drainRedaction(host);
    s.complete();
    // Every run must produce its copy: a skipped one (a budget, an unscannable body) would measure nothing.
    if (host.calls.length === before) throw new Error(`no copy was sent: ${[...host.metrics].filter(([k, v]) => k.includes("skipped") && v.value > 0n).map(([k]) => k).join(", ") || "see the filter's log"}`);
    for (const token of [...host.pendingCalls.keys()]) host.respondToCall(token, { headers: [[":status", "200"]] });
    if (host.calls.length > 1000) host.calls.length = 0;
  };
  for (let i = 0; i < 5; i++) run(); // warm-up: tier-up in V8, first allocations
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    run();
    n++;
  }
  return { n, ms: performance.now() - start };
}

export async function benchRedaction(opts: { minMs?: number; wasm?: string; onRow?: (done: number, total: number, row: Row) => void } = {}): Promise<Row[]> {
  const example = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));
  example.redact.hash_key = "inline:bench-key-0123456789abcdef";
  // The redaction budget as high as it goes: the bench measures redaction, not the bucket that bounds it in production.
  const limits = { redaction_bytes_per_second: 1024 * 1048576 };
  const copyOnly = { role: "mirror", shadow: { cluster: "shadow", max_body_bytes: 4 * 1048576 }, limits };
  const redact = { ...example, shadow: { cluster: "shadow", max_body_bytes: 4 * 1048576 }, limits };
  const rows: Row[] = [];
  for (const [label, size] of [["1 KB", 1024], ["16 KB", 16384], ["1 MB", 1048576]] as const) {
    const body = new TextEncoder().encode(sampleJson(size));
    for (const [name, policy] of [["copy only (no redact)", copyOnly], ["redact (examples/redact.json)", redact]] as const) {
      const { n, ms } = await measure(policy, body, opts.minMs ?? 1500, opts.wasm ?? FILTER_WASM);
      rows.push({ size: label, policy: name, requests: n, mb_per_s: (body.length * n) / 1048576 / (ms / 1000), us_per_request: (ms * 1000) / n });
      opts.onRow?.(rows.length, 6, rows.at(-1)!);
    }
  }
  return rows;
}

export function formatRows(rows: Row[]): string {
  const lines = ["| body | policy | MB/s | µs per request |", "|---|---|---:|---:|"];
  for (const r of rows) lines.push(`| ${r.size} | ${r.policy} | ${r.mb_per_s.toFixed(1)} | ${r.us_per_request.toFixed(1)} |`);
  return lines.join("\n");
}

export async function runRedactionBench(o: { quick?: boolean; json?: boolean; wasm?: string }): Promise<number> {
  const bar = progress({ title: "bench-redact", total: 6, unit: "measurements" });
  let rows: Row[];
  try {
    rows = await benchRedaction({ minMs: o.quick ? 200 : 2000, wasm: o.wasm, onRow: (done, total, r) => bar.update(done, total, `${r.size} ${r.policy}`) });
  } finally {
    bar.stop();
  }
  console.log(`redaction throughput, compiled filter in V8 (Node ${process.version}), ${cpus()[0]?.model ?? "cpu"}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(formatRows(rows));
  if (o.json) console.log(JSON.stringify(rows));
  return 0;
}
