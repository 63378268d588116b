import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { listPage, type ShardReader } from './paging.ts';

const v = (id: string) => ({ sessionId: id }) as SessionView;

/** Shards holding sorted ids; records every read so the bound can be checked. */
function shards(data: string[][]) {
  const reads: Array<[number, string, number]> = [];
  const read: ShardReader = async (shard, after, limit) => {
    reads.push([shard, after, limit]);
    return (data[shard] ?? [])
      .filter((id) => id > after)
      .slice(0, limit)
      .map(v);
  };
  return { read, reads };
}

async function all(data: string[][], limit: number, concurrency = 2): Promise<string[][]> {
  const { read } = shards(data);
  const pages: string[][] = [];
  let cursor = { s: 0, k: '' };
  for (let i = 0; i < 20; i++) {
    const page = await listPage(read, data.length, cursor, limit, concurrency);
    pages.push(page.sessions.map((s) => s.sessionId));
    if (!page.next) return pages;
    cursor = decodeCursor(encodeCursor(page.next), data.length);
  }
  throw new Error('did not end');
}

describe('listing cursor and paging', () => {
  it('round-trips a cursor and refuses foreign ones with 400 on `cursor`', () => {
    expect(decodeCursor(encodeCursor({ s: 3, k: 'abc' }), 4)).toEqual({ s: 3, k: 'abc' });
    for (const bad of ['garbage', encodeCursor({ s: 9, k: '' }), btoa('{"s":-1,"k":""}')]) {
      expect(() => decodeCursor(bad, 4)).toThrow(MediaError);
    }
  });

  it('walks every shard in order without duplicates or gaps', async () => {
    const data = [['a1', 'a2', 'a3'], [], ['c1'], ['d1', 'd2', 'd3', 'd4']];
    expect(await all(data, 2)).toEqual([
      ['a1', 'a2'],
      ['a3', 'c1'],
      ['d1', 'd2'],
      ['d3', 'd4'],
    ]);
    expect((await all(data, 100)).flat()).toEqual(['a1', 'a2', 'a3', 'c1', 'd1', 'd2', 'd3', 'd4']);
  });

  it('reads at most `concurrency` shards at once and asks each for what the page needs', async () => {
    const { read, reads } = shards([['a'], ['b'], ['c'], ['d'], ['e']]);
    const page = await listPage(read, 5, { s: 0, k: '' }, 2, 2);
    expect(page.sessions.map((s) => s.sessionId)).toEqual(['a', 'b']);
    expect(reads).toEqual([
      [0, '', 3],
      [1, '', 3],
    ]);
    expect(page.next).toEqual({ s: 1, k: 'b' });
  });
});
