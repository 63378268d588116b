/**
 * What one subscriber transport sent, by transport-wide sequence number (transport-cc), for
 * matching the receiver's feedback: send time and size. Per packet the forwarder stores two
 * numbers in preallocated typed arrays (no allocation, no map); feedback reads them back.
 */

/** Packets remembered: feedback comes every ~50-100 ms, this is seconds of a busy transport. */
export const HISTORY_SIZE = 4096;
const MASK = HISTORY_SIZE - 1;

export class SendHistory {
  readonly #seq = new Int32Array(HISTORY_SIZE).fill(-1);
  readonly #sentMs = new Float64Array(HISTORY_SIZE);
  readonly #size = new Uint16Array(HISTORY_SIZE);
  /** Packets recorded (diagnostics). */
  recorded = 0;

  /** Records packet `seq` (16-bit) of `size` bytes sent at `sentMs` (performance.now()). */
  record(seq: number, sentMs: number, size: number): void {
    const i = seq & MASK;
    this.#seq[i] = seq & 0xffff;
    this.#sentMs[i] = sentMs;
    this.#size[i] = Math.min(size, 0xffff);
    this.recorded++;
  }

  /** Send time of `seq`, or -1 when it is not (or no longer) remembered. */
  sentMs(seq: number): number {
    const i = seq & MASK;
    return this.#seq[i] === (seq & 0xffff) ? this.#sentMs[i]! : -1;
  }

  /** Size of `seq` (bytes); meaningful only when `sentMs(seq) >= 0`. */
  size(seq: number): number {
    return this.#size[seq & MASK]!;
  }

  /** Forgets `seq` (feedback reported it: a repeated report must not count twice). */
  forget(seq: number): void {
    const i = seq & MASK;
    if (this.#seq[i] === (seq & 0xffff)) this.#seq[i] = -1;
  }
}
