// `mirrorshade validate` on gRPC policies: the filter's own configure step refuses a
// descriptor set that does not parse and a rule whose first field no method's input
// type has, naming the field or the path; the CLI prints that one line.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { writeFileSync, readFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot } from "../../../../harness/paths.js";

const dir = mkdtempSync(join(tmpdir(), "mirrorshade-validate-grpc-"));
const descriptorSet = readFileSync(join(projectRoot, "examples", "grpc", "payments.pb")).toString("base64");
const KEY = { MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" };

function validate(policy: object, env: Record<string, string> = {}) {
  const file = join(dir, `p-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(policy));
  try {
    const out = execFileSync("node", [join(projectRoot, "bin", "mirrorshade.mjs"), "validate", file], { cwd: projectRoot, env: { ...process.env, ...KEY, ...env }, stdio: "pipe" });
    return { code: 0, out: out.toString(), err: "" };
  } catch (e) {
    const x = e as { status: number; stdout: Buffer; stderr: Buffer };
    return { code: x.status, out: x.stdout.toString(), err: x.stderr.toString() };
  }
}

const policy = (grpc: object, json: object = { mask: ["$.card.number"] }) => ({ role: "mirror", shadow: { cluster: "shadow" }, redact: { grpc, json, hash_key: "env:MIRRORSHADE_HASH_KEY" } });

describe("mirrorshade validate: redact.grpc", () => {
  it("accepts examples/grpc-redact.json, and the same descriptor set through env:NAME", () => {
    expect(validate(JSON.parse(readFileSync(join(projectRoot, "examples", "grpc-redact.json"), "utf8"))).code).toBe(0);
    const r = validate(policy({ descriptor_set: "env:MIRRORSHADE_DESCRIPTOR_SET" }), { MIRRORSHADE_DESCRIPTOR_SET: descriptorSet });
    expect(r.err).toBe("");
    expect(r.out).toContain(": valid");
  });

  it.each([
    ["base64 of text that is no descriptor set", Buffer.from("this is not a FileDescriptorSet").toString("base64")],
    ["the .proto source", readFileSync(join(projectRoot, "examples", "grpc", "payments.proto")).toString("base64")],
    ["not base64", "%%%"],
  ])("refuses a descriptor set that does not parse (%s), naming redact.grpc.descriptor_set", (_what, value) => {
    const r = validate(policy({ descriptor_set: value }));
    expect(r.code).toBe(1);
    expect(r.err).toContain("redact.grpc.descriptor_set");
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  it.each([["$.crad.number"], ["$.nope"]])("refuses a rule path whose first field is in no method's input type (%s), naming the path", (path) => {
    const r = validate(policy({ descriptor_set: descriptorSet }, { mask: [path] }));
    expect(r.code).toBe(1);
    expect(r.err).toContain(path);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    // The same rule on a field the input type has is accepted.
    expect(validate(policy({ descriptor_set: descriptorSet }, { mask: ["$.card.number", "$..cvv"] })).code).toBe(0);
  });
});
