// The tree's shape stays readable: no import cycles among the filter's and the
// harness's modules, and no source file much over 500 lines.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync, statSync, existsSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve, relative } from "node:path";
import { projectRoot } from "../../harness/paths.js";

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Relative imports of a file, resolved to files ("./x", "./x.js" and "./x/index" forms). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g)) {
    const base = resolve(dirname(file), m[1].replace(/\.js$/, ""));
    const target = [`${base}.ts`, join(base, "index.ts")].find((c) => existsSync(c));
    if (target) out.push(target);
  }
  return out;
}

function findCycle(files: string[]): string[] | null {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    state.set(f, 1);
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 1) return [...stack.slice(stack.indexOf(g)), g];
      if (!state.has(g)) {
        const c = visit(g);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(f, 2);
    return null;
  };
  for (const f of files) {
    if (state.has(f)) continue;
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

const TREES = ["filter", "harness"];

describe("layout", () => {
  it.each(TREES)("%s/ has no import cycle", (tree) => {
    const files = sources(join(projectRoot, tree));
    expect(files.length).toBeGreaterThan(10);
    const cycle = findCycle(files);
    expect(cycle?.map((f) => relative(projectRoot, f)).join(" -> ") ?? null).toBeNull();
  });

  it("the cycle check finds a cycle when there is one", () => {
    const dir = mkdtempSync(join(tmpdir(), "layout-"));
    try {
      writeFileSync(join(dir, "a.ts"), 'import { b } from "./b";\nexport const a = 1;\n');
      writeFileSync(join(dir, "b.ts"), 'import { c } from "./c.js";\nexport const b = 2;\n');
      writeFileSync(join(dir, "c.ts"), 'export { a } from "./a";\n');
      const files = ["a.ts", "b.ts", "c.ts"].map((f) => join(dir, f));
      expect(findCycle(files)?.map((f) => f.slice(dir.length + 1))).toEqual(["a.ts", "b.ts", "c.ts", "a.ts"]);
      writeFileSync(join(dir, "c.ts"), "export const c = 3;\n");
      expect(findCycle(files)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(TREES)("no source file in %s/ is over 550 lines", (tree) => {
    const long = sources(join(projectRoot, tree))
      .map((f) => [relative(projectRoot, f), readFileSync(f, "utf8").split("\n").length] as const)
      .filter(([, n]) => n > 550);
    expect(long).toEqual([]);
  });
});
