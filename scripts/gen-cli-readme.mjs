// Writes README's command-line reference (between its cli:begin and cli:end markers)
// from the commander program in harness/cli (harness/cli/reference.ts); run it after
// adding or changing a command. test/unit/harness/cli/main.test.ts fails while README differs.
//
//   node scripts/gen-cli-readme.mjs           rewrites the block in README.md
//   node scripts/gen-cli-readme.mjs --print   prints the block
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register();
const { cliReference, withReference } = await import("../harness/cli/reference.ts");
const block = await cliReference();
if (process.argv.includes("--print")) {
  process.stdout.write(block + "\n");
} else {
  const file = join(dirname(fileURLToPath(import.meta.url)), "..", "README.md");
  writeFileSync(file, withReference(readFileSync(file, "utf8"), block));
  console.log(`${file}: command-line reference written`);
}
