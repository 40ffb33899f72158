#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the harness needs no separate compile step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../harness/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
