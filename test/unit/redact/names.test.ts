// Query and form parameter names the way frameworks bind them (#13): case and
// Unicode folding, bracket and dot paths, ';' as a separator, PHP's '_' for ' '
// and '.', percent-encoded names; JSON member names by folding; and the original
// encoding of every byte a finding does not cover. Through the compiled filter
// in the emulator, query strings and form bodies in chunks down to one byte.
import { describe, it, expect, beforeAll } from "vitest";
import { loadFilter, send as sendOnce, header, text, type TestRequest } from "../../support/filter.js";
import type { ProxyWasmHost } from "../../../harness/emulator/index.js";

/** One request, its copy answered (so max_inflight never fills over a long table). */
function send(h: ProxyWasmHost, req: TestRequest) {
  const x = sendOnce(h, req);
  if (x.call) h.respondToCall(x.call.token, { headers: [[":status", "200"]] });
  return x;
}

const POLICY = {
  role: "mirror",
  shadow: { cluster: "shadow" },
  redact: {
    query: { mask: ["password", "token", "secret_key", "user.ssn"], drop: ["session"] },
    json: { mask: ["$..password", "$.user.token"] },
    detectors: ["card", "email"],
  },
};

let host: ProxyWasmHost;
beforeAll(async () => {
  const loaded = await loadFilter(POLICY);
  expect(loaded.ok).toBe(true);
  host = loaded.host;
});

const FORM: [string, string] = ["content-type", "application/x-www-form-urlencoded"];
const pct = (s: string) => Array.from(new TextEncoder().encode(s), (b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
const lowerPct = (s: string) => pct(s).toLowerCase();

/** Every spelling of one rule name a binder (Rails, PHP, qs, Spring, case-insensitive binders) reads as it. */
function spellings(name: string): string[] {
  const title = name[0].toUpperCase() + name.slice(1);
  const alternating = Array.from(name, (c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
  const longS = name.replace(/s/g, "\u017f");
  const kelvin = name.replace(/k/g, "\u212a");
  const out = [
    name, name.toUpperCase(), title, alternating,
    pct(name), lowerPct(name), pct(name.slice(0, 1)) + name.slice(1), name.slice(0, -1) + pct(name.slice(-1)),
    `${name}[]`, `${name}%5B%5D`, `${name}[0]`, `${name}[][]`, `user[${name}]`, `user%5B${name}%5D`, `user%5b${name}%5d`,
    `user.${name}`, `a[b][${name}]`, `user[][${name}]`, `user[0][${name}]`, `user[ ${name} ]`, `user[${name}][]`,
    `${name}%20`, `%20${name}`, `${name}+`, `+${name}`, `${name}%09`, `%0A${name}%0D`, `a;${name}`, `a%3B${name}`,
    `USER[${name.toUpperCase()}]`, `user.${title}`, `${pct("user[")}${name}${pct("]")}`,
  ];
  if (longS !== name) out.push(pct(longS), `user[${pct(longS)}]`, pct(longS.toUpperCase()), longS);
  if (kelvin !== name) out.push(pct(kelvin), `a[${pct(kelvin)}]`, kelvin);
  return out;
}

const MASKED = ["password", "token", "secret_key"].flatMap((n) => spellings(n).map((s) => [n, s] as const));
/** PHP turns ' ' and '.' (and an unclosed '[') of a name into '_'. */
const PHP = ["secret key", "secret.key", "secret+key", "secret%20key", "secret[key", "SECRET.KEY", "secret%2Ekey"];
/** Names that only look like a rule's: they must pass as they are. */
const OTHERS = ["passwords", "mypassword", "password_hint", "pass", "xpassword[x]", "passw0rd", "tokens", "token_type", "secretkey", "secret-key", "user[passwordx]", "ssn", "pass%20word", "user", "to_ken"];

function redactQuery(qs: string): string {
  const { call } = send(host, { path: "/p?" + qs });
  return header(call!.headers, ":path")!.slice(3);
}

function redactForm(body: string, chunkSize: number): string {
  const { call } = send(host, { body, headers: [FORM], chunkSize });
  return text(call!.body);
}

describe("query and form names", () => {
  it.each(MASKED)("rule %s masks the value of %s", (_rule, name) => {
    const qs = `a=1&${name}=S3cretV4lue&z=2`;
    for (const out of [redactQuery(qs), redactForm(qs, 1), redactForm(qs, 7)]) {
      expect(out).toBe(`a=1&${name}=***********&z=2`);
    }
  });

  it.each(PHP)("rule secret_key masks the value of %s (PHP's '_')", (name) => {
    const qs = `${name}=S3cretV4lue&z=2`;
    expect(redactQuery(qs)).toBe(`${name}=***********&z=2`);
    expect(redactForm(qs, 3)).toBe(`${name}=***********&z=2`);
  });

  it.each(OTHERS)("%s passes as it is", (name) => {
    const qs = `a=1&${name}=S3cretV4lue&z=2`;
    const { call } = send(host, { path: "/p?" + qs });
    expect(header(call!.headers, ":path")).toBe("/p?" + qs);
    expect(redactForm(qs, 2)).toBe(qs);
  });

  it.each([
    ["user.ssn=123", "user.ssn=***"],
    ["user[ssn]=123", "user[ssn]=***"],
    ["a[user][ssn]=123", "a[user][ssn]=***"],
    ["USER%5BSSN%5D=123", "USER%5BSSN%5D=***"],
    ["user=1&ssn=123", "user=1&ssn=123"],
    ["ssn[user]=123", "ssn[user]=123"],
    // Rack reads what follows a closing bracket as more of the path: redact more.
    ["user[ssn]x=123", "user[ssn]x=***"],
    // The fold is lower(upper(name)): ß is SS, so paßword is password too (more than Go's simple folding; never less).
    ["pa%C3%9Fword=abc", "pa%C3%9Fword=***"],
  ])("a rule with segments matches them in a row: %s", (qs, expected) => {
    expect(redactQuery(qs)).toBe(expected);
  });

  it.each([
    ["session", "a=1&z=2"],
    ["SESSION[id]", "a=1&z=2"],
    ["user%5Bsession%5D", "a=1&z=2"],
  ])("drop rules follow the same names: %s", (name, expected) => {
    expect(redactQuery(`a=1&${name}=abc&z=2`)).toBe(expected);
  });
});

describe("';' as a separator", () => {
  it.each([
    ["a=1;password=S3cret&z=2", "a=1;password=******&z=2"],
    ["a=1;PASSWORD=S3cret;b=2", "a=1;PASSWORD=******;b=2"],
    ["a=1;user[password]=S3cret", "a=1;user[password]=******"],
    ["a=1; password=S3cret", "a=1; password=******"],
    ["a=x;pa%C5%BF%C5%BFword=S3cret;c=3", "a=x;pa%C5%BF%C5%BFword=******;c=3"],
    ["a=1;%70assword=S3%63ret", "a=1;%70assword=******"],
    ["a=1;session=abc;b=2", "a=1;b=2"],
    ["a=1;passwords=S3cret", "a=1;passwords=S3cret"],
    ["password=abc;def=1&z=2", "password=*********&z=2"],
    ["x;password=S3cret&z=2", "x;password=******&z=2"],
    ["a=4111111111111111;token=S3cret", "a=4000000000061111;token=******"],
  ])("%s -> %s", (qs, expected) => {
    expect(redactQuery(qs)).toBe(expected);
    expect(redactForm(qs, 1)).toBe(expected);
    expect(redactForm(qs, 5)).toBe(expected);
  });
});

describe("the original encoding of what a finding does not cover", () => {
  it.each([
    ["q=card+4111+1111+1111+1111+end&x=a+b", "q=card+4000+0000+0006+1111+end&x=a+b"],
    ["q=card%204111%201111%201111%201111%20end", "q=card%204000%200000%200006%201111%20end"],
    ["q=%2B1+card+4111-1111-1111-1111+%26+more", "q=%2B1+card+4000-0000-0006-1111+%26+more"],
    ["q=x%2Fy+4%31%311111111111111+z%2f", "q=x%2Fy+4000000000061111+z%2f"],
    ["e=mail+dave%40example.com+now", "e=mail+****%40*******.com+now"],
    ["e=Zo%C3%AB+dave@example.com+%E2%98%95", "e=Zo%C3%AB+****@*******.com+%E2%98%95"],
    ["q=%zz+4111111111111111+%", "q=%zz+4000000000061111+%"],
  ])("%s -> %s", (qs, expected) => {
    expect(redactQuery(qs)).toBe(expected);
    expect(redactForm(qs, 3)).toBe(expected);
  });
});

describe("JSON member names", () => {
  it.each([
    '{"PASSWORD":"S3cret"}', '{"Password":"S3cret"}', '{"pa\u017f\u017fword":"S3cret"}', '{"pa\\u017f\\u017fword":"S3cret"}',
    '{"PASS\\u0057ORD":"S3cret"}', '{"a":{"pAsSwOrD":"S3cret"}}', '{"PA\u017f\u017fWORD":"S3cret"}', '{"user":{"TO\u212aEN":"S3cret"}}',
    '{"USER":{"Token":"S3cret"}}', '{"user":{"to\\u212aen":"S3cret"}}', '[{"x":[{"Password":"S3cret"}]}]',
  ])("%s is masked", (doc) => {
    for (const chunkSize of [1, 4, 100]) {
      const { call } = send(host, { body: doc, chunkSize, headers: [["content-type", "application/json"]] });
      const out = text(call!.body);
      expect(out).not.toContain("S3cret");
      expect(out).toContain('"******"');
    }
  });

  it.each(['{"passwords":"S3cret"}', '{"password_hint":"S3cret"}', '{"token":"S3cret"}', '{"user":{"tokens":"S3cret"}}'])("%s passes", (doc) => {
    const { call } = send(host, { body: doc, chunkSize: 3, headers: [["content-type", "application/json"]] });
    expect(text(call!.body)).toBe(doc);
  });
});

describe("match_case", () => {
  let exact: ProxyWasmHost;
  beforeAll(async () => {
    const loaded = await loadFilter({
      role: "mirror",
      shadow: { cluster: "shadow" },
      redact: { query: { mask: [{ name: "Token", match_case: true }, "secret"] }, json: { mask: [{ path: "$.Exact", match_case: true }, "$..secret"] } },
    });
    expect(loaded.ok).toBe(true);
    exact = loaded.host;
  });

  it.each([
    ["Token=abc", "Token=***"],
    ["a[Token]=abc", "a[Token]=***"],
    ["token=abc", "token=abc"],
    ["TOKEN=abc", "TOKEN=abc"],
    ["SECRET=abc", "SECRET=***"],
  ])("query %s -> %s", (qs, expected) => {
    const { call } = send(exact, { path: "/p?" + qs });
    expect(header(call!.headers, ":path")).toBe("/p?" + expected);
  });

  it("JSON paths with match_case compare member names byte for byte, the others fold", () => {
    const doc = '{"Exact":"v1","exact":"v2","EXACT":"v3","SECRET":"v4"}';
    const { call } = send(exact, { body: doc, chunkSize: 2, headers: [["content-type", "application/json"]] });
    expect(text(call!.body)).toBe('{"Exact":"**","exact":"v2","EXACT":"v3","SECRET":"**"}');
  });
});

describe("Unicode case classes", () => {
  let uni: ProxyWasmHost;
  const SIGMA_RULE = "\u03c3\u03bf\u03c6\u03bf\u03c2"; // σοφος, ending in a final sigma
  beforeAll(async () => {
    const loaded = await loadFilter({
      role: "mirror",
      shadow: { cluster: "shadow" },
      redact: { query: { mask: ["kid", "sid", "ångström", SIGMA_RULE, "имя"] }, json: { mask: ["$..kid", "$..sid", "$..['ångström']", `$..['${SIGMA_RULE}']`, "$..['имя']"] } },
    });
    expect(loaded.ok).toBe(true);
    uni = loaded.host;
  });

  const SPELLINGS = [
    "KID", "\u212aid", "\u212aID", "k\u0131d" /* dotless ı: upper I, so kid (more than simple folding) */,
    "SID", "\u017fid", "\u017fID",
    "ÅNGSTRÖM", "\u212bngström", "Ångström", "ångSTRÖM",
    "ΣΟΦΟΣ", "\u03c3\u03bf\u03c6\u03bf\u03c3", "Σοφος", "\u03a3\u039f\u03a6\u039f\u03c2",
    "ИМЯ", "Имя", "иМЯ",
  ];

  it.each(SPELLINGS)("query and form name %s is bound to its rule", (name) => {
    const enc = encodeURIComponent(name);
    const qs = `${enc}=S3cret&z=1`;
    const { call } = send(uni, { path: "/p?" + qs });
    expect(header(call!.headers, ":path")).toBe(`/p?${enc}=******&z=1`);
    const form = send(uni, { body: `a[${enc}]=S3cret`, headers: [FORM], chunkSize: 2 }).call!;
    expect(text(form.body)).toBe(`a[${enc}]=******`);
  });

  it.each(SPELLINGS)("JSON member %s is bound to its path", (name) => {
    const doc = JSON.stringify({ x: { [name]: "S3cret" } });
    const { call } = send(uni, { body: doc, chunkSize: 3, headers: [["content-type", "application/json"]] });
    expect(text(call!.body)).toBe(JSON.stringify({ x: { [name]: "******" } }));
  });

  it.each(["kids", "İd", "sidd", "angstrom", "σοφ", "имяx"])("%s is another name", (name) => {
    const qs = `${encodeURIComponent(name)}=S3cret`;
    expect(header(send(uni, { path: "/p?" + qs }).call!.headers, ":path")).toBe("/p?" + qs);
  });
});

describe("form bodies redacted in slices down to one byte", () => {
  /** A clock that moves `step` at every look: each slice's time is spent at once (see slices.test.ts). */
  const jumping = (step: bigint) => {
    let t = 1_700_000_000_000_000_000n;
    return () => (t += step);
  };
  const body = [
    "a=1;password=S3cret;b=4111+1111+1111+1111",
    "user%5Bpa%C5%BF%C5%BFword%5D=S3cret",
    "note=mail+dave%40example.com+or+4111111111111111;token=S3cret;x=2",
    "SECRET.KEY=S3cret",
    "session=abc",
    "z=" + "y".repeat(300) + "+4111111111111111",
  ].join("&");

  it.each([[false], [true]])("keep mode %s: one-byte slices give the copy one go gives", async (keep) => {
    const policy = { ...POLICY, redact: { ...POLICY.redact, ...(keep ? { keep: { query: ["a", "b", "note", "z"] } } : {}) }, limits: { redaction_inline_bytes: 0 } };
    const copies: string[] = [];
    for (const now of [undefined, jumping(1_000_000n)]) {
      const { host: h, ok } = await loadFilter(policy, { now });
      expect(ok).toBe(true);
      copies.push(text(send(h, { body, headers: [FORM], chunkSize: 5 }).call!.body));
    }
    expect(copies[1]).toBe(copies[0]);
    expect(copies[0]).not.toMatch(/S3cret|4111|dave|abc/);
    if (!keep) expect(copies[0]).toContain("a=1;password=******;b=4000+0000+0006+1111&");
  });
});
