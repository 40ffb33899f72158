// Progress of a long run (bench, bench --worker, bench-redact, replay, capture-sink),
// one way for all: on a terminal a bar on stderr (cli-progress) with the run's own lines
// printed above it; otherwise plain lines, one per step or per `every` percent, so that
// a CI log or a file gets a readable record and no control characters.
import cliProgress from "cli-progress";

/** A stream as the helper needs it: a terminal (isTTY, columns) or anything else. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  /** What runs: the bar's label, and the start of each plain progress line. */
  title: string;
  /** Steps in all (update() may change it); 0: not known (a receiver such as capture-sink): a count, not a bar, and a plain line per step. */
  total: number;
  /** Where the bar goes (default process.stderr): a terminal gets a bar, anything else plain lines. */
  stream?: ProgressStream;
  /** Where log() lines go (default process.stdout); on the bar's terminal they go above the bar. */
  out?: ProgressStream;
  /** Without a terminal: a line each time another `every` percent is done (default 10); 0: none, when log() lines already say how far the run is. */
  every?: number;
  /** The unit of the steps in the plain lines and on the bar, e.g. "requests" (default "steps"). */
  unit?: string;
}

export interface Progress {
  /** `done` of `total` steps finished (total: when it changed), `label` what the last one was. */
  update(done: number, total?: number, label?: string): void;
  /** One step more. */
  tick(label?: string): void;
  /** A line of the run's own output: above the bar on a terminal, a plain line otherwise. */
  log(line: string): void;
  /** Ends the bar (its last state stays on screen); later update() and tick() are ignored. */
  stop(): void;
  /** Whether a bar is drawn (a terminal) or plain lines are written. */
  readonly bar: boolean;
}

export function progress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  const out = o.out ?? process.stdout;
  const unit = o.unit ?? "steps";
  let total = Math.max(0, o.total);
  let done = 0;
  let stopped = false;
  if (stream.isTTY === true) {
    const multi = new cliProgress.MultiBar(
      {
        stream: stream as NodeJS.WriteStream,
        format: total > 0 ? `${o.title} [{bar}] {percentage}% {value}/{total} ${unit} | {duration_formatted} elapsed, eta {eta_formatted} | {label}` : `${o.title}: {value} ${unit} | {duration_formatted} elapsed | {label}`,
        barsize: 30,
        // No SIGINT/SIGTERM handler of cli-progress's (gracefulExit): with one, Ctrl-C would stop the bar and
        // not the run; and the cursor stays visible, so that an interrupted run leaves the terminal as it was.
        hideCursor: false,
        clearOnComplete: false,
        gracefulExit: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    const bar = multi.create(total, 0, { label: "" });
    // Lines for the same terminal go above the bar; stdout sent elsewhere (a file, a pipe) gets them as they are.
    const sameTerminal = out.isTTY === true;
    return {
      bar: true,
      update(n, t, label) {
        if (stopped) return;
        if (t !== undefined && t !== total) bar.setTotal((total = Math.max(0, t)));
        bar.update((done = n), { label: label ?? "" });
      },
      tick(label) {
        this.update(done + 1, undefined, label);
      },
      log(line) {
        if (sameTerminal && !stopped) {
          multi.log(`${line}\n`);
          multi.update(); // now: cli-progress writes logged lines at its next redraw, and not at stop()
        } else out.write(`${line}\n`);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        multi.stop();
      },
    };
  }
  const every = o.every ?? 10;
  let said = 0; // the last percent milestone written
  return {
    bar: false,
    update(n, t, label) {
      if (stopped) return;
      if (t !== undefined) total = Math.max(0, t);
      done = n;
      if (every <= 0) return;
      if (total <= 0) {
        stream.write(`${o.title}: ${done} ${unit}${label ? ` ${label}` : ""}\n`);
        return;
      }
      const milestone = Math.floor((Math.min(done, total) / total) * 100 / every) * every;
      if (milestone <= said) return;
      said = milestone;
      stream.write(`${o.title}: ${done}/${total} ${unit} (${milestone}%)${label ? ` ${label}` : ""}\n`);
    },
    tick(label) {
      this.update(done + 1, undefined, label);
    },
    log(line) {
      out.write(`${line}\n`);
    },
    stop() {
      stopped = true;
    },
  };
}
