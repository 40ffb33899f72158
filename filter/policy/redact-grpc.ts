// redact.grpc: the schema of the gRPC services mirrored, as a FileDescriptorSet
// (`protoc --include_imports --descriptor_set_out`), base64 inline or from the VM
// environment ("env:NAME", like redact.hash_key). Decoded and compiled once into
// RedactConfig.grpcSchema (proto/descriptor.ts). With it, a JSON rule path
// (redact.json, redact.keep.json) whose first name is no field of any method's
// request type ($.x) or of any message within one ($..x) is refused: a typo there
// would silently redact nothing.
import { Fields } from "./fields";
import { RedactConfig, Environment } from "./types";
import { JsonPath, SEGMENT_NAME } from "../json/path";
import { ACTION_MASK, ACTION_HASH, ACTION_DROP } from "../redact/edits";
import { foldString } from "../util/fold";
import { decodeBase64 } from "../util/base64";
import { parseDescriptorSet } from "../proto/descriptor";
import { ProtoMessage, ProtoSchema } from "../proto/schema";
import * as D from "./defaults";

const FIELD = "redact.grpc.descriptor_set";

/** Field names (as written and JSON names), as they are and folded. */
class Names {
  exact: Set<string> = new Set();
  folded: Set<string> = new Set();

  addFields(m: ProtoMessage): void {
    for (let i = 0; i < m.fields.length; i++) {
      const f = m.fields[i];
      const names = [String.UTF8.decode(f.name), String.UTF8.decode(f.jsonName)];
      for (let k = 0; k < 2; k++) {
        this.exact.add(names[k]);
        this.folded.add(foldString(names[k]));
      }
    }
  }
}

/** Reads redact.grpc (when present) into r.grpcSchema; then checks r's JSON rule paths against it. */
export function parseRedactGrpc(f: Fields, env: Environment, r: RedactConfig): string {
  const obj = f.obj("grpc");
  if (f.error.length > 0) return f.error;
  if (obj == null) return "";
  const g = new Fields(obj, "redact.grpc");
  const ref = g.str("descriptor_set", "", true);
  g.finish();
  if (g.error.length > 0) return g.error;
  let text = ref;
  let from = "";
  if (ref.startsWith("env:")) {
    const name = ref.substring(4);
    const value = env.get(name);
    if (value == null) return Environment.missing(FIELD, name);
    text = value;
    from = " (environment variable " + name + ")";
  }
  const decoded = decodeBase64(text, D.REDACT_GRPC_DESCRIPTOR_SET_MAX_BYTES);
  if (decoded.bytes == null) return FIELD + from + ": " + decoded.error;
  const bytes = decoded.bytes!;
  const parsed = parseDescriptorSet(changetype<usize>(bytes), bytes.byteLength);
  if (parsed.schema == null) {
    // An error outside any file's record: the bytes are no descriptor set at all (hex, a .proto, JSON...).
    const e = parsed.error;
    return FIELD + from + ": " + (e.startsWith("file[") ? e : "not a FileDescriptorSet (as protoc --include_imports --descriptor_set_out writes one): " + e);
  }
  const schema = parsed.schema!;
  if (schema.methods.length == 0) {
    return FIELD + from + ": the set defines no gRPC service (give protoc the .proto files that declare the services, with --include_imports)";
  }
  r.grpcSchema = schema;
  return checkPaths(r, schema);
}

/** The fields of every request type (direct), and of every message reachable from one (within). */
function requestNames(schema: ProtoSchema, direct: Names, within: Names): void {
  const seen = new Set<string>();
  const queue: ProtoMessage[] = [];
  for (let i = 0; i < schema.methods.length; i++) {
    const m = schema.methods[i].input;
    direct.addFields(m);
    if (!seen.has(m.fullName)) {
      seen.add(m.fullName);
      queue.push(m);
    }
  }
  // Breadth first, each type once: cycles (a message holding itself) end.
  for (let q = 0; q < queue.length; q++) {
    const m = queue[q];
    within.addFields(m);
    for (let i = 0; i < m.fields.length; i++) {
      const sub = m.fields[i].message;
      if (sub != null && !seen.has(sub.fullName)) {
        seen.add(sub.fullName);
        queue.push(sub);
      }
    }
  }
}

/** "" when the path's first name is a field it can reach; else why not. */
function unknownFirstName(path: JsonPath, direct: Names, within: Names): string {
  const first = path.segments[0];
  if (first.kind != SEGMENT_NAME) return "";
  const names = first.descendant ? within : direct;
  const known = path.matchCase ? names.exact.has(String.UTF8.decode(first.name)) : names.folded.has(String.UTF8.decode(first.folded));
  if (known) return "";
  const what = first.descendant ? "of any gRPC request type or message within one" : "of any gRPC request type";
  return "\"" + path.source + "\" names no field " + what + " in " + FIELD;
}

function checkPaths(r: RedactConfig, schema: ProtoSchema): string {
  const direct = new Names();
  const within = new Names();
  requestNames(schema, direct, within);
  const kinds = ["drop", "mask", "hash"];
  const actions: u8[] = [ACTION_DROP, ACTION_MASK, ACTION_HASH];
  const counts = [0, 0, 0];
  for (let i = 0; i < r.json.length; i++) {
    const k = actions.indexOf(r.json[i].action);
    const index = counts[k];
    counts[k] = index + 1;
    const e = unknownFirstName(r.json[i].path, direct, within);
    if (e.length > 0) return "redact.json." + kinds[k] + "[" + index.toString() + "]: " + e;
  }
  const keep = r.keep;
  if (keep != null) {
    for (let i = 0; i < keep.json.length; i++) {
      const e = unknownFirstName(keep.json[i], direct, within);
      if (e.length > 0) return "redact.keep.json[" + i.toString() + "]: " + e;
    }
  }
  return "";
}
