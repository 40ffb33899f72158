// Fuzzing the compiled filter through the emulator: random policies (mostly
// well-formed, some broken), random requests (paths, headers, forged marks,
// bodies of any type and encoding, any chunking, trailers, early ends) and
// random shadow answers. Properties: the VM never traps; every refused policy
// is refused with a field named; memory stays bounded; a forged tag never
// reaches the primary. `npm test` runs a small seed-pinned campaign;
// FUZZ_RUNS=100000 (and FUZZ_SEED) run the nightly size.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { loadFilter, drainRedaction } from "../support/filter.js";
import type { HeaderList } from "../../harness/emulator/index.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const KEY = "inline:fuzz-key-0123456789abcdef";

const token = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_"), minLength: 1, maxLength: 10 });
const anyString = fc.string({ unit: fc.constantFrom(..."aZ09-_./*%;:?#@ \\\"'\u00e9\u212a\n\u0000"), maxLength: 12 });
const junk = fc.oneof(anyString, fc.integer({ min: -5, max: 1e9 }), fc.boolean(), fc.constant(null), fc.array(anyString, { maxLength: 3 }), fc.dictionary(token, anyString, { maxKeys: 2 }));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

const text = fc.string({ unit: fc.constantFrom(..."aZ09-_./*%;:?#@"), minLength: 1, maxLength: 8 });
const matcher = fc.oneof(
  fc.record({ exact: text.map((t) => "/" + t) }), fc.record({ prefix: fc.constantFrom("/api", "/admin", "/", "/a%2F") }), fc.record({ glob: fc.constantFrom("/api/**", "/*/x", "**", "/a?c") }),
);
const rule = fc.record({
  name: maybe(token),
  path: fc.tuple(matcher, fc.boolean()).map(([m, ic]) => (ic ? { ...m, ignore_case: true } : m)),
  header: maybe(fc.constantFrom("x-user-id", "x-region", "content-type")),
  methods: maybe(fc.array(fc.constantFrom("GET", "POST", "put"), { minLength: 1, maxLength: 2 })),
}, { requiredKeys: ["path"] }).map((r) => (r.header ? { ...r, in: ["alice", "bob"] } : r));
const select = (inPlace: boolean) => fc.record({
  percent: maybe(fc.double({ min: 0, max: 100, noNaN: true })),
  hash_header: maybe(fc.constantFrom("x-user-id", "X-User-Id")),
  match: maybe(fc.array(rule, { minLength: 1, maxLength: 2 })),
  exclude: maybe(fc.array(rule, { minLength: 1, maxLength: 2 })),
  rate_limit: maybe(fc.record({ per_second: fc.constantFrom(1, 1000) })),
  max_inflight: inPlace ? fc.constant(undefined) : maybe(fc.constantFrom(1, 5)),
}, { requiredKeys: [] }).map((s) => (s.hash_header !== undefined && s.percent === undefined ? { ...s, percent: 50 } : s));
const redact = fc.record({
  headers: maybe(fc.record({ drop: maybe(fc.constant(["authorization"])), mask: maybe(fc.constant(["x-api-key"])), hash: maybe(fc.constant(["x-user-email"])) }, { requiredKeys: [] })),
  query: maybe(fc.record({ mask: maybe(fc.constant(["token"])) }, { requiredKeys: [] })),
  json: maybe(fc.record({ mask: maybe(fc.constantFrom(["$..password"], ["$.a[*].b"])), drop: maybe(fc.constant(["$..cvv"])), hash: maybe(fc.constant(["$..email"])) }, { requiredKeys: [] })),
  detectors: maybe(fc.subarray(["card", "email", "ssn", "jwt", "iban", "phone"], { minLength: 1 })),
  detector_action: maybe(fc.constantFrom("mask", "hash")),
  hash_key: fc.constant(KEY),
  body: maybe(fc.record({ on_unscannable: maybe(fc.constantFrom("drop_body", "skip")), pass_through: maybe(fc.constant(["image/*"])) }, { requiredKeys: [] })),
}, { requiredKeys: ["hash_key"] });
const shadowFields = fc.record({
  timeout_ms: maybe(fc.constantFrom(1, 2000)),
  max_body_bytes: maybe(fc.constantFrom(0, 16, 4096)),
  max_inflight: maybe(fc.constantFrom(1, 256)),
  on_body_too_large: maybe(fc.constantFrom("skip", "headers_only")),
}, { requiredKeys: [] });
const mirror = fc.record({
  select: maybe(select(false)),
  redact: maybe(redact),
  tag: maybe(fc.record({ baggage: fc.boolean() })),
  compare: maybe(fc.record({ headers: maybe(fc.constant(["content-type"])), ignore_paths: maybe(fc.constant(["$..id"])) }, { requiredKeys: [] })),
  limits: maybe(fc.record({ max_buffered_bytes: fc.constantFrom(0, 64, 1048576) })),
}, { requiredKeys: [] });
const policy = fc.oneof(
  fc.tuple(mirror, shadowFields).map(([m, s]) => ({ role: "mirror", shadow: { cluster: "shadow", ...s }, ...m })),
  fc.tuple(mirror, fc.array(fc.tuple(shadowFields, maybe(select(false))), { minLength: 1, maxLength: 3 })).map(([m, list]) => ({
    role: "mirror",
    shadows: list.map(([s, sel], i) => ({ name: `s${i}`, cluster: `c${i}`, ...s, ...(sel ? { select: sel } : {}) })),
    ...m,
  })),
  fc.record({ role: fc.constantFrom("upstream", "shadow"), select: maybe(select(true)), redact: maybe(redact) }, { requiredKeys: ["role"] }),
  fc.record({ role: fc.constant("egress-guard"), guard: fc.record({ destinations: fc.array(rule, { minLength: 1, maxLength: 2 }) }) }),
);
// One policy in five gets a stray field or a broken value: then it must be refused, by name.
const mutation = fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.tuple(fc.constantFrom("", "select", "redact", "shadow", "tag"), token, junk), weight: 1 });
const mutated = fc.tuple(policy, mutation).map(([p, m]) => {
  if (!m) return p;
  const [section, key, value] = m;
  const copy = structuredClone(p) as Record<string, unknown>;
  if (section === "" || typeof copy[section] !== "object" || copy[section] === null) copy[key] = value;
  else (copy[section] as Record<string, unknown>)[key] = value;
  return copy;
});

const pathArb = fc.string({ unit: fc.constantFrom(..."/api/admin/%2e%2F;.\\x?=&a"), maxLength: 30 }).map((s) => "/" + s);
const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }).map((j) => j.replace(/"a"/g, '"password"')),
  fc.string({ maxLength: 200 }).map((s) => `${s} 4111 1111 1111 1111 a@b.cc`),
  fc.uint8Array({ maxLength: 200 }),
);
const request = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT"),
  path: pathArb,
  headers: fc.array(fc.tuple(fc.constantFrom("content-type", "content-encoding", "x-user-id", "x-shadow-request", "x_shadow_request", "baggage", "x-shadow-rule", "authorization", "x-api-key", "content-length"), fc.constantFrom("application/json", "text/plain", "gzip", "identity, br", "alice", "true", "mirrorshade.shadow=true,a=1", "mirrorshade.shadow=tru%65", "Bearer x", "7", "99999999")), { maxLength: 6 }),
  body: bodyArb,
  chunk: fc.integer({ min: 1, max: 7 }),
  trailers: fc.option(fc.constant([["x-shadow-request", "true"], ["x-checksum", "1"]] as HeaderList), { freq: 4 }),
  endsEarly: fc.boolean(),
  answer: fc.constantFrom("ok", "error", "reset", "timeout"),
});

const FIELD_NAMED = /invalid configuration: (configuration is not valid JSON|[^:\s]+: \S)/;

const seen = { accepted: 0, refused: 0, requests: 0, copies: 0 };

describe("fuzz: random policies, requests, chunkings and answers", () => {
  it(`${RUNS} policies with up to 4 requests each (seed ${SEED}): no trap, refusals name a field, bounded memory, no forged tag at the primary`, async () => {
    await fc.assert(
      fc.asyncProperty(mutated, fc.array(request, { minLength: 1, maxLength: 4 }), async (p: Record<string, unknown>, reqs) => {
        const { host, ok } = await loadFilter(p, { env: {} });
        expect(host.vmFailed).toBe(false);
        if (!ok) {
          seen.refused++;
          if (process.env.FUZZ_DEBUG) console.log(host.logs.filter((l) => l.level === 5).map((l) => l.message).join(" | "));
          const critical = host.logs.filter((l) => l.level === 5).map((l) => l.message).join("\n");
          expect(critical).toMatch(FIELD_NAMED);
          return;
        }
        seen.accepted++;
        for (const r of reqs) {
          seen.requests++;
          const stream = host.newStream();
          const body = typeof r.body === "string" ? new TextEncoder().encode(r.body) : r.body;
          const headers: HeaderList = [[":method", r.method], [":path", r.path], [":authority", "orders-shadow:8080"], [":scheme", "http"], ...r.headers];
          const hasBody = body !== undefined && body.length > 0;
          stream.requestHeaders(headers, !hasBody && !r.trailers);
          if (hasBody) {
            const last = r.endsEarly ? Math.floor(body!.length / 2) : body!.length;
            for (let i = 0; i < last; i += r.chunk) stream.requestBody(body!.subarray(i, Math.min(last, i + r.chunk)), !r.endsEarly && !r.trailers && i + r.chunk >= last);
          }
          if (r.trailers && !r.endsEarly) stream.requestTrailers(r.trailers);
          if (!r.endsEarly) {
            stream.responseHeaders([[":status", "200"], ["content-type", "application/json"]], false);
            stream.responseBody('{"id":1,"ok":true}', true);
          }
          stream.complete();
          // Copies whose body is redacted go from the tick.
          drainRedaction(host);
          if ((p as { role?: string }).role === "mirror") {
            const forged = (h: HeaderList) => h.some(([k]) => k.replace(/_/g, "-") === "x-shadow-request");
            if (stream.upstreamRequest.headersSent) expect(forged(stream.upstreamRequest.headers)).toBe(false);
            expect(forged(stream.upstreamRequest.trailers)).toBe(false);
          }
          seen.copies += host.calls.length;
          for (const call of host.calls.splice(0)) {
            if (r.answer === "ok") host.respondToCall(call.token, { headers: [[":status", "200"], ["x-envoy-upstream-service-time", "1"], ["content-type", "application/json"]], body: '{"id":2,"ok":true}' });
            else if (r.answer === "error") host.respondToCall(call.token, { headers: [[":status", "503"]] });
            else if (r.answer === "reset") host.respondToCall(call.token, null);
            else host.timeoutCall(call.token);
          }
          expect(host.vmFailed).toBe(false);
        }
        expect(host.memoryBytes()).toBeLessThan(64 * 1048576);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // The campaign exercises the filter, not only its refusals.
    console.log(`fuzz: ${JSON.stringify(seen)}`);
    expect(seen.accepted).toBeGreaterThan(RUNS / 4);
    expect(seen.refused).toBeGreaterThan(RUNS / 20);
    expect(seen.copies).toBeGreaterThan(0);
  }, Math.max(600_000, RUNS * 20));
});
