// Lower-bound probe: a filter that Envoy calls at every point mirrorshade is
// called (the same exported callbacks) and that does nothing. What it costs is
// what any Wasm HTTP filter costs in Envoy before its first line of work.
export * from "./callbacks";
import { CONTINUE } from "./abi";

export function proxy_on_request_headers(_ctx: u32, _n: u32, _eos: i32): i32 { return CONTINUE; }
export function proxy_on_request_body(_ctx: u32, _size: u32, _eos: i32): i32 { return CONTINUE; }
