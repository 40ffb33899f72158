// Entry point of the mirrorshade filter. Envoy's root_id must be "mirrorshade".
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, registerRootContext } from "@solo-io/proxy-runtime/assembly/index";
import { MirrorshadeRoot } from "./root";

const ROOT_ID = "mirrorshade";

registerRootContext((context_id: u32): RootContext => new MirrorshadeRoot(context_id), ROOT_ID);
