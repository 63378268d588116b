/**
 * The benchmark's werift client peer: loopback-only (the repo's one client config, no public
 * STUN), an audio and a video transceiver to send and receive, as a call would have, but no
 * media flowing: setup latency and idle-session cost are what is measured.
 */
import { MediaStreamTrack, type RTCPeerConnection } from 'werift';
import { createLoopbackPeer } from '../../test/support/loopback-peer.ts';

export function benchPeer(): RTCPeerConnection {
  const pc = createLoopbackPeer();
  pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
  pc.addTransceiver(new MediaStreamTrack({ kind: 'video' }), { direction: 'sendrecv' });
  return pc;
}

/** Resolves once `pc` is connected (ICE + DTLS); rejects on failure or after `timeoutMs`. */
export function connected(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.connectionState === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.unSubscribe();
      reject(new Error(`not connected within ${timeoutMs} ms (${pc.connectionState})`));
    }, timeoutMs);
    const sub = pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' || state === 'failed' || state === 'closed') {
        clearTimeout(timer);
        sub.unSubscribe();
        if (state === 'connected') resolve();
        else reject(new Error(`peer connection ${state}`));
      }
    });
  });
}
