/**
 * A werift participant through the public API, built on the client SDK: publishes the fixture's
 * VP8 video and Opus audio, counts what it receives per publisher (the node names the publisher
 * in the stream id), answers the server's renegotiations and rejoins after a lost node.
 */
import { MediaStreamTrack, type PeerConfig, RTCPeerConnection, type RtpPacket } from 'werift';
import type { MediaApi } from '../../client/api.ts';
import { RoomParticipant } from '../../client/participant.ts';
import { wrapWeriftPeer } from '../../client/werift-peer.ts';
import { EXT_URI } from '../../media-node/src/fast/rtp-extensions.ts';
import type { IceServer } from '../../shared/api.ts';
import type { SessionEvent } from '../../shared/events.ts';
import { createLoopbackPeer } from './loopback-peer.ts';
import { MediaSource } from './media-source.ts';
import { recordSetupTime } from './setup-times.ts';

export interface Received {
  audioPackets: number;
  videoPackets: number;
  /** Complete video frames (RTP marker bit). */
  videoFrames: number;
}

export interface WeriftParticipant {
  name: string;
  participant: RoomParticipant<MediaStreamTrack>;
  source: MediaSource;
  /** What arrived, by publisher (stream id), across every session of this participant. */
  received: Map<string, Received>;
  /** Every event of every session, in order. */
  events: Array<SessionEvent & { sessionId: string }>;
  /** The current session's id. */
  sessionId(): string;
  /** The current session's werift peer connection (its remote description is the node's answer). */
  pc(): RTCPeerConnection | undefined;
  /** The node the current session is on. */
  nodeId(): string;
  /** Resolves when `predicate` holds, checked on every packet and event; rejects after `timeoutMs`. */
  until(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Video frames received from `publisher` (a session id) so far. */
  framesFrom(publisher: string): number;
  leave(): Promise<void>;
}

export interface JoinOptions {
  api: MediaApi;
  room: string;
  name: string;
  echo?: boolean;
  /** Label for the setup-time record. */
  test: string;
  /** The peer configuration from the session's `iceServers` (default: a loopback peer). */
  peerConfig?: (iceServers: IceServer[]) => Partial<PeerConfig>;
  /** Sees every received video packet, by publisher (e.g. to check the VP8 frames). */
  onVideoRtp?: (publisher: string, rtp: RtpPacket) => void;
  /** Sees every session event as it arrives (e.g. to time it). */
  onEvent?: (event: SessionEvent & { sessionId: string }) => void;
}

export async function joinWerift(options: JoinOptions): Promise<WeriftParticipant> {
  const source = new MediaSource();
  const received = new Map<string, Received>();
  const events: WeriftParticipant['events'] = [];
  const waiters = new Set<() => void>();
  let currentPc: RTCPeerConnection | undefined;
  const poke = () => {
    for (const w of [...waiters]) w();
  };

  const participant = new RoomParticipant<MediaStreamTrack>({
    api: options.api,
    room: options.room,
    ...(options.echo === undefined ? {} : { echo: options.echo }),
    peerFactory: ({ iceServers }) => {
      const pc = options.peerConfig
        ? new RTCPeerConnection(options.peerConfig(iceServers))
        : createLoopbackPeer();
      currentPc = pc;
      const audio = new MediaStreamTrack({ kind: 'audio' });
      const video = new MediaStreamTrack({ kind: 'video' });
      const audioTransceiver = pc.addTransceiver(audio, { direction: 'sendrecv' });
      pc.addTransceiver(video, { direction: 'sendrecv' });
      const audioLevelId = () =>
        audioTransceiver.headerExtensions.find((e) => e.uri === EXT_URI.audioLevel)?.id;
      source.use({ audio, video, audioLevelId });
      source.start();
      return wrapWeriftPeer(pc);
    },
  });
  participant.on('track', ({ track, streamIds, kind, sessionId }) => {
    // Echoed media comes back on our own transceivers, whose answer carries no stream id.
    const publisher = streamIds[0] ?? sessionId;
    track.onReceiveRtp.subscribe((rtp) => {
      const r = received.get(publisher) ?? { audioPackets: 0, videoPackets: 0, videoFrames: 0 };
      if (kind === 'audio') r.audioPackets += 1;
      else {
        r.videoPackets += 1;
        if (rtp.header.marker) r.videoFrames += 1;
        options.onVideoRtp?.(publisher, rtp);
      }
      received.set(publisher, r);
      poke();
    });
  });
  participant.on('event', (event) => {
    events.push(event);
    options.onEvent?.(event);
    poke();
  });
  participant.on('session', (session) => {
    // Recorded once both ends said connected: the peer connection and the edge's state event.
    let recorded = false;
    const record = () => {
      const { offerToConnectedMs, offerToServerConnectedMs } = session.timings;
      if (recorded || offerToConnectedMs === undefined || offerToServerConnectedMs === undefined) {
        return;
      }
      recorded = true;
      void recordSetupTime({
        test: options.test,
        client: 'werift',
        offerToConnectedMs,
        offerToServerConnectedMs,
      });
    };
    session.on('peerState', record);
    session.on('state', record);
  });
  participant.on('peerState', poke);
  participant.on('ended', poke);

  const self: WeriftParticipant = {
    name: options.name,
    participant,
    source,
    received,
    events,
    sessionId: () => participant.session?.info?.sessionId ?? '',
    pc: () => currentPc,
    nodeId: () => participant.session?.info?.node.id ?? '',
    framesFrom: (publisher) => received.get(publisher)?.videoFrames ?? 0,
    until: (what, predicate, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate()) {
          resolve();
          return;
        }
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${options.name}: ${what} not within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      }),
    leave: async () => {
      source.stop();
      await participant.leave();
    },
  };
  await participant.join();
  return self;
}
