// A protobuf message as JSON text by its type (field names as written in the
// .proto; for comparison and preview). STUB: the descriptor helper implements it.
import { ProtoMessage } from "./schema";

/** The message [p, p+len) of `type` as a JSON object, or null when it does not parse. */
export function messageToJson(p: usize, len: i32, type: ProtoMessage): string | null {
  return null;
}
