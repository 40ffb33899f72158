// The one option reader every mirrorshade command uses.
import { describe, it, expect } from "vitest";
import { parseOptions, UsageError } from "../../../../harness/cli/args.js";

const spec = { values: ["input", "out"], switches: ["container"], repeated: ["input"] };

describe("parseOptions", () => {
  it("reads values, switches and repeated values", () => {
    const o = parseOptions(["--input", "a.log", "--container", "--out", "x", "--input", "b.log", "--out", "y"], spec);
    expect(o.all("input")).toEqual(["a.log", "b.log"]);
    expect(o.get("input")).toBe("b.log");
    expect(o.get("out")).toBe("y");
    expect(o.has("container")).toBe(true);
    expect(o.has("missing")).toBe(false);
    expect(o.get("missing")).toBeUndefined();
    expect(o.all("missing")).toEqual([]);
  });

  it.each([
    [["--contaner"], 'unknown argument "--contaner"'],
    [["input", "a.log"], 'unknown argument "input"'],
    [["--out"], "--out needs a value"],
    [["--input", "--container"], "--input needs a value"],
    [["--container", "yes"], 'unknown argument "yes"'],
  ])("%j is refused: %s", (args, message) => {
    expect(() => parseOptions(args, spec)).toThrow(UsageError);
    expect(() => parseOptions(args, spec)).toThrow(message);
  });
});
