/**
 * werift's own RTP statistics, read where its types keep them private. werift 0.25.2 counts
 * every received packet per SSRC for its receiver reports (`RTCRtpReceiver.remoteStreams`, a
 * `StreamStatistics` each) and every stock-sent packet on the sender (`packetCount`,
 * `octetCount`, and `rtt` from the subscriber's reports about werift's own SRs). Reading them
 * costs nothing per packet. Each accessor checks the shape at runtime and answers undefined when
 * werift changed, so stats go null instead of wrong.
 *
 * Never read `StreamStatistics.fraction_lost`: the getter moves werift's own interval (its next
 * receiver report would then say 0 loss).
 */

export interface ReceivedStream {
  /** Packets received, duplicates included. */
  received: number;
  /** Highest extended sequence number minus the first plus one (RFC 3550 A.3). */
  expected: number;
  /** RTP payload bytes received. */
  bytes: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  clockRate: number;
}

/** The receive statistics of `ssrc` on `receiver`, undefined before its first packet. */
export function receivedStream(receiver: object, ssrc: number): ReceivedStream | undefined {
  const streams = (receiver as { remoteStreams?: unknown }).remoteStreams;
  if (typeof streams !== 'object' || streams === null) return undefined;
  const s = (streams as Record<number, Record<string, unknown> | undefined>)[ssrc];
  if (!s) return undefined;
  const { packets_received, packets_expected, bytesReceived, jitter, clockRate } = s;
  if (
    typeof packets_received !== 'number' ||
    typeof packets_expected !== 'number' ||
    typeof bytesReceived !== 'number' ||
    typeof jitter !== 'number' ||
    typeof clockRate !== 'number'
  ) {
    return undefined;
  }
  return {
    received: packets_received,
    expected: packets_expected,
    bytes: bytesReceived,
    jitter,
    clockRate,
  };
}

/** What werift's stock sender sent (RTP packets and payload bytes), undefined if unreadable. */
export function stockSent(sender: object): { packets: number; bytes: number } | undefined {
  const { packetCount, octetCount } = sender as { packetCount?: unknown; octetCount?: unknown };
  if (typeof packetCount !== 'number' || typeof octetCount !== 'number') return undefined;
  return { packets: packetCount, bytes: octetCount };
}

/** werift's smoothed round trip of a stock sender in ms (from reports on its own SRs). */
export function stockRttMs(sender: object): number | null {
  const rtt = (sender as { rtt?: unknown }).rtt;
  return typeof rtt === 'number' && Number.isFinite(rtt) && rtt >= 0 ? rtt * 1000 : null;
}
