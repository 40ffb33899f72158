import type { HeaderList, Forwarded, Side } from "./types.js";
import { Appender, Bytes, EMPTY } from "./bytes.js";

/** One direction of an HTTP stream as Envoy's filter manager sees it for this (single) filter. */
export class Direction {
  headers: HeaderList | null = null;
  headersLive = false;
  headersReceived = false;
  headersEos = false;
  trailers: HeaderList | null = null;
  trailersLive = false;
  /** Trailers the filter stopped (or that arrived while it stopped all iteration), waiting for continue. */
  heldTrailers: HeaderList | null = null;
  /** Trailers the module added from the last body callback (Envoy's addDecodedTrailers). */
  addedTrailers = false;
  /** The body buffer the module sees: the current chunk, or `held` while buffering. */
  body: Bytes | null = null;
  lastEos = false;
  /** Data the filter manager holds at this filter (not yet passed on). */
  readonly held = new Bytes(EMPTY, true);
  heldPending = false;
  /** Grows out.body, what was passed on. */
  readonly passed = new Appender();
  /** Previous body callback returned StopIterationAndBuffer: the next chunk is appended and the whole buffer is seen. */
  bufferingBody = false;
  stopAll = false;
  stopped = false;
  remoteEnded = false;
  /** Nothing more is passed on (local reply or reset). */
  terminated = false;

  constructor(readonly side: Side, readonly out: Forwarded) {}
}
