// The checked-in descriptor sets are what scripts/gen-descriptors.sh makes from
// their .proto today: regenerated into a temp dir with protoc and compared byte
// for byte. Skipped, saying why, only on a machine without protoc (.ci/run installs it).
import { describe, it, expect } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { projectRoot } from "../../../harness/paths.js";

const hasProtoc = spawnSync("protoc", ["--version"]).status === 0;
const CHECKED_IN = join(projectRoot, "test", "grpc");

describe("descriptor sets", () => {
  it.skipIf(!hasProtoc)("scripts/gen-descriptors.sh regenerates every checked-in .pb byte for byte (skipped: protoc not installed)", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-desc-"));
    try {
      const script = join(projectRoot, "scripts", "gen-descriptors.sh");
      // Each `set_of OUT DIR FILE...` line of the script names a checked-in set.
      const sets = [...readFileSync(script, "utf8").matchAll(/^set_of (\S+) /gm)].map((m) => m[1]);
      expect(sets).toContain("test/grpc/payments.pb");
      execFileSync(script, [dir]);
      expect(readdirSync(dir).sort()).toEqual(sets.map((s) => basename(s)).sort());
      for (const s of sets) {
        const fresh = readFileSync(join(dir, basename(s)));
        expect(fresh.equals(readFileSync(join(projectRoot, s))), `${s} is stale: run scripts/gen-descriptors.sh`).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("payments.pb describes the Payments service with its three call shapes", () => {
    const set = descriptor.FileDescriptorSet.decode(readFileSync(join(CHECKED_IN, "payments.pb")));
    const root = (protobuf.Root as unknown as { fromDescriptor(s: unknown): protobuf.Root }).fromDescriptor(set);
    const svc = root.lookupService("shop.payments.v1.Payments");
    const shape = (m: protobuf.Method) => `${m.name}:${m.requestStream ? "stream " : ""}${m.requestType}->${m.responseStream ? "stream " : ""}${m.responseType}`;
    expect(svc.methodsArray.map(shape)).toEqual([
      "Charge:.shop.payments.v1.ChargeRequest->.shop.payments.v1.ChargeResponse",
      "Upload:stream .shop.payments.v1.UploadChunk->.shop.payments.v1.UploadResponse",
      "Watch:.shop.payments.v1.WatchRequest->stream .shop.payments.v1.PaymentEvent",
    ]);
  });
});
