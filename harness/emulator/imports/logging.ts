// Logging, status, time and metrics: proxy_log, proxy_get_log_level, proxy_get_status,
// the tick period and the clock, and proxy_define/increment/record/get_metric.
import { WasmResult, LogLevel, type MetricRecord } from "../types.js";
import { enc, dec, u32 } from "../bytes.js";
import type { HostCore, AnyFn } from "../core.js";

function metricById(h: HostCore, id: number): MetricRecord | undefined {
  const name = h.metricIds.get(u32(id));
  return name === undefined ? undefined : h.metrics.get(name);
}

export function loggingImports(h: HostCore): Record<string, AnyFn> {
  const R = WasmResult;
  return {
    proxy_log: (level: number, ptr: number, len: number) => {
      if (u32(level) > LogLevel.critical) return R.BadArgument;
      const msg = h.view(ptr, len);
      if (msg === null) return R.InvalidMemoryAccess;
      // Below the log level the message is not even decoded (Envoy's logger drops it unformatted).
      if (level >= h.logLevel) h.log(level, dec.decode(msg));
      return R.Ok;
    },
    proxy_get_log_level: (ptr: number) => (h.writeU32(ptr, h.logLevel) ? R.Ok : R.InvalidMemoryAccess),
    proxy_get_status: (codePtr: number, msgPtrPtr: number, msgSizePtr: number) => {
      if (!h.writeU32(codePtr, h.statusCode)) return R.InvalidMemoryAccess;
      return h.copyOut(enc.encode(h.statusMessage), msgPtrPtr, msgSizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_tick_period_milliseconds: (ms: number) => {
      h.tickPeriodMs = u32(ms);
      return R.Ok;
    },
    proxy_get_current_time_nanoseconds: (ptr: number) => (h.writeU64(ptr, h.now()) ? R.Ok : R.InvalidMemoryAccess),
    proxy_define_metric: (type: number, namePtr: number, nameLen: number, idPtr: number) => {
      const name = h.readStr(namePtr, nameLen);
      if (name === null) return R.InvalidMemoryAccess;
      const kind = (["counter", "gauge", "histogram"] as const)[u32(type)];
      if (!kind) return R.BadArgument;
      // Envoy hands out a new id per definition (type in the low two bits) for the same underlying stat.
      h.nextMetricId[kind] += 4;
      const id = h.nextMetricId[kind];
      h.metricIds.set(id, name);
      if (!h.metrics.has(name)) h.metrics.set(name, { type: kind, value: 0n, records: [] });
      return h.writeU32(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_increment_metric: (id: number, offset: bigint) => {
      const m = metricById(h, id);
      if (!m) return (u32(id) & 3) === 2 || (u32(id) & 3) === 3 ? R.BadArgument : R.NotFound;
      const delta = BigInt.asIntN(64, BigInt(offset));
      if (m.type === "counter") {
        if (delta <= 0n) return R.BadArgument;
        m.value += delta;
        return R.Ok;
      }
      if (m.type === "gauge") {
        m.value += delta;
        return R.Ok;
      }
      return R.BadArgument;
    },
    proxy_record_metric: (id: number, value: bigint) => {
      const m = metricById(h, id);
      if (!m) return R.NotFound;
      const v = BigInt.asUintN(64, BigInt(value));
      if (m.type === "counter") m.value += v;
      else if (m.type === "gauge") m.value = v;
      else {
        m.value = v;
        m.records.push(v);
      }
      return R.Ok;
    },
    proxy_get_metric: (id: number, resultPtr: number) => {
      const m = metricById(h, id);
      if (!m) return (u32(id) & 3) >= 2 ? R.BadArgument : R.NotFound;
      if (m.type === "histogram") return R.BadArgument;
      return h.writeU64(resultPtr, m.value) ? R.Ok : R.InvalidMemoryAccess;
    },
  };
}
