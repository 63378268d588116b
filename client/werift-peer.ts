/**
 * Adapter from werift's `RTCPeerConnection` (Node) to {@link PeerAdapter}. The caller builds the
 * werift peer connection itself, with an ICE configuration that never contacts a public STUN
 * server (werift's default does; see PLATFORM-NOTES), e.g. through `test/support/loopback-peer.ts`.
 */
import type { MediaStreamTrack, RTCPeerConnection, RTCTrackEvent } from 'werift';
import type { IceCandidateInit } from '../shared/api.ts';
import type { Unsubscribe } from './emitter.ts';
import { msidOf, type PeerAdapter, type RemoteTrack, type SessionDescriptionInit } from './peer.ts';

interface Subscription {
  unSubscribe(): void;
}

export function wrapWeriftPeer(pc: RTCPeerConnection): PeerAdapter<MediaStreamTrack> {
  const owned: Subscription[] = [];
  let closed = false;
  /** The last offer restarted ICE: its answer must start the restarted agent. */
  let restarting = false;
  const keep = (subscription: Subscription): Unsubscribe => {
    owned.push(subscription);
    return () => subscription.unSubscribe();
  };
  const toInit = (d: { type: string; sdp: string }): SessionDescriptionInit => ({
    type: d.type === 'answer' ? 'answer' : 'offer',
    sdp: d.sdp,
  });

  return {
    get connectionState() {
      return pc.connectionState;
    },
    async createOffer(options) {
      restarting = options?.iceRestart === true;
      return toInit(await pc.createOffer(options?.iceRestart ? { iceRestart: true } : {}));
    },
    async createAnswer() {
      return toInit(await pc.createAnswer());
    },
    async setLocalDescription(description) {
      await pc.setLocalDescription(description);
      const local = pc.localDescription;
      return local ? toInit(local) : description;
    },
    async setRemoteDescription(description) {
      await pc.setRemoteDescription(description);
      if (description.type === 'answer' && restarting) startRestartedIce(pc);
      restarting = false;
    },
    async addIceCandidate(candidate) {
      await pc.addIceCandidate(
        candidate === null
          ? null
          : {
              candidate: candidate.candidate,
              sdpMid: candidate.sdpMid ?? null,
              sdpMLineIndex: candidate.sdpMLineIndex ?? null,
            },
      );
    },
    onIceCandidate(listener) {
      return keep(
        pc.onIceCandidate.subscribe((candidate) => {
          if (!candidate) {
            listener(null);
            return;
          }
          const json = candidate.toJSON();
          const init: IceCandidateInit = {
            candidate: json.candidate,
            sdpMid: json.sdpMid ?? null,
            sdpMLineIndex: json.sdpMLineIndex ?? null,
          };
          listener(init);
        }),
      );
    },
    onConnectionStateChange(listener) {
      return keep(pc.connectionStateChange.subscribe((state) => listener(state)));
    },
    onTrack(listener) {
      // werift's `pc.onTrack` carries only the track, and `onRemoteTransceiverAdded` misses
      // tracks arriving on our own sendrecv transceivers (echo): its `track` event has both.
      const onTrackEvent = (event: RTCTrackEvent) => {
        const { transceiver, track, streams } = event;
        const ids = msidOf(pc.remoteDescription?.sdp ?? '', transceiver.mid);
        const remote: RemoteTrack<MediaStreamTrack> = {
          track,
          kind: track.kind === 'audio' ? 'audio' : 'video',
          mid: transceiver.mid,
          streamIds: streams.length > 0 ? streams.map((s) => s.id) : ids.streamIds,
          trackId: ids.trackId,
        };
        listener(remote);
      };
      pc.addEventListener('track', onTrackEvent);
      const off = () => pc.removeEventListener('track', onTrackEvent);
      return keep({ unSubscribe: off });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const subscription of owned.splice(0)) subscription.unSubscribe();
      // werift may leave a peer connection that never reaches `closed`; never await it here.
      pc.close().catch(() => {});
    },
  };
}

/**
 * ICE restart on werift 0.25.2: the answer to a restart offer gives the restarted agent new
 * remote credentials, but `RTCPeerConnection.connect()` skips every transport whose DTLS is
 * still connected, so the agent never sends a check. DTLS and SRTP survive a restart (RFC 8445
 * 9): start only ICE again (the media node does the same, `rtc/werift-patches.ts`), and once it
 * connected set the connection state back to `connected`, as `connect()` would have (werift
 * moves it to `disconnected`/`failed` from ICE, never back).
 */
function startRestartedIce(pc: RTCPeerConnection): void {
  const restarted: Array<Promise<void>> = [];
  for (const dtls of pc.dtlsTransports) {
    const ice = dtls.iceTransport;
    // A restarted agent has no nominated pair (its state says `completed` once it gathered).
    if (dtls.state !== 'connected' || ice.connection.nominated) continue;
    restarted.push(ice.start());
  }
  if (restarted.length === 0) return;
  Promise.all(restarted).then(
    () => {
      const manager = (pc as unknown as { secureManager?: SecureManager }).secureManager;
      const up = pc.dtlsTransports.every((d) => d.state === 'connected');
      if (up && pc.connectionState !== 'connected' && pc.connectionState !== 'closed') {
        manager?.setConnectionState?.('connected');
      }
    },
    // A failed restart leaves the connection state as it is; the session retries or gives up.
    () => {},
  );
}

/** werift 0.25.2's `RTCPeerConnection.secureManager` (private): what sets `connectionState`. */
interface SecureManager {
  setConnectionState?(state: 'connected'): void;
}
