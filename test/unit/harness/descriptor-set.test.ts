// The harness's FileDescriptorSet reading (render --descriptor-set, preview's
// decoded view), and the gRPC example files staying what they say they are:
// payments.pb is protoc's output for payments.proto, examples/grpc-redact.json
// carries it, and the example request is the message README shows.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot } from "../../../harness/paths.js";
import { loadDescriptorSet, policyDescriptorSet, splitFrames, decodeMessages, methodType, frame, isGrpc, DescriptorSetError } from "../../../harness/descriptor-set.js";

const dir = mkdtempSync(join(tmpdir(), "mirrorshade-descriptor-"));
const examples = join(projectRoot, "examples");
const pb = readFileSync(join(examples, "grpc", "payments.pb"));
const root = loadDescriptorSet(pb);
const charge = methodType(root, "/shop.v1.Payments/Charge", "request")!;

describe("loadDescriptorSet", () => {
  it("reads protoc's descriptor set: services, methods, their types", () => {
    expect(charge.fullName).toBe(".shop.v1.ChargeRequest");
    expect(methodType(root, "/shop.v1.Payments/Charge", "response")!.fullName).toBe(".shop.v1.ChargeReply");
  });

  it.each([
    ["the .proto source", readFileSync(join(examples, "grpc", "payments.proto")), /not a FileDescriptorSet/],
    ["an empty file", Buffer.alloc(0), /no file descriptors/],
    ["a JSON policy", Buffer.from('{"role":"mirror"}'), /not a FileDescriptorSet/],
  ])("refuses %s, saying how to write one", (_what, bytes, message) => {
    expect(() => loadDescriptorSet(bytes)).toThrow(DescriptorSetError);
    expect(() => loadDescriptorSet(bytes)).toThrow(message);
    expect(() => loadDescriptorSet(bytes)).toThrow(/protoc --include_imports --descriptor_set_out/);
  });

  it("refuses a set written without --include_imports whose types need an import", () => {
    const proto = join(dir, "stamped.proto");
    writeFileSync(proto, 'syntax = "proto3";\npackage t;\nimport "google/protobuf/timestamp.proto";\nmessage M { google.protobuf.Timestamp at = 1; }\n');
    const out = join(dir, "stamped.pb");
    execFileSync("protoc", [`--proto_path=${dir}`, `--descriptor_set_out=${out}`, proto]);
    expect(() => loadDescriptorSet(readFileSync(out))).toThrow(/--include_imports/);
    execFileSync("protoc", [`--proto_path=${dir}`, "--include_imports", `--descriptor_set_out=${out}`, proto]);
    expect(() => loadDescriptorSet(readFileSync(out))).not.toThrow();
  });
});

describe("gRPC framing and decoding", () => {
  const message = charge.encode(charge.fromObject({ order_id: "o1", amount_cents: 5, card: { number: "4111111111111111" } })).finish();

  it("splits messages; a cut or bad prefix is no framing", () => {
    const two = Buffer.concat([frame(message), frame(new Uint8Array(0))]);
    expect(splitFrames(two)!.map((f) => f.message.length)).toEqual([message.length, 0]);
    expect(splitFrames(two.subarray(0, two.length - 1))).toBeNull();
    expect(splitFrames(two.subarray(0, 3))).toBeNull();
    expect(splitFrames(Buffer.from([2, 0, 0, 0, 0]))).toBeNull();
    expect(splitFrames(new Uint8Array(0))).toEqual([]);
  });

  it("decodes each message by field name as in the .proto; int64 as a string; compressed ones are not decoded", () => {
    const compressed = frame(message);
    compressed[0] = 1;
    expect(decodeMessages(charge, Buffer.concat([frame(message), compressed]))).toEqual([
      { order_id: "o1", amount_cents: "5", card: { number: "4111111111111111" } },
      { undecoded: "compressed" },
    ]);
  });

  it("knows gRPC content types", () => {
    expect(["application/grpc", "application/grpc+proto", "Application/GRPC; charset=x"].map((v) => isGrpc([["content-type", v]]))).toEqual([true, true, true]);
    expect(["application/grpc-web", "application/json"].map((v) => isGrpc([["content-type", v]]))).toEqual([false, false]);
  });

  it("finds the policy's descriptor set inline or through env:NAME", () => {
    const b64 = pb.toString("base64");
    expect(Buffer.from(policyDescriptorSet(JSON.stringify({ redact: { grpc: { descriptor_set: b64 } } }), {})!)).toEqual(pb);
    const viaEnv = JSON.stringify({ redact: { grpc: { descriptor_set: "env:DS" } } });
    expect(Buffer.from(policyDescriptorSet(viaEnv, { DS: b64 })!)).toEqual(pb);
    expect(policyDescriptorSet(viaEnv, {})).toBeNull();
    expect(policyDescriptorSet(JSON.stringify({ redact: {} }), {})).toBeNull();
  });
});

describe("the gRPC example files", () => {
  it("examples/grpc/payments.pb is protoc's output for payments.proto", () => {
    const out = join(dir, "payments.pb");
    execFileSync("protoc", ["--include_imports", `--descriptor_set_out=${out}`, "payments.proto"], { cwd: join(examples, "grpc") });
    expect(readFileSync(out)).toEqual(pb);
  });

  it("examples/grpc-redact.json carries payments.pb", () => {
    const policy = JSON.parse(readFileSync(join(examples, "grpc-redact.json"), "utf8"));
    expect(policy.redact.grpc.descriptor_set).toBe(pb.toString("base64"));
  });

  it("examples/grpc/requests.json: a Charge call with a card, an email and a phone number, and a call to a method the descriptor lacks", () => {
    const [call, unknown] = JSON.parse(readFileSync(join(examples, "grpc", "requests.json"), "utf8"));
    expect(decodeMessages(charge, Buffer.from(call.bodyBase64, "base64"))).toEqual([
      {
        order_id: "ord_8f2k",
        amount_cents: "1250",
        currency: "EUR",
        card: { number: "4556737586899855", cvv: "123", holder: "Ann Lee" },
        email: "ann@example.com",
        notes: ["gift, call +1 415 555 0134"],
      },
    ]);
    expect(methodType(root, unknown.path, "request")).toBeNull();
    expect(splitFrames(Buffer.from(unknown.bodyBase64, "base64"))).toHaveLength(1);
  });
});
