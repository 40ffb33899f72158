// The build's diagnostic filter (scripts/asc-output.mjs, used by scripts/build.mjs):
// json-as's own warnings are counted and not printed; ours and every error are
// printed, whatever the chunking of asc's output; and a real asc run's warning in
// our own code comes through.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiagnosticFilter, isDependencyWarning } from "../../../scripts/asc-output.mjs";
import { projectRoot } from "../../../harness/paths.js";

const diag = (head: string, file: string, line = 28) =>
  `${head}\n    :\n ${line} │ bs.proposeSize(srcSize + 4);\n    │                ~~~~~~~~~~~\n    └─ in ${file}(${line},18)\n\n`;
const AS201 = "WARNING AS201: Conversion from type 'usize' to 'u32' will require an explicit cast when switching between 32/64-bit.";
const AS210 = "INFO AS210: Expression is never 'null'.";
const ERR = "ERROR TS2304: Cannot find name 'x'.";

describe("which diagnostics are the dependency's", () => {
  it.each([
    ["a json-as warning", diag(AS201, "~lib/json-as/assembly/serialize/naive/string.ts"), true],
    ["a json-as info", diag(AS210, "~lib/json-as/assembly/index.ts"), true],
    ["json-as from node_modules", diag(AS201, "node_modules/json-as/assembly/index.ts"), true],
    ["our warning", diag(AS201, "filter/json/scan.ts"), false],
    ["our info", diag(AS210, "filter/roles/mirror.ts"), false],
    ["a warning in the bench's probes", diag(AS201, "bench/probes/noop.ts"), false],
    ["an error in json-as", diag(ERR, "~lib/json-as/assembly/index.ts"), false],
    ["a json-as warning related to our code", diag(AS201, "~lib/json-as/assembly/index.ts").replace(/\n\n$/, "\n") + "    └─ in filter/policy/compile.ts(12,3)\n\n", false],
    ["another library's warning", diag(AS201, "~lib/@solo-io/proxy-runtime/assembly/runtime.ts"), false],
    ["colored output", `\x1b[33mWARNING\x1b[0m AS201: x\n    └─ in ~lib/json-as/assembly/index.ts(1,1)\n\n`, true],
  ])("%s", (_name, block, hidden) => {
    expect(isDependencyWarning(block)).toBe(hidden);
  });
});

describe("the stream filter", () => {
  const output = [
    diag(AS210, "filter/roles/mirror.ts", 95),
    diag(AS201, "~lib/json-as/assembly/serialize/index/arbitrary.ts", 59),
    diag(AS201, "filter/json/scan.ts", 12),
    diag(AS201, "~lib/json-as/assembly/serialize/index/object.ts", 19),
    diag(ERR, "~lib/json-as/assembly/index.ts", 3),
  ].join("");

  it.each([1, 2, 3, 5, 7, 64, output.length])("chunks of %i characters: ours and the error printed, json-as's warnings counted", (size) => {
    const printed: string[] = [];
    const f = new DiagnosticFilter((t: string) => printed.push(t));
    for (let i = 0; i < output.length; i += size) f.write(output.slice(i, i + size));
    f.end();
    const text = printed.join("");
    expect(text).toContain("filter/roles/mirror.ts(95,18)");
    expect(text).toContain("filter/json/scan.ts(12,18)");
    expect(text).toContain(ERR);
    expect(text).not.toContain("serialize/index");
    expect(f.hidden).toBe(2);
  });

  it("a diagnostic the second target repeats is printed once; errors every time", () => {
    const printed: string[] = [];
    const f = new DiagnosticFilter((t: string) => printed.push(t));
    const ours = diag(AS201, "filter/json/scan.ts");
    const err = diag(ERR, "filter/json/scan.ts");
    for (const target of [0, 1]) f.write(ours + err + `(target ${target})`);
    f.end();
    expect(printed.filter((t) => t === ours)).toHaveLength(1);
    expect(printed.filter((t) => t === err)).toHaveLength(2);
  });

  it("verbose prints everything", () => {
    const printed: string[] = [];
    const f = new DiagnosticFilter((t: string) => printed.push(t), { verbose: true });
    f.write(output);
    f.end();
    expect(printed.join("")).toBe(output);
    expect(f.hidden).toBe(0);
  });

  it("a warning from a real asc run on our own code comes through", () => {
    const dir = mkdtempSync(join(tmpdir(), "mirrorshade-asc-"));
    try {
      writeFileSync(join(dir, "ours.ts"), "export function narrow(x: usize): u32 { return x; }\n");
      const r = spawnSync(join(projectRoot, "node_modules", ".bin", "asc"), ["ours.ts", "-o", "ours.wasm"], { cwd: dir, encoding: "utf8", timeout: 120_000 });
      expect(r.status).toBe(0);
      const printed: string[] = [];
      const f = new DiagnosticFilter((t: string) => printed.push(t));
      f.write(r.stderr);
      f.end();
      // asc colours its output under CI (ANSI escapes around WARNING and the marker).
      expect(printed.join("").replace(/\x1b\[[0-9;]*m/g, "")).toMatch(/WARNING AS201[^]*in ours\.ts\(1,\d+\)/);
      expect(f.hidden).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
