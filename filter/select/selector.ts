// Selection: which requests are mirrored, and to which shadows. Rules are
// compiled once per configuration (policy/select.ts); a decision reads the
// request's header map (already fetched for the copy) and makes no host call
// except for the shared rate budget and in-flight count.
import { SelectConfig } from "../policy/types";
import { RequestView } from "./view";
import { firstMatch } from "./rules";
import { Draw } from "./sampling";
import { TokenBucket, SharedCounter } from "./budget";

/** Decisions, in the order they are counted and reported. */
export const DECISION_SELECTED: u8 = 0;
export const DECISION_NOT_MATCHED: u8 = 1;
export const DECISION_EXCLUDED: u8 = 2;
export const DECISION_SAMPLED_OUT: u8 = 3;
export const DECISION_RATE_LIMITED: u8 = 4;
export const DECISION_INFLIGHT_FULL: u8 = 5;
export const DECISION_NAMES: string[] = ["selected", "not_matched", "excluded", "sampled_out", "rate_limited", "inflight_full"];

/** What a selector decided for one request: the outcome, the selecting rule's label, and the in-flight slot it took. */
export class Decision {
  code: u8 = DECISION_SELECTED;
  /** Label of the rule that matched (sent as x-shadow-rule), empty when there are no match rules. */
  label: ArrayBuffer = new ArrayBuffer(0);
  /** The select.max_inflight slot taken, until release(). */
  slot: SharedCounter | null = null;

  get selected(): bool {
    return this.code == DECISION_SELECTED;
  }

  /** Gives back the in-flight slot, once (the copy finished, or was not sent after all). */
  release(): void {
    const s = this.slot;
    if (s != null) {
      this.slot = null;
      s.add(-1, 0);
    }
  }
}

/**
 * Decides, in order: exclude, match, share, rate budget, in-flight cap. Holds
 * the compiled rules and the shared budgets of one select section.
 */
export class Selector {
  constructor(
    public cfg: SelectConfig,
    private bucket: TokenBucket | null,
    private inflight: SharedCounter | null,
  ) {}

  /** A selector with its shared budgets, named by key (budgets with the same key are shared across workers and plugins). */
  static create(cfg: SelectConfig, key: string): Selector {
    const bucket = cfg.rateLimit != null
      ? new TokenBucket(String.UTF8.encode("mirrorshade.rate." + key), cfg.rateLimit!.perSecond, cfg.rateLimit!.burst)
      : null;
    const inflight = cfg.maxInflight > 0 ? new SharedCounter(String.UTF8.encode("mirrorshade.inflight." + key)) : null;
    return new Selector(cfg, bucket, inflight);
  }

  decide(req: RequestView, draw: Draw, out: Decision): void {
    const cfg = this.cfg;
    out.slot = null;
    out.label = EMPTY;
    out.code = this.outcome(req, draw, out);
  }

  private outcome(req: RequestView, draw: Draw, out: Decision): u8 {
    const cfg = this.cfg;
    if (cfg.exclude.length > 0 && firstMatch(cfg.exclude, req) >= 0) return DECISION_EXCLUDED;
    if (cfg.match.length > 0) {
      const i = firstMatch(cfg.match, req);
      if (i < 0) return DECISION_NOT_MATCHED;
      out.label = unchecked(cfg.match[i]).label;
    }
    if (cfg.percent < 100 && !draw.inShare(req, cfg.hashHeader, cfg.percent)) return DECISION_SAMPLED_OUT;
    if (this.bucket != null && !this.bucket!.take()) return DECISION_RATE_LIMITED;
    const inflight = this.inflight;
    if (inflight != null) {
      if (!inflight.add(1, <u64>cfg.maxInflight)) return DECISION_INFLIGHT_FULL;
      out.slot = inflight;
    }
    return DECISION_SELECTED;
  }
}

const EMPTY = new ArrayBuffer(0);
