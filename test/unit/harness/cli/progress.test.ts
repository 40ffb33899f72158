// The progress of long runs (cli/progress.ts): a bar on a terminal, with the run's lines
// above it; plain lines otherwise, one per `every` percent, no control characters.
import { describe, it, expect } from "vitest";
import { progress, type ProgressStream } from "../../../../harness/cli/progress.js";

/** A stream that keeps what is written; a terminal (isTTY, columns) when asked. */
function sink(tty: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  const s = {
    isTTY: tty,
    columns: 120,
    write(c: string | Uint8Array) {
      chunks.push(typeof c === "string" ? c : Buffer.from(c).toString());
      return true;
    },
    // readline.cursorTo / clearLine call these on a terminal
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    on: () => s,
    once: () => s,
    emit: () => false,
    removeListener: () => s,
    end: () => s,
    text: () => chunks.join(""),
  };
  return s as unknown as ProgressStream & { text: () => string };
}

// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b/;

describe("progress", () => {
  it.each([
    [10, 100, 10, ["10/100", "20/100", "30/100", "40/100", "50/100", "60/100", "70/100", "80/100", "90/100", "100/100"]],
    [25, 8, 25, ["2/8", "4/8", "6/8", "8/8"]],
    [10, 6, 10, ["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"]],
  ])("not a terminal, every %i%% of %i steps: one plain line per milestone", (every, total, _e, expected) => {
    const err = sink(false);
    const out = sink(false);
    const p = progress({ title: "replay", total, stream: err, out, every, unit: "requests" });
    expect(p.bar).toBe(false);
    for (let i = 0; i < total; i++) p.tick(`entry ${i + 1}`);
    p.stop();
    p.tick("after stop");
    const lines = err.text().trim().split("\n");
    expect(lines.map((l) => l.split(" ")[1])).toEqual(expected);
    expect(lines[0]).toMatch(/^replay: \S+ requests \(\d+%\) entry \d+$/);
    expect(lines.at(-1)).toContain("(100%)");
    expect(err.text()).not.toMatch(CONTROL);
    expect(out.text()).toBe("");
  });

  it("not a terminal, every 0: no progress lines, the run's own lines on out", () => {
    const err = sink(false);
    const out = sink(false);
    const p = progress({ title: "bench", total: 3, stream: err, out, every: 0 });
    for (let i = 1; i <= 3; i++) {
      p.log(`[${i}/3] measured`);
      p.update(i, 3);
    }
    p.stop();
    expect(err.text()).toBe("");
    expect(out.text()).toBe("[1/3] measured\n[2/3] measured\n[3/3] measured\n");
  });

  it("total 0 (not known, a receiver): a count; without a terminal one line per step", () => {
    const err = sink(false);
    const p = progress({ title: "capture-sink", total: 0, stream: err, out: sink(false), unit: "captures" });
    p.tick("POST /a");
    p.tick("POST /b");
    p.stop();
    expect(err.text()).toBe("capture-sink: 1 captures POST /a\ncapture-sink: 2 captures POST /b\n");
    const tty = sink(true);
    const q = progress({ title: "capture-sink", total: 0, stream: tty, out: tty, unit: "captures" });
    q.tick("POST /a");
    q.stop();
    expect(tty.text()).toContain("capture-sink: 1 captures");
  });

  it("a terminal: a bar on the stream, the run's lines above it when out is the same terminal, the total adjustable", () => {
    const err = sink(true);
    const p = progress({ title: "bench", total: 4, stream: err, out: err, unit: "measurements" });
    expect(p.bar).toBe(true);
    p.log("first line");
    p.update(1, 8, "floor");
    p.update(8, undefined, "native");
    p.stop();
    const text = err.text();
    expect(text).toContain("first line\n");
    expect(text).toMatch(/bench \[[^\]]+\] 100% 8\/8 measurements/);
    expect(text).toMatch(CONTROL);
  });

  it("a terminal for the bar, out elsewhere (a file): the lines go to out as they are", () => {
    const err = sink(true);
    const out = sink(false);
    const p = progress({ title: "bench", total: 2, stream: err, out });
    p.log("a line");
    p.tick();
    p.stop();
    expect(out.text()).toBe("a line\n");
    expect(err.text()).not.toContain("a line");
  });
});
