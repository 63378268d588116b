import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../registry/node-record.ts';
import { DirectoryCache } from './node-directory.ts';

const rec = (id: string, startedAt = 1): NodeRecord => ({
  id,
  url: `http://${id}`,
  region: 'eu',
  state: 'ready',
  startedAt,
  lastSeen: 0,
  load: { sessions: 0, rooms: 0, maxSessions: 10, eventLoopLagMs: 0 },
});

describe('DirectoryCache', () => {
  it('is stale before the first pull and after its max age, not in between', () => {
    const c = new DirectoryCache();
    expect(c.stale(0, 2_000)).toBe(true);
    c.update({ version: 'x:1', nodes: [rec('a')] }, 1_000);
    expect(c.stale(3_000, 2_000)).toBe(false);
    expect(c.stale(3_001, 2_000)).toBe(true);
    // An unchanged answer keeps the nodes and restarts the age.
    c.update({ version: 'x:1', unchanged: true }, 3_001);
    expect(c.stale(5_000, 2_000)).toBe(false);
    expect(c.nodes().map((n) => n.id)).toEqual(['a']);
    expect(c.version).toBe('x:1');
  });

  it('forgets a lost instance at once, also if a pull that raced the loss still lists it', () => {
    const c = new DirectoryCache();
    c.update({ version: 'x:1', nodes: [rec('a'), rec('b')] }, 0);
    c.forget('a', 1);
    expect(c.nodes().map((n) => n.id)).toEqual(['b']);
    expect(c.stale(1, 2_000)).toBe(true);
    c.update({ version: 'x:2', nodes: [rec('a'), rec('b')] }, 10);
    expect(c.node('a')).toBeUndefined();
    // The restarted node (a new instance) is placeable again.
    c.update({ version: 'x:3', nodes: [rec('a', 2), rec('b')] }, 20);
    expect(c.node('a')?.startedAt).toBe(2);
  });
});
