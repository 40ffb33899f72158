// Shared data and shared queues: proxy_get/set_shared_data (with cas),
// proxy_register/resolve/enqueue/dequeue_shared_queue.
import { WasmResult } from "../types.js";
import { u32 } from "../bytes.js";
import type { HostCore, AnyFn } from "../core.js";

function bumpCas(h: HostCore): number {
  const cas = h.nextCas++;
  if (h.nextCas > 0xffffffff) h.nextCas = 1;
  return cas;
}

function findQueue(h: HostCore, vmId: string, name: string): number {
  for (const [token, q] of h.sharedQueues) if (q.vmId === vmId && q.name === name) return token;
  return 0;
}

export function sharedImports(h: HostCore): Record<string, AnyFn> {
  const R = WasmResult;
  return {
    proxy_get_shared_data: (keyPtr: number, keyLen: number, valuePtrPtr: number, valueSizePtr: number, casPtr: number) => {
      const key = h.readStr(keyPtr, keyLen);
      if (key === null) return R.InvalidMemoryAccess;
      const entry = h.sharedData.get(key);
      if (!entry) return R.NotFound;
      if (!h.copyOut(entry.value, valuePtrPtr, valueSizePtr)) return R.InvalidMemoryAccess;
      return h.writeU32(casPtr, entry.cas) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_shared_data: (keyPtr: number, keyLen: number, valuePtr: number, valueLen: number, cas: number) => {
      const key = h.readStr(keyPtr, keyLen);
      const value = h.read(valuePtr, valueLen);
      if (key === null || value === null) return R.InvalidMemoryAccess;
      const existing = h.sharedData.get(key);
      if (existing && u32(cas) !== 0 && u32(cas) !== existing.cas) return R.CasMismatch;
      h.sharedData.set(key, { value, cas: bumpCas(h, ) });
      return R.Ok;
    },
    proxy_register_shared_queue: (namePtr: number, nameLen: number, tokenPtr: number) => {
      const name = h.readStr(namePtr, nameLen);
      if (name === null) return R.InvalidMemoryAccess;
      const vmId = h.opts.vmId ?? "";
      let token = findQueue(h, vmId, name);
      if (token === 0) {
        token = h.nextQueueToken++;
        h.sharedQueues.set(token, { name, vmId, items: [] });
      }
      return h.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue: (vmPtr: number, vmLen: number, namePtr: number, nameLen: number, tokenPtr: number) => {
      const vmId = h.readStr(vmPtr, vmLen);
      const name = h.readStr(namePtr, nameLen);
      if (vmId === null || name === null) return R.InvalidMemoryAccess;
      const token = findQueue(h, vmId === "" ? (h.opts.vmId ?? "") : vmId, name);
      if (token === 0) return R.NotFound;
      return h.writeU32(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue: (token: number, dataPtr: number, dataLen: number) => {
      const data = h.read(dataPtr, dataLen);
      if (data === null) return R.InvalidMemoryAccess;
      const q = h.sharedQueues.get(u32(token));
      if (!q) return R.NotFound;
      q.items.push(data);
      // Envoy posts proxy_on_queue_ready to the owning root context's thread; here it runs after the current event.
      h.defer(() => {
        h.invoke(h.root, "proxy_on_queue_ready", [h.root.id, u32(token)]);
      });
      return R.Ok;
    },
    proxy_dequeue_shared_queue: (token: number, dataPtrPtr: number, dataSizePtr: number) => {
      const q = h.sharedQueues.get(u32(token));
      if (!q) return R.NotFound;
      const item = q.items.shift();
      if (item === undefined) return R.Empty;
      return h.copyOut(item, dataPtrPtr, dataSizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
  };
}
