// filter/proto/redact.ts over the schema filter/proto/descriptor.ts reads from
// the FileDescriptorSet protoc writes: the same redactions as over the schema
// built from protobufjs's reflection of the same .proto (map entries, JSON
// names, nested and enum types as protoc describes them).
import { describe, it, expect } from "vitest";
import protobuf from "protobufjs";
import { ProtoFixture, loadProtoFixture, loadProto, descriptorSet, ALL } from "../../support/proto-redact.js";

const root = loadProto("redact-cases.proto");
const Order: protobuf.Type = root.lookupType("rc.Order");
const byReflection: ProtoFixture = loadProtoFixture();
byReflection.loadRoot(root);
const byDescriptor: ProtoFixture = loadProtoFixture();
// Until filter/proto/descriptor.ts parses (the "desc" helper's branch), its stub's error: these tests wait for it.
let stub = false;
try {
  byDescriptor.loadDescriptorSet(descriptorSet("redact-cases.proto"));
} catch (e) {
  if (!String(e).includes("descriptor sets are not implemented yet")) throw e;
  stub = true;
}

const msg = Buffer.from(Order.encode(Order.fromObject({
  card: { number: "4111111111111111", holder_name: "Ann Lee", cvv: 123, token: "99" },
  items: [{ note: "first ann@example.com", qty: 2, blob: Buffer.from("b1") }, { note: "second" }],
  labels: { secret: "s3cr3t", ssn: "536228147" },
  email: "ann@example.com",
  nums: [5, 300, 70000],
  tags: ["red", "536-22-8147"],
  cards_by_id: { 7: { number: "5500000000000004", cvv: 9 } },
  child: { email: "kid@example.com", card: { number: "340000000000009" } },
  codes: [1, 2, 3],
  kind: 1,
})).finish());

const rules = [
  "mask $.card.number\nhash $.card.holderName",
  "drop $..cvv\nmask $.items[1].note\nhash $.labels.secret",
  "mask $.cardsById['7']\ndrop $.nums[1]\nmask $.codes",
  "mask $.card\ndrop $.labels.ssn\nhash $.child.email",
  "keep $.card.holder_name\nkeep $.items[*].qty",
];

describe("a descriptor set's schema redacts as the .proto's", () => {
  it.skipIf(stub).each(rules)("%j", (spec) => {
    for (const [detectors, hash] of [[0, false], [ALL, false], [ALL, true]] as const) {
      const a = byReflection.redact(msg, "rc.Order", spec, detectors, hash);
      const b = byDescriptor.redact(msg, "rc.Order", spec, detectors, hash);
      expect(a.status).toBe(0);
      expect(b.status).toBe(a.status);
      expect(b.bytes.equals(a.bytes)).toBe(true);
    }
  });
});
