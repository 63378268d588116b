/**
 * A structural check of client SDP before werift sees it: werift applies almost any text
 * (even "not an sdp") as a remote description without error, leaving a session that can never
 * connect. The full parse is werift's; this only refuses what cannot be a WebRTC description.
 */
import { MediaError } from './errors.ts';

const REQUIRED = [
  /^v=0\r?$/m,
  /^m=(audio|video|application) /m,
  /^a=ice-ufrag:/m,
  /^a=ice-pwd:/m,
  /^a=fingerprint:/m,
];

/** Throws `400 invalid_request` unless `sdp` looks like a WebRTC session description. */
export function assertWebRtcSdp(sdp: string, what: 'offer' | 'answer'): void {
  if (!sdp.startsWith('v=0') || !REQUIRED.every((re) => re.test(sdp))) {
    throw new MediaError(
      'invalid_request',
      `${what} is not a WebRTC SDP (needs v=0, an m= line, ICE credentials and a DTLS fingerprint)`,
      { field: 'sdp' },
    );
  }
}
