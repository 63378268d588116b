/**
 * One continuous outgoing stream from several incoming ones (simulcast layers, or one stream
 * paused and resumed): the offsets added to each packet's sequence number (mod 2^16) and RTP
 * timestamp (mod 2^32) so that, at a switch, the first packet of the new source follows the last
 * one sent with the next sequence number and a timestamp advanced by the wall-clock time between
 * them. The subscriber sees no gap to NACK and no timestamp jump to stall its jitter buffer.
 */
export class StreamRewriter {
  seqOffset = 0;
  tsOffset = 0;
  /** The last packet sent, as the source numbered it (the output is these plus the offsets). */
  #lastSeq = -1;
  #lastTs = 0;
  /** When it was sent (ms, any monotonic clock). */
  #lastAt = 0;

  /** Records a packet sent (source numbering). */
  sent(seq: number, ts: number, nowMs: number): void {
    this.#lastSeq = seq;
    this.#lastTs = ts;
    this.#lastAt = nowMs;
  }

  /** Output sequence number of the last packet sent (-1: none yet). */
  get lastOutSeq(): number {
    return this.#lastSeq < 0 ? -1 : (this.#lastSeq + this.seqOffset) & 0xffff;
  }

  /**
   * The packet (`seq`, `ts`) starts a new source at `nowMs`: offsets so that it follows the last
   * packet sent. Nothing sent yet: the source's own numbering is kept (offsets stay as they are).
   */
  switchTo(seq: number, ts: number, nowMs: number, clockRate: number): void {
    if (this.#lastSeq < 0) return;
    const outSeq = (this.#lastSeq + this.seqOffset + 1) & 0xffff;
    const lastOutTs = (this.#lastTs + this.tsOffset) >>> 0;
    const elapsed = Math.max(1, Math.round(((nowMs - this.#lastAt) * clockRate) / 1000));
    this.seqOffset = (outSeq - seq) & 0xffff;
    this.tsOffset = (lastOutTs + elapsed - ts) >>> 0;
  }

  /** The source sequence number of output sequence number `outSeq` under the present offsets. */
  sourceSeq(outSeq: number): number {
    return (outSeq - this.seqOffset) & 0xffff;
  }
}
