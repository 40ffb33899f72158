// Filters asc's diagnostics: warnings and infos located only in json-as's own
// sources (~lib/json-as/..., a dependency we do not edit) are counted, not
// printed; errors, and every diagnostic that points at our code (filter/,
// bench/, or anywhere else), are printed as asc wrote them, once per build
// (the release and debug targets report the same ones).
// MIRRORSHADE_BUILD_VERBOSE=1 prints everything.

/** Where a diagnostic is: its `in <file>(line,col)` lines. */
const LOCATION = /^\s*└─ in (\S+?)\(\d+,\d+\)\s*$/gm;
/** Sources of the dependency whose warnings are not ours to fix. */
const DEPENDENCY = /^(~lib\/json-as\/|node_modules\/json-as\/)/;
const ANSI = /\x1b\[[0-9;]*m/g;

/** Whether one diagnostic block (asc's text for one diagnostic) is a dependency's warning or info. */
export function isDependencyWarning(block) {
  const text = block.replace(ANSI, "");
  const first = text.trimStart().split("\n", 1)[0];
  if (!/^(WARNING|INFO|PEDANTIC) AS\d+:/.test(first)) return false;
  const files = [...text.matchAll(LOCATION)].map((m) => m[1]);
  return files.length > 0 && files.every((f) => DEPENDENCY.test(f));
}

/**
 * A stream filter over asc's stderr: write() takes chunks as they come, end()
 * flushes; complete diagnostics (separated by a blank line) are judged one by one.
 * `out` receives what is printed; `hidden` counts what was not.
 */
export class DiagnosticFilter {
  constructor(out, opts = {}) {
    this.out = out;
    this.verbose = opts.verbose ?? false;
    this.seen = new Set();
    this.pending = "";
    this.hidden = 0;
  }

  write(chunk) {
    this.pending += String(chunk);
    let i;
    while ((i = this.pending.indexOf("\n\n")) >= 0) {
      const block = this.pending.slice(0, i + 2);
      this.pending = this.pending.slice(i + 2);
      this.judge(block);
    }
  }

  end() {
    if (this.pending) this.judge(this.pending);
    this.pending = "";
  }

  judge(block) {
    if (block.trim() === "") return;
    if (!this.verbose && isDependencyWarning(block)) {
      this.hidden++;
      return;
    }
    const key = block.replace(ANSI, "");
    // Once per build: the second target reports the same diagnostics (errors are always printed).
    if (!this.verbose && !/^\s*ERROR/.test(key) && this.seen.has(key)) return;
    this.seen.add(key);
    this.out(block);
  }
}
