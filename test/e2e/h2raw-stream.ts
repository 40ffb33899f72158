// One h2c stream driven frame by frame on a bare socket, for what node's http2
// module will not send: a stream reset without END_STREAM. Http2Stream.close()
// on a stream whose writable side is open first ends it (an empty DATA frame with
// END_STREAM, then RST_STREAM), so a node client cannot reset a request halfway.
// Each call writes its frame at once (inside batch(), all of them in one write:
// one read for Envoy); what the server sent on the stream is kept.
import { connect, type Socket } from "node:net";
import { PREFACE, frame, literal, DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY, END_STREAM, END_HEADERS, ACK } from "./h2raw.js";

export const CANCEL = 0x8;

/** What the server sent on stream 1. */
export interface RawOutcome {
  /** The response's HEADERS came (not decoded). */
  responded: boolean;
  /** The response stream ended (END_STREAM from the server). */
  ended: boolean;
  /** The server's RST_STREAM error code on stream 1, if it sent one. */
  resetCode?: number;
  goaway: boolean;
}

export class RawStream {
  private buf = Buffer.alloc(0);
  readonly outcome: RawOutcome = { responded: false, ended: false, goaway: false };
  private constructor(private sock: Socket) {
    sock.on("data", (chunk: Buffer) => this.read(chunk));
  }

  /** Connects and sends the preface and SETTINGS; stream 1 starts with headers(). */
  static async open(port: number): Promise<RawStream> {
    const sock = connect(port, "127.0.0.1");
    sock.on("error", () => {});
    await new Promise<void>((res, rej) => {
      sock.once("connect", () => res());
      sock.once("error", rej);
    });
    const s = new RawStream(sock);
    sock.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.alloc(0))]));
    return s;
  }

  /** Stream 1's HEADERS, in this order (pseudo-headers first), never with END_STREAM. */
  headers(headers: [string, string][]): void {
    this.sock.write(frame(HEADERS, END_HEADERS, 1, Buffer.concat(headers.map(([k, v]) => literal(k, v)))));
  }

  data(bytes: string | Buffer, endStream = false): void {
    this.sock.write(frame(DATA, endStream ? END_STREAM : 0, 1, Buffer.from(bytes)));
  }

  reset(code = CANCEL): void {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(code, 0);
    this.sock.write(frame(RST_STREAM, 0, 1, p));
  }

  /** The frames written by `f` leave in one write. */
  batch(f: () => void): void {
    this.sock.cork();
    try {
      f();
    } finally {
      this.sock.uncork();
    }
  }

  /** Closes the connection once what was written has gone (a stream still open is reset with it). */
  close(): void {
    this.sock.end();
  }

  private read(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const type = this.buf[3];
      const flags = this.buf[4];
      const stream = this.buf.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buf.subarray(9, 9 + len);
      this.buf = this.buf.subarray(9 + len);
      if (type === SETTINGS && !(flags & ACK)) this.sock.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
      else if (type === GOAWAY) this.outcome.goaway = true;
      else if (stream === 1 && type === RST_STREAM) this.outcome.resetCode = payload.readUInt32BE(0);
      else if (stream === 1 && (type === HEADERS || type === DATA)) {
        if (type === HEADERS) this.outcome.responded = true;
        if (flags & END_STREAM) this.outcome.ended = true;
      }
    }
  }
}
