/**
 * ICE restart on the same session, then a rejoin with `ice_failed` (issue 14, part 3), with the
 * default timings: `disconnected` for over 2 s or `failed` restarts, 10 s without recovery
 * rejoins.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ICE_RECOVERY } from './ice-recovery.ts';
import { REJOIN_REASONS, RoomParticipant, shouldRejoin } from './participant.ts';
import { MediaSession } from './session.ts';
import { setup } from './test-fakes.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const offersTo = (t: ReturnType<typeof setup>) =>
  t.http.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/offer')).map((r) => r.url);

async function connectedSession(t = setup()) {
  const session = new MediaSession({ ...t, request: { room: 'r' } });
  const started = session.start();
  await vi.advanceTimersByTimeAsync(0);
  await started;
  const peer = t.peers[0];
  if (!peer) throw new Error('no peer');
  peer.setState('connected');
  return { t, session, peer };
}

describe('ICE recovery of a session', () => {
  it('uses 2 s of disconnected and 10 s without recovery by default', () => {
    expect(DEFAULT_ICE_RECOVERY.disconnectedMs).toBe(2_000);
    expect(DEFAULT_ICE_RECOVERY.giveUpMs).toBe(10_000);
  });

  it('restarts ICE on the same session after 2 s of disconnected, and reports the recovery', async () => {
    const { t, session, peer } = await connectedSession();
    const restarts: unknown[] = [];
    const recovered: Array<{ attempts: number; tookMs: number }> = [];
    session.on('iceRestart', (e) => restarts.push(e));
    session.on('iceRestarted', (e) => recovered.push(e));
    peer.setState('disconnected');
    await vi.advanceTimersByTimeAsync(1_900);
    expect(peer.calls).not.toContain('createOffer:iceRestart');
    await vi.advanceTimersByTimeAsync(200);
    expect(restarts).toEqual([{ attempt: 1, trigger: 'disconnected' }]);
    expect(peer.calls.slice(-3)).toEqual([
      'createOffer:iceRestart',
      'setLocal:offer',
      'setRemote:answer:server-answer',
    ]);
    // The same session: one create, two offers to s1.
    expect(offersTo(t)).toEqual([
      'http://edge/api/media/sessions/s1/offer',
      'http://edge/api/media/sessions/s1/offer',
    ]);
    expect(t.http.requests.filter((r) => r.url.endsWith('/api/media/sessions'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300);
    peer.setState('connected');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.attempts).toBe(1);
    expect(session.endReason).toBeUndefined();
    // Nothing more runs once recovered (no retry, no give-up).
    await vi.advanceTimersByTimeAsync(20_000);
    expect(offersTo(t)).toHaveLength(2);
    expect(session.endReason).toBeUndefined();
    await session.leave();
  });

  it('does not restart for a short disconnection', async () => {
    const { t, session, peer } = await connectedSession();
    peer.setState('disconnected');
    await vi.advanceTimersByTimeAsync(1_500);
    peer.setState('connected');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(offersTo(t)).toHaveLength(1);
    await session.leave();
  });

  it('restarts at once on failed, retries, and gives up with ice_failed after 10 s', async () => {
    const { t, session, peer } = await connectedSession();
    const restarts: Array<{ attempt: number; trigger: string }> = [];
    session.on('iceRestart', (e) => restarts.push(e));
    peer.setState('failed');
    await vi.advanceTimersByTimeAsync(0);
    expect(restarts).toEqual([{ attempt: 1, trigger: 'failed' }]);
    await vi.advanceTimersByTimeAsync(9_900);
    expect(restarts.length).toBeGreaterThan(1);
    expect(session.endReason).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    expect(session.endReason).toBe('ice_failed');
    expect(t.http.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      url: 'http://edge/api/media/sessions/s1',
    });
    const offers = offersTo(t).length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(offersTo(t)).toHaveLength(offers);
  });

  it('retries a restart whose offer the edge refused after 1 s, with an error event', async () => {
    let refuse = true;
    const t = setup((req) =>
      refuse && req.url.endsWith('/offer') && req.body !== undefined
        ? { status: 503, body: { error: { code: 'media_node_unavailable', message: 'x' } } }
        : undefined,
    );
    refuse = false;
    const { session, peer } = await connectedSession(t);
    const errors: Error[] = [];
    session.on('error', (e) => errors.push(e));
    refuse = true;
    peer.setState('failed');
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    refuse = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(offersTo(t)).toHaveLength(3);
    expect(peer.calls.at(-1)).toBe('setRemote:answer:server-answer');
    peer.setState('connected');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(session.endReason).toBeUndefined();
    await session.leave();
  });
});

describe('a participant whose ICE did not recover', () => {
  it('rejoins with ice_failed as the reason (a new session)', async () => {
    const t = setup();
    const participant = new RoomParticipant({ ...t, room: 'r' });
    const rejoining: unknown[] = [];
    const rejoined: Array<{ sessionId: string; reason: string }> = [];
    const restarts: Array<{ sessionId: string }> = [];
    participant.on('rejoining', (e) => rejoining.push(e));
    participant.on('rejoined', (e) => rejoined.push(e));
    participant.on('iceRestart', (e) => restarts.push(e));
    const joining = participant.join();
    await vi.advanceTimersByTimeAsync(0);
    await joining;
    t.peers[0]?.setState('connected');
    t.peers[0]?.setState('failed');
    await vi.advanceTimersByTimeAsync(10_100);
    expect(restarts[0]?.sessionId).toBe('s1');
    expect(rejoining).toEqual([{ reason: 'ice_failed', attempt: 1, previousSessionId: 's1' }]);
    expect(rejoined).toMatchObject([{ sessionId: 's2', reason: 'ice_failed' }]);
    expect(t.peers).toHaveLength(2);
    await participant.leave();
  });

  it('rejoins on ice_failed only for a session that was connected', () => {
    expect(REJOIN_REASONS.has('ice_failed')).toBe(true);
    expect(shouldRejoin('ice_failed', true)).toBe(true);
    expect(shouldRejoin('ice_failed', false)).toBe(false);
    expect(shouldRejoin('node_lost', false)).toBe(true);
    expect(shouldRejoin('closed_by_client', true)).toBe(false);
  });
});
