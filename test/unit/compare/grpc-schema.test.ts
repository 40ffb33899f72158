// Comparison of gRPC answers with a descriptor (test/fixtures/proto/shop.pb, from
// orders.proto), through the emulator: messages decoded by the method's output type
// and compared by the .proto's field names; bodies in 1..7-byte chunks.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { projectRoot } from "../../../harness/paths.js";
import { loadFilter } from "../../support/filter.js";
import { frame, call, diffs, paths, metric } from "../../support/grpc-compare.js";

const POLICY = { role: "mirror", shadow: { cluster: "shadow" }, compare: {} };
const PROTO_DIR = join(projectRoot, "test/fixtures/proto");
const proto = new protobuf.Root();
proto.loadSync(join(PROTO_DIR, "orders.proto"), { keepCase: true });
const encode = (type: string, value: object) => {
  const t = proto.lookupType(type);
  return t.encode(t.fromObject(value)).finish();
};
const receipt = (value: object) => encode("shop.v1.Receipt", value);
const WITH_SCHEMA = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: { grpc: { descriptor_set: readFileSync(join(PROTO_DIR, "shop.pb")).toString("base64") } },
  compare: {},
};
const withCompare = (compare: object) => ({ ...WITH_SCHEMA, compare });
const CREATE = "/shop.v1.Orders/Create";
const WATCH = "/shop.v1.Orders/Watch";
const ECHO = "/shop.v1.Orders/Echo";

describe("compare gRPC: messages by the descriptor", () => {
  it.each([1, 2, 3, 5, 7])("a changed field is named by its .proto name, hashed (%i-byte chunks)", async (chunk) => {
    const { host, ok } = await loadFilter(WITH_SCHEMA);
    expect(ok).toBe(true);
    const primary = frame([receipt({ order_id: "o-1", status: "accepted", charged: { units: 10, nanos: 5 } })]);
    const shadow = frame([receipt({ order_id: "o-1", status: "rejected", charged: { units: 10, nanos: 5 } })]);
    call(host, { body: primary, status: "0" }, { body: shadow, status: "0" }, chunk, CREATE);
    const [d] = diffs(host);
    expect(paths(d)).toEqual(["$.status:value"]);
    expect(d.mismatch).toEqual(["body"]);
    expect(d.differences[0].primary).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(JSON.stringify(d)).not.toContain("accepted");
  });

  it("equal messages in a different field order match (compared by structure, not bytes)", async () => {
    const { host } = await loadFilter(WITH_SCHEMA);
    const a = receipt({ order_id: "o-1", status: "ok" });
    // The same fields, status (2) written before order_id (1).
    const b = new Uint8Array([0x12, 0x02, 0x6f, 0x6b, 0x0a, 0x03, 0x6f, 0x2d, 0x31]);
    call(host, { body: frame([a]), status: "0" }, { body: frame([b]), status: "0" }, 3, CREATE);
    expect(metric(host, "matched")).toBe(1n);
    // Without the descriptor the bytes differ.
    const { host: plain } = await loadFilter(POLICY);
    call(plain, { body: frame([a]), status: "0" }, { body: frame([b]), status: "0" }, 3, CREATE);
    expect(paths(diffs(plain)[0])).toEqual(["body:hash"]);
  });

  it("ignore_paths by field name: nested and descendant", async () => {
    const { host } = await loadFilter(withCompare({ ignore_paths: ["$.order_id", "$..nanos"] }));
    call(host, { body: frame([receipt({ order_id: "o-1", status: "ok", charged: { units: 10, nanos: 1 } })]), status: "0" },
      { body: frame([receipt({ order_id: "o-2", status: "ok", charged: { units: 10, nanos: 2 } })]), status: "0" }, 4, CREATE);
    expect(metric(host, "matched")).toBe(1n);
    call(host, { body: frame([receipt({ order_id: "o-1", status: "ok", charged: { units: 10 } })]), status: "0" },
      { body: frame([receipt({ order_id: "o-2", status: "ok", charged: { units: 11 } })]), status: "0" }, 4, CREATE);
    expect(paths(diffs(host)[0])).toEqual(["$.charged.units:value"]);
  });

  it("numeric_tolerance on a numeric field", async () => {
    const { host } = await loadFilter(withCompare({ numeric_tolerance: 0.01 }));
    const scalars = (v: object) => frame([encode("shop.v1.Scalars", v)]);
    call(host, { body: scalars({ f_double: 1.5, f_int32: 7 }), status: "0" }, { body: scalars({ f_double: 1.504, f_int32: 7 }), status: "0" }, 2, ECHO);
    expect(metric(host, "matched")).toBe(1n);
    call(host, { body: scalars({ f_double: 1.5, f_int32: 7 }), status: "0" }, { body: scalars({ f_double: 1.6, f_int32: 8 }), status: "0" }, 2, ECHO);
    expect(paths(diffs(host)[0])).toEqual(["$.f_double:value", "$.f_int32:value"]);
  });

  it("a server stream: its messages are $[0], $[1], ...; one more or less is named", async () => {
    const { host } = await loadFilter(withCompare({ ignore_paths: ["$[*].order_id"] }));
    const r = (status: string, id = "o") => receipt({ order_id: id, status });
    call(host, { body: frame([r("a", "x"), r("b", "x"), r("c", "x")]), status: "0" }, { body: frame([r("a", "y"), r("b", "y"), r("c", "y")]), status: "0" }, 7, WATCH);
    expect(metric(host, "matched")).toBe(1n);
    call(host, { body: frame([r("a"), r("b"), r("c")]), status: "0" }, { body: frame([r("a"), r("B"), r("c"), r("d")]), status: "0" }, 7, WATCH);
    expect(paths(diffs(host)[0])).toEqual(["$[1].status:value", "$[3]:extra_in_shadow"]);
  });

  it("a trailers-only answer has no messages: $ is missing", async () => {
    const { host } = await loadFilter(WITH_SCHEMA);
    call(host, { body: frame([receipt({ order_id: "o-1", status: "ok" })]), status: "0" }, { trailersOnly: true, status: "3", message: "bad address" }, 5, CREATE);
    expect(paths(diffs(host)[0])).toEqual([":grpc-status:value", ":grpc-message:value", "$:missing_in_shadow"]);
  });

  it.each<[string, Uint8Array, string]>([
    ["a compressed message", frame([receipt({ status: "ok" })], true), CREATE],
    ["a message the type does not parse", frame([new Uint8Array([0x0a, 0x09, 0x6f])]), CREATE],
    ["a frame cut short", frame([receipt({ status: "ok" })]).subarray(0, 6), CREATE],
    ["a method the descriptor does not know", frame([receipt({ status: "no" })]), "/shop.v1.Other/Create"],
  ])("%s: compared by hash", async (_, shadow, path) => {
    const { host } = await loadFilter(WITH_SCHEMA);
    call(host, { body: frame([receipt({ status: "ok" })]), status: "0" }, { body: shadow, status: "0" }, 5, path);
    expect(paths(diffs(host)[0])).toEqual(["body:hash"]);
  });
});
