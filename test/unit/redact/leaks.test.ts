// The leak corpus (test/support/leak-corpus.ts) through `preview`, which runs the
// compiled filter in the emulator: per class, no planted secret reaches a copy
// and every keep-marker arrives byte for byte. Bodies go whole and in chunks of
// 1 to 7 bytes. The same corpus runs through real Envoy in test/e2e/leaks.test.ts.
import { describe, it, expect } from "vitest";
import { preview } from "../../../harness/preview.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FILTER_WASM, projectRoot } from "../../../harness/paths.js";
import { leakCorpus, tally, formatTally, previewRequestOf, receivedOf, STRICT_POLICY, KEEP_POLICY, type LeakCase, type ReceivedCopy } from "../../support/leak-corpus.js";

const corpus = leakCorpus();

async function runPreview(cases: LeakCase[], chunkSize: number): Promise<{ c: LeakCase; copy: ReceivedCopy | null }[]> {
  const out: { c: LeakCase; copy: ReceivedCopy | null }[] = [];
  for (const policy of ["strict", "keep"] as const) {
    const mine = cases.filter((c) => c.policy === policy && c.only !== "h2");
    const results = await preview({
      wasm: FILTER_WASM,
      policy: JSON.stringify(policy === "strict" ? STRICT_POLICY : KEEP_POLICY),
      requests: mine.map((c) => previewRequestOf(c)),
      chunkSize,
    });
    results.forEach((r, i) => {
      out.push({ c: mine[i], copy: r.copies[0] ? receivedOf(r.copies[0]) : null });
    });
  }
  return out;
}

describe("the leak corpus through preview", () => {
  it("is large and covers every class", () => {
    const classes = new Set(corpus.map((c) => c.cls));
    expect(classes.size).toBeGreaterThanOrEqual(14);
    expect(corpus.length).toBeGreaterThan(500);
  });

  it.each([0, 1, 3, 7])("no secret leaks and no marker changes (chunks of %i bytes; 0: whole)", async (chunk) => {
    const results = await runPreview(corpus, chunk);
    const t = tally(results);
    const bad = [...t.values()].filter((x) => x.leaked || x.altered);
    if (bad.length) console.log(formatTally(`preview, chunks of ${chunk || "whole"}`, t));
    expect(bad.flatMap((x) => x.examples)).toEqual([]);
  }, 300_000);
});

describe("README's allow-list example (examples/pci-keep.json)", () => {
  it("sends the copy README shows", async () => {
    const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
    const body = '{"order":{"id":"ord_8f2k","currency":"EUR","items":[{"sku":"SKU-1","qty":2,"note":"gift for Ann"}]},"payment":{"pan":"4556737586899855","holder":"Ann Lee","cvv":"123","exp":"09/28"}}';
    const [r] = await preview({
      wasm: FILTER_WASM,
      policy: readFileSync(join(projectRoot, "examples", "pci-keep.json"), "utf8"),
      requests: [{ method: "POST", path: "/checkout?page=1&auth=s3cr3t-tok", headers: { "content-type": "application/json" }, body }],
      chunkSize: 5,
    });
    const copy = r.copies[0];
    expect(readme).toContain("`" + body + "`");
    expect(readme).toContain("`" + copy.body + "`");
    expect(readme).toContain("`?page=1&auth=" + copy.path.split("auth=")[1] + "`");
  });
});
