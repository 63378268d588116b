/**
 * Which codec a subscription uses. The node forwards the publisher's packets unchanged (only
 * SSRC, payload type, sequence and timestamp are rewritten), so a subscriber can take a track
 * only in the publisher's own codec, and only if it offered that codec itself.
 */
import { RTCRtpCodecParameters } from 'werift';
import type { AcceptedCodec } from './remote-offer.ts';

export interface TrackCodec {
  mimeType: string;
  clockRate: number;
}

/**
 * 'yes' when the subscriber offered `codec`; 'no' when it offered sections of that kind but
 * not this codec; 'unknown' when it never offered that kind (a receive-only client learns
 * what we send from our offer, and its answer decides).
 */
export function canReceive(
  offered: readonly AcceptedCodec[],
  codec: TrackCodec,
): 'yes' | 'no' | 'unknown' {
  const [kind, name = ''] = codec.mimeType.toLowerCase().split('/');
  const sameKind = offered.filter((c) => c.kind === kind);
  if (sameKind.length === 0) return 'unknown';
  return sameKind.some((c) => c.name === name && c.clockRate === codec.clockRate) ? 'yes' : 'no';
}

/**
 * The codec preference for a subscriber's transceiver: the publisher's codec (werift keeps its
 * RTX through `apt`). werift matches preferences by MIME type and clock rate.
 */
export function preferenceFor(codec: TrackCodec): RTCRtpCodecParameters[] {
  return [new RTCRtpCodecParameters({ mimeType: codec.mimeType, clockRate: codec.clockRate })];
}
