import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NodeEvent } from '../../../shared/events.ts';
import type { EdgeClient } from './edge-client.ts';
import { EventQueue } from './event-queue.ts';

const event = (i: number): NodeEvent => ({ sessionId: `s${i}`, type: 'state', state: 'connected' });

function fakeClient() {
  const batches: NodeEvent[][] = [];
  const state = { status: 204, fail: false };
  const client: EdgeClient = {
    async post(_path, body) {
      if (state.fail) throw new Error('connection refused');
      if (state.status < 300) batches.push((body as { events: NodeEvent[] }).events);
      return { status: state.status, body: '' };
    },
    async close() {},
  };
  return { client, batches, state };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('EventQueue', () => {
  it('batches a burst into requests of at most 500 events, in order', async () => {
    const { client, batches } = fakeClient();
    const q = new EventQueue({ nodeId: 'n', client, log: pino({ level: 'silent' }) });
    for (let i = 0; i < 1_200; i++) q.push(event(i));
    await until(() => batches.flat().length === 1_200);
    expect(batches.map((b) => b.length)).toEqual([500, 500, 200]);
    expect(batches.flat().map((e) => e.sessionId)).toEqual(
      Array.from({ length: 1_200 }, (_, i) => `s${i}`),
    );
    await q.flushAndClose(100);
  });

  it('retries while the edge is down, bounded by capacity (oldest dropped, counted), then delivers', async () => {
    const { client, batches, state } = fakeClient();
    state.fail = true;
    let dropped = 0;
    let failures = 0;
    const q = new EventQueue({
      nodeId: 'n',
      client,
      log: pino({ level: 'silent' }),
      capacity: 100,
      retryMinMs: 5,
      retryMaxMs: 20,
      onDrop: (n) => {
        dropped += n;
      },
      onFailure: () => failures++,
    });
    for (let i = 0; i < 250; i++) q.push(event(i));
    await until(() => failures >= 3);
    expect(q.size).toBe(100);
    expect(dropped).toBe(150);
    state.fail = false;
    await until(() => batches.flat().length === 100);
    expect(batches.flat()[0]?.sessionId).toBe('s150');
    await q.flushAndClose(100);
  });

  it('drops a batch the edge rejects as invalid (4xx) instead of retrying forever', async () => {
    const { client, state } = fakeClient();
    state.status = 400;
    let dropped = 0;
    const q = new EventQueue({
      nodeId: 'n',
      client,
      log: pino({ level: 'silent' }),
      onDrop: (n) => (dropped += n),
    });
    q.push(event(1));
    await until(() => dropped === 1);
    expect(q.size).toBe(0);
    await q.flushAndClose(100);
  });

  it('gives up at the flush deadline and counts what was left', async () => {
    const { client, state } = fakeClient();
    state.fail = true;
    let dropped = 0;
    const q = new EventQueue({
      nodeId: 'n',
      client,
      log: pino({ level: 'silent' }),
      onDrop: (n) => (dropped += n),
    });
    q.push(event(1));
    q.push(event(2));
    const started = Date.now();
    await q.flushAndClose(300);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(dropped).toBe(2);
    q.push(event(3)); // closed: ignored
    expect(q.size).toBe(0);
  });
});
