/**
 * One session straight against a media node's signed internal API, the way the edge drives it
 * (offer -> answer, trickled candidates, close): the baseline without the edge. Timing starts
 * when the offer is posted, as in the SDK (client/session.ts), so both paths measure the same.
 */
import type { RTCPeerConnection } from 'werift';
import type { NodeApi } from '../../media-node/test/helpers/node-api.ts';
import { INTERNAL_BASE } from '../../shared/internal.ts';
import type { FakeEdge } from '../../test/support/fake-edge.ts';
import { benchPeer, connected } from './peer.ts';

export interface SetupSample {
  /** Offer posted -> client peer connection `connected`, ms. */
  clientMs: number;
  /** Offer posted -> the server's `state: connected` event reached the client, ms (if it came). */
  serverMs?: number;
}

export interface DirectSession {
  sessionId: string;
  pc: RTCPeerConnection;
  sample: SetupSample;
  close(): Promise<void>;
}

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref())]);

export async function openDirectSession(
  api: NodeApi,
  edge: FakeEdge,
  sessionId: string,
  timeoutMs = 15_000,
): Promise<DirectSession> {
  const pc = benchPeer();
  const base = `${INTERNAL_BASE}/sessions/${sessionId}`;
  let answered = false;
  const pending: unknown[] = [];
  const send = (candidates: unknown[]) =>
    api.request('POST', `${base}/candidates`, { candidates }).catch(() => undefined);
  pc.onIceCandidate.subscribe((c) => {
    if (!c) return;
    const json = c.toJSON();
    if (answered) void send([json]);
    else pending.push(json);
  });
  try {
    await pc.setLocalDescription(await pc.createOffer());
    const serverConnected = edge.waitForEvent(
      (e) => e.sessionId === sessionId && e.type === 'state' && e.state === 'connected',
      timeoutMs,
    );
    serverConnected.catch(() => undefined);
    const t0 = performance.now();
    const res = await api.request('POST', `${base}/offer`, {
      room: `p-${sessionId}`,
      deviceId: 'bench',
      echo: false,
      sdp: pc.localDescription?.sdp,
    });
    if (res.status !== 200) throw new Error(`offer: ${res.status} ${JSON.stringify(res.json)}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: res.json.sdp });
    answered = true;
    if (pending.length > 0) void send(pending.splice(0));
    await connected(pc, timeoutMs);
    const clientMs = performance.now() - t0;
    const server = await withTimeout(
      serverConnected.then(() => performance.now() - t0),
      timeoutMs,
    );
    return {
      sessionId,
      pc,
      sample: server === undefined ? { clientMs } : { clientMs, serverMs: server },
      close: () => closeDirect(api, pc, base),
    };
  } catch (error) {
    await closeDirect(api, pc, base);
    throw error;
  }
}

async function closeDirect(api: NodeApi, pc: RTCPeerConnection, base: string): Promise<void> {
  await api.request('DELETE', `${base}?reason=closed_by_client`).catch(() => undefined);
  // werift's close() may never settle: bounded.
  await withTimeout(pc.close(), 2_000);
}
