// The gRPC codec's framing (filter/body/grpc.ts) with a stand-in message
// redactor (test/fixtures/grpc-codec.ts: 'S' becomes "**", '!' fails): changed
// messages get new prefixes and the rest stays byte-identical, whatever the
// slices; a 5-byte prefix cut anywhere by the slicing resumes; failures are named.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectRoot } from "../../../harness/paths.js";
import { frame, concat } from "../../support/grpc-frames.js";

interface Exports {
  memory: WebAssembly.Memory;
  alloc(n: number): number;
  free(p: number): void;
  outPtr(): number;
  outLen(): number;
  run(p: number, len: number, step: number): number;
  masked(): number;
  stepsTaken(): number;
}

let fx: Exports;
beforeAll(() => {
  const wasm = join(projectRoot, "build", "fixtures", "grpc-codec.wasm");
  mkdirSync(dirname(wasm), { recursive: true });
  execFileSync(
    join(projectRoot, "node_modules", ".bin", "asc"),
    [join(projectRoot, "test", "fixtures", "grpc-codec.ts"), "-o", wasm, "--config", join(projectRoot, "test", "fixtures", "asconfig.json"), "--runtime", "incremental", "--debug"],
    { cwd: projectRoot, stdio: "pipe" },
  );
  fx = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), { env: { abort: () => { throw new Error("abort"); } } }).exports as unknown as Exports;
}, 60_000);

function run(body: Uint8Array, step: number): { reason: number; out?: Uint8Array; masked: number; steps: number } {
  const p = fx.alloc(body.length);
  new Uint8Array(fx.memory.buffer, p, body.length).set(body);
  const reason = fx.run(p, body.length, step);
  const out = reason < 0 ? new Uint8Array(fx.memory.buffer, fx.outPtr(), fx.outLen()).slice() : undefined;
  fx.free(p);
  return { reason, out, masked: fx.masked(), steps: fx.stepsTaken() };
}

const standIn = (m: string) => m.replaceAll("S", "**");
const REASON = { compressed: 0, invalid_grpc_frame: 6, invalid_protobuf: 7 };

const MESSAGES = ["plain", "", "aSb", "S".repeat(300), "no change here", "xS"];
const BODY = concat(...MESSAGES.map((m) => frame(m)));
const EXPECTED = concat(...MESSAGES.map((m) => frame(standIn(m))));

describe("gRPC codec framing", () => {
  it.each([0, 1, 2, 3, 4, 5, 6, 7, 64])("changed messages get new prefixes, the rest is kept (steps of %i bytes; 0: one go)", (step) => {
    const r = run(BODY, step);
    expect(r.reason).toBe(-1);
    expect(Buffer.from(r.out!).equals(Buffer.from(EXPECTED))).toBe(true);
    expect(r.masked).toBe(MESSAGES.join("").split("S").length - 1);
    if (step === 1) expect(r.steps).toBeGreaterThan(MESSAGES.length);
  });

  it("a body nothing changes comes back as it was", () => {
    const body = concat(frame("a"), frame(""), frame("bcd"));
    expect(Buffer.from(run(body, 1).out!).equals(Buffer.from(body))).toBe(true);
    expect(run(new Uint8Array(0), 0).out!.length).toBe(0);
  });

  it("a message longer than 255 bytes gets its length in all four bytes", () => {
    const m = "S".repeat(200);
    const r = run(frame(m), 3);
    expect(new DataView(r.out!.buffer).getUint32(1, false)).toBe(400);
    expect(r.out!.length).toBe(405);
  });

  it.each([
    ["compressed flag", concat(frame("aS"), frame("b", 1)), REASON.compressed],
    ["flag 2", concat(frame("a"), frame("b", 2)), REASON.invalid_grpc_frame],
    ["a prefix cut short", concat(frame("a"), new Uint8Array([0, 0, 0, 0])), REASON.invalid_grpc_frame],
    ["a length past the end", concat(frame("a"), frame("bcdef").subarray(0, 8)), REASON.invalid_grpc_frame],
    ["the redactor's failure", concat(frame("aS"), frame("b!c"), frame("S")), REASON.invalid_protobuf],
  ])("%s: unscannable, by reason, in any slicing", (_n, body, reason) => {
    for (const step of [0, 1, 2, 5]) expect(run(body, step).reason).toBe(reason);
  });

  it("bytes outside the frames' messages are never touched (random frames, random steps)", () => {
    let x = 12345;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let k = 0; k < 40; k++) {
      const ms = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () =>
        Array.from({ length: Math.floor(rnd() * 40) }, () => "abS\u0000\u00ff"[Math.floor(rnd() * 5)]).join(""),
      );
      const bytes = (m: string) => Uint8Array.from([...m].map((c) => c.charCodeAt(0)));
      const body = concat(...ms.map((m) => frame(bytes(m))));
      const expected = concat(...ms.map((m) => frame(bytes(standIn(m)))));
      const r = run(body, 1 + Math.floor(rnd() * 7));
      expect(Buffer.from(r.out!).equals(Buffer.from(expected))).toBe(true);
    }
  });
});
