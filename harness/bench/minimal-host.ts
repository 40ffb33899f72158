// The minimal host: the filter's own cost per request, without Envoy and
// without the emulator's bookkeeping. Each host import does the least the filter
// needs (precomputed header maps and body, counters ignored but counted), so the
// time measured is the module's code and its calls out. A/B: two builds in the
// same process, alternating batches; the report gives each batch's CPU µs per
// request, their medians, the fastest batches, and the host calls per request.
//
//   npx tsx harness/bench/minimal-host.ts --wasm build/mirrorshade.wasm --wasm other.wasm \
//     [--policy copy|full|empty|example] [--bytes 1024] [--batches 20] [--requests 20000]
//
// --policy example is bench-redact's: examples/redact.json, every body redacted inline
// (so up to 64 KB; larger bodies would wait for ticks this host does not give).
import { readFileSync } from "node:fs";
import { serializePairs } from "../emulator/pairs.js";
import { MIRROR_POLICY, EMPTY_POLICY } from "./scenarios.js";
import { sampleJson } from "./redact.js";
import { join } from "node:path";
import { projectRoot } from "../paths.js";

/** The request as Envoy hands it to the filter for the bench's h1 load (bench/runner.ts HEADERS, PATH). */
const requestHeaders = (length: number): [string, string][] => [
  [":authority", "127.0.0.1:10000"], [":path", "/api/orders?token=t0k3n&session=s3ss&id=7"], [":method", "POST"], [":scheme", "http"],
  ["user-agent", "h2load nghttp2/1.52.0"], ["authorization", "Bearer secret-token"], ["cookie", "sid=abc"], ["x-api-key", "key-12345"],
  ["x-user-email", "alice@example.com"], ["x-user-id", "alice"], ["content-type", "application/json"], ["content-length", String(length)],
  ["x-forwarded-proto", "http"], ["x-request-id", "6c1b1c1e-6f0e-4c55-9b1f-1d5e9c7a2b3c"],
];
const RESPONSE_HEADERS: [string, string][] = [[":status", "200"], ["content-type", "application/json"], ["content-length", "2"], ["x-envoy-upstream-service-time", "1"]];
/** A shadow's answer to a call as Envoy's router hands it over. */
const CALL_ANSWER_HEADERS: [string, string][] = [[":status", "200"], ["content-type", "application/json"], ["date", "Wed, 02 Dec 2026 13:30:00 GMT"], ["content-length", "2"], ["x-envoy-upstream-service-time", "1"]];
/** The call's answer headers the filter reads, by name length (":status", "x-envoy-upstream-service-time"). */
const CALL_ANSWER = new Map([[7, new TextEncoder().encode("200")], [29, new TextEncoder().encode("1")]]);

/** examples/redact.json with bench-redact's key and shadow, redacting inline within any budget. */
function examplePolicy(): object {
  const example = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));
  example.redact.hash_key = "inline:bench-key-0123456789abcdef";
  const limits = { redaction_inline_bytes: 65536, redaction_bytes_per_second: 1073741824, max_buffered_bytes: 268435456 };
  return { ...example, shadow: { cluster: "shadow", max_body_bytes: 4194304 }, limits };
}

export const POLICIES: Record<string, object> = {
  copy: { role: "mirror", shadow: { cluster: "shadow", timeout_ms: 2000, max_inflight: 1024 } },
  full: MIRROR_POLICY,
  empty: EMPTY_POLICY,
  example: examplePolicy(),
};

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface Driver {
  /** One request: stream created, headers, body in one chunk, the primary's answer, stream done, then the call's answer. */
  request(): void;
  /** Host calls so far, by import name. */
  calls: Map<string, number>;
  /** Bytes of the last call's header map, and the last call's body. */
  lastCall: { headers: Uint8Array; body: Uint8Array } | null;
  memoryBytes(): number;
}

/** @param bodyBytes the bench's sample body of at least this many bytes (bench/runner.ts), or the body itself */
export async function loadDriver(wasm: string, policy: object, bodyBytes: number | Uint8Array): Promise<Driver> {
  const module = await WebAssembly.compile(readFileSync(wasm));
  const config = enc.encode(JSON.stringify(policy));
  const body = typeof bodyBytes === "number" ? enc.encode(sampleJson(bodyBytes)) : bodyBytes;
  const reqMap = serializePairs(requestHeaders(body.length));
  const respMap = serializePairs(RESPONSE_HEADERS);
  const answerMap = serializePairs(CALL_ANSWER_HEADERS);
  const calls = new Map<string, number>();
  let memory!: WebAssembly.Memory;
  let malloc!: (n: number) => number;
  let nextToken = 1;
  // A virtual clock, 300 µs per request (the rate Envoy reaches at saturation here): the rate budgets see Envoy's pace, not this loop's.
  let now = 1_000_000_000n;
  let nextMetric = 1;
  const pendingTokens: number[] = [];
  const driver: Driver = { request: () => {}, calls, lastCall: null, memoryBytes: () => memory.buffer.byteLength };
  let keepCall = false;
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  let view: DataView | null = null;
  const dv = () => (view !== null && view.buffer === memory.buffer ? view : (view = new DataView(memory.buffer)));
  const u32 = (p: number, v: number) => dv().setUint32(p, v, true);
  const give = (bytes: Uint8Array, ptrOut: number, sizeOut: number) => {
    const p = malloc(bytes.length);
    new Uint8Array(memory.buffer, p, bytes.length).set(bytes);
    u32(ptrOut, p);
    u32(sizeOut, bytes.length);
    return 0;
  };
  const str = (p: number, n: number) => dec.decode(new Uint8Array(memory.buffer, p, n));
  const env: Record<string, (...a: number[]) => number | void> = {
    proxy_log: () => (count("proxy_log"), 0),
    proxy_get_log_level: (out) => (count("proxy_get_log_level"), u32(out, 3), 0),
    proxy_increment_metric: () => (count("proxy_increment_metric"), 0),
    proxy_record_metric: () => (count("proxy_record_metric"), 0),
    proxy_define_metric: (_k, _p, _n, out) => (u32(out, nextMetric++), 0),
    proxy_get_current_time_nanoseconds: (out) => (count("proxy_get_current_time_nanoseconds"), dv().setBigUint64(out, now, true), 0),
    proxy_set_tick_period_milliseconds: () => 0,
    proxy_get_property: (p, n, out, size) => (count("proxy_get_property"), str(p, n).startsWith("plugin_root_id") ? give(enc.encode("mirrorshade"), out, size) : 1),
    proxy_get_buffer_bytes: (type, _start, length, out, size) => {
      count("proxy_get_buffer_bytes");
      if (type === 7) return give(config, out, size); // plugin configuration
      if (type === 0) return give(length >= body.length ? body : body.subarray(0, length), out, size);
      return 1;
    },
    proxy_get_buffer_status: () => 1,
    proxy_get_header_map_pairs: (type, out, size) => {
      count("proxy_get_header_map_pairs");
      if (type === 0) return give(reqMap, out, size);
      if (type === 2) return give(respMap, out, size);
      if (type === 6) return give(answerMap, out, size);
      return give(new Uint8Array(4), out, size);
    },
    proxy_get_header_map_value: (type, _p, n, out, size) => {
      count("proxy_get_header_map_value");
      const v = type === 6 ? CALL_ANSWER.get(n) : undefined;
      return v === undefined ? 1 : give(v, out, size);
    },
    proxy_set_header_map_pairs: () => (count("proxy_set_header_map_pairs"), 0),
    proxy_set_buffer_bytes: () => 0,
    proxy_http_call: (_c, _cl, hp, hl, bp, bl, _tp, _tl, _t, tokenOut) => {
      count("proxy_http_call");
      if (keepCall) driver.lastCall = { headers: new Uint8Array(memory.buffer, hp, hl).slice(), body: new Uint8Array(memory.buffer, bp, bl).slice() };
      const token = nextToken++;
      pendingTokens.push(token);
      u32(tokenOut, token);
      return 0;
    },
    proxy_get_shared_data: () => 1,
    proxy_set_shared_data: () => 0,
    proxy_set_effective_context: () => 0,
    proxy_send_local_response: () => 0,
  };
  const wasi = {
    random_get: (p: number, n: number) => {
      const b = new Uint8Array(memory.buffer, p, n);
      for (let i = 0; i < n; i++) b[i] = (Math.random() * 256) | 0;
      return 0;
    },
    proc_exit: (code: number) => {
      throw new Error(`proc_exit(${code})`);
    },
    environ_sizes_get: (a: number, b: number) => (u32(a, 0), u32(b, 0), 0),
    environ_get: () => 0,
  };
  const instance = await WebAssembly.instantiate(module, { env, wasi_snapshot_preview1: wasi });
  const ex = instance.exports as Record<string, (...a: number[]) => number>;
  memory = instance.exports.memory as WebAssembly.Memory;
  malloc = ex.malloc;
  ex.proxy_on_context_create(1, 0);
  if (!ex.proxy_on_vm_start(1, 0)) throw new Error("vm start refused");
  if (!ex.proxy_on_configure(1, config.length)) throw new Error("configuration refused");
  let id = 2;
  const reqPairs = requestHeaders(body.length).length;
  driver.request = () => {
    const c = id++;
    now += 300_000n;
    ex.proxy_on_context_create(c, 1);
    ex.proxy_on_request_headers(c, reqPairs, 0);
    ex.proxy_on_request_body(c, body.length, 1);
    ex.proxy_on_response_headers(c, RESPONSE_HEADERS.length, 0);
    ex.proxy_on_response_body(c, 2, 1);
    ex.proxy_on_done(c);
    ex.proxy_on_log(c);
    ex.proxy_on_delete(c);
    while (pendingTokens.length > 0) ex.proxy_on_http_call_response(1, pendingTokens.pop()!, CALL_ANSWER_HEADERS.length, 2, 0);
  };
  // One request kept for checks: the copy's header map and body.
  keepCall = true;
  driver.request();
  keepCall = false;
  calls.clear();
  return driver;
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export interface Batches {
  wasm: string;
  usPerRequest: number[];
  hostCallsPerRequest: number;
  memoryBytes: number;
}

/** Alternating batches of `requests` requests through each build (after a warm-up batch each). */
export async function compare(wasms: string[], policy: object, bodyBytes: number, batches: number, requests: number): Promise<Batches[]> {
  const drivers = await Promise.all(wasms.map((w) => loadDriver(w, policy, bodyBytes)));
  for (const d of drivers) for (let i = 0; i < requests; i++) d.request();
  const out: Batches[] = wasms.map((wasm) => ({ wasm, usPerRequest: [], hostCallsPerRequest: 0, memoryBytes: 0 }));
  for (const d of drivers) d.calls.clear();
  for (let b = 0; b < batches; b++) {
    // Alternate which build goes first, so drift favours neither.
    const order = b % 2 === 0 ? drivers.map((_, i) => i) : drivers.map((_, i) => drivers.length - 1 - i);
    for (const i of order) {
      const d = drivers[i];
      const t0 = cpuUs();
      for (let r = 0; r < requests; r++) d.request();
      out[i].usPerRequest.push((cpuUs() - t0) / requests);
    }
  }
  drivers.forEach((d, i) => {
    let total = 0;
    for (const v of d.calls.values()) total += v;
    out[i].hostCallsPerRequest = total / (batches * requests);
    out[i].memoryBytes = d.memoryBytes();
  });
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const wasms: string[] = [];
  let policy = "copy";
  let bytes = 1024;
  let batches = 20;
  let requests = 20000;
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    if (args[i] === "--wasm") wasms.push(v);
    else if (args[i] === "--policy") policy = v;
    else if (args[i] === "--bytes") bytes = Number(v);
    else if (args[i] === "--batches") batches = Number(v);
    else if (args[i] === "--requests") requests = Number(v);
    else throw new Error(`unknown argument ${args[i]}`);
    i++;
  }
  if (wasms.length === 0) wasms.push("build/mirrorshade.wasm");
  if (!POLICIES[policy]) throw new Error(`--policy: one of ${Object.keys(POLICIES).join(", ")}`);
  const res = await compare(wasms, POLICIES[policy], bytes, batches, requests);
  console.log(`policy ${policy}, ${bytes} B, ${batches} batches of ${requests} requests, CPU µs per request`);
  for (const r of res) {
    const s = [...r.usPerRequest].sort((a, b) => a - b);
    console.log(`${r.wasm}: median ${median(s).toFixed(3)}, fastest ${s[0].toFixed(3)}, slowest ${s[s.length - 1].toFixed(3)}; host calls/request ${r.hostCallsPerRequest.toFixed(2)}; memory ${(r.memoryBytes / 1048576).toFixed(2)} MiB`);
  }
  if (res.length === 2) {
    const d = res[0].usPerRequest.map((a, i) => res[1].usPerRequest[i] - a).sort((a, b) => a - b);
    console.log(`B − A per batch pair: median ${median(d).toFixed(3)} µs (range ${d[0].toFixed(3)} … ${d[d.length - 1].toFixed(3)})`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
