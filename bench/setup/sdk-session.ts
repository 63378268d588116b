/**
 * One session through the whole stack with the client SDK (client/session.ts): create on the
 * edge, events socket, offer -> the edge -> a media node -> answer, trickle ICE, connected.
 */
import type { MediaStreamTrack } from 'werift';
import type { MediaApi } from '../../client/api.ts';
import { MediaSession } from '../../client/session.ts';
import { wrapWeriftPeer } from '../../client/werift-peer.ts';
import type { SetupSample } from './direct-session.ts';
import { benchPeer } from './peer.ts';

export interface SdkSession {
  session: MediaSession<MediaStreamTrack>;
  sample: SetupSample;
  close(): Promise<void>;
}

/** Resolves when `check()` holds, re-checked on each of `session`'s state changes. */
function until(
  session: MediaSession<MediaStreamTrack>,
  what: string,
  check: () => boolean,
  timeoutMs: number,
): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const offs: Array<() => void> = [];
    const done = (error?: Error) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new Error(`${what} not within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const poke = () => {
      if (check()) done();
    };
    offs.push(session.on('peerState', poke), session.on('state', poke));
    offs.push(session.on('ended', ({ reason }) => done(new Error(`session ended: ${reason}`))));
  });
}

export async function openSdkSession(api: MediaApi, timeoutMs = 15_000): Promise<SdkSession> {
  const session = new MediaSession<MediaStreamTrack>({
    api,
    peerFactory: () => wrapWeriftPeer(benchPeer()),
    request: { echo: false },
  });
  try {
    await session.start();
    await until(
      session,
      'peer connected',
      () => session.timings.offerToConnectedMs !== undefined,
      timeoutMs,
    );
    // The edge's `state: connected` event: the node saw it, batched it to the edge, the edge
    // pushed it down the events socket.
    await until(
      session,
      'edge state connected',
      () => session.timings.offerToServerConnectedMs !== undefined,
      timeoutMs,
    ).catch(() => undefined);
  } catch (error) {
    await session.leave().catch(() => undefined);
    throw error;
  }
  const { offerToConnectedMs, offerToServerConnectedMs } = session.timings;
  return {
    session,
    sample:
      offerToServerConnectedMs === undefined
        ? { clientMs: offerToConnectedMs ?? Number.NaN }
        : { clientMs: offerToConnectedMs ?? Number.NaN, serverMs: offerToServerConnectedMs },
    close: () => session.leave(),
  };
}
