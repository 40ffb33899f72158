// Per-request objects kept for reuse once they are done (deleted stream contexts,
// answered call records), so that in steady state a request allocates none of
// them. Bounded: what a burst leaves behind beyond `most` is garbage as before.
export class Spares<T> {
  private items: T[] = [];

  constructor(private most: i32) {}

  /** A kept object (reset by whoever kept it), or null: the caller makes a new one. */
  take(): T | null {
    return this.items.length > 0 ? this.items.pop() : null;
  }

  keep(x: T): void {
    if (this.items.length < this.most) this.items.push(x);
  }
}
