// The mirrorshade command line as a user meets it: the real bin (node bin/mirrorshade.mjs)
// run as a child process. Every command has help (exit 0) naming its options, --version
// prints package.json's version, a usage mistake exits 2 naming the option or argument,
// a failure exits 1 naming the field; README's reference is the program's own.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { projectRoot } from "../../../../harness/paths.js";
import { program } from "../../../../harness/cli/main.js";
import { cliReference, referenceIn } from "../../../../harness/cli/reference.js";

const BIN = join(projectRoot, "bin", "mirrorshade.mjs");
const run = (...args: string[]) => {
  const r = spawnSync("node", [BIN, ...args], { cwd: projectRoot, encoding: "utf8", env: { ...process.env, MIRRORSHADE_HASH_KEY: "0123456789abcdef0123456789abcdef" }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const dir = mkdtempSync(join(tmpdir(), "mirrorshade-cli-"));

/** Every command and the options it had before commander (kept, with their meaning). */
const COMMANDS: [string, string[]][] = [
  ["validate", ["<policy.json>"]],
  ["preview", ["--config", "--request", "--chunk-size", "--protocol"]],
  ["render", ["--target", "--policy", "--out", "--namespace", "--service", "--shadow-service", "--port", "--url", "--sha256", "--wasm-path", "--descriptor-set", "--grpc"]],
  ["report", ["--input", "--out"]],
  ["package", []],
  [
    "bench",
    [
      ...["--quick", "--json", "--container", "--rounds", "--seconds", "--soak", "--retakes", "--no-faults", "--wasm", "--grpc", "--scenarios", "--loads", "--out", "--worker"],
      // bench --worker's
      ...["--configs", "--before-wasm", "--before-commit", "--commit", "--uploads", "--upload-every", "--body-bytes", "--bystander-every", "--slice-us", "--redaction-bytes-per-second"],
    ],
  ],
  ["bench-redact", ["--quick", "--rounds", "--json", "--wasm"]],
  ["schema", []],
  ["demo", ["--container", "--out"]],
  ["capture-sink", ["--out", "--listen"]],
  ["replay", ["--har", "--target", "--rate", "--speed", "--loop", "--only-failed"]],
];

describe("mirrorshade --help, <command> --help, --version", () => {
  it("--help lists every command, on stdout, exit 0; no command at all is a usage mistake (help on stderr, exit 2)", () => {
    const r = run("--help");
    expect(r.code).toBe(0);
    for (const [name] of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${name}\\b`, "m"));
    const none = run();
    expect(none.code).toBe(2);
    expect(none.out).toBe("");
    expect(none.err).toContain("Usage: mirrorshade <command> [options]");
  });

  it("the program registers exactly the commands of this table (a new command gets its row)", async () => {
    const names = (await program()).commands.map((c) => c.name()).filter((n) => n !== "help");
    expect(names.sort()).toEqual(COMMANDS.map(([n]) => n).sort());
  });

  it.each(COMMANDS)("%s --help: exit 0, its usage and every option it has", (name, options) => {
    const r = run(name, "--help");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: mirrorshade ${name}`);
    for (const o of options) expect(r.out, o).toContain(o.startsWith("<") ? o.slice(1, -1) : o);
  });

  it("help <command> prints the command's help", () => {
    expect(run("help", "render").out).toBe(run("render", "--help").out);
  });

  it("bench --worker --help is bench's help, which has the worker's options", () => {
    const r = run("bench", "--worker", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Options of bench --worker:");
    expect(r.out).toContain("--before-commit <rev>");
  });

  it.each([["--version"], ["-V"]])("%s prints package.json's version, exit 0", (flag) => {
    const r = run(flag);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")).version);
  });
});

describe("usage mistakes exit 2 and name what is wrong; nothing runs", () => {
  const policy = "examples/mirror.json";
  it.each([
    // unknown option, per command
    ...COMMANDS.map(([name]) => [[name, ...(name === "validate" ? [policy] : []), "--bogus"], "unknown option '--bogus'"] as [string[], string]),
    [["frob"], "unknown command 'frob'"],
    [["help", "frob"], "unknown command 'frob'"],
    // a missing argument or required option
    [["validate"], "missing required argument 'policy.json'"],
    [["preview", "--request", "examples/requests.json"], "required option '--config <policy.json>' not specified"],
    [["render", "--policy", policy], "required option '--target <target>' not specified"],
    [["report"], "required option '--input <file>' not specified"],
    [["bench", "--rounds"], "option '--rounds <n>' argument missing"],
    [["bench", "--out", "--quick"], "option '--out <dir>' argument '--quick' is invalid"],
    [["validate", "a.json", "b.json"], "too many arguments for 'validate'"],
    // a bad value
    [["bench", "--rounds", "abc"], "option '--rounds <n>' argument 'abc' is invalid"],
    [["bench", "--seconds", "0"], "option '--seconds <s>' argument '0' is invalid. must be a positive number"],
    [["bench", "--scenarios", "mirrorshad"], 'unknown scenario "mirrorshad" in --scenarios'],
    [["bench", "--worker", "--seconds", "3"], "--seconds: not an option of bench --worker"],
    [["bench", "--uploads", "3"], "--uploads: only with --worker"],
    [["bench", "--worker", "--configs", "floor,bogus"], 'unknown configuration "bogus" in --configs'],
    [["bench-redact", "--wasm", "nope.wasm"], "option '--wasm <file>' argument 'nope.wasm' is invalid. no such file"],
    [["preview", "--config", policy, "--request", "examples/requests.json", "--protocol", "h3"], "option '--protocol <protocol>' argument 'h3' is invalid"],
    [["render", "--target", "k8s", "--policy", policy], "option '--target <target>' argument 'k8s' is invalid. Allowed choices are envoy, istio"],
    [["render", "--target", "envoy", "--policy", policy, "--port", "70000"], "option '--port <port>' argument '70000' is invalid"],
    [["report", "--input", "nope.log"], "option '--input <file>' argument 'nope.log' is invalid. no such file"],
    [["validate", "nope.json"], "nope.json: no such file"],
  ])("%j: %s", (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    const [first, ...rest] = r.err.trim().split("\n");
    expect(first).toContain(message);
    expect(first.startsWith(`mirrorshade${args.includes("frob") ? "" : ` ${args[0]}`}: `)).toBe(true);
    expect(rest.at(-1)).toMatch(/--help lists the (options|commands)\)$/);
  });
});

describe("failures exit 1 and name the cause", () => {
  it("validate on an invalid policy: the field, one line", () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ role: "mirror", shadow: { cluster: "s", timeout_ms: 0 } }));
    const r = run("validate", file);
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toEqual([`${file}: invalid configuration: shadow.timeout_ms: must be a whole number from 1 to 600000, got 0`]);
  });

  it("render of an invalid policy: the field", () => {
    const file = join(dir, "bad-render.json");
    writeFileSync(file, JSON.stringify({ role: "mirror", shadow: { cluster: "s", timeout_ms: 0 } }));
    const r = run("render", "--target", "envoy", "--policy", file);
    expect(r.code).toBe(1);
    expect(r.err).toContain("shadow.timeout_ms");
    expect(r.out).toBe("");
  });

  it("render with the defaults of harness/render.ts, shown in its help", () => {
    expect(run("render", "--help").out).toMatch(/--namespace <ns>\s+Istio: the workload's namespace \(default: "default"\)/);
    const r = run("render", "--target", "istio", "--policy", "examples/mirror.json");
    expect(r.code).toBe(0);
    expect(r.out).toContain("namespace: default");
  });
});

describe("the structure other commands build on", () => {
  it("README's command-line reference is the program's own (node scripts/gen-cli-readme.mjs writes it)", async () => {
    expect(referenceIn(readFileSync(join(projectRoot, "README.md"), "utf8"))).toBe(await cliReference());
  });

  it("a command module imports nothing heavy at its top (its work is imported in its action), so that --help stays fast", () => {
    const light = /^(commander|node:[a-z:/]+|\.\/command\.js|\.\/args\.js|\.\.\/bench\/options\.js)$/;
    const cli = join(projectRoot, "harness", "cli");
    const modules = readdirSync(cli).filter((f) => f.endsWith(".ts") && /\bexport function register\(/.test(readFileSync(join(cli, f), "utf8")));
    expect(modules.length).toBeGreaterThanOrEqual(COMMANDS.length);
    for (const f of [...modules, "command.ts", "main.ts", join("..", "bench", "options.ts")]) {
      const text = readFileSync(join(cli, f), "utf8");
      const heavy = [...text.matchAll(/^import\s(?!type\s)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]).filter((s) => !light.test(s) && s !== "../cli/command.js" && s !== "./worker-types.js");
      expect(heavy, f).toEqual([]);
    }
  });
});
