// The protobuf redactor's wasm fixture (test/fixtures/proto-redact.ts) from JS:
// a schema built from a .proto's protobufjs reflection (map fields as map-entry
// messages, as protoc writes them), messages redacted in one go or in slices of
// a few bytes of work, and a raw wire-format writer for what protobufjs would
// not encode (unknown fields, groups, non-minimal varints, garbage).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { projectRoot } from "../../harness/paths.js";

export const CARD = 1, EMAIL = 2, SSN = 4, JWT = 8, IBAN = 16, PHONE = 32;
export const ALL = CARD | EMAIL | SSN | JWT | IBAN | PHONE;
export const INVALID_PROTOBUF = 17; // 10 + REASON_INVALID_PROTOBUF
export const TOO_MANY_FINDINGS = 15;

export interface Redacted {
  status: number; // 0 changed, 1 unchanged, 2 bad rule, 10 + reason
  bytes: Buffer;
  masked: number;
  hashed: number;
  dropped: number;
  keepMasked: number;
  hits: number[];
  slices: number;
}

const TYPES: Record<string, number> = {
  double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9,
  bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
};

/** protoc's json_name: underscores removed, the letter after one upper-cased. */
export function jsonName(name: string): string {
  return name.replace(/_(.)/g, (_, c: string) => c.toUpperCase()).replace(/_/g, "");
}

export class ProtoFixture {
  private x: any;
  private memory!: WebAssembly.Memory;
  private index = new Map<string, number>();

  constructor(path: string) {
    const module = new WebAssembly.Module(readFileSync(path));
    const asString = (p: number): string => {
      if (!p) return "";
      const n = new Uint32Array(this.memory.buffer, p - 4, 1)[0];
      return Buffer.from(new Uint8Array(this.memory.buffer, p, n)).toString("utf16le");
    };
    const env: Record<string, (...args: number[]) => unknown> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.name === "abort") env.abort = (m, f, l, c) => { throw new Error(`abort: ${asString(m)} at ${asString(f)}:${l}:${c}`); };
      else if (imp.name === "seed") env.seed = () => 42;
      else env[imp.name] = () => { throw new Error(`unexpected call to env.${imp.name}`); };
    }
    this.x = new WebAssembly.Instance(module, { env }).exports;
    this.memory = this.x.memory;
  }

  private put(b: Uint8Array): number {
    const p = this.x.alloc(b.length);
    new Uint8Array(this.memory.buffer).set(b, p);
    return p;
  }

  private withBytes<T>(list: Uint8Array[], f: (ptrs: number[]) => T): T {
    const ptrs = list.map((b) => this.put(b));
    try {
      return f(ptrs);
    } finally {
      for (const p of ptrs) this.x.free(p);
    }
  }

  /** Builds the fixture's schema from every message type of a protobufjs root. */
  loadRoot(root: protobuf.Root): void {
    root.resolveAll();
    this.x.resetSchema();
    this.index.clear();
    const types: protobuf.Type[] = [];
    const visit = (ns: protobuf.NamespaceBase) => {
      for (const o of ns.nestedArray) {
        if (o instanceof protobuf.Type) types.push(o);
        if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) visit(o as protobuf.NamespaceBase);
      }
    };
    visit(root);
    const full = (t: protobuf.ReflectionObject) => t.fullName.replace(/^\./, "");
    const add = (name: string, entry: boolean) => {
      const b = Buffer.from(name);
      this.index.set(name, this.withBytes([b], ([p]) => this.x.addMessage(p, b.length, entry ? 1 : 0)));
    };
    for (const t of types) {
      add(full(t), false);
      for (const f of t.fieldsArray) if (f.map) add(`${full(t)}.${entryName(f.name)}`, true);
    }
    const typeOf = (f: protobuf.Field): [number, number] => {
      if (TYPES[f.type] !== undefined) return [TYPES[f.type], -1];
      const r = f.resolvedType!;
      if (r instanceof protobuf.Enum) return [14, -1];
      return [11, this.index.get(full(r))!];
    };
    const field = (m: number, number: number, name: string, type: number, repeated: boolean, target: number) => {
      const n = Buffer.from(name);
      const j = Buffer.from(jsonName(name));
      this.withBytes([n, j], ([np, jp]) => this.x.addField(m, number, np, n.length, jp, j.length, type, repeated ? 1 : 0, target));
    };
    for (const t of types) {
      const m = this.index.get(full(t))!;
      for (const f of [...t.fieldsArray].sort((a, b) => a.id - b.id)) {
        if (f.map) {
          const e = this.index.get(`${full(t)}.${entryName(f.name)}`)!;
          field(e, 1, "key", TYPES[(f as unknown as protobuf.MapField).keyType], false, -1);
          const [vt, vm] = typeOf(f);
          field(e, 2, "value", vt, false, vm);
          field(m, f.id, f.name, 11, true, e);
        } else {
          const [ty, target] = typeOf(f);
          field(m, f.id, f.name, ty, f.repeated, target);
        }
      }
    }
  }

  /** Uses the schema of a FileDescriptorSet (filter/proto/descriptor.ts); throws its error. */
  loadDescriptorSet(set: Uint8Array): void {
    this.index.clear();
    const status = this.withBytes([set], ([p]) => this.x.loadDescriptorSet(p, set.length));
    if (status !== 0) throw new Error(Buffer.from(new Uint8Array(this.memory.buffer, this.x.outPtr(), this.x.outLen())).toString());
  }

  private typeIndex(type: string): number {
    let t = this.index.get(type);
    if (t === undefined) {
      const b = Buffer.from(type);
      t = this.withBytes([b], ([p]) => this.x.messageIndex(p, b.length) as number);
      if (t < 0) throw new Error(`unknown type ${type}`);
      this.index.set(type, t);
    }
    return t;
  }

  /** Redacts `msg` as `type` (null: no schema); budget: bytes of work per slice (0: one go). */
  redact(msg: Uint8Array, type: string | null, rules = "", detectors = 0, hash = false, budget = 0): Redacted {
    const t = type === null ? -1 : this.typeIndex(type);
    const r = Buffer.from(rules);
    return this.withBytes([msg, r], ([mp, rp]) => {
      const status = this.x.redact(mp, msg.length, t, rp, r.length, detectors, hash ? 1 : 0, budget);
      const bytes = Buffer.from(new Uint8Array(this.memory.buffer, this.x.outPtr(), this.x.outLen()));
      return {
        status, bytes, masked: this.x.masked(), hashed: this.x.hashed(), dropped: this.x.dropped(), keepMasked: this.x.keepMasked(),
        hits: [0, 1, 2, 3, 4, 5].map((i) => this.x.detectorHit(i)), slices: this.x.sliceCount(),
      };
    });
  }
}

function entryName(field: string): string {
  const camel = jsonName(field);
  return camel[0].toUpperCase() + camel.slice(1) + "Entry";
}

let built = false;

/** Compiles the fixture (once per test run) and loads it. */
export function loadProtoFixture(): ProtoFixture {
  const out = join(projectRoot, "build", "fixtures", "proto-redact.wasm");
  if (!built) {
    mkdirSync(join(projectRoot, "build", "fixtures"), { recursive: true });
    execFileSync(join(projectRoot, "node_modules", ".bin", "asc"), [
      "test/fixtures/proto-redact.ts", "-o", out, "--config", "test/fixtures/asconfig.json", "--runtime", "incremental", "--debug",
    ], { cwd: projectRoot, stdio: "pipe" });
    built = true;
  }
  return new ProtoFixture(out);
}

/** The FileDescriptorSet protoc writes for a .proto of test/fixtures/proto (protoc is installed by .ci/run). */
export function descriptorSet(file: string): Buffer {
  const out = join(projectRoot, "build", "fixtures", file.replace(/\.proto$/, ".pb"));
  mkdirSync(join(projectRoot, "build", "fixtures"), { recursive: true });
  execFileSync("protoc", ["--include_imports", `--descriptor_set_out=${out}`, `-I${join(projectRoot, "test", "fixtures", "proto")}`, file], { stdio: "pipe" });
  return readFileSync(out);
}

export function loadProto(file: string): protobuf.Root {
  return new protobuf.Root().loadSync(join(projectRoot, "test", "fixtures", "proto", file), { keepCase: true });
}

// ------------------------------------------------------------- raw wire format

export function varint(v: number | bigint): number[] {
  let x = BigInt(v);
  if (x < 0n) x += 1n << 64n;
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number((x & 0x7fn) | 0x80n));
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export const tag = (n: number, wire: number) => varint(n * 8 + wire);
export const fVarint = (n: number, v: number | bigint) => [...tag(n, 0), ...varint(v)];
export const fLen = (n: number, payload: Uint8Array | number[] | string) => {
  const b = typeof payload === "string" ? [...Buffer.from(payload)] : [...payload];
  return [...tag(n, 2), ...varint(b.length), ...b];
};
export const fFixed32 = (n: number, b: number[]) => [...tag(n, 5), ...b];
export const fFixed64 = (n: number, b: number[]) => [...tag(n, 1), ...b];
export const fGroup = (n: number, body: number[]) => [...tag(n, 3), ...body, ...tag(n, 4)];
export const raw = (...parts: number[][]) => Buffer.from(parts.flat());
