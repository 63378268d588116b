import { afterEach, describe, expect, it, vi } from 'vitest';
import { STATS_CACHE_ENTRIES, STATS_CACHE_MS, sessionStats } from './session-stats.ts';

const node = { id: 'n1', url: 'http://127.0.0.1:9' };
const options = { secret: 'x'.repeat(32), timeoutMs: 500 };

describe('session stats cache', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('asks the node once per session and interval, and holds at most STATS_CACHE_ENTRIES sessions', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const fetch = vi.fn(async () => new Response('{}', { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    // Each '{}' reply is logged as invalid stats: not this test's subject.
    for (const m of ['log', 'warn', 'error'] as const)
      vi.spyOn(console, m).mockImplementation(() => {});
    await Promise.all([sessionStats(node, 's0', options), sessionStats(node, 's0', options)]);
    expect(fetch).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(STATS_CACHE_MS + 1);
    await sessionStats(node, 's0', options);
    expect(fetch).toHaveBeenCalledTimes(2);
    // Filling the cache with other sessions pushes the oldest out: s0 is asked again.
    for (let i = 1; i <= STATS_CACHE_ENTRIES; i++) await sessionStats(node, `s${i}`, options);
    expect(fetch).toHaveBeenCalledTimes(2 + STATS_CACHE_ENTRIES);
    await sessionStats(node, `s${STATS_CACHE_ENTRIES}`, options);
    expect(fetch).toHaveBeenCalledTimes(2 + STATS_CACHE_ENTRIES);
    await sessionStats(node, 's0', options);
    expect(fetch).toHaveBeenCalledTimes(3 + STATS_CACHE_ENTRIES);
  });
});
