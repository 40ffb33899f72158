// A protobuf schema compiled from a FileDescriptorSet (redact.grpc.descriptor_set,
// as `protoc --include_imports --descriptor_set_out` writes it): the message
// types with their fields by number, and the gRPC methods by :path. Built once at
// configure time (proto/descriptor.ts parses it), immutable after.

// FieldDescriptorProto.Type, as descriptor.proto numbers them.
export const TYPE_DOUBLE: u8 = 1;
export const TYPE_FLOAT: u8 = 2;
export const TYPE_INT64: u8 = 3;
export const TYPE_UINT64: u8 = 4;
export const TYPE_INT32: u8 = 5;
export const TYPE_FIXED64: u8 = 6;
export const TYPE_FIXED32: u8 = 7;
export const TYPE_BOOL: u8 = 8;
export const TYPE_STRING: u8 = 9;
export const TYPE_GROUP: u8 = 10;
export const TYPE_MESSAGE: u8 = 11;
export const TYPE_BYTES: u8 = 12;
export const TYPE_UINT32: u8 = 13;
export const TYPE_ENUM: u8 = 14;
export const TYPE_SFIXED32: u8 = 15;
export const TYPE_SFIXED64: u8 = 16;
export const TYPE_SINT32: u8 = 17;
export const TYPE_SINT64: u8 = 18;

// Wire types.
export const WIRE_VARINT: u8 = 0;
export const WIRE_I64: u8 = 1;
export const WIRE_LEN: u8 = 2;
export const WIRE_SGROUP: u8 = 3;
export const WIRE_EGROUP: u8 = 4;
export const WIRE_I32: u8 = 5;

export class ProtoField {
  constructor(
    public number: i32,
    /** The name as written in the .proto, UTF-8. */
    public name: ArrayBuffer,
    /** The JSON name (json_name, lowerCamelCase unless set), UTF-8. */
    public jsonName: ArrayBuffer,
    /** TYPE_*. */
    public type: u8,
    /** label LABEL_REPEATED (maps are repeated map-entry messages). */
    public repeated: bool,
  ) {}
  /** TYPE_MESSAGE / TYPE_GROUP: the field's type, resolved once the whole set is read (null: unresolved). */
  message: ProtoMessage | null = null;
  /** TYPE_ENUM / TYPE_MESSAGE: the fully qualified type name, without the leading '.'. */
  typeName: string = "";
}

export class ProtoMessage {
  constructor(
    /** Fully qualified, without the leading '.': "pkg.Outer.Inner". */
    public fullName: string,
  ) {}
  /** Fields in ascending field-number order. */
  fields: ProtoField[] = [];
  /** message_options.map_entry: a map<K, V> field's entry type (key = 1, value = 2). */
  mapEntry: bool = false;

  /** The field with this number, or null (an unknown field). */
  field(number: i32): ProtoField | null {
    const f = this.fields;
    let lo = 0;
    let hi = f.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const n = unchecked(f[mid]).number;
      if (n == number) return unchecked(f[mid]);
      if (n < number) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }
}

export class ProtoMethod {
  constructor(
    /** The gRPC :path, "/package.Service/Method", as bytes. */
    public path: ArrayBuffer,
    public input: ProtoMessage,
    public output: ProtoMessage,
    public clientStreaming: bool,
    public serverStreaming: bool,
  ) {}
}

export class ProtoSchema {
  /** Every message type of the set, nested ones included. */
  messages: ProtoMessage[] = [];
  methods: ProtoMethod[] = [];

  /** The method a request's :path [p, p+len) calls (the path before any '?'), or null. */
  method(p: usize, len: usize): ProtoMethod | null {
    let n = len;
    for (let i: usize = 0; i < len; i++) {
      if (load<u8>(p + i) == 0x3f) {
        n = i;
        break;
      }
    }
    const m = this.methods;
    for (let i = 0; i < m.length; i++) {
      const path = unchecked(m[i]).path;
      if (<usize>path.byteLength == n && memory.compare(changetype<usize>(path), p, n) == 0) return unchecked(m[i]);
    }
    return null;
  }

  /** A message type by its fully qualified name (no leading '.'), or null. */
  message(fullName: string): ProtoMessage | null {
    const m = this.messages;
    for (let i = 0; i < m.length; i++) if (unchecked(m[i]).fullName == fullName) return unchecked(m[i]);
    return null;
  }
}
