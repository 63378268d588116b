/**
 * A WHEP viewer built on werift (a loopback-only peer): one recvonly video and one recvonly
 * audio m-line, one offer POSTed as application/sdp, the answer applied; the video is checked
 * frame by frame (vp8-frames.ts).
 */
import type { RTCPeerConnection } from 'werift';
import { createLoopbackPeer, waitForConnected } from './loopback-peer.ts';
import { Vp8Counter } from './vp8-frames.ts';
import { postSdpOffer } from './werift-whip.ts';

export interface WhepViewer {
  pc: RTCPeerConnection;
  video: Vp8Counter;
  audioPackets: number;
  /** performance.now() when the offer was POSTed, the 201 arrived, ICE + DTLS were up. */
  postedAt: number;
  answeredAt: number;
  connectedAt: () => number | undefined;
  location: string;
  etag: string;
  link: string | null;
  /** Resolves when `predicate` holds (checked per packet); rejects after `timeoutMs`. */
  until(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWhepViewer(url: string, token: string): Promise<WhepViewer> {
  const pc: RTCPeerConnection = createLoopbackPeer();
  const video = new Vp8Counter();
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  let audioPackets = 0;
  pc.addTransceiver('video', { direction: 'recvonly' }).onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => {
      video.push(rtp);
      poke();
    }),
  );
  pc.addTransceiver('audio', { direction: 'recvonly' }).onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe(() => {
      audioPackets++;
      poke();
    }),
  );
  const { res, answer, postedAt, answeredAt } = await postSdpOffer(pc, url, token, 'WHEP');
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  let connectedAt: number | undefined;
  void waitForConnected(pc, 15_000).then(
    () => {
      connectedAt = performance.now();
    },
    () => {},
  );
  const viewer: WhepViewer = {
    pc,
    video,
    get audioPackets() {
      return audioPackets;
    },
    postedAt,
    answeredAt,
    connectedAt: () => connectedAt,
    location: res.headers.get('location') ?? '',
    etag: res.headers.get('etag') ?? '',
    link: res.headers.get('link'),
    until: (what, predicate, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`WHEP viewer: ${what} not within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      await pc.close().catch(() => {});
    },
  };
  return viewer;
}
