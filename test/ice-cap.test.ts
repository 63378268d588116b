/**
 * Issue 4, test 6: the per-session ICE candidate cap through the public API: 50 candidates are
 * accepted, the 51st gets `429 too_many_ice_candidates` with the limit, and the session lives on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaApiError } from '../client/errors.ts';
import type { IceCandidateInit } from '../shared/api.ts';
import { MAX_ICE_CANDIDATES } from '../shared/limits.ts';
import { createLoopbackPeer } from './support/loopback-peer.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

/** Host candidates on loopback only: the node may probe them, and nothing leaves the machine. */
function loopbackCandidate(i: number): IceCandidateInit {
  return {
    candidate: `candidate:${1000 + i} 1 udp 2122260223 127.0.0.1 ${41000 + i} typ host`,
    sdpMid: '0',
    sdpMLineIndex: 0,
  };
}

describe('ICE candidate cap', () => {
  it('accepts 50 candidates and refuses the 51st with 429', async () => {
    const api = await stack.api('ice-device');
    const created = await api.createSession({ room: 'ice-room' });
    const pc = createLoopbackPeer();
    try {
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      await api.sendOffer(created.sessionId, pc.localDescription?.sdp ?? '');

      const all = Array.from({ length: MAX_ICE_CANDIDATES + 1 }, (_, i) => loopbackCandidate(i));
      await api.sendCandidates(created.sessionId, all.slice(0, 20));
      await api.sendCandidates(created.sessionId, all.slice(20, MAX_ICE_CANDIDATES));
      const refused = await api
        .sendCandidates(created.sessionId, all.slice(MAX_ICE_CANDIDATES))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MediaApiError);
      expect(refused).toMatchObject({
        status: 429,
        code: 'too_many_ice_candidates',
        details: { limit: MAX_ICE_CANDIDATES },
      });

      const view = await api.getSession(created.sessionId);
      expect(view.iceCandidates).toBe(MAX_ICE_CANDIDATES);
      expect(view.state).not.toBe('failed');
      expect(view.state).not.toBe('closed');
    } finally {
      await pc.close();
      await api.deleteSession(created.sessionId).catch(() => {});
    }
  });

  it('refuses a single request that would cross the cap, keeping what was accepted', async () => {
    const api = await stack.api('ice-device-2');
    const created = await api.createSession({ room: 'ice-room-2' });
    const pc = createLoopbackPeer();
    try {
      pc.addTransceiver('audio', { direction: 'sendrecv' });
      await pc.setLocalDescription(await pc.createOffer());
      await api.sendOffer(created.sessionId, pc.localDescription?.sdp ?? '');
      await api.sendCandidates(
        created.sessionId,
        Array.from({ length: 40 }, (_, i) => loopbackCandidate(i)),
      );
      const refused = await api
        .sendCandidates(
          created.sessionId,
          Array.from({ length: 11 }, (_, i) => loopbackCandidate(40 + i)),
        )
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 429, code: 'too_many_ice_candidates' });
      const view = await api.getSession(created.sessionId);
      expect(view.iceCandidates).toBeLessThanOrEqual(MAX_ICE_CANDIDATES);
      expect(view.iceCandidates).toBeGreaterThanOrEqual(40);
    } finally {
      await pc.close();
      await api.deleteSession(created.sessionId).catch(() => {});
    }
  });
});
