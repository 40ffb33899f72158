// The egress-guard role, at the shadow workload's outbound sidecar: a request
// that carries the shadow tag (header, or baggage entry) and goes to a
// configured side-effect destination is answered locally with the stub and never
// leaves. Everything else passes untouched.
import { Context, RootContext, FilterHeadersStatusValues, send_local_response, HeaderPair, GrpcStatusValues } from "@solo-io/proxy-runtime/assembly/index";
import { GuardConfig } from "./config";
import { ShadowTag, H_BAGGAGE } from "./tag";
import { HeaderCursor, utf8 } from "./bytes";
import { RequestView, firstMatch } from "./select";
import { getHeaderPairs, HEADERS_REQUEST } from "./hostcalls";
import { GuardMetrics } from "./metrics";

const DETAILS = "mirrorshade_egress_guard";

export class Guard {
  view: RequestView = new RequestView();
  stubBody: ArrayBuffer;
  stubHeaders: HeaderPair[] = [];

  constructor(public cfg: GuardConfig, public tag: ShadowTag, public metrics: GuardMetrics) {
    this.stubBody = utf8(cfg.body);
    for (let i = 0; i < cfg.headerNames.length; i++) {
      this.stubHeaders.push(new HeaderPair(utf8(cfg.headerNames[i]), utf8(cfg.headerValues[i])));
    }
    this.stubHeaders.push(new HeaderPair(utf8("x-mirrorshade-guard"), utf8("blocked")));
  }
}

export class GuardStream extends Context {
  constructor(context_id: u32, root: RootContext, private guard: Guard) {
    super(context_id, root);
  }

  onRequestHeaders(_n: u32, _end: bool): FilterHeadersStatusValues {
    const g = this.guard;
    const raw = getHeaderPairs(HEADERS_REQUEST);
    const view = g.view;
    view.reset(raw);
    let tagged = false;
    const cur = new HeaderCursor(raw);
    while (cur.next()) {
      if (view.observe(cur)) continue;
      if (!tagged) {
        if (g.tag.matchesName(cur.keyPtr, cur.keyLen)) tagged = g.tag.valueMatches(cur.valuePtr, cur.valueLen);
        else if (cur.keyIs(H_BAGGAGE)) tagged = g.tag.inBaggage(cur.valuePtr, cur.valueLen);
      }
    }
    const m = g.metrics;
    if (!tagged) {
      view.raw = EMPTY;
      m.untagged.inc();
      return FilterHeadersStatusValues.Continue;
    }
    const rule = firstMatch(g.cfg.destinations, view);
    view.raw = EMPTY;
    if (rule < 0) {
      m.taggedAllowed.inc();
      return FilterHeadersStatusValues.Continue;
    }
    m.blocked.inc();
    if (<u32>rule < <u32>m.blockedByRule.length) m.blockedByRule[rule].inc();
    send_local_response(g.cfg.status, DETAILS, g.stubBody, g.stubHeaders, GrpcStatusValues.InvalidCode);
    return FilterHeadersStatusValues.StopIteration;
  }
}

const EMPTY = new ArrayBuffer(0);
