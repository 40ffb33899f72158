// The shadow role: at the shadow workload's inbound sidecar. Copies are
// recognized by the "-shadow" Host suffix Envoy's native mirroring adds, or by
// the tag (inbound.recognize), or every request ("all": a workload that only
// receives copies); other requests pass untouched. Copies are
// rewritten by roles/inplace.ts, the suffix removed when inbound.restore_host.
import { InPlaceRole } from "./inplace";
import { RequestView } from "../select/view";
import { hasShadowSuffix } from "../copy/authority";

export class ShadowRole extends InPlaceRole {
  isCopy(view: RequestView, tagged: bool): bool {
    const cfg = this.policy.inPlace;
    if (cfg.recognizeAll) return true;
    const suffixed = view.hasHost && hasShadowSuffix(view.hostPtr, view.hostLen);
    return (cfg.recognizeHostSuffix && suffixed) || (cfg.recognizeTag && tagged);
  }
}
