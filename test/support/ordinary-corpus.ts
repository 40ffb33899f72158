// Generated corpora for the detectors (#13): ordinary values that must stay as
// they are (ids, timestamps, amounts, versions, addresses, hashes, ...) and
// planted secrets in the spellings the issue lists, each class thousands of
// values. Deterministic (mulberry32 seeds): the same corpus on every run, so an
// assertion on its exact hits is stable.

export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const digits = (r: Rand, n: number) => Array.from({ length: n }, () => String(int(r, 0, 9))).join("");
const hex = (r: Rand, n: number, upper = false) => {
  const s = Array.from({ length: n }, () => "0123456789abcdef"[int(r, 0, 15)]).join("");
  return upper ? s.toUpperCase() : s;
};
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const alnum = (r: Rand, n: number) => Array.from({ length: n }, () => ALNUM[int(r, 0, ALNUM.length - 1)]).join("");

export function luhnValid(ds: string): boolean {
  let sum = 0;
  for (let i = 0; i < ds.length; i++) {
    let d = ds.charCodeAt(ds.length - 1 - i) - 48;
    if (i % 2 === 1) d = d < 5 ? d * 2 : d * 2 - 9;
    sum += d;
  }
  return sum % 10 === 0;
}

/** The digit that makes `body` + it Luhn-valid. */
function luhnCheck(body: string): string {
  for (let d = 0; d < 10; d++) if (luhnValid(body + d)) return String(d);
  throw new Error("unreachable");
}

// ---------------------------------------------------------------- ordinary

export interface Ordinary {
  cls: string;
  value: string;
}

const NOW_S = 1_733_097_600; // 2024-12-02

/** Ordinary values, `perClass` of each class. */
export function ordinaryCorpus(perClass = 250): Ordinary[] {
  const r = rng(0x4f7d);
  const out: Ordinary[] = [];
  const add = (cls: string, f: () => string) => {
    for (let i = 0; i < perClass; i++) out.push({ cls, value: f() });
  };
  const epoch = () => NOW_S + int(r, -200_000_000, 200_000_000);
  const iso = () => new Date(epoch() * 1000 + int(r, 0, 999)).toISOString();
  add("order id", () => pick(r, ["ORD-", "order_", "INV-", "PO#", "#"]) + pick(r, [digits(r, int(r, 4, 12)), `${int(r, 2019, 2026)}-${digits(r, 6)}`]));
  add("numeric id", () => String(int(r, 1, 9)) + digits(r, int(r, 0, 11)));
  add("snowflake id", () => String(int(r, 1_000_000, 1_999_999)) + digits(r, 12));
  add("long numeric id", () => String(int(r, 2, 9)) + digits(r, int(r, 12, 18)));
  add("uuid", () => {
    const h = hex(r, 32, r() < 0.2);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  });
  add("epoch s", () => String(epoch()));
  add("epoch ms", () => String(epoch() * 1000 + int(r, 0, 999)));
  add("epoch µs", () => String(epoch()) + digits(r, 6));
  add("epoch ns", () => String(epoch()) + digits(r, 9));
  add("iso 8601", () => {
    const s = iso();
    return pick(r, [s, s.replace(/\.\d+Z$/, "Z"), s.replace("Z", "+01:00"), s.slice(0, 10), s.replace("T", " ").slice(0, 19), s.replace(/[-:]/g, "").replace(/\.\d+/, "")]);
  });
  add("amount", () => {
    const v = int(r, 0, 99_999_999) / 100;
    const fixed = v.toFixed(2);
    const grouped = v.toLocaleString("en-US", { minimumFractionDigits: 2 });
    const eu = v.toLocaleString("de-DE", { minimumFractionDigits: 2 });
    const fr = v.toLocaleString("fr-FR", { minimumFractionDigits: 2 }); // narrow no-break spaces
    return pick(r, [fixed, grouped, eu, fr, `$${grouped}`, `${eu} €`, `EUR ${fixed}`, String(Math.round(v * 100))]);
  });
  add("price", () => pick(r, [`${int(r, 0, 999)}.99`, `${int(r, 1, 99)}.${digits(r, 2)} USD`, `£${int(r, 1, 9999)}`, `${int(r, 1, 500)},-`]));
  add("version", () => {
    const v = `${int(r, 0, 30)}.${int(r, 0, 99)}.${int(r, 0, 999)}`;
    return pick(r, [v, `v${v}`, `${v}-beta.${int(r, 1, 9)}`, `${v}.${int(r, 0, 9999)}`, `${v}+build.${digits(r, 8)}`]);
  });
  add("ipv4", () => {
    const ip = `${int(r, 1, 255)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 0, 255)}`;
    return pick(r, [ip, `${ip}:${int(r, 1, 65535)}`, `${ip}/${int(r, 8, 32)}`]);
  });
  add("ipv6", () => Array.from({ length: 8 }, () => hex(r, int(r, 1, 4))).join(":"));
  add("date", () => {
    const d = String(int(r, 1, 28)).padStart(2, "0");
    const m = String(int(r, 1, 12)).padStart(2, "0");
    const y = String(int(r, 1950, 2030));
    return pick(r, [`${y}-${m}-${d}`, `${d}/${m}/${y}`, `${m}/${d}/${y}`, `${d}.${m}.${y}`, `${y}${m}${d}`, `${d} ${m} ${y}`]);
  });
  add("zip", () => pick(r, [digits(r, 5), `${digits(r, 5)}-${digits(r, 4)}`, `SW1A ${int(r, 1, 9)}AA`, `${digits(r, 4)} AB`, digits(r, 9)]));
  add("sku", () => `${pick(r, ["SKU", "ITEM", "P", "ART"])}-${digits(r, int(r, 3, 8))}-${pick(r, ["XL", "M", "BLK", "RED", digits(r, 2)])}`);
  add("hex hash", () => hex(r, pick(r, [32, 40, 64]), r() < 0.2));
  add("base64", () => Buffer.from(Array.from({ length: int(r, 8, 48) }, () => int(r, 0, 255))).toString(pick(r, ["base64", "base64url"]) as BufferEncoding));
  add("tracking", () =>
    pick(r, [
      `1Z${alnum(r, 6)}${digits(r, 10)}`, // UPS
      digits(r, 12), // FedEx
      `94${digits(r, 20)}`, // USPS
      `${pick(r, ["LX", "RR", "CP"])}${digits(r, 9)}${pick(r, ["CN", "DE", "US"])}`, // UPU S10
    ]),
  );
  add("time", () => `${String(int(r, 0, 23)).padStart(2, "0")}:${String(int(r, 0, 59)).padStart(2, "0")}:${String(int(r, 0, 59)).padStart(2, "0")}`);
  add("decimal", () => String(r() * 10 ** int(r, -3, 6)));
  add("sentence", () =>
    pick(r, [
      `order ${digits(r, 9)} shipped on ${iso().slice(0, 10)}`,
      `room ${int(r, 100, 999)}, floor ${int(r, 1, 40)}, ${int(r, 1, 9)} guests`,
      `total ${int(r, 1, 9999)}.${digits(r, 2)} for ${int(r, 1, 99)} items (ref ${digits(r, 10)})`,
      `build ${digits(r, 10)} took ${int(r, 1, 999)} ms`,
      `the tin holds ${digits(r, 9)} grains`,
      `Tel Aviv office, id ${digits(r, 10)}`,
      `cell ${int(r, 1, 99)} of ${int(r, 100, 999)}`,
      `phone model ${pick(r, ["X", "S", "Pro"])} ${int(r, 1, 20)}`,
    ]),
  );
  add("lowercase code", () => pick(r, ["ab", "cd", "de", "gb", "fr", "nl"]) + digits(r, 2) + hex(r, int(r, 10, 28)));
  return out;
}

// ---------------------------------------------------------------- planted

export interface Planted {
  cls: string;
  text: string;
  /** The secret's UTF-16 range in text. */
  at: number;
  secret: string;
  /** The detector bit expected to cover it. */
  detector: number;
  /** Label bits to scan with (a caller that knows the value's name). */
  labels: number;
}

export const CARD = 1, EMAIL = 2, SSN = 4, JWT = 8, IBAN = 16, PHONE = 32;
export const LABEL_SSN = 1 << 8, LABEL_PHONE = 1 << 9;

const BRANDS: [string, number][] = [
  ["4", 16], ["4", 13], ["4", 19], ["51", 16], ["55", 16], ["2221", 16], ["2720", 16], ["34", 15], ["37", 15],
  ["6011", 16], ["65", 16], ["3528", 16], ["3589", 19], ["36", 14], ["62", 17], ["62", 18], ["62", 19],
];

export function card(r: Rand): string {
  const [prefix, n] = pick(r, BRANDS);
  const body = prefix + digits(r, n - prefix.length - 1);
  return body + luhnCheck(body);
}

/** The usual printed grouping of an n-digit card. */
function groups(ds: string): string[] {
  const sizes: Record<number, number[]> = { 13: [4, 4, 5], 14: [4, 6, 4], 15: [4, 6, 5], 16: [4, 4, 4, 4], 17: [4, 4, 4, 5], 18: [4, 4, 4, 6], 19: [4, 4, 4, 4, 3] };
  const out: string[] = [];
  let k = 0;
  for (const s of sizes[ds.length]) {
    out.push(ds.slice(k, k + s));
    k += s;
  }
  return out;
}

const FULLWIDTH = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + d.charCodeAt(0) - 48));

export const CARD_SPELLINGS: Record<string, (ds: string, r: Rand) => string> = {
  "card compact": (ds) => ds,
  "card space": (ds) => groups(ds).join(" "),
  "card dash": (ds) => groups(ds).join("-"),
  "card dot": (ds) => groups(ds).join("."),
  "card slash": (ds) => groups(ds).join("/"),
  "card underscore": (ds) => groups(ds).join("_"),
  "card tab": (ds) => groups(ds).join("\t"),
  "card nbsp U+00A0": (ds) => groups(ds).join("\u00a0"),
  "card nnbsp U+202F": (ds) => groups(ds).join("\u202f"),
  "card figure space U+2007": (ds) => groups(ds).join("\u2007"),
  "card thin space U+2009": (ds) => groups(ds).join("\u2009"),
  "card full-width": (ds) => FULLWIDTH(ds),
  "card full-width spaced": (ds, r) => FULLWIDTH(groups(ds).join(pick(r, [" ", "\u3000", "-"]))),
  "card half full-width": (ds) => ds.slice(0, 8) + FULLWIDTH(ds.slice(8)),
  "card mixed separators": (ds, r) => groups(ds).reduce((a, g) => a + pick(r, [" ", "-", ".", "\u00a0", "/"]) + g),
};

const ctx = (r: Rand, s: string): [string, number] => {
  const [pre, post] = pick(r, [
    ["", ""],
    ["pay with ", ", thanks"],
    ['{"v":"', '"}'],
    ["v=", "&x=1"],
    ["(", ")"],
  ] as [string, string][]);
  return [pre + s + post, pre.length];
};

function ssnParts(r: Rand): [string, string, string] {
  let area = int(r, 1, 899);
  if (area === 666) area = 665;
  return [String(area).padStart(3, "0"), String(int(r, 1, 99)).padStart(2, "0"), String(int(r, 1, 9999)).padStart(4, "0")];
}

function usPhone(r: Rand): string {
  return `${int(r, 2, 9)}${digits(r, 2)}${int(r, 2, 9)}${digits(r, 6)}`;
}

/** National numbers with their leading 0 (UK, FR, DE, IT-style lengths 9-11). */
function nationalPhone(r: Rand): string {
  return "0" + int(r, 1, 9) + digits(r, int(r, 7, 9));
}

const IBAN_LENGTHS: Record<string, number> = { DE: 22, GB: 22, FR: 27, NL: 18, ES: 24, IT: 27, BE: 16, CH: 21, AT: 20, PL: 28, SE: 24, NO: 15, PT: 25, IE: 22, DK: 18, FI: 18 };

export function iban(r: Rand): string {
  const country = pick(r, Object.keys(IBAN_LENGTHS));
  const n = IBAN_LENGTHS[country] - 4;
  const letters = country === "GB" || country === "NL" || country === "IE" ? 4 : 0;
  const bban = alnum(r, letters).replace(/[0-9]/g, "A") + digits(r, n - letters);
  const num = (bban + country + "00").replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const c of num) rem = (rem * 10 + Number(c)) % 97;
  return country + String(98 - rem).padStart(2, "0") + bban;
}

const group4 = (s: string, sep = " ") => s.match(/.{1,4}/g)!.join(sep);

function localPart(r: Rand): string {
  return pick(r, ["john", "zq.alice77", "m.rossi", "ops-team", "ann_lee", "k"]) + (r() < 0.5 ? String(int(r, 1, 999)) : "");
}

const DOMAINS = ["example.com", "mailhost-secret.io", "corp.example.co.uk", "mail.test.de"];

/** Planted secrets, `perClass` of each class. */
export function plantedCorpus(perClass = 1000): Planted[] {
  const r = rng(0x5ec7e7);
  const out: Planted[] = [];
  const add = (cls: string, detector: number, labels: number, f: () => [string, string, number]) => {
    for (let i = 0; i < perClass; i++) {
      const [text, secret, at] = f();
      out.push({ cls, text, secret, at, detector, labels });
    }
  };
  for (const [cls, spell] of Object.entries(CARD_SPELLINGS))
    add(cls, CARD, 0, () => {
      const s = spell(card(r), r);
      const [t, at] = ctx(r, s);
      return [t, s, at];
    });
  const ssnLabel = ["ssn: ", "SSN=", "Social Security Number ", "ssn ", "SSN #: ", '"ssn":"', "social_security_number=", "SSN No. "];
  add("ssn dashed", SSN, 0, () => {
    const s = ssnParts(r).join(pick(r, ["-", " "]));
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  add("ssn bare, labelled in the text", SSN, 0, () => {
    const s = ssnParts(r).join("");
    const l = pick(r, ssnLabel);
    const pre = pick(r, ["", "customer ", "{", "x; "]);
    return [pre + l + s + pick(r, ["", ".", '"', ", ok"]), s, pre.length + l.length];
  });
  add("ssn bare, labelled by its name", SSN, LABEL_SSN, () => {
    const s = pick(r, [ssnParts(r).join(""), ssnParts(r).join("."), ssnParts(r).join("-")]);
    return [s, s, 0];
  });
  const phoneLabel = ["phone: ", "tel:", "Tel. ", "mobile ", "Phone number: ", '"phone":"', "fax=", "cell: ", "msisdn="];
  add("phone national, labelled in the text", PHONE, 0, () => {
    const s = r() < 0.5 ? usPhone(r) : pick(r, [nationalPhone(r), "1" + usPhone(r)]);
    const l = pick(r, phoneLabel);
    const pre = pick(r, ["", "call ", "{", "x; "]);
    return [pre + l + s + pick(r, ["", ".", '"', ", ok"]), s, pre.length + l.length];
  });
  add("phone national, labelled by its name", PHONE, LABEL_PHONE, () => {
    const s = pick(r, [usPhone(r), nationalPhone(r), "1" + usPhone(r)]);
    return [s, s, 0];
  });
  add("iban compact", IBAN, 0, () => {
    const s = iban(r);
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  add("iban lower-case", IBAN, 0, () => {
    const s = iban(r).toLowerCase();
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  add("iban spaced", IBAN, 0, () => {
    const s = group4(iban(r), pick(r, [" ", "\u00a0", "-"]));
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  add("iban lower-case spaced", IBAN, 0, () => {
    const s = group4(iban(r).toLowerCase());
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  add("email plain", EMAIL, 0, () => {
    const s = `${localPart(r)}@${pick(r, DOMAINS)}`;
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  add("email quoted local part", EMAIL, 0, () => {
    const s = `"${pick(r, ["john doe", "a@b", "x\\\"y", "ann.lee"])}${int(r, 1, 99)}"@${pick(r, DOMAINS)}`;
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  add("email percent-encoded", EMAIL, 0, () => {
    const l = localPart(r);
    const s = pick(r, [`${l.replace(".", "%2E")}@${pick(r, DOMAINS)}`, `${l}%40${pick(r, DOMAINS)}`, `${l}%40${pick(r, DOMAINS)}`]);
    const [t, at] = ctx(r, s);
    return [t, s, at];
  });
  return out;
}
