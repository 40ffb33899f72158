// The import object for a module: the real implementation of every host function
// Envoy provides for the module's ABI version, a logged stub for anything else.
import { WasmResult, LogLevel } from "../types.js";
import { envoyProvidedImports, WASI_MODULES } from "../abi.js";
import type { HostCore, AnyFn } from "../core.js";
import { loggingImports } from "./logging.js";
import { contextImports } from "./context.js";
import { headerImports } from "./headers.js";
import { httpCallImports } from "./http.js";
import { sharedImports } from "./shared.js";
import { wasiImports } from "./wasi.js";

export function buildImports(h: HostCore, module: WebAssembly.Module): WebAssembly.Imports {
  const env = { ...loggingImports(h), ...contextImports(h), ...headerImports(h), ...httpCallImports(h), ...sharedImports(h) };
  const wasi = wasiImports(h);
  // Only what Envoy registers for this ABI version gets a real implementation (e.g. a 0.2.x module
  // importing proxy_clear_route_cache gets the stub), so behaviour never hides a load failure in Envoy.
  const provided = envoyProvidedImports(h.abiVersion);
  const result: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function") {
      throw new Error(`unsupported ${imp.kind} import ${imp.module}.${imp.name}: the harness only provides functions`);
    }
    const table = imp.module === "env" ? env : WASI_MODULES.includes(imp.module) ? wasi : undefined;
    const real = provided.has(`${imp.module}.${imp.name}`) ? table?.[imp.name] : undefined;
    const impl = real ?? stub(h, imp.module, imp.name);
    (result[imp.module] ??= {})[imp.name] = impl as unknown as WebAssembly.ImportValue;
  }
  return result;
}

function stub(h: HostCore, module: string, name: string): AnyFn {
  const full = `${module}.${name}`;
  const code = WASI_MODULES.includes(module) ? 52 /* ENOSYS */ : WasmResult.Unimplemented;
  return () => {
    h.unimplementedCalls.push(full);
    h.hostLog(LogLevel.error, `unimplemented host function ${full} called`);
    return code;
  };
}
