// A minimal h2c client on a bare socket, for what node's http2 module will not
// send: repeated single-value headers (two content-type fields), header fields in
// a chosen order, and DATA frames as given (an empty one ending the stream).
// HPACK literals without indexing and without Huffman coding (RFC 7541 6.2.2).
// h2raw-stream.ts drives one stream frame by frame with the same encoders.
import { connect } from "node:net";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** Frame types and flags (RFC 9113 6), shared with h2raw-stream.ts. */
export const DATA = 0x0;
export const HEADERS = 0x1;
export const RST_STREAM = 0x3;
export const SETTINGS = 0x4;
export const GOAWAY = 0x7;
export const END_STREAM = 0x1;
export const END_HEADERS = 0x4;
export const ACK = 0x1;

export function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** An HPACK integer with an n-bit prefix (RFC 7541 5.1). */
function int(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}

export function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, "latin1");
  const v = Buffer.from(value, "latin1");
  return Buffer.concat([Buffer.from([0]), int(n.length, 7, 0), n, int(v.length, 7, 0), v]);
}

/**
 * Sends one request on stream 1: `headers` in this order (pseudo-headers first,
 * as given), then one DATA frame per element of `data` (the last with
 * END_STREAM; an empty string is an empty frame), or only HEADERS with
 * END_STREAM when `data` is empty. Resolves once the response's
 * stream ends; rejects on RST_STREAM or GOAWAY.
 */
export function h2raw(port: number, headers: [string, string][], data: (string | Buffer)[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    let sent = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error("h2raw: no response"));
    }, 10_000);
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      reject(new Error("h2raw: connection closed before the response ended"));
    });
    sock.on("connect", () => sock.write(Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, Buffer.alloc(0))])));
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const type = buf[3];
        const flags = buf[4];
        const stream = buf.readUInt32BE(5) & 0x7fffffff;
        const payload = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (type === SETTINGS && !(flags & ACK)) {
          sock.write(frame(SETTINGS, ACK, 0, Buffer.alloc(0)));
          if (!sent) {
            sent = true;
            const block = Buffer.concat(headers.map(([k, v]) => literal(k, v)));
            const out = [frame(HEADERS, END_HEADERS | (data.length === 0 ? END_STREAM : 0), 1, block)];
            data.forEach((d, i) => out.push(frame(DATA, i === data.length - 1 ? END_STREAM : 0, 1, Buffer.from(d))));
            sock.write(Buffer.concat(out));
          }
        } else if ((type === RST_STREAM && stream === 1) || type === GOAWAY) {
          clearTimeout(timer);
          sock.destroy();
          reject(new Error(`h2raw: ${type === GOAWAY ? "GOAWAY" : "RST_STREAM"} error code ${payload.readUInt32BE(type === GOAWAY ? 4 : 0)}`));
        } else if (stream === 1 && (type === DATA || type === HEADERS) && flags & END_STREAM) {
          clearTimeout(timer);
          sock.end();
          resolve();
        }
      }
    });
  });
}
