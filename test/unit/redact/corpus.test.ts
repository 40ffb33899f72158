// False positives and detection rates of the detectors over generated corpora
// (test/support/ordinary-corpus.ts, #13): ordinary values that must stay as
// they are, and planted secrets per spelling class. The rates are printed
// (MIRRORSHADE_CORPUS_REPORT=1); the assertions are on exact sets.
import { describe, it, expect, beforeAll } from "vitest";
import { DetectFixture } from "../../support/detect-fixture.js";
import { ordinaryCorpus, plantedCorpus, luhnValid } from "../../support/ordinary-corpus.js";

const ALL = 63;
const NAMES = ["card", "email", "ssn", "jwt", "iban", "phone"];
const nameOf = (bit: number) => NAMES[31 - Math.clz32(bit)];
const enc = new TextEncoder();
const report = process.env.MIRRORSHADE_CORPUS_REPORT === "1";

let fx: DetectFixture;
beforeAll(() => {
  fx = new DetectFixture("redact-corpus");
}, 120_000);

describe("ordinary corpus", () => {
  it("keeps ordinary values as they are", () => {
    const corpus = ordinaryCorpus();
    const hits: string[] = [];
    const perClass = new Map<string, [number, number]>();
    for (const { cls, value } of corpus) {
      const b = enc.encode(value);
      const found = fx.scanBytes(b, ALL);
      const c = perClass.get(cls) ?? [0, 0];
      c[0]++;
      if (found.length) {
        c[1]++;
        hits.push(`${cls}: ${JSON.stringify(value)} -> ${found.map((f) => `${nameOf(f.detector)} ${JSON.stringify(Buffer.from(b.subarray(f.start, f.end)).toString())}`).join(", ")}`);
      }
      perClass.set(cls, c);
    }
    if (report) {
      console.log(`ordinary corpus: ${hits.length} of ${corpus.length} values hit`);
      for (const [cls, [n, h]] of perClass) if (h) console.log(`  ${cls}: ${h}/${n}`);
      for (const h of hits) console.log("  " + h);
    }
    // Accepted by design: 13-19 digits starting 2-9 that pass Luhn are cards, whatever
    // the application meant (an id); nothing else of the corpus may be hit.
    // And since a card may follow letters (card4111..., PAN4111...): a tracking number whose
    // digits after its letters are 13 or more, start 2-9 and pass Luhn.
    const glued = (v: string) => /[A-Za-z]([2-9]\d{12,18})$/.exec(v)?.[1];
    const expected = corpus
      .filter((v) => (v.cls === "long numeric id" && luhnValid(v.value)) || (v.cls === "tracking" && glued(v.value) && luhnValid(glued(v.value)!)))
      .map((v) => `${v.cls}: ${JSON.stringify(v.value)} -> card ${JSON.stringify(v.cls === "tracking" ? glued(v.value) : v.value)}`);
    expect(expected.length).toBeGreaterThan(0);
    expect(hits).toEqual(expected);
  });
});

describe("planted corpus", () => {
  it("finds the planted secrets", () => {
    const corpus = plantedCorpus();
    const perClass = new Map<string, [number, number]>();
    const missed: string[] = [];
    for (const p of corpus) {
      const b = enc.encode(p.text);
      const from = enc.encode(p.text.slice(0, p.at)).length;
      const to = from + enc.encode(p.secret).length;
      const found = fx.scanBytes(b, ALL | p.labels).filter((f) => f.detector === p.detector);
      const covered = found.some((f) => f.start <= from && f.end >= to);
      const c = perClass.get(p.cls) ?? [0, 0];
      c[0]++;
      if (covered) c[1]++;
      else missed.push(`${p.cls}: ${JSON.stringify(p.text)}`);
      perClass.set(p.cls, c);
    }
    if (report) {
      for (const [cls, [n, h]] of perClass) console.log(`planted ${cls}: ${h}/${n}`);
      for (const m of missed.slice(0, 40)) console.log("  missed " + m);
    }
    expect(missed).toEqual([]);
  });
});
