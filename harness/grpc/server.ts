// A real @grpc/grpc-js Payments server on 127.0.0.1:<free port> that records
// every call it receives: all request headers as they arrived (te, grpc-timeout,
// content-type included: grpc-js hides those from the handler's metadata, so they
// are read off the HTTP/2 stream), the raw DATA bytes of the body, and each
// message's bytes exactly as received (a pass-through deserializer: nothing is
// decoded on the way in; decode them with paymentsSchema() to assert on them).
import { Server, ServerCredentials, Metadata, status as Status, type ServiceDefinition, type UntypedServiceImplementation, type ServerUnaryCall, type ServerReadableStream, type ServerWritableStream, type sendUnaryData } from "@grpc/grpc-js";
import type { Http2Server, ServerHttp2Stream, IncomingHttpHeaders } from "node:http2";
import { paymentsSchema, type MethodName } from "./proto.js";
import { DEFAULT_BEHAVIOUR, refusal, chargeAnswer, uploadAnswer, watchEvents, type PaymentsBehaviour, type Version } from "./payments.js";

export interface ReceivedCall {
  /** Order of arrival at this server, from 1. */
  seq: number;
  path: string;
  method: MethodName | null;
  /** Header pairs as received (pseudo-headers first, names lower-case). */
  headers: [string, string][];
  /** The body's DATA bytes as received, frames and all. */
  body: Buffer;
  /** Each message's bytes, as the server read them off the wire. */
  messages: Buffer[];
  /** The status this server answered with (set once answered). */
  answered: { code: Status; details: string } | null;
  /** Whether the request stream ended (the client half-closed). */
  ended: boolean;
  /** Whether the HTTP/2 stream closed (answered by the handler, by grpc-js itself, or reset). */
  closed: boolean;
}

export interface PaymentsServer {
  readonly name: string;
  readonly version: Version;
  readonly port: number;
  readonly calls: ReceivedCall[];
  /** One line per event (call received, answered), for printing when a test fails. */
  readonly log: string[];
  /** Mutable: what the next calls get. */
  behaviour: PaymentsBehaviour;
  header(call: ReceivedCall, name: string): string | undefined;
  /** Resolves once `count` calls were over: answered and closed, or reset (rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedCall[]>;
  /** Resolves once some call has delivered `count` messages to the handler, while it may still be open (rejects after timeoutMs). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedCall>;
  clear(): void;
  stop(): Promise<void>;
}

export interface ServerOptions {
  name?: string;
  version?: Version;
  behaviour?: Partial<PaymentsBehaviour>;
  /** Largest message sent or received (grpc-js' default is 4 MiB). */
  maxMessageBytes?: number;
}

const CALL_KEY = "x-harness-call-seq";

export async function startPaymentsServer(opts: ServerOptions = {}): Promise<PaymentsServer> {
  const version = opts.version ?? 1;
  const name = opts.name ?? `payments-v${version}`;
  const schema = paymentsSchema();
  const calls: ReceivedCall[] = [];
  const bySeq = new Map<number, ReceivedCall>();
  const log: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const max = opts.maxMessageBytes ?? 16 * 1024 * 1024;
  let seq = 0;

  const note = (line: string) => log.push(`${new Date().toISOString()} ${name} ${line}`);
  const answeredCount = () => calls.filter((c) => c.closed).length;
  const wake = () => {
    for (const w of waiters.splice(0)) {
      if (answeredCount() >= w.count) w.resolve();
      else waiters.push(w);
    }
  };
  const answered = (call: ReceivedCall, code: Status, details: string) => {
    call.answered = { code, details };
    note(`#${call.seq} ${call.path} answered ${Status[code]}${details ? `: ${details}` : ""}`);
  };
  const callOf = (metadata: Metadata): ReceivedCall => {
    const n = Number(metadata.get(CALL_KEY)[0]);
    const c = bySeq.get(n);
    if (!c) throw new Error(`${name}: call #${n} was not recorded`);
    return c;
  };
  const decode = (m: MethodName, b: Buffer) => schema.decode(schema.requestType(m).fullName, b);
  /** Decodes a call's messages; a message that does not decode is answered INVALID_ARGUMENT (and logged). */
  function decodeOrRefuse(rec: ReceivedCall, m: MethodName, msgs: Buffer[], refuse: (e: { code: Status; details: string }) => void): Record<string, unknown>[] | null {
    try {
      return msgs.map((b) => decode(m, b));
    } catch (e) {
      const details = `undecodable ${m} request: ${(e as Error).message}`;
      answered(rec, Status.INVALID_ARGUMENT, details);
      refuse({ code: Status.INVALID_ARGUMENT, details });
      return null;
    }
  }
  const later = (f: () => void) => (server.behaviour.delayMs > 0 ? setTimeout(f, server.behaviour.delayMs) : f());

  const charge = (call: ServerUnaryCall<Buffer, object>, cb: sendUnaryData<object>) => {
    const rec = callOf(call.metadata);
    rec.messages.push(Buffer.from(call.request));
    rec.ended = true;
    const req = decodeOrRefuse(rec, "Charge", [call.request], cb)?.[0];
    if (!req) return;
    later(() => {
      const no = refusal(server.behaviour, [req]);
      if (no) {
        answered(rec, no.code, no.details);
        return cb({ code: no.code, details: no.details });
      }
      answered(rec, Status.OK, "");
      cb(null, chargeAnswer(version, req));
    });
  };
  const upload = (call: ServerReadableStream<Buffer, object>, cb: sendUnaryData<object>) => {
    const rec = callOf(call.metadata);
    call.on("data", (b: Buffer) => rec.messages.push(Buffer.from(b)));
    call.on("end", () => {
      rec.ended = true;
      const chunks = decodeOrRefuse(rec, "Upload", rec.messages, cb);
      if (!chunks) return;
      later(() => {
        const no = refusal(server.behaviour, chunks.map((c) => (c.charge ?? {}) as Record<string, unknown>));
        if (no) {
          answered(rec, no.code, no.details);
          return cb({ code: no.code, details: no.details });
        }
        answered(rec, Status.OK, "");
        cb(null, uploadAnswer(version, chunks));
      });
    });
  };
  const watch = (call: ServerWritableStream<Buffer, object>) => {
    const rec = callOf(call.metadata);
    rec.messages.push(Buffer.from(call.request));
    rec.ended = true;
    const req = decodeOrRefuse(rec, "Watch", [call.request], (e) => call.emit("error", e))?.[0];
    if (!req) return;
    later(() => {
      const no = refusal(server.behaviour, []);
      if (no) {
        answered(rec, no.code, no.details);
        return call.emit("error", { code: no.code, details: no.details });
      }
      for (const e of watchEvents(version, req)) call.write(e);
      answered(rec, Status.OK, "");
      call.end();
    });
  };

  // proto-loader's definitions, with requests passed through as the bytes received.
  const definition: ServiceDefinition = Object.fromEntries(
    Object.entries(schema.methods).map(([m, def]) => [m, { ...def, requestDeserialize: (b: Buffer) => b }]),
  );
  const impl: UntypedServiceImplementation = { Charge: charge, Upload: upload, Watch: watch };
  const grpcServer = new Server({ "grpc.max_receive_message_length": max, "grpc.max_send_message_length": max });
  grpcServer.addService(definition, impl);
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  // grpc-js keeps its HTTP/2 servers private; tap each one's streams before grpc-js sees them.
  const http2Servers = (grpcServer as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  if (!(http2Servers instanceof Map) || http2Servers.size === 0) throw new Error("@grpc/grpc-js changed: no http2Servers to record headers from");
  for (const h2 of http2Servers.keys()) {
    h2.prependListener("stream", (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      const pairs: [string, string][] = [];
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i].toLowerCase(), rawHeaders[i + 1]]);
      const path = String(headers[":path"] ?? "");
      const m = path.split("/").pop() as MethodName;
      const rec: ReceivedCall = { seq: ++seq, path, method: m in schema.methods ? m : null, headers: pairs, body: Buffer.alloc(0), messages: [], answered: null, ended: false, closed: false };
      calls.push(rec);
      bySeq.set(rec.seq, rec);
      note(`#${rec.seq} ${path} received (${pairs.map(([k, v]) => `${k}: ${v.length > 80 ? v.slice(0, 80) + "..." : v}`).join(", ")})`);
      // Handed to the handler through the metadata grpc-js builds from this object.
      (headers as Record<string, string>)[CALL_KEY] = String(rec.seq);
      const parts: Buffer[] = [];
      stream.on("data", (c: Buffer) => parts.push(c));
      stream.on("end", () => (rec.body = Buffer.concat(parts)));
      stream.on("close", () => {
        rec.body = Buffer.concat(parts);
        if (!rec.answered) note(`#${rec.seq} ${path} closed without an answer from the handler (rst ${stream.rstCode}, ${rec.body.length} body bytes)`);
        rec.closed = true;
        wake();
      });
    });
  }

  const server: PaymentsServer = {
    name,
    version,
    port,
    calls,
    log,
    behaviour: { ...DEFAULT_BEHAVIOUR, ...opts.behaviour },
    header(call, h) {
      return call.headers.find(([k]) => k === h.toLowerCase())?.[1];
    },
    waitFor(count, timeoutMs = 10_000) {
      if (answeredCount() >= count) return Promise.resolve(calls.slice());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${name}: ${answeredCount()} of ${count} calls over after ${timeoutMs} ms\n${log.join("\n")}`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(t), resolve(calls.slice())) });
      });
    },
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = calls.find((x) => x.messages.length >= count);
        if (c) return c;
        if (Date.now() > deadline) throw new Error(`${name}: no call with ${count} messages after ${timeoutMs} ms\n${log.join("\n")}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    clear() {
      calls.length = 0;
      bySeq.clear();
      log.length = 0;
    },
    stop() {
      return new Promise((resolve) => {
        const t = setTimeout(() => (grpcServer.forceShutdown(), resolve()), 2000);
        grpcServer.tryShutdown(() => (clearTimeout(t), resolve()));
      });
    },
  };
  return server;
}
