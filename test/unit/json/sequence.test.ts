// JSON sequences (NDJSON, JSON Lines, RFC 7464) and slicing of #13's new scanner
// states (member names, keep masks), through a wasm fixture of json/scanner.ts.
import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../../harness/paths.js";

let x: any;
let memory: WebAssembly.Memory;

beforeAll(() => {
  const out = join(projectRoot, "build", "fixtures", "json-sequence.wasm");
  mkdirSync(join(projectRoot, "build", "fixtures"), { recursive: true });
  execFileSync(join(projectRoot, "node_modules", ".bin", "asc"), [
    "test/fixtures/json-sequence.ts", "-o", out, "--config", "test/fixtures/asconfig.json", "--runtime", "incremental", "--debug",
  ], { cwd: projectRoot, stdio: "pipe" });
  const module = new WebAssembly.Module(readFileSync(out));
  const env: Record<string, (...a: number[]) => unknown> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.name === "abort") env.abort = () => { throw new Error("abort"); };
    else if (imp.name === "seed") env.seed = () => 42;
    else env[imp.name] = () => { throw new Error(`unexpected call to env.${imp.name}`); };
  }
  x = new WebAssembly.Instance(module, { env }).exports;
  memory = x.memory;
});

function scan(body: string, opts: { sequence?: boolean; keep?: boolean; hash?: boolean; budget?: number } = {}) {
  const b = Buffer.from(body);
  const p = x.alloc(b.length);
  new Uint8Array(memory.buffer).set(b, p);
  try {
    const status = x.run(p, b.length, opts.sequence ? 1 : 0, opts.keep ? 1 : 0, opts.hash ? 1 : 0, opts.budget ?? 0);
    expect(status).not.toBe(-1);
    return { status, text: Buffer.from(new Uint8Array(memory.buffer, x.outPtr(), x.outLen())).toString() };
  } finally {
    x.free(p);
  }
}

/** The copy in one go, and the same in slices of 1..7 bytes. */
function sliced(body: string, opts: { sequence?: boolean; keep?: boolean; hash?: boolean } = {}) {
  const whole = scan(body, opts);
  for (let budget = 1; budget <= 7; budget++) expect(scan(body, { ...opts, budget }), `budget ${budget}`).toEqual(whole);
  return whole;
}

describe("JSON sequences", () => {
  it.each([
    ["NDJSON", '{"m":"a","e":"bob@ex.io"}\n{"m":"bb"}\n[1]\n"x"\n'],
    ["CRLF lines and blank lines", '{"m":"a"}\r\n\r\n{"m":"b"}'],
    ["RFC 7464 record separators", '\u001e{"m":"a"}\n\u001e{"e":"a@ex.io"}\n'],
    ["texts that span lines", '{\n "m": "a"\n}\n{"m":\n"b"}'],
    ["scalars", '1 2 true "s" null'],
  ])("%s: each text is a document of its own", (_n, body) => {
    const r = sliced(body, { sequence: true });
    expect(r.status).toBe(0);
    expect(r.text).not.toContain("bob@ex.io");
    expect(r.text).not.toContain("a@ex.io");
    // Every text parses, and the rule applied at each root.
    const texts = r.text.split(/[\n\u001e]/).join("\n");
    for (const m of texts.matchAll(/"m":\s*"([^"]*)"/g)) expect(m[1]).toMatch(/^\*+$/);
  });

  it("an empty sequence is valid and unchanged", () => {
    expect(scan(" \n", { sequence: true })).toEqual({ status: 0, text: " \n" });
  });

  it.each([
    ['{"a":1}\n{"b":', "unexpected end of input"],
    ['{"a":1}\n{"b" 2}\n', "expected ':'"],
    ['{"a":1}\n]\n', "unexpected character ']'"],
    ['{"a":\u001e1}', "unexpected byte 0x1E"],
  ])("an invalid text makes the body invalid: %j", (body, error) => {
    const r = scan(body, { sequence: true });
    expect(r.status).toBe(1);
    expect(r.text).toContain(error);
  });

  it("without the flag a second text is an error", () => {
    expect(scan('{"a":1}\n{"b":2}').status).toBe(1);
  });

  it("keep paths start over at each text's root", () => {
    const r = sliced('{"k":"kept","x":"gone"}\n{"k":"kept2","x":"gone"}', { sequence: true, keep: true });
    expect(r.text).toContain('"k":"kept"');
    expect(r.text).toContain('"k":"kept2"');
    expect(r.text).not.toContain("gone");
  });
});

describe("slices give the copy one go gives", () => {
  it.each([
    ["hits in long names", '{"' + "pad ".repeat(20) + 'zq.alice77@mailhost.io":{"4111111111111111":1},"ok":2}'],
    ["names with escapes and hits", '{"a\\u0040b.io \\/ c@d.io":"v \\u00eb 4111\\u00201111 1111 1111"}'],
    ["a member's name scanned when a rule masks its value", '{"m@ex.io":"x","m":"y"}'],
    ["numbers by value", "[4111111111111111e0, 4.111111111111111e15, 41111111111111110E-1, 1e999999]"],
  ])("%s", (_n, body) => {
    const r = sliced(body);
    expect(r.status).toBe(0);
    expect(() => JSON.parse(r.text)).not.toThrow();
    expect(r.text).not.toContain("alice77");
    expect(r.text).not.toContain("4111111111111111");
  });

  it("the allow-list mode", () => {
    const r = sliced('{"k":{"a":"kept","n":[1,2]},"x":"gone","y":[12.5,"z",true],"m":"r"}', { keep: true });
    expect(r.text.startsWith('{"k":{"a":"kept","n":[1,2]},')).toBe(true);
    expect(r.text).not.toContain("gone");
    expect(r.text).toContain("true");
    expect(JSON.parse(r.text).m).toBe("*");
    expect(x.keepMasked()).toBeGreaterThan(0);
  });

  it("a member is matched once however its name's scan is cut", () => {
    const long = "n".repeat(24);
    const body = `{"m":"x","${long}":"y","${long}":[1],"m":"z"}`;
    const once = scan(body);
    const ruled = x.masked();
    for (let budget = 1; budget <= 7; budget++) {
      expect(scan(body, { budget })).toEqual(once);
      expect(x.masked(), `budget ${budget}`).toBe(ruled);
    }
  });

  it("hash mode", () => {
    const r = sliced('{"id a@ex.io":"to b\\u0040ex.io"}', { hash: true });
    expect(r.text).toMatch(/^\{"id hmac:[0-9a-f]{32}":"to hmac:[0-9a-f]{32}"\}$/);
  });
});
