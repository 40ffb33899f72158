// The bench's options: a typo or an unknown scenario is refused with its name
// before anything starts (a full run takes 20 minutes).
import { describe, it, expect } from "vitest";
import { parseBenchArgs, parseWorkerArgs } from "../../../../harness/bench/command.js";
import { SCENARIOS, GRPC_SCENARIOS } from "../../../../harness/bench/scenarios.js";
import { FILTER_WASM } from "../../../../harness/paths.js";

describe("mirrorshade bench options", () => {
  it.each([
    [["--scenario", "mirrorshade"], "unknown option '--scenario'"],
    [["--help-me"], "unknown option '--help-me'"],
    [["--rounds"], "option '--rounds <n>' argument missing"],
    [["--json", "--quick"], "option '--json <file>' argument '--quick' is invalid. it needs a value"],
    [["--rounds", "0"], "option '--rounds <n>' argument '0' is invalid. must be a whole number ≥ 1"],
    [["--rounds", "abc"], "option '--rounds <n>' argument 'abc' is invalid"],
    [["--retakes", "-1"], "option '--retakes <n>' argument '-1' is invalid. must be a whole number ≥ 0"],
    [["--seconds", "fast"], "option '--seconds <s>' argument 'fast' is invalid. must be a positive number"],
    [["--soak", "-1"], "option '--soak <n>' argument '-1' is invalid"],
    [["--scenarios", "mirrorshade,mirrorshad"], 'unknown scenario "mirrorshad" in --scenarios'],
    [["--loads", "saturation h3"], '--loads "saturation h3" matches no load'],
    [["--wasm", "/nonexistent/filter.wasm"], "option '--wasm <file>' argument '/nonexistent/filter.wasm' is invalid. no such file"],
    [["--uploads", "3"], "--uploads: only with --worker"],
    [["--scenarios", "mirrorshade,before_mirrorshade"], "before_mirrorshade: needs --before-wasm FILE"],
    [["--before-wasm", "/nonexistent/before.wasm"], "option '--before-wasm <file>' argument '/nonexistent/before.wasm' is invalid. no such file"],
    [["extra"], "too many arguments"],
  ])("%j is refused: %s", (args, message) => {
    expect(() => parseBenchArgs(args)).toThrow(message);
  });

  it.each([
    [["--seconds", "3", "--no-faults"], "--seconds, --no-faults: not an option of bench --worker"],
    [["--rounds", "21"], "--worker: must be a whole number from 1 to 20"],
    [["--retakes", "11"], "--worker: must be a whole number from 0 to 10"],
    [["--upload-every", "-1"], "option '--upload-every <ms>' argument '-1' is invalid"],
  ])("bench --worker %j is refused: %s", (args, message) => {
    expect(() => parseWorkerArgs(args)).toThrow(message);
  });

  it("knows the gRPC family: --grpc, its scenarios and its loads", () => {
    const o = parseBenchArgs(["--grpc", "--scenarios", GRPC_SCENARIOS.join(","), "--loads", "grpc"]);
    expect(o.grpc).toBe(true);
    expect(o.scenarios?.split(",")).toEqual([...GRPC_SCENARIOS]);
    expect(() => parseBenchArgs(["--scenarios", "grpc_mirrorshad"])).toThrow('unknown scenario "grpc_mirrorshad"');
  });

  it("accepts every documented option", () => {
    const o = parseBenchArgs(["--quick", "--container", "--no-faults", "--rounds", "2", "--seconds", "1.5", "--soak", "0", "--retakes", "1", "--scenarios", SCENARIOS.join(","), "--loads", "saturation", "--json", "q.json", "--out", "dir", "--before-wasm", FILTER_WASM]);
    expect(o).toMatchObject({ quick: true, container: true, faults: false, rounds: 2, seconds: 1.5, soak: 0, retakes: 1, loads: "saturation", json: "q.json", out: "dir", beforeWasm: FILTER_WASM });
    expect(o.scenarios?.split(",")).toEqual([...SCENARIOS]);
    expect(parseBenchArgs([]).faults).toBe(true);
  });

  it("bench --worker: the defaults, and --quick's", () => {
    expect(parseWorkerArgs([])).toMatchObject({ rounds: 5, uploads: 30, uploadEveryMs: 250, bodyBytes: 900_000, bystanderEveryMs: 5, retakes: 1, limits: {} });
    expect(parseWorkerArgs(["--quick"])).toMatchObject({ rounds: 1, uploads: 5 });
    expect(parseWorkerArgs(["--slice-us", "100", "--redaction-bytes-per-second", "2048"]).limits).toEqual({ redaction_slice_us: 100, redaction_bytes_per_second: 2048 });
  });
});
