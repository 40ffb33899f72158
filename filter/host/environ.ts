// The plugin's VM environment (vm_config.environment_variables in Envoy,
// vmConfig.env in Istio's WasmPlugin), read through WASI. Secrets such as the
// hash key come from here so they never appear in the plugin configuration.
import { Environment } from "../policy/types";

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_sizes_get")
declare function environ_sizes_get(count: usize, size: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_get")
declare function environ_get(environ: usize, buf: usize): u16;

export function readEnvironment(): Environment {
  const env = new Environment();
  const sizes = memory.data(8);
  if (environ_sizes_get(sizes, sizes + 4) != 0) return env;
  const count = load<u32>(sizes);
  const size = load<u32>(sizes + 4);
  if (count == 0 || size == 0) return env;
  const ptrs = new ArrayBuffer(<i32>count * 4);
  const buf = new ArrayBuffer(<i32>size);
  if (environ_get(changetype<usize>(ptrs), changetype<usize>(buf)) != 0) return env;
  const base = changetype<usize>(buf);
  const end = base + <usize>size;
  for (let i: u32 = 0; i < count; i++) {
    const p = load<u32>(changetype<usize>(ptrs) + <usize>i * 4);
    // Entries are "NAME=value\0" inside buf; anything pointing elsewhere is ignored.
    if (<usize>p < base || <usize>p >= end) continue;
    let e = <usize>p;
    while (e < end && load<u8>(e) != 0) e++;
    const entry = String.UTF8.decodeUnsafe(<usize>p, e - <usize>p);
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    env.names.push(entry.substring(0, eq));
    env.values.push(entry.substring(eq + 1));
  }
  return env;
}
