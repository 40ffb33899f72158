// The upstream role: an upstream HTTP filter on the shadow cluster, behind
// Envoy's native mirroring. Every request it sees is a copy (roles/inplace.ts
// does the rewriting).
import { InPlaceRole } from "./inplace";
import { RequestView } from "../select/view";

export class UpstreamRole extends InPlaceRole {
  isCopy(_view: RequestView, _tagged: bool): bool {
    return true;
  }
}
