// Old build against new build (issue #15): the baseline build (test/fixtures/baseline/README.md)
// and the current build receive the same 10,000+
// generated requests (test/support/differential-corpus.ts: JSON with every
// detector's spellings and near misses, escapes, NDJSON, invalid JSON, text,
// form and query bodies) under examples/redact.json and an allow-list policy,
// bodies fed in chunks of varying sizes (1 to 7 bytes for a share of them).
// What the shadow receives (the copy's headers, the body-dropped reason among
// them, and body, or no copy at all) must be byte-identical. A speed-up may
// change how the bytes are found, never which bytes go out.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ProxyWasmHost, type HeaderList } from "../../../harness/emulator/index.js";
import { drainRedaction } from "../../../harness/drain.js";
import { FILTER_WASM, projectRoot } from "../../../harness/paths.js";
import { differentialCorpus, KEEP_POLICY, type DiffRequest } from "../../support/differential-corpus.js";

const BASELINE = join(projectRoot, "test", "fixtures", "baseline", "mirrorshade-percent-view.wasm");
// Fixed, so every run sends the same requests; MIRRORSHADE_DIFF_SEED / _DOCS explore further by hand.
const DOCUMENTS = Math.max(10_400, Number(process.env.MIRRORSHADE_DIFF_DOCS ?? 0));
const SEED = Number(process.env.MIRRORSHADE_DIFF_SEED ?? 15);
const DROPPED = "x-mirrorshade-body-dropped";

const example = JSON.parse(readFileSync(join(projectRoot, "examples", "redact.json"), "utf8"));
example.redact.hash_key = "inline:differential-example-key-0123456789";
const POLICIES = { "examples/redact.json": example, "redact.keep": KEEP_POLICY } as const;

/** The clock both builds read: advanced a second per request, so the redaction budget refills the same way for both and never by wall time. */
let clock = 0n;

interface Copy {
  sent: boolean;
  headers: HeaderList;
  body: Uint8Array;
  failed: boolean;
}

async function load(wasm: string, policy: object): Promise<ProxyWasmHost> {
  const host = await ProxyWasmHost.load({ wasm, pluginConfig: JSON.stringify(policy), logLevel: 5, now: () => clock });
  if (!host.start()) throw new Error(`${wasm}: policy rejected`);
  return host;
}

function run(host: ProxyWasmHost, req: DiffRequest): Copy {
  const before = host.calls.length;
  const s = host.newStream();
  const headers: HeaderList = [[":method", "POST"], [":path", req.path], [":authority", "orders.example:8080"], [":scheme", "http"], ...req.headers];
  s.requestHeaders(headers, req.body.length === 0);
  let at = 0;
  for (const n of req.chunks) {
    s.requestBody(req.body.subarray(at, at + n), at + n === req.body.length);
    at += n;
  }
  drainRedaction(host);
  s.responseHeaders([[":status", "200"]], true);
  s.complete();
  const call = host.calls.length > before ? host.calls[host.calls.length - 1] : undefined;
  for (const token of [...host.pendingCalls.keys()]) host.respondToCall(token, { headers: [[":status", "200"]] });
  if (host.calls.length > 1000) host.calls.length = 0;
  return { sent: call !== undefined, headers: call?.headers ?? [], body: call?.body ?? new Uint8Array(0), failed: host.vmFailed };
}

const show = (b: Uint8Array) => JSON.stringify(Buffer.from(b).toString()).slice(0, 600);
/** Where two bodies first differ, and 60 bytes either side of it in each. */
function bodyDiff(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i === a.length && i === b.length) return "bodies equal";
  const around = (x: Uint8Array) => JSON.stringify(Buffer.from(x.subarray(Math.max(0, i - 60), i + 60)).toString());
  return `bodies differ from byte ${i}: expected ...${around(a)}... actual ...${around(b)}...`;
}
const chunkText = (c: number[]) => (c.length <= 12 ? c.join(",") : `${c.slice(0, 12).join(",")},... (${c.length} chunks)`);

function differs(a: Copy, b: Copy): boolean {
  return a.sent !== b.sent || a.failed !== b.failed || JSON.stringify(a.headers) !== JSON.stringify(b.headers) || Buffer.compare(a.body, b.body) !== 0;
}

describe("old build vs new build", () => {
  const corpus = differentialCorpus(DOCUMENTS, SEED);
  const hosts = new Map<string, { base: ProxyWasmHost; next: ProxyWasmHost }>();

  beforeAll(async () => {
    for (const [name, policy] of Object.entries(POLICIES)) hosts.set(name, { base: await load(BASELINE, policy), next: await load(FILTER_WASM, policy) });
  }, 60_000);

  it("sends byte-identical copies of 10,000+ generated requests", async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(10_000);
    const mismatches: string[] = [];
    let mismatchCount = 0;
    const seen = { redacted: 0, unchanged: 0, dropped: 0, none: 0, smallChunks: 0 };
    for (let i = 0; i < corpus.length; i++) {
      const req = corpus[i];
      if (req.chunks.filter((n) => n <= 7).length > 20) seen.smallChunks++;
      for (const name of Object.keys(POLICIES)) {
        const h = hosts.get(name)!;
        clock += 1_000_000_000n;
        const expected = run(h.base, req);
        const actual = run(h.next, req);
        if (expected.sent) {
          if (expected.headers.some(([k]) => k === DROPPED)) seen.dropped++;
          else if (Buffer.compare(expected.body, req.body) === 0) seen.unchanged++;
          else seen.redacted++;
        } else seen.none++;
        if (differs(expected, actual)) {
          mismatchCount++;
          if (mismatches.length < 8) {
            mismatches.push(
              [
                `request ${i} (${req.kind}), policy ${name}, chunks ${chunkText(req.chunks)}`,
                `  path ${JSON.stringify(req.path)} headers ${JSON.stringify(req.headers)}`,
                `  body ${show(req.body)}`,
                `  expected (baseline): sent ${expected.sent} failed ${expected.failed} dropped ${JSON.stringify(expected.headers.find(([k]) => k === DROPPED)?.[1] ?? null)}`,
                `    headers ${JSON.stringify(expected.headers)}`,
                `    body ${show(expected.body)}`,
                `  actual (build): sent ${actual.sent} failed ${actual.failed} dropped ${JSON.stringify(actual.headers.find(([k]) => k === DROPPED)?.[1] ?? null)}`,
                `    headers ${JSON.stringify(actual.headers)}`,
                `    body ${show(actual.body)}`,
                `  ${bodyDiff(expected.body, actual.body)}`,
              ].join("\n"),
            );
          }
        }
        // A trap fails that VM for good: start both afresh so one fault does not hide the rest.
        if (expected.failed || actual.failed) hosts.set(name, { base: await load(BASELINE, POLICIES[name as keyof typeof POLICIES]), next: await load(FILTER_WASM, POLICIES[name as keyof typeof POLICIES]) });
      }
    }
    if (process.env.MIRRORSHADE_DIFF_REPORT === "1") console.log(`differential: ${corpus.length} requests x ${Object.keys(POLICIES).length} policies`, seen);
    // The corpus reaches every outcome, or identical copies would prove little.
    expect(seen.redacted).toBeGreaterThan(0);
    expect(seen.unchanged).toBeGreaterThan(0);
    expect(seen.dropped).toBeGreaterThan(0);
    expect(seen.smallChunks).toBeGreaterThan(0);
    expect(mismatches, `${mismatchCount} requests differ; the first:\n${mismatches.join("\n\n")}`).toEqual([]);
  }, 300_000);
});
