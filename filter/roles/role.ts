// What the root context asks of the role it picked at configure time: a stream
// per request, the tick, and the answers of the calls the role made.
import { Context, RootContext } from "@solo-io/proxy-runtime/assembly/index";

export abstract class Role {
  /** The per-request object for a new stream. */
  abstract newStream(id: u32, root: RootContext): Context;
  onTick(): void {}
  onCallResponse(_token: u32, _headers: u32, _bodySize: u32): void {}
}
