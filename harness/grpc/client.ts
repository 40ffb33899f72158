// A real @grpc/grpc-js client for the Payments service, calling through Envoy's
// listener (h2c): unary, client streaming with N messages, server streaming.
// Requests go out as the bytes given (encode them with paymentsSchema()), and
// answers come back as the bytes received, with the status, the response headers
// and the trailers, so a test can compare two runs byte for byte.
import { Client, Metadata, credentials, status as Status, type ServiceError, type StatusObject, type ClientUnaryCall } from "@grpc/grpc-js";
import { paymentsSchema, type MethodName } from "./proto.js";

export interface CallResult {
  code: Status;
  /** Status name, e.g. "OK", "UNAVAILABLE". */
  codeName: string;
  details: string;
  /** Response headers (initial metadata), as [name, value] pairs; empty for a trailers-only answer. */
  headers: [string, string][];
  /** Trailing metadata without grpc-status/grpc-message (grpc-js reads those into code/details). */
  trailers: [string, string][];
  /** Each answer message's bytes, as received. */
  messages: Buffer[];
}

export interface CallOptions {
  /** Extra request metadata (e.g. x-request-id, authorization). */
  metadata?: Record<string, string>;
  /** Deadline from now, in ms: grpc-js sends it as grpc-timeout. */
  deadlineMs?: number;
  /**
   * Client streams: awaited after each message was written, before the next one
   * (and before the end), with the count written so far; e.g. to wait until the
   * shadow has seen that message while the stream is still open.
   */
  afterWrite?: (written: number) => Promise<void>;
}

export interface PaymentsClient {
  unary(method: MethodName, message: Buffer, opts?: CallOptions): Promise<CallResult>;
  /** A client stream of `messages`, written one by one. */
  clientStream(method: MethodName, messages: Buffer[], opts?: CallOptions): Promise<CallResult>;
  serverStream(method: MethodName, message: Buffer, opts?: CallOptions): Promise<CallResult>;
  close(): void;
}

const pass = (b: Buffer) => b;

function pairs(md: Metadata | undefined): [string, string][] {
  if (!md) return [];
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(md.toJSON())) for (const x of v) out.push([k, Buffer.isBuffer(x) ? x.toString("base64") : String(x)]);
  return out;
}

/** A client of 127.0.0.1:`port`; `authority` is the :authority it sends (default: the address). */
export function paymentsClient(port: number, opts: { authority?: string; maxMessageBytes?: number } = {}): PaymentsClient {
  const schema = paymentsSchema();
  const max = opts.maxMessageBytes ?? 16 * 1024 * 1024;
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
    "grpc.max_receive_message_length": max,
    "grpc.max_send_message_length": max,
    ...(opts.authority ? { "grpc.default_authority": opts.authority } : {}),
  });
  const callArgs = (o: CallOptions = {}) => {
    const md = new Metadata();
    for (const [k, v] of Object.entries(o.metadata ?? {})) md.set(k, v);
    return { md, options: o.deadlineMs ? { deadline: Date.now() + o.deadlineMs } : {} };
  };
  const collect = (
    start: (done: (err: ServiceError | null) => void, onMessage: (b: Buffer) => void) => ClientUnaryCall,
  ): Promise<CallResult> =>
    new Promise((resolve) => {
      const result: CallResult = { code: Status.UNKNOWN, codeName: "UNKNOWN", details: "", headers: [], trailers: [], messages: [] };
      let statusSeen: StatusObject | null = null;
      let callbackDone = false;
      const finish = () => {
        if (!statusSeen || !callbackDone) return;
        result.code = statusSeen.code;
        result.codeName = Status[statusSeen.code];
        result.details = statusSeen.details;
        result.trailers = pairs(statusSeen.metadata);
        resolve(result);
      };
      const call = start(
        () => {
          callbackDone = true;
          finish();
        },
        (b) => result.messages.push(Buffer.from(b)),
      );
      call.on("metadata", (md: Metadata) => (result.headers = pairs(md)));
      call.on("status", (s: StatusObject) => {
        statusSeen = s;
        finish();
      });
    });

  return {
    unary(method, message, o) {
      const { md, options } = callArgs(o);
      return collect((done, onMessage) =>
        client.makeUnaryRequest(schema.path(method), pass, pass, message, md, options, (err, res) => {
          if (res) onMessage(res);
          done(err);
        }),
      );
    },
    clientStream(method, messages, o) {
      const { md, options } = callArgs(o);
      return collect((done, onMessage) => {
        const call = client.makeClientStreamRequest(schema.path(method), pass, pass, md, options, (err, res) => {
          if (res) onMessage(res);
          done(err);
        });
        const rest = [...messages];
        let written = 0;
        const next = () => {
          const m = rest.shift();
          if (m === undefined) return call.end();
          call.write(m, () => {
            written++;
            if (!o?.afterWrite) return setTimeout(next, 5);
            o.afterWrite(written).then(next, (e: Error) => {
              console.error(`clientStream ${method}: afterWrite(${written}) failed, call cancelled: ${e.message}`);
              call.cancel();
            });
          });
        };
        next();
        return call;
      });
    },
    serverStream(method, message, o) {
      const { md, options } = callArgs(o);
      return collect((done, onMessage) => {
        const call = client.makeServerStreamRequest(schema.path(method), pass, pass, message, md, options);
        call.on("data", onMessage);
        call.on("error", () => undefined);
        call.on("status", () => done(null));
        return call;
      });
    },
    close: () => client.close(),
  };
}
