/**
 * Roll-over counter bookkeeping (RFC 3711 3.3.1 and Appendix A). The 48-bit packet index is
 * ROC * 2^16 + SEQ; only SEQ travels in the packet, so both ends guess the ROC from the highest
 * sequence number seen. A sender runs the same guess as the receiver so that forwarded packets
 * that arrive out of order (and keep that order after the offset rewrite) get the index the
 * receiver will compute.
 */
export interface RocState {
  roc: number;
  /** Highest sequence number seen (s_l). */
  lastSeq: number;
}

const HALF = 0x8000;

/** The ROC a packet with `seq` belongs to, relative to `s` (v in RFC 3711 Appendix A). */
export function guessRoc(s: RocState, seq: number): number {
  if (s.lastSeq < HALF) {
    // A packet from just before the last wrap; ROC 0 has nothing before it.
    if (seq - s.lastSeq > HALF) return s.roc > 0 ? s.roc - 1 : 0;
    return s.roc;
  }
  if (s.lastSeq - HALF > seq) return (s.roc + 1) >>> 0;
  return s.roc;
}

/** Records a packet (sent, or received and authenticated) with `seq` and ROC `roc`. */
export function commitRoc(s: RocState, seq: number, roc: number): void {
  if (roc !== s.roc) {
    if (roc === (s.roc + 1) >>> 0) {
      s.roc = roc;
      s.lastSeq = seq;
    }
  } else if (seq > s.lastSeq) {
    s.lastSeq = seq;
  }
}
