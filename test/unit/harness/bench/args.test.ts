// The bench's options: a typo or an unknown scenario is refused with its name
// before anything starts (a full run takes 20 minutes).
import { describe, it, expect } from "vitest";
import { parseBenchArgs } from "../../../../harness/bench/command.js";
import { SCENARIOS, GRPC_SCENARIOS } from "../../../../harness/bench/scenarios.js";

describe("mirrorshade bench options", () => {
  it.each([
    [["--scenario", "mirrorshade"], 'unknown argument "--scenario"'],
    [["--help-me"], 'unknown argument "--help-me"'],
    [["--rounds"], "--rounds needs a value"],
    [["--json", "--quick"], "--json needs a value"],
    [["--rounds", "0"], '--rounds must be a positive number, not "0"'],
    [["--retakes", "-1"], '--retakes must be a number ≥ 0, not "-1"'],
    [["--seconds", "fast"], '--seconds must be a positive number, not "fast"'],
    [["--soak", "-1"], '--soak must be a number ≥ 0, not "-1"'],
    [["--scenarios", "mirrorshade,mirrorshad"], 'unknown scenario "mirrorshad" in --scenarios'],
    [["--loads", "saturation h3"], '--loads "saturation h3" matches no load'],
    [["--wasm", "/nonexistent/filter.wasm"], "--wasm /nonexistent/filter.wasm: no such file"],
  ])("%j is refused: %s", (args, message) => {
    expect(() => parseBenchArgs(args)).toThrow(message);
  });

  it("knows the gRPC family: --grpc, its scenarios and its loads", () => {
    const o = parseBenchArgs(["--grpc", "--scenarios", GRPC_SCENARIOS.join(","), "--loads", "grpc"]);
    expect(o.has("grpc")).toBe(true);
    expect(o.get("scenarios")?.split(",")).toEqual([...GRPC_SCENARIOS]);
    expect(() => parseBenchArgs(["--scenarios", "grpc_mirrorshad"])).toThrow('unknown scenario "grpc_mirrorshad"');
  });

  it("accepts every documented option", () => {
    const o = parseBenchArgs(["--quick", "--container", "--no-faults", "--rounds", "2", "--seconds", "1.5", "--soak", "0", "--scenarios", SCENARIOS.join(","), "--loads", "saturation", "--json", "q.json", "--out", "dir"]);
    expect(o.get("rounds")).toBe("2");
    expect(o.get("scenarios")?.split(",")).toEqual([...SCENARIOS]);
    expect(o.has("quick")).toBe(true);
  });
});
