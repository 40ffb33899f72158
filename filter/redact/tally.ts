// What one request's redaction did, per rule kind; turned into Envoy counters by
// the caller, so the redaction code itself stays free of host calls.
export class Tally {
  headersDropped: u32 = 0;
  headersMasked: u32 = 0;
  headersHashed: u32 = 0;
  queryDropped: u32 = 0;
  queryMasked: u32 = 0;
  queryHashed: u32 = 0;
  jsonDropped: u32 = 0;
  jsonMasked: u32 = 0;
  jsonHashed: u32 = 0;
  /** redact.keep: headers dropped, query and form values masked because keep does not list them. */
  headersNotKept: u32 = 0;
  queryNotKept: u32 = 0;
  /** redact.path templates applied. */
  pathMasked: u32 = 0;
  pathHashed: u32 = 0;
  /** JSON strings and numbers masked by the allow-list mode (not under a redact.keep path). */
  jsonKeepMasked: u32 = 0;
  /** Hits per detector, indexed by the detector's bit position. */
  detectorHits: StaticArray<u32> = new StaticArray<u32>(6);

  /** Adds another tally's counts. */
  add(t: Tally): void {
    this.headersDropped += t.headersDropped;
    this.headersMasked += t.headersMasked;
    this.headersHashed += t.headersHashed;
    this.queryDropped += t.queryDropped;
    this.queryMasked += t.queryMasked;
    this.queryHashed += t.queryHashed;
    this.jsonDropped += t.jsonDropped;
    this.jsonMasked += t.jsonMasked;
    this.jsonHashed += t.jsonHashed;
    this.headersNotKept += t.headersNotKept;
    this.queryNotKept += t.queryNotKept;
    this.pathMasked += t.pathMasked;
    this.pathHashed += t.pathHashed;
    this.jsonKeepMasked += t.jsonKeepMasked;
    for (let i = 0; i < 6; i++) unchecked((this.detectorHits[i] += unchecked(t.detectorHits[i])));
  }

  reset(): void {
    this.headersDropped = 0;
    this.headersMasked = 0;
    this.headersHashed = 0;
    this.queryDropped = 0;
    this.queryMasked = 0;
    this.queryHashed = 0;
    this.jsonDropped = 0;
    this.jsonMasked = 0;
    this.jsonHashed = 0;
    this.headersNotKept = 0;
    this.queryNotKept = 0;
    this.pathMasked = 0;
    this.pathHashed = 0;
    this.jsonKeepMasked = 0;
    for (let i = 0; i < 6; i++) unchecked((this.detectorHits[i] = 0));
  }
}
