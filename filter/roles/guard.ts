// The egress-guard role, at the shadow workload's outbound sidecar: a request
// that carries the shadow tag (header, or baggage member) and goes to a
// configured side-effect destination is answered locally with the stub and never
// leaves. Everything else passes untouched.
import {
  Context, RootContext, FilterHeadersStatusValues, send_local_response, HeaderPair, GrpcStatusValues,
} from "@solo-io/proxy-runtime/assembly/index";
import { Role } from "./role";
import { Policy } from "../policy/types";
import { H_BAGGAGE } from "../copy/tag";
import { HeaderCursor } from "../util/bytes";
import { RequestView } from "../select/view";
import { firstMatch } from "../select/rules";
import { getHeaderPairs, HEADERS_REQUEST, logAt, LOG_INFO } from "../host/hostcalls";
import { GuardMetrics } from "../host/metrics";

const DETAILS = "mirrorshade_egress_guard";
const EMPTY = new ArrayBuffer(0);

export class GuardRole extends Role {
  metrics: GuardMetrics;
  stubHeaders: HeaderPair[] = [];
  view: RequestView = new RequestView();

  constructor(public policy: Policy) {
    super();
    const g = policy.guard;
    const labels: string[] = [];
    for (let i = 0; i < g.destinations.length; i++) labels.push(g.destinations[i].labelText);
    this.metrics = new GuardMetrics(labels);
    for (let i = 0; i < g.headers.length; i++) this.stubHeaders.push(new HeaderPair(g.headers[i].name, g.headers[i].value));
    logAt(LOG_INFO, "mirrorshade: configured role=egress-guard destinations=" + labels.join(","));
  }

  newStream(id: u32, root: RootContext): Context {
    return new GuardStream(id, root, this);
  }
}

export class GuardStream extends Context {
  constructor(id: u32, root: RootContext, private role: GuardRole) {
    super(id, root);
  }

  onRequestHeaders(_n: u32, _end: bool): FilterHeadersStatusValues {
    const role = this.role;
    const tag = role.policy.tag;
    const raw = getHeaderPairs(HEADERS_REQUEST);
    const view = role.view;
    view.reset(raw);
    let tagged = false;
    const cur = new HeaderCursor(raw);
    while (cur.next()) {
      if (view.observe(cur)) continue;
      if (!tagged) {
        if (tag.matchesName(cur.keyPtr, cur.keyLen)) tagged = tag.valueMatches(cur.valuePtr, cur.valueLen);
        else if (cur.keyIs(H_BAGGAGE)) tagged = tag.inBaggage(cur.valuePtr, cur.valueLen);
      }
    }
    const m = role.metrics;
    if (!tagged) {
      view.raw = EMPTY;
      m.untagged.inc();
      return FilterHeadersStatusValues.Continue;
    }
    const g = role.policy.guard;
    const rule = firstMatch(g.destinations, view);
    view.raw = EMPTY;
    if (rule < 0) {
      m.taggedAllowed.inc();
      return FilterHeadersStatusValues.Continue;
    }
    m.blocked.inc();
    if (<u32>rule < <u32>m.blockedByRule.length) m.blockedByRule[rule].inc();
    send_local_response(g.status, DETAILS, g.body, role.stubHeaders, GrpcStatusValues.InvalidCode);
    return FilterHeadersStatusValues.StopIteration;
  }
}
