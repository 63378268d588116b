import { describe, expect, it } from 'vitest';
import type { IceCandidateInit } from '../shared/api.ts';
import { CandidateTrickler } from './candidate-trickler.ts';
import { MediaApiError } from './errors.ts';

const candidate = (i: number): IceCandidateInit => ({
  candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${40000 + i} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});

describe('CandidateTrickler', () => {
  it('holds candidates until started, then batches them into one request', async () => {
    const batches: IceCandidateInit[][] = [];
    const t = new CandidateTrickler({ send: async (c) => void batches.push(c) });
    t.push(candidate(1));
    t.push(candidate(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toHaveLength(0);
    t.start();
    t.push(null);
    await t.flushed();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((c) => c.candidate)).toEqual([
      candidate(1).candidate,
      candidate(2).candidate,
      '',
    ]);
    expect(t.sent).toBe(3);
  });

  it('never sends past the cap, end-of-candidates included', async () => {
    const sent: IceCandidateInit[] = [];
    const t = new CandidateTrickler({ limit: 50, send: async (c) => void sent.push(...c) });
    t.start();
    for (let i = 0; i < 60; i++) t.push(candidate(i));
    t.push(null);
    await t.flushed();
    expect(sent).toHaveLength(50);
    expect(sent.every((c) => c.candidate !== '')).toBe(true);
    expect(t.dropped).toBe(11);
  });

  it('stops for good once the edge answers too_many_ice_candidates', async () => {
    let calls = 0;
    const t = new CandidateTrickler({
      send: async () => {
        calls += 1;
        throw new MediaApiError(429, 'too_many_ice_candidates', 'limit', { limit: 50 });
      },
    });
    t.start();
    t.push(candidate(1));
    await t.flushed();
    t.push(candidate(2));
    await t.flushed();
    expect(calls).toBe(1);
    expect(t.dropped).toBe(2);
  });

  it('sends one request at a time and reports other failures', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const errors: unknown[] = [];
    const t = new CandidateTrickler({
      batchDelayMs: 0,
      send: async (c) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight -= 1;
        if (c.some((x) => x.candidate.includes(' 40003 '))) throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    t.start();
    for (let i = 0; i < 5; i++) {
      t.push(candidate(i));
      await new Promise((r) => setTimeout(r, 2));
    }
    await t.flushed();
    expect(maxInFlight).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
