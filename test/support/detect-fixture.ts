// The detectors' test entry (test/fixtures/redact-detect.ts) compiled and
// instantiated, with byte-level helpers: scan, mask, labelBits and maskShape.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface Exports {
  memory: WebAssembly.Memory;
  input(slot: number, n: number): number;
  resultPtr(): number;
  resultLen(): number;
  scan(enabled: number): number;
  mask(start: number, end: number, detector: number): void;
  redact(enabled: number, hash: number, base: number): number;
  nameInput(n: number): number;
  labels(enabled: number): number;
  shape(number: number): void;
  shapedPtr(): number;
  shapedLen(): number;
}

export interface Found {
  start: number;
  end: number;
  detector: number;
}

const enc = new TextEncoder();
const bytesOf = (s: string | Uint8Array) => (typeof s === "string" ? enc.encode(s) : s);

export class DetectFixture {
  private fx: Exports;

  /** Compiles the entry into build/fixtures/<out>.wasm (one file per test file: they run in parallel). */
  constructor(out: string) {
    const wasmPath = join(root, "build", "fixtures", `${out}.wasm`);
    mkdirSync(dirname(wasmPath), { recursive: true });
    execFileSync(
      join(root, "node_modules", ".bin", "asc"),
      [join(root, "test", "fixtures", "redact-detect.ts"), "-o", wasmPath, "--config", join(root, "test", "fixtures", "asconfig.json"), "--runtime", "incremental", "--debug"],
      { cwd: root, stdio: "pipe" },
    );
    const mod = new WebAssembly.Module(readFileSync(wasmPath));
    const imports = {
      env: {
        abort: () => {
          throw new Error("abort");
        },
      },
    };
    this.fx = new WebAssembly.Instance(mod, imports).exports as unknown as Exports;
  }

  private put(slot: number, data: string | Uint8Array): void {
    const b = bytesOf(data);
    const p = this.fx.input(slot, b.length);
    new Uint8Array(this.fx.memory.buffer, p, b.length).set(b);
  }

  private putName(data: string | Uint8Array): void {
    const b = bytesOf(data);
    const p = this.fx.nameInput(b.length);
    new Uint8Array(this.fx.memory.buffer, p, b.length).set(b);
  }

  private result(): Uint8Array {
    return new Uint8Array(this.fx.memory.buffer, this.fx.resultPtr(), this.fx.resultLen()).slice();
  }

  scanBytes(text: string | Uint8Array, enabled: number): Found[] {
    this.put(0, text);
    const n = this.fx.scan(enabled);
    const r = new Int32Array(this.result().buffer);
    const out: Found[] = [];
    for (let i = 0; i < n; i++) out.push({ start: r[i * 3], end: r[i * 3 + 1], detector: r[i * 3 + 2] });
    return out;
  }

  /** scanEdits with masks, applied: the redacted bytes. */
  redact(text: string | Uint8Array, enabled: number): Uint8Array {
    this.put(0, text);
    this.put(1, "");
    this.fx.redact(enabled, 0, 0);
    return this.result();
  }

  mask(value: string | Uint8Array, detector: number): Uint8Array {
    const b = bytesOf(value);
    this.put(0, b);
    this.put(1, "");
    this.fx.mask(0, b.length, detector);
    return this.result();
  }

  labelBits(name: string | Uint8Array, enabled: number): number {
    this.putName(name);
    return this.fx.labels(enabled);
  }

  maskShape(value: string | Uint8Array, number: boolean): Uint8Array {
    this.putName(value);
    this.fx.shape(number ? 1 : 0);
    return new Uint8Array(this.fx.memory.buffer, this.fx.shapedPtr(), this.fx.shapedLen()).slice();
  }
}
