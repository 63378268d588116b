/**
 * Adds a local camera/microphone stream to a peer connection the way the SDK publishes it:
 * audio as is, camera video as simulcast (client/simulcast.ts) unless `simulcast: false`
 * (a publisher on a weak uplink, or a screen share whose detail matters more than its size).
 */
import { cameraSimulcastEncodings } from '../simulcast.ts';

export interface PublishOptions {
  /** Send camera video as three layers (q, h, f); default true. */
  simulcast?: boolean;
}

export function publishStream(
  pc: RTCPeerConnection,
  stream: MediaStream,
  options: PublishOptions = {},
): RTCRtpTransceiver[] {
  const simulcast = options.simulcast ?? true;
  return stream.getTracks().map((track) =>
    pc.addTransceiver(track, {
      direction: 'sendrecv',
      streams: [stream],
      ...(simulcast && track.kind === 'video' ? { sendEncodings: cameraSimulcastEncodings() } : {}),
    }),
  );
}
