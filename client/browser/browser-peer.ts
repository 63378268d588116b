/** Adapter from the browser's `RTCPeerConnection` to the SDK's {@link PeerAdapter}. */
import type { IceCandidateInit } from '../../shared/api.ts';
import type { Unsubscribe } from '../emitter.ts';
import { msidOf, type PeerAdapter, type SessionDescriptionInit } from '../peer.ts';

function listen<K extends keyof RTCPeerConnectionEventMap>(
  pc: RTCPeerConnection,
  type: K,
  listener: (event: RTCPeerConnectionEventMap[K]) => void,
): Unsubscribe {
  pc.addEventListener(type, listener);
  return () => pc.removeEventListener(type, listener);
}

const toInit = (d: RTCSessionDescriptionInit | RTCSessionDescription): SessionDescriptionInit => ({
  type: d.type === 'answer' ? 'answer' : 'offer',
  sdp: d.sdp ?? '',
});

export function wrapBrowserPeer(pc: RTCPeerConnection): PeerAdapter<MediaStreamTrack> {
  const owned: Unsubscribe[] = [];
  const keep = (off: Unsubscribe): Unsubscribe => {
    owned.push(off);
    return off;
  };
  let closed = false;
  return {
    get connectionState() {
      return pc.connectionState;
    },
    async createOffer(options) {
      return toInit(await pc.createOffer(options?.iceRestart ? { iceRestart: true } : {}));
    },
    async createAnswer() {
      return toInit(await pc.createAnswer());
    },
    async setLocalDescription(description) {
      await pc.setLocalDescription(description);
      return pc.localDescription ? toInit(pc.localDescription) : description;
    },
    async setRemoteDescription(description) {
      await pc.setRemoteDescription(description);
    },
    async addIceCandidate(candidate: IceCandidateInit | null) {
      // `undefined` (not `null`) is the end-of-candidates call in browsers.
      await pc.addIceCandidate(candidate ?? undefined);
    },
    onIceCandidate(listener) {
      return keep(
        listen(pc, 'icecandidate', (event) => {
          const c = event.candidate;
          if (!c || c.candidate === '') {
            listener(null);
            return;
          }
          listener({
            candidate: c.candidate,
            sdpMid: c.sdpMid,
            sdpMLineIndex: c.sdpMLineIndex,
            usernameFragment: c.usernameFragment,
          });
        }),
      );
    },
    onConnectionStateChange(listener) {
      return keep(listen(pc, 'connectionstatechange', () => listener(pc.connectionState)));
    },
    onTrack(listener) {
      return keep(
        listen(pc, 'track', (event) => {
          const mid = event.transceiver.mid;
          const ids = msidOf(pc.remoteDescription?.sdp ?? '', mid);
          listener({
            track: event.track,
            kind: event.track.kind === 'audio' ? 'audio' : 'video',
            mid,
            streamIds:
              event.streams.length > 0 ? event.streams.map((stream) => stream.id) : ids.streamIds,
            trackId: ids.trackId,
          });
        }),
      );
    },
    async setActiveLayers(mid, active) {
      const sender = pc.getTransceivers().find((t) => t.mid === mid)?.sender;
      if (!sender) return;
      const parameters = sender.getParameters();
      let changed = false;
      for (const encoding of parameters.encodings) {
        const on = encoding.rid === undefined || active.includes(encoding.rid);
        if (encoding.active !== on) {
          encoding.active = on;
          changed = true;
        }
      }
      if (changed) await sender.setParameters(parameters);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const off of owned.splice(0)) off();
      pc.close();
    },
  };
}
