// README's gRPC walk-through (section "gRPC services") shows what `preview` prints for
// examples/grpc-redact.json and examples/grpc/requests.json: the command as written,
// the message the client sends, the copy's decoded message, and the dropped call.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, FILTER_WASM } from "../../../harness/paths.js";
import { preview, checkRequest } from "../../../harness/preview.js";

const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## gRPC services"), readme.indexOf("## Counters"));

describe("README's gRPC example (examples/grpc-redact.json, examples/grpc/requests.json)", () => {
  it.each([1, 3, 7, 0])("shows the copy preview prints (chunks of %i bytes; 0: whole)", async (chunkSize) => {
    expect(section).toContain("npx mirrorshade preview --config examples/grpc-redact.json --request examples/grpc/requests.json --protocol h2");
    const requests = (JSON.parse(readFileSync(join(projectRoot, "examples", "grpc", "requests.json"), "utf8")) as unknown[]).map(checkRequest);
    const [charge, refund] = await preview({
      wasm: FILTER_WASM,
      policy: readFileSync(join(projectRoot, "examples", "grpc-redact.json"), "utf8"),
      requests,
      chunkSize: chunkSize || undefined,
      env: { MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" },
      protocol: "h2",
    });
    expect(charge.primary.decoded).toHaveLength(1);
    expect(section).toContain("`" + JSON.stringify(charge.primary.decoded![0]) + "`");
    const copy = charge.copies[0];
    expect(copy.decoded).toHaveLength(1);
    expect(section).toContain("```text\n   " + JSON.stringify(copy.decoded![0]) + "\n   ```");
    expect(copy.headers.map(([k]) => k)).not.toContain("authorization");
    expect(copy.headers).toContainEqual(["te", "trailers"]);
    expect(refund.copies[0].headers).toContainEqual(["x-mirrorshade-body-dropped", "unknown_grpc_method"]);
    expect(section).toContain("`x-mirrorshade-body-dropped: unknown_grpc_method`");
  });
});
