// test/fixtures/proto.ts compiled and loaded: descriptor sets parsed into a
// schema (described back as JSON) and messages of its types as JSON, through the
// filter's own filter/proto/descriptor.ts and json.ts.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { projectRoot, FIXTURES_BUILD_DIR } from "../../harness/paths.js";

export interface SchemaField { number: number; name: string; jsonName: string; type: number; repeated: boolean; typeName: string; message: string | null }
export interface SchemaMessage { name: string; mapEntry: boolean; fields: SchemaField[] }
export interface SchemaMethod { path: string; input: string; output: string; clientStreaming: boolean; serverStreaming: boolean }
export interface Schema { messages: SchemaMessage[]; methods: SchemaMethod[] }

export interface ProtoFixture {
  /** The schema of a set, or the error that refuses it. */
  parse(set: Uint8Array): { schema: Schema | null; error: string };
  /** messageToJson of the last set's type `type`: the text, or null. */
  toJson(type: string, message: Uint8Array): string | null;
  /** The input type of the method a :path calls in the last set, or null. */
  methodInput(path: string): string | null;
}

let loaded: ProtoFixture | null = null;

export function protoFixture(): ProtoFixture {
  if (loaded) return loaded;
  const out = join(FIXTURES_BUILD_DIR, "proto.wasm");
  mkdirSync(FIXTURES_BUILD_DIR, { recursive: true });
  // The fixtures' own (empty) config: the root asconfig.json would add the filter entry.
  execFileSync(join(projectRoot, "node_modules", ".bin", "asc"), ["test/fixtures/proto.ts", "-o", out, "--config", "test/fixtures/asconfig.json", "--runtime", "incremental", "--debug"], { cwd: projectRoot, stdio: "pipe" });
  const module = new WebAssembly.Module(readFileSync(out));
  let memory: WebAssembly.Memory;
  const asString = (p: number): string => {
    if (!p) return "";
    const n = new Uint32Array(memory.buffer, p - 4, 1)[0];
    return Buffer.from(new Uint8Array(memory.buffer, p, n)).toString("utf16le");
  };
  const env: Record<string, (...args: number[]) => unknown> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== "env" || imp.kind !== "function") throw new Error(`unexpected import ${imp.module}.${imp.name}`);
    if (imp.name === "abort") env.abort = (m, f, l, c) => { throw new Error(`abort: ${asString(m)} at ${asString(f)}:${l}:${c}`); };
    else env[imp.name] = () => { throw new Error(`unexpected call to env.${imp.name}`); };
  }
  const x = new WebAssembly.Instance(module, { env }).exports as any;
  memory = x.memory;
  const put = (bytes: Uint8Array): number => {
    const p = x.alloc(bytes.length);
    new Uint8Array(memory.buffer).set(bytes, p);
    return p;
  };
  const output = () => Buffer.from(new Uint8Array(memory.buffer, x.outPtr(), x.outLen())).toString();
  const call = <T>(inputs: Uint8Array[], f: (...ptrs: number[]) => T): T => {
    const ptrs = inputs.map(put);
    try {
      return f(...ptrs);
    } finally {
      ptrs.forEach((p) => x.free(p));
    }
  };
  loaded = {
    parse(set) {
      const status = call([set], (p) => x.parseSet(p, set.length));
      return status === 0 ? { schema: JSON.parse(output()), error: "" } : { schema: null, error: output() };
    },
    toJson(type, message) {
      const name = Buffer.from(type);
      const status = call([name, message], (np, mp) => x.toJson(np, name.length, mp, message.length));
      if (status === 2) throw new Error(`no message type ${type} in the last set`);
      return status === 0 ? output() : null;
    },
    methodInput(path) {
      const b = Buffer.from(path);
      return call([b], (p) => x.methodInput(p, b.length)) === 0 ? output() : null;
    },
  };
  return loaded;
}

export const PROTO_DIR = join(projectRoot, "test", "fixtures", "proto");
export const shopSet = () => readFileSync(join(PROTO_DIR, "shop.pb"));
export const legacySet = () => readFileSync(join(PROTO_DIR, "legacy.pb"));

/** The fixture .proto files read by protobufjs itself (maps, groups, packed as the .proto says), names as written. */
export function shopRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => (target.startsWith("google/protobuf/") ? protobuf.util.path.resolve(origin, target) : join(PROTO_DIR, target.replace(/^.*\//, "")));
  root.loadSync(["orders.proto", "legacy.proto"], { keepCase: true });
  root.resolveAll();
  return root;
}
