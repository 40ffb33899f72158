// Reads a FileDescriptorSet (the bytes of `protoc --include_imports
// --descriptor_set_out`, descriptor.proto's numbering) into a ProtoSchema
// (proto/schema.ts), once, at configure time. Kept: every message type, nested
// ones included ("pkg.Outer.Inner"), with its fields (name, json_name, type,
// label, type_name resolved to the message across the files of the set) and
// map_entry; every service's methods by gRPC :path. Enums are read for their
// names only (a field's type_name must resolve); options other than map_entry,
// extensions, source info are skipped, but the wire format of everything is read
// strictly (proto/record.ts). A type_name that names nothing, a duplicate name, a
// truncated or garbled set is an error naming where. Bounded: message nesting
// (MAX_NESTING, the only recursion), files, types, fields and methods.
import {
  ProtoSchema, ProtoMessage, ProtoField, ProtoMethod,
  TYPE_DOUBLE, TYPE_FLOAT, TYPE_GROUP, TYPE_MESSAGE, TYPE_BYTES, TYPE_ENUM, TYPE_SINT64,
  WIRE_VARINT, WIRE_LEN,
} from "./schema";
import { readRecord, WireRecord, MAX_FIELD_NUMBER } from "./record";
import { utf8Seq } from "../json/lexer";

/** Message types nested in message types, at most. */
export const MAX_NESTING: i32 = 32;
export const MAX_FILES: i32 = 4096;
/** Message and enum types of a set, together. */
export const MAX_TYPES: i32 = 65536;
/** Fields of all messages of a set. */
export const MAX_FIELDS: i32 = 1048576;
export const MAX_METHODS: i32 = 65536;

export class SchemaParse {
  constructor(public schema: ProtoSchema | null, public error: string) {}
}

/** Parses the set [p, p+len); error names what is wrong ("file[2] (a.proto) message_type[0] (pkg.A) field[1] (b): ..."). */
export function parseDescriptorSet(p: usize, len: i32): SchemaParse {
  if (len < 0) return new SchemaParse(null, "negative length");
  const b = new Builder(p);
  if (!b.set(len)) return new SchemaParse(null, b.error);
  return new SchemaParse(b.schema, "");
}

/** A field whose type_name is resolved once every file is read. */
class PendingField {
  constructor(public field: ProtoField, public typeName: string, public where: string) {}
}

class PendingMethod {
  constructor(
    public where: string,
    public path: string,
    public input: string,
    public output: string,
    public clientStreaming: bool,
    public serverStreaming: bool,
  ) {}
}

/** Sub-records of one descriptor, gathered before they are read (so errors can name the descriptor). */
class Parts {
  numbers: i32[] = [];
  starts: i32[] = [];
  ends: i32[] = [];
  add(number: i32, start: i32, end: i32): void {
    this.numbers.push(number);
    this.starts.push(start);
    this.ends.push(end);
  }
}

function isIdentStart(c: u8): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
}

function isIdentPart(c: u8): bool {
  return isIdentStart(c) || (c >= 0x30 && c <= 0x39);
}

/** Whether s is identifiers joined by '.' (one identifier when !dotted). */
function isName(s: string, dotted: bool): bool {
  if (s.length == 0) return false;
  let start = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x2e && dotted && !start && i + 1 < s.length) {
      start = true;
      continue;
    }
    if (c >= 0x80) return false;
    if (start ? !isIdentStart(<u8>c) : !isIdentPart(<u8>c)) return false;
    start = false;
  }
  return true;
}

/** The JSON name protoc derives when json_name is absent: '_' dropped, the letter after it upper-cased. */
export function jsonNameOf(name: string): string {
  let out = "";
  let upper = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c == 0x5f) {
      upper = true;
      continue;
    }
    out += String.fromCharCode(upper && c >= 0x61 && c <= 0x7a ? c - 0x20 : c);
    upper = false;
  }
  return out;
}

const WIRE_NAMES = ["varint", "64-bit", "length-delimited", "group start", "group end", "32-bit"];

class Builder {
  error: string = "";
  schema: ProtoSchema = new ProtoSchema();
  private byName: Map<string, ProtoMessage> = new Map();
  /** Enum full names and where each message or enum was defined (duplicates). */
  private enums: Set<string> = new Set();
  private definedAt: Map<string, string> = new Map();
  private services: Set<string> = new Set();
  private files: Map<string, i64> = new Map();
  private fields: PendingField[] = [];
  private methods: PendingMethod[] = [];
  private types: i32 = 0;
  private fieldCount: i32 = 0;

  constructor(private p: usize) {}

  private fail(where: string, problem: string): bool {
    if (this.error.length == 0) this.error = where.length > 0 ? where + ": " + problem : problem;
    return false;
  }

  /** The records of [start, end) into parts (those numbered in `keep` with the wire type wanted), the others checked and skipped. */
  private parts(start: i32, end: i32, where: string, keep: i32[], wires: u8[], out: Parts, scalars: WireRecord[]): bool {
    const r = new WireRecord();
    let at = start;
    while (at < end) {
      if (!readRecord(this.p, at, end, r)) return this.fail(where, r.error);
      const k = keep.indexOf(r.number);
      if (k >= 0) {
        if (r.wire != wires[k]) return this.fail(where, "field " + r.number.toString() + " is " + WIRE_NAMES[r.wire] + ", expected " + WIRE_NAMES[wires[k]] + " (not a descriptor?)");
        if (r.wire == WIRE_LEN) out.add(r.number, r.start, r.end);
        else {
          // A varint: the last one wins, as protobuf reads it.
          const s = new WireRecord();
          s.number = r.number;
          s.value = r.value;
          scalars.push(s);
        }
      }
      at = r.next;
    }
    return true;
  }

  /** The UTF-8 string [start, end), or null (with the error) when it is not UTF-8. */
  private text(start: i32, end: i32, where: string, what: string): string | null {
    const p = this.p;
    let i = start;
    while (i < end) {
      const c = load<u8>(p + <usize>i);
      if (c < 0x80) {
        if (c < 0x20 || c == 0x7f) {
          this.fail(where, what + " holds a control character");
          return null;
        }
        i++;
        continue;
      }
      const n = utf8Seq(p, end, i);
      if (n == 0) {
        this.fail(where, what + " is not UTF-8");
        return null;
      }
      i += n;
    }
    return String.UTF8.decodeUnsafe(p + <usize>start, <usize>(end - start));
  }

  /** The string part numbered `number` (the last one), or "" when absent; null on error. */
  private textPart(parts: Parts, number: i32, where: string, what: string): string | null {
    let s = "";
    for (let i = 0; i < parts.numbers.length; i++) {
      if (parts.numbers[i] != number) continue;
      const t = this.text(parts.starts[i], parts.ends[i], where, what);
      if (t == null) return null;
      s = t;
    }
    return s;
  }

  private count(where: string, what: string, n: i32, max: i32): bool {
    return n <= max || this.fail(where, "more than " + max.toString() + " " + what + " in the set");
  }

  private define(where: string, fullName: string): bool {
    if (this.definedAt.has(fullName)) return this.fail(where, fullName + " is defined twice (also at " + this.definedAt.get(fullName) + ")");
    this.definedAt.set(fullName, where);
    this.types++;
    return this.count(where, "message and enum types", this.types, MAX_TYPES);
  }

  set(len: i32): bool {
    const parts = new Parts();
    if (!this.parts(0, len, "", [1], [WIRE_LEN], parts, [])) return false;
    if (parts.numbers.length == 0) return this.fail("", "holds no file (a FileDescriptorSet as protoc --include_imports --descriptor_set_out writes it?)");
    if (!this.count("", "files", parts.numbers.length, MAX_FILES)) return false;
    for (let i = 0; i < parts.numbers.length; i++) if (!this.file(parts.starts[i], parts.ends[i], i)) return false;
    return this.resolve();
  }

  private file(start: i32, end: i32, index: i32): bool {
    let where = "file[" + index.toString() + "]";
    const parts = new Parts();
    if (!this.parts(start, end, where, [1, 2, 4, 5, 6], [WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_LEN], parts, [])) return false;
    const name = this.textPart(parts, 1, where, "name");
    if (name == null) return false;
    if (name.length > 0) {
      where += " (" + name + ")";
      // Sets concatenated (cat a.pb b.pb is a set) may hold a shared import twice: the same bytes are one file.
      if (this.files.has(name)) {
        const seen = this.files.get(name);
        const s = <i32>(seen >> 32);
        const n = <i32>(seen & 0xffffffff);
        if (n == end - start && memory.compare(this.p + <usize>s, this.p + <usize>start, <usize>n) == 0) return true;
        return this.fail(where, "a second file named " + name + " with other contents");
      }
      this.files.set(name, (<i64>start << 32) | <i64>(end - start));
    }
    const pkg = this.textPart(parts, 2, where, "package");
    if (pkg == null) return false;
    if (pkg.length > 0 && !isName(pkg, true)) return this.fail(where, "package \"" + pkg + "\" is not a dotted name");
    let m = 0;
    let e = 0;
    let s = 0;
    for (let i = 0; i < parts.numbers.length; i++) {
      const n = parts.numbers[i];
      const a = parts.starts[i];
      const b = parts.ends[i];
      if (n == 4 && !this.message(a, b, pkg, where + " message_type[" + (m++).toString() + "]", 1)) return false;
      if (n == 5 && !this.enumType(a, b, pkg, where + " enum_type[" + (e++).toString() + "]")) return false;
      if (n == 6 && !this.service(a, b, pkg, where + " service[" + (s++).toString() + "]")) return false;
    }
    return true;
  }

  /** A name (field 1) that must be an identifier; null on error. */
  private ident(parts: Parts, where: string, what: string): string | null {
    const name = this.textPart(parts, 1, where, "name");
    if (name == null) return null;
    if (name.length == 0) {
      this.fail(where, what + " without a name");
      return null;
    }
    if (!isName(name, false)) {
      this.fail(where, "name \"" + name + "\" is not an identifier");
      return null;
    }
    return name;
  }

  private enumType(start: i32, end: i32, scope: string, where: string): bool {
    const parts = new Parts();
    if (!this.parts(start, end, where, [1], [WIRE_LEN], parts, [])) return false;
    const name = this.ident(parts, where, "an enum");
    if (name == null) return false;
    const full = scope.length > 0 ? scope + "." + name : name;
    if (!this.define(where + " (" + full + ")", full)) return false;
    this.enums.add(full);
    return true;
  }

  private message(start: i32, end: i32, scope: string, at: string, depth: i32): bool {
    if (depth > MAX_NESTING) return this.fail(at, "message types nested deeper than " + MAX_NESTING.toString());
    const parts = new Parts();
    if (!this.parts(start, end, at, [1, 2, 3, 4, 7], [WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_LEN], parts, [])) return false;
    const name = this.ident(parts, at, "a message type");
    if (name == null) return false;
    const full = scope.length > 0 ? scope + "." + name : name;
    const where = at + " (" + full + ")";
    if (!this.define(where, full)) return false;
    const msg = new ProtoMessage(full);
    this.schema.messages.push(msg);
    this.byName.set(full, msg);
    let f = 0;
    let nested = 0;
    let e = 0;
    for (let i = 0; i < parts.numbers.length; i++) {
      const n = parts.numbers[i];
      const a = parts.starts[i];
      const b = parts.ends[i];
      if (n == 2 && !this.field(a, b, where + " field[" + (f++).toString() + "]", msg)) return false;
      if (n == 3 && !this.message(a, b, full, where + " nested_type[" + (nested++).toString() + "]", depth + 1)) return false;
      if (n == 4 && !this.enumType(a, b, full, where + " enum_type[" + (e++).toString() + "]")) return false;
      if (n == 7) {
        // MessageOptions: map_entry = 7 is all that is kept.
        const flags: WireRecord[] = [];
        if (!this.parts(a, b, where + " options", [7], [WIRE_VARINT], new Parts(), flags)) return false;
        if (flags.length > 0) msg.mapEntry = flags[flags.length - 1].value != 0;
      }
    }
    msg.fields.sort((x: ProtoField, y: ProtoField): i32 => x.number - y.number);
    const fields = msg.fields;
    for (let i = 1; i < fields.length; i++) {
      if (fields[i].number == fields[i - 1].number) {
        return this.fail(where, "field number " + fields[i].number.toString() + " is used twice (" + String.UTF8.decode(fields[i - 1].name) + ", " + String.UTF8.decode(fields[i].name) + ")");
      }
    }
    if (msg.mapEntry) return this.mapEntry(msg, where);
    return true;
  }

  /** A map<K, V> entry: key = 1 (an integer, bool or string), value = 2, nothing else. */
  private mapEntry(msg: ProtoMessage, where: string): bool {
    const f = msg.fields;
    if (f.length != 2 || f[0].number != 1 || f[1].number != 2 || f[0].repeated || f[1].repeated) {
      return this.fail(where, "a map entry (map_entry) has exactly the fields key = 1 and value = 2");
    }
    const k = f[0].type;
    if (k == TYPE_DOUBLE || k == TYPE_FLOAT || k == TYPE_GROUP || k == TYPE_MESSAGE || k == TYPE_BYTES || k == TYPE_ENUM || k == 0) {
      return this.fail(where, "a map key is an integer, bool or string type");
    }
    return true;
  }

  private field(start: i32, end: i32, at: string, msg: ProtoMessage): bool {
    this.fieldCount++;
    if (!this.count(at, "fields", this.fieldCount, MAX_FIELDS)) return false;
    const parts = new Parts();
    const nums: WireRecord[] = [];
    if (!this.parts(start, end, at, [1, 3, 4, 5, 6, 10], [WIRE_LEN, WIRE_VARINT, WIRE_VARINT, WIRE_VARINT, WIRE_LEN, WIRE_LEN], parts, nums)) return false;
    const name = this.ident(parts, at, "a field");
    if (name == null) return false;
    const where = at + " (" + name + ")";
    let number: u64 = 0;
    let label: u64 = 1;
    let type: u64 = 0;
    let typed = false;
    for (let i = 0; i < nums.length; i++) {
      const n = nums[i].number;
      if (n == 3) number = nums[i].value;
      else if (n == 4) label = nums[i].value;
      else {
        type = nums[i].value;
        typed = true;
      }
    }
    if (number == 0 || number > MAX_FIELD_NUMBER) return this.fail(where, "number " + (<i64>number).toString() + " is not a field number (1 to 536870911)");
    if (label < 1 || label > 3) return this.fail(where, "label " + label.toString() + " is none of optional (1), required (2), repeated (3)");
    if ((typed && type == 0) || type > <u64>TYPE_SINT64) return this.fail(where, "type " + type.toString() + " is not a field type (1 to 18)");
    const typeName = this.textPart(parts, 6, where, "type_name");
    if (typeName == null) return false;
    const named = type == 0 || type == <u64>TYPE_MESSAGE || type == <u64>TYPE_GROUP || type == <u64>TYPE_ENUM;
    if (named && typeName.length == 0) return this.fail(where, type == 0 ? "neither type nor type_name" : "type_name is missing");
    if (!named && typeName.length > 0) return this.fail(where, "type_name \"" + typeName + "\" on a scalar type");
    if (named && (typeName.charCodeAt(0) != 0x2e || !isName(typeName.substring(1), true))) {
      return this.fail(where, "type_name \"" + typeName + "\" is not a fully qualified name (.package.Message, as protoc writes it)");
    }
    let json = "";
    let hasJson = false;
    for (let i = 0; i < parts.numbers.length; i++) if (parts.numbers[i] == 10) hasJson = true;
    if (hasJson) {
      const j = this.textPart(parts, 10, where, "json_name");
      if (j == null) return false;
      if (j.length == 0) return this.fail(where, "json_name is empty");
      json = j;
    } else json = jsonNameOf(name);
    const field = new ProtoField(<i32>number, String.UTF8.encode(name), String.UTF8.encode(json), <u8>type, label == 3);
    msg.fields.push(field);
    if (named) this.fields.push(new PendingField(field, typeName.substring(1), where));
    return true;
  }

  private service(start: i32, end: i32, pkg: string, at: string): bool {
    const parts = new Parts();
    if (!this.parts(start, end, at, [1, 2], [WIRE_LEN, WIRE_LEN], parts, [])) return false;
    const name = this.ident(parts, at, "a service");
    if (name == null) return false;
    const full = pkg.length > 0 ? pkg + "." + name : name;
    const where = at + " (" + full + ")";
    if (this.services.has(full)) return this.fail(where, "service " + full + " is defined twice");
    this.services.add(full);
    const names = new Set<string>();
    let m = 0;
    for (let i = 0; i < parts.numbers.length; i++) {
      if (parts.numbers[i] != 2) continue;
      const mat = where + " method[" + (m++).toString() + "]";
      const mp = new Parts();
      const flags: WireRecord[] = [];
      if (!this.parts(parts.starts[i], parts.ends[i], mat, [1, 2, 3, 5, 6], [WIRE_LEN, WIRE_LEN, WIRE_LEN, WIRE_VARINT, WIRE_VARINT], mp, flags)) return false;
      const method = this.ident(mp, mat, "a method");
      if (method == null) return false;
      const mwhere = mat + " (" + method + ")";
      if (names.has(method)) return this.fail(mwhere, "method " + method + " is defined twice");
      names.add(method);
      const input = this.textPart(mp, 2, mwhere, "input_type");
      const output = this.textPart(mp, 3, mwhere, "output_type");
      if (input == null || output == null) return false;
      let cs = false;
      let ss = false;
      for (let k = 0; k < flags.length; k++) {
        if (flags[k].number == 5) cs = flags[k].value != 0;
        else ss = flags[k].value != 0;
      }
      if (!this.count(mwhere, "methods", this.methods.length + 1, MAX_METHODS)) return false;
      this.methods.push(new PendingMethod(mwhere, "/" + full + "/" + method, input, output, cs, ss));
    }
    return true;
  }

  /** The message a method's input_type / output_type names; null (with the error) when none does. */
  private methodType(name: string, where: string, what: string): ProtoMessage | null {
    if (name.length == 0) {
      this.fail(where, what + " is missing");
      return null;
    }
    const bare = name.charCodeAt(0) == 0x2e ? name.substring(1) : "";
    if (bare.length == 0 || !isName(bare, true)) {
      this.fail(where, what + " \"" + name + "\" is not a fully qualified name (.package.Message, as protoc writes it)");
      return null;
    }
    if (!this.byName.has(bare)) {
      this.fail(where, what + " " + name + " names no message type of the set" + (this.enums.has(bare) ? " (it is an enum)" : " (built with --include_imports?)"));
      return null;
    }
    return this.byName.get(bare);
  }

  private resolve(): bool {
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) {
      const pending = fields[i];
      const f = pending.field;
      const name = pending.typeName;
      const isMessage = this.byName.has(name);
      const isEnum = this.enums.has(name);
      if (f.type == 0) f.type = isMessage ? TYPE_MESSAGE : TYPE_ENUM;
      if (f.type == TYPE_ENUM) {
        if (!isEnum) return this.fail(pending.where, "type_name ." + name + (isMessage ? " is a message, not an enum" : " names no enum of the set (built with --include_imports?)"));
      } else {
        if (!isMessage) return this.fail(pending.where, "type_name ." + name + (isEnum ? " is an enum, not a message" : " names no message type of the set (built with --include_imports?)"));
        f.message = this.byName.get(name);
      }
      f.typeName = name;
    }
    const methods = this.methods;
    for (let i = 0; i < methods.length; i++) {
      const m = methods[i];
      const input = this.methodType(m.input, m.where, "input_type");
      if (input == null) return false;
      const output = this.methodType(m.output, m.where, "output_type");
      if (output == null) return false;
      this.schema.methods.push(new ProtoMethod(String.UTF8.encode(m.path), input, output, m.clientStreaming, m.serverStreaming));
    }
    return true;
  }
}
