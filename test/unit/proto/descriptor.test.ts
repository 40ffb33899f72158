// filter/proto/descriptor.ts through the compiled fixture: protoc's descriptor
// sets read into the schema the redactor and the comparison use (checked against
// protobufjs's own reading of the same bytes), json_name derived as protoc does,
// every malformed or unresolvable set refused with where, every truncation of a
// set refused, random damage never a trap.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { protoFixture, shopSet, legacySet, type Schema } from "../../support/proto-fixture.js";

const fx = protoFixture();
const FileDescriptorSet = descriptor.FileDescriptorSet;

/** A set from descriptor objects (descriptor.proto's fields, protobufjs's camelCase names). */
const encodeSet = (files: object[]) => FileDescriptorSet.encode(FileDescriptorSet.fromObject({ file: files })).finish() as Uint8Array;
const decodeSet = (bytes: Uint8Array) => FileDescriptorSet.toObject(FileDescriptorSet.decode(bytes), { defaults: false }) as { file: any[] };

const TYPE = { double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9, group: 10, message: 11, bytes: 12, uint32: 13, enum: 14, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18 };

/** What the schema should hold, read from protobufjs's decoding of the set. */
function expectedSchema(bytes: Uint8Array): Schema {
  const set = decodeSet(bytes);
  const out: Schema = { messages: [], methods: [] };
  const enums = new Set<string>();
  const walkEnums = (scope: string, list: any[] = []) => list.forEach((e) => enums.add(`${scope}${e.name}`));
  const walk = (scope: string, list: any[] = []) => {
    for (const m of list) {
      const full = `${scope}${m.name}`;
      out.messages.push({
        name: full,
        mapEntry: m.options?.mapEntry === true,
        fields: (m.field ?? [])
          .map((f: any) => ({
            number: f.number,
            name: f.name,
            jsonName: f.jsonName,
            type: f.type,
            repeated: f.label === 3,
            typeName: f.typeName ? f.typeName.slice(1) : "",
            message: f.type === TYPE.message || f.type === TYPE.group ? f.typeName.slice(1) : null,
          }))
          .sort((a: any, b: any) => a.number - b.number),
      });
      walkEnums(`${full}.`, m.enumType);
      walk(`${full}.`, m.nestedType);
    }
  };
  for (const f of set.file) {
    const scope = f.package ? `${f.package}.` : "";
    walk(scope, f.messageType);
    walkEnums(scope, f.enumType);
    for (const s of f.service ?? []) {
      for (const m of s.method ?? []) {
        out.methods.push({ path: `/${scope}${s.name}/${m.name}`, input: m.inputType.slice(1), output: m.outputType.slice(1), clientStreaming: m.clientStreaming === true, serverStreaming: m.serverStreaming === true });
      }
    }
  }
  return out;
}

const ok = (bytes: Uint8Array): Schema => {
  const r = fx.parse(bytes);
  expect(r.error).toBe("");
  return r.schema!;
};
const refused = (bytes: Uint8Array): string => {
  const r = fx.parse(bytes);
  expect(r.schema).toBeNull();
  return r.error;
};
const message = (s: Schema, name: string) => s.messages.find((m) => m.name === name)!;
const field = (s: Schema, msg: string, name: string) => message(s, msg).fields.find((f) => f.name === name)!;

/** The offsets where the top-level records of a message end (a set: its files). */
function fileBoundaries(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  const varint = () => {
    let v = 0, shift = 0;
    for (;;) {
      const b = bytes[i++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) return v;
    }
  };
  while (i < bytes.length) {
    const wire = varint() % 8;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else {
      const n = varint();
      i += n;
    }
    out.push(i);
  }
  return out;
}

describe("protoc's sets", () => {
  it("are read as protobufjs reads them: every message, nested ones, fields by number, maps, methods", () => {
    for (const set of [shopSet(), legacySet()]) expect(ok(set)).toEqual(expectedSchema(set));
  });

  it("resolve types across files and nested scopes, and keep what the .proto says", () => {
    const s = ok(shopSet());
    expect(s.messages.map((m) => m.name)).toEqual(expect.arrayContaining(["shop.v1.Order", "shop.v1.Order.Card", "shop.v1.Order.Card.Holder", "shop.common.Money", "google.protobuf.Timestamp", "Old", "Old.Meta"]));
    expect(field(s, "shop.v1.Order.Card.Holder", "billing_address")).toMatchObject({ type: TYPE.message, message: "shop.common.Address", jsonName: "billingAddress" });
    expect(field(s, "shop.v1.Order.Card.Holder", "full_name").jsonName).toBe("holderName");
    expect(field(s, "shop.v1.Order", "created_at").message).toBe("google.protobuf.Timestamp");
    expect(field(s, "shop.v1.Order", "currency")).toMatchObject({ type: TYPE.enum, typeName: "shop.common.Currency", message: null });
    expect(field(s, "shop.v1.Order", "labels")).toMatchObject({ repeated: true, message: "shop.v1.Order.LabelsEntry" });
    expect(message(s, "shop.v1.Order.LabelsEntry").mapEntry).toBe(true);
    expect(message(s, "shop.v1.Order").mapEntry).toBe(false);
    expect(field(s, "shop.v1.Order", "note")).toMatchObject({ type: TYPE.string, repeated: false }); // proto3 optional
    expect(field(s, "Old", "meta")).toMatchObject({ type: TYPE.group, message: "Old.Meta" }); // proto2 group
    expect(field(s, "Old", "entry")).toMatchObject({ type: TYPE.group, repeated: true, message: "Old.Entry" });
    const numbers = message(s, "shop.v1.Scalars").fields.map((f) => f.number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });

  it("give each method its :path, types and streaming", () => {
    const s = ok(shopSet());
    const paths = Object.fromEntries(s.methods.map((m) => [m.path, m]));
    expect(paths["/shop.v1.Orders/Create"]).toEqual({ path: "/shop.v1.Orders/Create", input: "shop.v1.Order", output: "shop.v1.Receipt", clientStreaming: false, serverStreaming: false });
    expect(paths["/shop.v1.Orders/Upload"]).toMatchObject({ clientStreaming: true, serverStreaming: false });
    expect(paths["/shop.v1.Orders/Watch"]).toMatchObject({ clientStreaming: false, serverStreaming: true });
    expect(paths["/shop.v1.Orders/Chat"]).toMatchObject({ clientStreaming: true, serverStreaming: true });
    expect(paths["/Legacy/Call"]).toMatchObject({ input: "Old", output: "Old" }); // no package
    expect(fx.methodInput("/shop.v1.Orders/Echo")).toBe("shop.v1.Scalars");
    expect(fx.methodInput("/shop.v1.Orders/Create?x=1")).toBe("shop.v1.Order");
    expect(fx.methodInput("/shop.v1.Orders/create")).toBeNull();
  });

  it("derive json_name as protoc does when the set leaves it out", () => {
    const withNames = ok(shopSet());
    const set = decodeSet(shopSet());
    for (const f of set.file) for (const m of f.messageType ?? []) for (const fd of m.field ?? []) delete fd.jsonName;
    const without = ok(encodeSet(set.file));
    const names = (s: Schema) => message(s, "shop.v1.Names").fields.map((f) => [f.name, f.jsonName]);
    // custom-name is json_name as written: left out of the set, the derived name takes its place.
    expect(names(without)).toEqual(names(withNames).map(([n, j]) => [n, n === "with_json" ? "withJson" : j]));
    expect(names(withNames)).toContainEqual(["HTTPServer", "HTTPServer"]);
  });

  it("may be concatenated: a file given twice with the same bytes is one file", () => {
    const both = Buffer.concat([shopSet(), legacySet()]);
    expect(ok(both)).toEqual(ok(shopSet()));
  });
});

// ------------------------------------------------------------ refused sets

const file = (over: object = {}) => ({ name: "x.proto", package: "p", syntax: "proto3", ...over });
const msg = (name: string, fields: object[] = [], over: object = {}) => ({ name, field: fields, ...over });
const fld = (name: string, number: number, over: object = {}) => ({ name, number, label: 1, type: TYPE.string, jsonName: name, ...over });
const svc = (name: string, methods: object[]) => ({ name, method: methods });
const rpc = (name: string, input: string, output: string) => ({ name, inputType: input, outputType: output });
const nested = (depth: number): object => (depth === 0 ? msg("Leaf") : msg(`N${depth}`, [], { nestedType: [nested(depth - 1)] }));

const REFUSED: [string, Uint8Array, string][] = [
  ["no file", new Uint8Array(0), "holds no file"],
  ["an unresolvable type_name", encodeSet([file({ messageType: [msg("A", [fld("b", 1, { type: TYPE.message, typeName: ".p.Missing" })])] })]), "file[0] (x.proto) message_type[0] (p.A) field[0] (b): type_name .p.Missing names no message type of the set (built with --include_imports?)"],
  ["a type from a file left out (no --include_imports)", encodeSet([file({ dependency: ["y.proto"], messageType: [msg("A", [fld("m", 1, { type: TYPE.message, typeName: ".q.Money" })])] })]), "field[0] (m): type_name .q.Money names no message type"],
  ["an enum as a message", encodeSet([file({ enumType: [{ name: "E", value: [{ name: "Z", number: 0 }] }], messageType: [msg("A", [fld("e", 1, { type: TYPE.message, typeName: ".p.E" })])] })]), "type_name .p.E is an enum, not a message"],
  ["a message as an enum", encodeSet([file({ messageType: [msg("A", [fld("e", 1, { type: TYPE.enum, typeName: ".p.A" })])] })]), "type_name .p.A is a message, not an enum"],
  ["a relative type_name", encodeSet([file({ messageType: [msg("A", [fld("b", 1, { type: TYPE.message, typeName: "A" })])] })]), "type_name \"A\" is not a fully qualified name"],
  ["a type_name on a scalar", encodeSet([file({ messageType: [msg("A", [fld("b", 1, { typeName: ".p.A" })])] })]), "type_name \".p.A\" on a scalar type"],
  ["a message field without type_name", encodeSet([file({ messageType: [msg("A", [fld("b", 1, { type: TYPE.message })])] })]), "field[0] (b): type_name is missing"],
  ["an unresolvable method input", encodeSet([file({ messageType: [msg("A")], service: [svc("S", [rpc("M", ".p.Nope", ".p.A")])] })]), "file[0] (x.proto) service[0] (p.S) method[0] (M): input_type .p.Nope names no message type of the set"],
  ["an unresolvable method output", encodeSet([file({ messageType: [msg("A")], service: [svc("S", [rpc("M", ".p.A", ".p.Nope")])] })]), "method[0] (M): output_type .p.Nope names no message type"],
  ["a method without input_type", encodeSet([file({ messageType: [msg("A")], service: [svc("S", [{ name: "M", outputType: ".p.A" }])] })]), "method[0] (M): input_type is missing"],
  ["one message twice", encodeSet([file({ messageType: [msg("A"), msg("A")] })]), "file[0] (x.proto) message_type[1] (p.A): p.A is defined twice (also at file[0] (x.proto) message_type[0] (p.A))"],
  ["a message and an enum of one name", encodeSet([file({ messageType: [msg("A")], enumType: [{ name: "A" }] })]), "p.A is defined twice"],
  ["one message in two files", encodeSet([file(), file({ name: "y.proto", messageType: [msg("A")] }), file({ name: "z.proto", messageType: [msg("A")] })]), "file[2] (z.proto) message_type[0] (p.A): p.A is defined twice (also at file[1] (y.proto)"],
  ["one file name with two contents", encodeSet([file({ messageType: [msg("A")] }), file({ messageType: [msg("B")] })]), "file[1] (x.proto): a second file named x.proto with other contents"],
  ["one service twice", encodeSet([file({ messageType: [msg("A")], service: [svc("S", []), svc("S", [])] })]), "service[1] (p.S): service p.S is defined twice"],
  ["one method twice", encodeSet([file({ messageType: [msg("A")], service: [svc("S", [rpc("M", ".p.A", ".p.A"), rpc("M", ".p.A", ".p.A")])] })]), "method[1] (M): method M is defined twice"],
  ["one field number twice", encodeSet([file({ messageType: [msg("A", [fld("a", 1), fld("b", 1)])] })]), "message_type[0] (p.A): field number 1 is used twice (a, b)"],
  ["field number 0", encodeSet([file({ messageType: [msg("A", [fld("a", 0)])] })]), "field[0] (a): number 0 is not a field number (1 to 536870911)"],
  ["a negative field number", encodeSet([file({ messageType: [msg("A", [fld("a", -1)])] })]), "field[0] (a): number -1 is not a field number"],
  ["field number 2^29", encodeSet([file({ messageType: [msg("A", [fld("a", 536870912)])] })]), "number 536870912 is not a field number"],
  ["label 4", encodeSet([file({ messageType: [msg("A", [fld("a", 1, { label: 4 })])] })]), "field[0] (a): label 4 is none of optional (1), required (2), repeated (3)"],
  ["type 19", encodeSet([file({ messageType: [msg("A", [fld("a", 1, { type: 19 })])] })]), "field[0] (a): type 19 is not a field type (1 to 18)"],
  ["type 0", encodeSet([file({ messageType: [msg("A", [fld("a", 1, { type: 0 })])] })]), "type 0 is not a field type"],
  ["neither type nor type_name", encodeSet([file({ messageType: [msg("A", [{ name: "a", number: 1, label: 1 }])] })]), "field[0] (a): neither type nor type_name"],
  ["a field without a name", encodeSet([file({ messageType: [msg("A", [{ number: 1, label: 1, type: TYPE.string }])] })]), "message_type[0] (p.A) field[0]: a field without a name"],
  ["a message without a name", encodeSet([file({ messageType: [{ field: [] }] })]), "file[0] (x.proto) message_type[0]: a message type without a name"],
  ["a name that is no identifier", encodeSet([file({ messageType: [msg("A-B")] })]), "message_type[0]: name \"A-B\" is not an identifier"],
  ["a field name that is no identifier", encodeSet([file({ messageType: [msg("A", [fld("1a", 1)])] })]), "field[0]: name \"1a\" is not an identifier"],
  ["a package that is no dotted name", encodeSet([file({ package: "p..q" })]), "file[0] (x.proto): package \"p..q\" is not a dotted name"],
  ["an empty json_name", encodeSet([file({ messageType: [msg("A", [fld("a", 1, { jsonName: "" })])] })]), "field[0] (a): json_name is empty"],
  ["a map entry with a third field", encodeSet([file({ messageType: [msg("AEntry", [fld("key", 1), fld("value", 2), fld("x", 3)], { options: { mapEntry: true } })] })]), "message_type[0] (p.AEntry): a map entry (map_entry) has exactly the fields key = 1 and value = 2"],
  ["a map keyed by a message", encodeSet([file({ messageType: [msg("B"), msg("AEntry", [fld("key", 1, { type: TYPE.message, typeName: ".p.B" }), fld("value", 2)], { options: { mapEntry: true } })] })]), "a map key is an integer, bool or string type"],
  ["a map keyed by a double", encodeSet([file({ messageType: [msg("AEntry", [fld("key", 1, { type: TYPE.double }), fld("value", 2)], { options: { mapEntry: true } })] })]), "a map key is an integer, bool or string type"],
  ["messages nested 33 deep", encodeSet([file({ messageType: [nested(32)] })]), "message types nested deeper than 32"],
];

describe("sets that are refused, with where", () => {
  it.each(REFUSED)("%s", (_name, bytes, message) => {
    expect(refused(bytes)).toContain(message);
  });

  it("nesting 32 deep is read", () => {
    expect(ok(encodeSet([file({ messageType: [nested(31)] })])).messages).toHaveLength(32);
  });

  it.each([
    ["a name that is not UTF-8", [0x0a, 0x04, 0x0a, 0x02, 0xc3, 0x28], "file[0]: name is not UTF-8"],
    ["a name with a control character", [0x0a, 0x04, 0x0a, 0x02, 0x61, 0x0a], "file[0]: name holds a control character"],
    ["a file as a varint", [0x08, 0x01], "field 1 is varint, expected length-delimited (not a descriptor?)"],
    ["a file name as a varint", [0x0a, 0x02, 0x08, 0x01], "file[0]: field 1 is varint, expected length-delimited"],
    ["map_entry as a string", [0x0a, 0x09, 0x22, 0x07, 0x0a, 0x01, 0x41, 0x3a, 0x02, 0x3a, 0x00], "file[0] message_type[0] (A) options: field 7 is length-delimited, expected varint"],
    ["wire type 7", [0x0f], "invalid wire type 7 at 0"],
    ["field number 0 in the set", [0x02, 0x00], "field number 0 at 0"],
    ["an end group without its start", [0x0c], "end of group 1 without its start at 0"],
    ["a group left open", [0x0a, 0x01, 0x1b], "file[0]: group 3 not closed at 2"],
    ["groups ended crosswise", [0x0a, 0x04, 0x1b, 0x23, 0x1c, 0x24], "end of group 3 inside group 4"],
    ["a length past the end", [0x0a, 0x05, 0x0a], "length 5 past the end at 1"],
    ["a varint of 11 bytes", [0x10, ...Array(10).fill(0xff), 0x01], "truncated varint at 1"],
  ])("%s", (_name, bytes, message) => {
    expect(refused(Uint8Array.from(bytes as number[]))).toContain(message);
  });

  it("unknown fields are skipped, groups and all, up to 64 groups deep", () => {
    const open = (n: number) => Array(n).fill(0x1b);
    const close = (n: number) => Array(n).fill(0x1c);
    const len = (n: number) => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, n >> 7]);
    const withGroups = (n: number) => Uint8Array.from([0x0a, ...len(2 * n + 4), 0x0a, 0x02, 0x61, 0x62, ...open(n), ...close(n)]);
    expect(ok(withGroups(64)).messages).toEqual([]);
    expect(refused(withGroups(65))).toContain("groups nested deeper than 64");
  });
});

describe("damaged sets", () => {
  it.each([["legacy.pb", legacySet], ["shop.pb", shopSet]])("%s cut at every byte is refused, except between two files", (_name, set) => {
    const bytes = set();
    const boundaries = new Set(fileBoundaries(bytes));
    const accepted: number[] = [];
    for (let n = 0; n < bytes.length; n++) if (fx.parse(bytes.subarray(0, n)).schema) accepted.push(n);
    expect(accepted).toEqual([...boundaries].filter((n) => n < bytes.length));
  });

  it("a file cut at every byte (its length fixed up) is refused, except between two of its records", () => {
    const bytes = legacySet();
    // legacy.pb holds one file: its record's tag, length, then the FileDescriptorProto.
    const at = 1 + (bytes[1] < 0x80 ? 1 : 2);
    const inner = bytes.subarray(at);
    const boundaries = new Set(fileBoundaries(inner));
    const lengthOf = (n: number) => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, n >> 7]);
    const wrong: string[] = [];
    for (let n = 1; n < inner.length; n++) {
      const r = fx.parse(Uint8Array.from([0x0a, ...lengthOf(n), ...inner.subarray(0, n)]));
      // Between two records the file is a shorter file: read, or refused for what it lacks, never for its bytes.
      if (boundaries.has(n)) {
        if (r.schema === null && !/names no|is missing/.test(r.error)) wrong.push(`${n}: ${r.error}`);
      } else if (r.schema !== null) wrong.push(`${n}: accepted`);
    }
    expect(wrong).toEqual([]);
  });

  it("with random bytes changed, are read or refused, never a trap", () => {
    const bytes = shopSet();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (changes) => {
        const b = Uint8Array.from(bytes);
        for (const [at, v] of changes) b[at] = v;
        const r = fx.parse(b);
        expect(r.schema !== null || r.error.length > 0).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("random bytes are refused or read, never a trap", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const r = fx.parse(b);
        expect(r.schema !== null || r.error.length > 0).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
