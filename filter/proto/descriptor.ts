// Reads a FileDescriptorSet (the bytes of `protoc --include_imports
// --descriptor_set_out`) into a ProtoSchema (proto/schema.ts). STUB: the
// descriptor helper implements it.
import { ProtoSchema } from "./schema";

export class SchemaParse {
  constructor(public schema: ProtoSchema | null, public error: string) {}
}

/** Parses the set [p, p+len); error names what is wrong ("file[2] message_type[0] field[1]: ..."). */
export function parseDescriptorSet(p: usize, len: i32): SchemaParse {
  return new SchemaParse(null, "descriptor sets are not implemented yet");
}
