// The root context: compiles the policy once per configuration
// (policy/compile.ts), picks the role it names, and hands it every stream, tick
// and call answer. It holds no role's state itself.
import { RootContext, Context } from "@solo-io/proxy-runtime/assembly/index";
import { compilePolicy } from "./policy/compile";
import { Policy, ROLE_MIRROR, ROLE_UPSTREAM, ROLE_SHADOW, ROLE_EGRESS_GUARD, ROLE_NAMES } from "./policy/types";
import { Role } from "./roles/role";
import { MirrorRole } from "./roles/mirror";
import { UpstreamRole } from "./roles/upstream";
import { ShadowRole } from "./roles/shadow";
import { GuardRole } from "./roles/guard";
import { PassStream } from "./roles/pass";
import { readEnvironment } from "./host/environ";
import { collectAtStreamStart } from "./host/gc";
import { logAt, LOG_CRITICAL, LOG_INFO } from "./host/hostcalls";

function roleFor(policy: Policy): Role {
  if (policy.role == ROLE_MIRROR) return new MirrorRole(policy);
  if (policy.role == ROLE_UPSTREAM) return new UpstreamRole(policy);
  if (policy.role == ROLE_SHADOW) return new ShadowRole(policy);
  return new GuardRole(policy);
}

export class MirrorshadeRoot extends RootContext {
  private role: Role | null = null;

  createContext(context_id: u32): Context {
    collectAtStreamStart();
    const role = this.role;
    // Envoy creates no stream before a configuration was accepted; the pass-through keeps that an invariant.
    return role == null ? new PassStream(context_id, this) : role.newStream(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    if (!super.onConfigure(configuration_size)) {
      logAt(LOG_CRITICAL, "mirrorshade: could not read the plugin configuration from the host");
      return false;
    }
    const result = compilePolicy(this.getConfiguration(), readEnvironment());
    if (result.policy == null) {
      // Returning false makes Envoy reject the plugin: it never runs without the filter.
      logAt(LOG_CRITICAL, "mirrorshade: invalid configuration: " + result.error);
      return false;
    }
    const policy = result.policy!;
    this.role = roleFor(policy);
    if (policy.role != ROLE_EGRESS_GUARD) {
      let where = "";
      for (let i = 0; i < policy.shadows.length; i++) where += (i == 0 ? " shadows=" : ",") + policy.shadows[i].name + ":" + policy.shadows[i].clusterName;
      logAt(LOG_INFO, "mirrorshade: configured role=" + ROLE_NAMES[policy.role] + where);
    }
    return true;
  }

  onTick(): void {
    const role = this.role;
    if (role != null) role.onTick();
  }

  onHttpCallResponse(token: u32, headers: u32, body_size: u32, _trailers: u32): void {
    const role = this.role;
    if (role != null) role.onCallResponse(token, headers, body_size);
  }
}
