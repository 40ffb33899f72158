// SIMD probe: does Envoy's V8 accept and run a module with Wasm SIMD (v128)
// instructions? On each request it counts the bytes equal to ':' in the value of
// the request header "x-simd-input" with i8x16.eq and i8x16.bitmask (16 bytes at
// a time, scalar for the tail), and adds the count as the request header
// "x-simd-colons"; on_vm_start runs a v128 computation too, so a VM that cannot
// execute SIMD fails at start. Built with --enable simd (scripts/build.mjs);
// test/e2e/simd-probe.test.ts checks the upstream's header against a scalar count.
export * from "./callbacks";
import { CONTINUE, proxy_get_header_map_value, proxy_add_header_map_value } from "./abi";

const REQUEST_HEADERS: i32 = 0;
const RET_DATA: usize = memory.data(8);
const RET_SIZE: usize = memory.data(8);
const INPUT: ArrayBuffer = String.UTF8.encode("x-simd-input");
const NAME: ArrayBuffer = String.UTF8.encode("x-simd-colons");

function countColons(p: usize, n: usize): i32 {
  const colon = i8x16.splat(0x3a);
  let count: i32 = 0;
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(p + i), colon));
    count += <i32>popcnt<i32>(m);
  }
  for (; i < n; i++) if (load<u8>(p + i) == 0x3a) count++;
  return count;
}

export function proxy_on_vm_start(_root: u32, _size: u32): i32 {
  // 1+2+..+16 through a v128 add and lane extracts: 136 unless SIMD is broken.
  const scratch = heap.alloc(16);
  for (let k = 0; k < 16; k++) store<u8>(scratch + k, <u8>k);
  const v = i8x16.add(v128.load(scratch), i8x16.splat(1));
  v128.store(scratch, v);
  let sum: i32 = 0;
  for (let k = 0; k < 16; k++) sum += load<u8>(scratch + k);
  heap.free(scratch);
  return sum == 136 ? 1 : 0;
}

export function proxy_on_request_headers(_ctx: u32, _n: u32, _eos: i32): i32 {
  if (proxy_get_header_map_value(REQUEST_HEADERS, changetype<usize>(INPUT), <usize>INPUT.byteLength, RET_DATA, RET_SIZE) != 0) return CONTINUE;
  const p = load<usize>(RET_DATA);
  const n = load<usize>(RET_SIZE);
  const value = String.UTF8.encode(countColons(p, n).toString());
  heap.free(p);
  proxy_add_header_map_value(REQUEST_HEADERS, changetype<usize>(NAME), <usize>NAME.byteLength, changetype<usize>(value), <usize>value.byteLength);
  return CONTINUE;
}

export function proxy_on_request_body(_ctx: u32, _size: u32, _eos: i32): i32 { return CONTINUE; }
