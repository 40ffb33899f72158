// The callbacks every probe exports alike: the ABI marker, the allocator the host
// uses to hand over buffers, and the lifecycle callbacks, all doing nothing.
import { CONTINUE } from "./abi";

// The host hands over buffers it allocated with this module's malloc; the
// probes free them with heap.free.
export function malloc(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_vm_start(_root: u32, _size: u32): i32 { return 1; }
export function proxy_on_configure(_root: u32, _size: u32): i32 { return 1; }
export function proxy_on_context_create(_ctx: u32, _parent: u32): void {}
export function proxy_on_request_trailers(_ctx: u32, _n: u32): i32 { return CONTINUE; }
export function proxy_on_response_headers(_ctx: u32, _n: u32, _eos: i32): i32 { return CONTINUE; }
export function proxy_on_response_body(_ctx: u32, _size: u32, _eos: i32): i32 { return CONTINUE; }
export function proxy_on_response_trailers(_ctx: u32, _n: u32): i32 { return CONTINUE; }
export function proxy_on_done(_ctx: u32): i32 { return 1; }
export function proxy_on_log(_ctx: u32): void {}
export function proxy_on_delete(_ctx: u32): void {}
