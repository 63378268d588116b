/**
 * Transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 3.1) as the
 * estimator needs it: one result per reported sequence number, received (with its arrival time)
 * or lost. Works on werift's parsed `TransportWideCC` (its chunks and receive deltas), not on
 * its `packetResults` getter, which drops every status-vector chunk (werift 0.25.2: it keeps only
 * run-length chunks, so deltas are assigned to the wrong packets) and never wraps the sequence.
 */
import type { PacketResult } from './estimator.ts';
import type { SendHistory } from './send-history.ts';

/** The fields of werift's `TransportWideCC` read here. */
export interface TwccFeedbackLike {
  baseSequenceNumber: number;
  packetStatusCount: number;
  /** 24-bit, multiples of 64 ms. */
  referenceTime: number;
  packetChunks: ReadonlyArray<
    | { type: 0; packetStatus: number; runLength: number }
    | { type: 1; symbolSize: number; symbolList: readonly number[] }
  >;
  /** Receive deltas in microseconds, one per received packet, in order. */
  recvDeltas: ReadonlyArray<{ delta?: number | undefined }>;
}

/** Packet status symbols (3.1.1): 0 not received, 1 small delta, 2 large delta. */
const NOT_RECEIVED = 0;

/** One reported packet: its sequence number and arrival time (ms, receiver clock) if received. */
export interface TwccResult {
  seq: number;
  arrivalMs: number | undefined;
}

/** The per-packet results of one feedback, in sequence order; [] when malformed. */
export function twccResults(fb: TwccFeedbackLike): TwccResult[] {
  const statuses: number[] = [];
  const count = fb.packetStatusCount;
  for (const chunk of fb.packetChunks) {
    if (statuses.length >= count) break;
    if (chunk.type === 0) {
      const n = Math.min(chunk.runLength, count - statuses.length);
      for (let i = 0; i < n; i++) statuses.push(chunk.packetStatus);
    } else {
      for (const s of chunk.symbolList) {
        if (statuses.length >= count) break;
        statuses.push(s);
      }
    }
  }
  if (statuses.length !== count) return [];
  const out: TwccResult[] = [];
  let arrivalUs = fb.referenceTime * 64_000;
  let d = 0;
  for (let i = 0; i < count; i++) {
    const seq = (fb.baseSequenceNumber + i) & 0xffff;
    if (statuses[i] === NOT_RECEIVED) {
      out.push({ seq, arrivalMs: undefined });
      continue;
    }
    const delta = fb.recvDeltas[d++]?.delta;
    if (delta === undefined) return [];
    arrivalUs += delta;
    out.push({ seq, arrivalMs: arrivalUs / 1000 });
  }
  return out;
}

/**
 * The results matched with what we sent (send time and size from `history`); packets we have
 * no record of (sent by nobody we know, or forgotten) are skipped.
 */
export function matchFeedback(
  results: readonly TwccResult[],
  history: SendHistory,
): PacketResult[] {
  const out: PacketResult[] = [];
  for (const r of results) {
    const sendMs = history.sentMs(r.seq);
    if (sendMs < 0) continue;
    out.push({ sendMs, arrivalMs: r.arrivalMs, size: history.size(r.seq) });
    if (r.arrivalMs !== undefined) history.forget(r.seq);
  }
  return out;
}
