/**
 * Prints the body of an offer request, `{"sdp":"..."}`, made by a real WebRTC stack (werift):
 * one audio and one video m-line, sendrecv, ICE on 127.0.0.1 only (the loopback configuration
 * of media-node/src/rtc/peer-config.ts, so nothing is sent off this machine). For trying the
 * API with curl (edge/README.md):
 *   curl ... -d "$(npm run -s offer)" $E/api/media/sessions/$SID/offer
 * No client answers ICE for it afterwards, so the session stays `negotiating` until
 * CONNECT_TIMEOUT_MS; a real client uses the SDK (client/).
 */
import { RTCPeerConnection } from 'werift';
import { loopbackClientPeerConfig } from '../media-node/src/rtc/peer-config.ts';

const GATHER_TIMEOUT_MS = 5_000;

const pc = new RTCPeerConnection(loopbackClientPeerConfig());
try {
  pc.addTransceiver('audio', { direction: 'sendrecv' });
  pc.addTransceiver('video', { direction: 'sendrecv' });
  await pc.setLocalDescription(await pc.createOffer());
  // Wait for the host candidate, so the offer carries it (no trickle needed for a try-out).
  await new Promise<void>((resolve, reject) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(() => reject(new Error('ICE gathering timed out')), GATHER_TIMEOUT_MS);
    pc.iceGatheringStateChange.subscribe((state) => {
      if (state !== 'complete') return;
      clearTimeout(timer);
      resolve();
    });
  });
  const sdp = pc.localDescription?.sdp;
  if (!sdp) throw new Error('werift produced no offer');
  console.log(JSON.stringify({ sdp }));
} finally {
  await pc.close();
}
// werift keeps timers after close (PLATFORM-NOTES): leave rather than wait for them.
process.exit(0);
