// WASI (wasi_snapshot_preview1 / wasi_unstable) as Envoy provides it: stdout and
// stderr go to the log, the environment is the VM's, clocks, random_get, proc_exit.
import { randomFillSync } from "node:crypto";
import { LogLevel } from "../types.js";
import { EMPTY, dec, enc, concat, u32 } from "../bytes.js";
import { ProcExit } from "../abi.js";
import type { HostCore, AnyFn } from "../core.js";

export function wasiImports(h: HostCore): Record<string, AnyFn> {
  const SUCCESS = 0, BADF = 8, FAULT = 21, INVAL = 28, NOSYS = 52, NOTSUP = 58;
  const env = Object.entries(h.opts.env ?? {});
  return {
    fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
      const level = fd === 1 ? LogLevel.info : fd === 2 ? LogLevel.error : -1;
      if (level < 0) return BADF;
      const parts: Uint8Array[] = [];
      for (let i = 0; i < u32(iovsLen); i++) {
        const iov = h.read(iovs + i * 8, 8);
        if (!iov) return FAULT;
        const dv = new DataView(iov.buffer);
        const len = dv.getUint32(4, true);
        if (len === 0) continue;
        const chunk = h.read(dv.getUint32(0, true), len);
        if (!chunk) return FAULT;
        parts.push(chunk);
      }
      const all = parts.reduce((a, b) => concat(a, b), EMPTY);
      if (all.length > 0) {
        let s = dec.decode(all);
        if (s.endsWith("\n")) s = s.slice(0, -1);
        h.log(level, s);
      }
      return h.writeU32(nwrittenPtr, all.length) ? SUCCESS : FAULT;
    },
    fd_read: () => NOSYS,
    fd_seek: () => SUCCESS,
    fd_close: () => SUCCESS,
    fd_fdstat_get: (fd: number, statPtr: number) => {
      if (fd !== 1 && fd !== 2) return BADF;
      const stat = new Uint8Array(24);
      stat[8] = 64; // fs_rights_base = FD_WRITE
      h.write(statPtr, stat);
      return SUCCESS;
    },
    fd_fdstat_set_flags: () => NOSYS,
    fd_prestat_get: () => BADF,
    fd_prestat_dir_name: () => NOSYS,
    fd_filestat_get: () => BADF,
    path_open: () => 44,
    path_filestat_get: () => NOTSUP,
    environ_sizes_get: (countPtr: number, sizePtr: number) => {
      let size = 0;
      for (const [k, v] of env) size += enc.encode(k).length + enc.encode(v).length + 2;
      return h.writeU32(countPtr, env.length) && h.writeU32(sizePtr, size) ? SUCCESS : FAULT;
    },
    environ_get: (arrayPtr: number, bufPtr: number) => {
      let a = u32(arrayPtr);
      let b = u32(bufPtr);
      for (const [k, v] of env) {
        const data = enc.encode(`${k}=${v}\0`);
        if (!h.writeU32(a, b) || !h.write(b, data)) return FAULT;
        a += 4;
        b += data.length;
      }
      return SUCCESS;
    },
    args_sizes_get: (argcPtr: number, bufSizePtr: number) =>
      h.writeU32(argcPtr, 0) && h.writeU32(bufSizePtr, 0) ? SUCCESS : FAULT,
    args_get: () => SUCCESS,
    clock_time_get: (id: number, _precision: bigint, resultPtr: number) => {
      let t: bigint;
      if (id === 0) t = h.now();
      else if (id === 1) t = process.hrtime.bigint();
      else return NOTSUP;
      return h.writeU64(resultPtr, t) ? SUCCESS : FAULT;
    },
    clock_res_get: (id: number, resultPtr: number) => {
      if (id !== 0 && id !== 1) return NOTSUP;
      return h.writeU64(resultPtr, 1n) ? SUCCESS : FAULT;
    },
    random_get: (ptr: number, len: number) => {
      // PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES
      if (u32(len) > 64 * 1024) return INVAL;
      if (len === 0) return SUCCESS;
      const b = new Uint8Array(u32(len));
      randomFillSync(b);
      return h.write(ptr, b) ? SUCCESS : FAULT;
    },
    sched_yield: () => SUCCESS,
    proc_exit: (code: number) => {
      h.procExitCalls.push(code);
      h.logs.push({ level: LogLevel.trace, message: `wasi_unstable proc_exit(${code})`, source: "host" });
      // Envoy returns to the module; AssemblyScript's abort path then reaches `unreachable` and traps anyway.
      if (h.opts.procExitTraps) throw new ProcExit(code);
      return undefined;
    },
  };
}
