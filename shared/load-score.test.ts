import { describe, expect, it } from 'vitest';
import { admits, loadScore, perWorkerMax, pickWorker, workerScore } from './load-score.ts';

const w = (id: number, sessions: number, cpu = 0, overloaded = false) => ({
  id,
  sessions,
  cpu,
  overloaded,
});

describe('pickWorker (a new room picks its worker on a media node)', () => {
  it('takes the lowest of session share and CPU, ties to the lowest index', () => {
    expect(pickWorker([w(0, 0), w(1, 0)], 100)?.id).toBe(0);
    expect(pickWorker([w(0, 3), w(1, 1)], 100)?.id).toBe(1);
    // Fewer sessions but a busier core: CPU counts (50 sessions per worker = share 0.1 vs 0.8).
    expect(pickWorker([w(0, 5, 0.1), w(1, 2, 0.8)], 100)?.id).toBe(0);
  });

  it('puts workers that refuse new sessions after every other one', () => {
    expect(pickWorker([w(0, 2, 0.1, true), w(1, 40, 0.7)], 100)?.id).toBe(1);
    // All refusing: still the least loaded (it answers with capacity_exceeded itself).
    expect(pickWorker([w(0, 4, 0.9, true), w(1, 1, 0.5, true)], 100)?.id).toBe(1);
  });

  it('counts a worker without sessions as idle, whatever its first report says', () => {
    // Worker 1 just loaded werift (a busy first window); worker 0 has the node's first room.
    expect(pickWorker([w(0, 2, 0.05), w(1, 0, 0.9, true)], 100)?.id).toBe(1);
    expect(workerScore(w(1, 0, 0.9, true), 50)).toBe(0);
  });

  it('returns undefined without workers, and never divides by less than one session', () => {
    expect(pickWorker([], 100)).toBeUndefined();
    expect(perWorkerMax(1, 4)).toBe(1);
    expect(perWorkerMax(100, 0)).toBe(100);
  });
});

describe('loadScore (a node, as the edge sees it)', () => {
  it('is the session share, pending placements included, without worker figures', () => {
    expect(loadScore({ sessions: 4, maxSessions: 10 })).toBeCloseTo(0.4);
    expect(loadScore({ sessions: 4, maxSessions: 10 }, 3)).toBeCloseTo(0.7);
    expect(loadScore({ sessions: 0, maxSessions: 10, workers: [] })).toBe(0);
  });

  it('is the share of the worker the node would pick, at least the pending share', () => {
    const workers = [w(0, 4, 0.2), w(1, 3, 0.9)];
    // 5 sessions per worker: worker 0 scores max(0.8, 0.2), worker 1 max(0.6, 0.9).
    expect(loadScore({ sessions: 7, maxSessions: 10, workers })).toBeCloseTo(0.8);
    expect(loadScore({ sessions: 7, maxSessions: 10, workers }, 9)).toBeCloseTo(0.9);
  });

  it('agrees with the node about an idle worker (the two scores had drifted here)', () => {
    // The edge used to score this node 0.8 (worker 1's CPU 0.9 from loading werift counted),
    // while the node itself sends the next room to worker 1 as idle: both now say 0.
    const workers = [w(0, 4, 0.2), w(1, 0, 0.9)];
    expect(pickWorker(workers, 10)?.id).toBe(1);
    expect(loadScore({ sessions: 4, maxSessions: 10, workers })).toBe(0);
  });
});

describe('admits (one admission rule)', () => {
  it('takes a session while sessions plus pending stay below maxSessions', () => {
    expect(admits({ sessions: 9, maxSessions: 10 })).toBe(true);
    expect(admits({ sessions: 10, maxSessions: 10 })).toBe(false);
    expect(admits({ sessions: 8, maxSessions: 10 }, 1)).toBe(true);
    expect(admits({ sessions: 8, maxSessions: 10 }, 2)).toBe(false);
  });
});
