// What the mirror role keeps of a copy while a capture may still be taken: the
// bytes dispatched (headers per call, the body and trailers shared by the calls
// of one copy), the shadow's answer once it came, and the primary's answer
// headers as its stream saw them. Nothing is kept when capture is off; when on,
// a body over capture.max_body_bytes is not kept at all (the skip is remembered).

/** Why a capture cannot be taken of this copy: none yet, its body is too large, the VM's buffer budget is spent. */
export const KEPT: i32 = -1;
export const SKIP_TOO_LARGE: i32 = 0;
export const SKIP_MEMORY: i32 = 1;

/** The primary's response headers, filled by the request's stream when they come (capture on only). */
export class PrimaryHeard {
  headers: ArrayBuffer | null = null;
}

/** The body and trailers of one copy as dispatched, shared by its calls. */
export class KeptCopy {
  /** KEPT, or SKIP_*: nothing is held. */
  skip: i32 = KEPT;
  body: ArrayBuffer | null = null;
  trailers: ArrayBuffer = new ArrayBuffer(0);
  grpc: bool = false;
  heard: PrimaryHeard | null = null;
  /** Bytes accounted for the body; given back when the last call lets go. */
  bytes: i32 = 0;
  /** Calls still holding it. */
  refs: i32 = 0;
  /** When it was dispatched (wall clock, ns). */
  startedNs: u64 = 0;
}

/** One call to a shadow that may yet be captured. */
export class KeptCall {
  /** The shadow's answer (headers == 0 for no answer): taken as it came. */
  shadowHeaders: ArrayBuffer | null = null;
  shadowTrailers: ArrayBuffer | null = null;
  /** When the shadow's answer came (ns; 0: not yet, or none). */
  answeredNs: u64 = 0;
  /** Bytes accounted for the answer taken. */
  answerBytes: i32 = 0;
  /** The shadow answered; the call waits only for its pair's verdict. */
  answered: bool = false;
  /** Its comparison pair closed before the answer came (no verdict will follow). */
  pairClosed: bool = false;
  /** Its pair found a mismatch before the answer was counted (captured then, unless the answer is a failure captured as such). */
  mismatch: bool = false;
  /** The call carried the copy's body (a shadow over its max_body_bytes got the headers only). */
  withBody: bool = true;

  constructor(
    public copy: KeptCopy,
    public shadow: string,
    /** The header map dispatched to the shadow (null when the copy is not kept). */
    public headers: ArrayBuffer | null,
  ) {}
}
