import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../shared/events.ts';
import {
  CLOSE_RESUME_GAP,
  CLOSE_SESSION_ENDED,
  CLOSE_SLOW_CONSUMER,
  CLOSE_SOCKET_REPLACED,
} from '../shared/limits.ts';
import { EventStream } from './event-stream.ts';
import { fakeSockets, tick } from './test-fakes.ts';

const fastRetry = { initialMs: 1, maxMs: 2, maxAttempts: 3 };

function stream(options: { ackEvery?: number; ackDelayMs?: number } = {}, autoOpen = true) {
  const { factory, sockets } = fakeSockets(autoOpen);
  const s = new EventStream({
    url: (since) => `ws://edge/events?since=${since}`,
    createSocket: factory,
    reconnect: fastRetry,
    ...options,
  });
  const events: SessionEvent[] = [];
  s.on('event', (e) => events.push(e));
  return { s, sockets, events };
}

const state = { type: 'state', state: 'negotiating' } as const;

describe('EventStream', () => {
  it('acks after every `ackEvery` events and after a quiet delay', async () => {
    const { s, sockets } = stream({ ackEvery: 4, ackDelayMs: 20 });
    s.connect();
    await tick();
    const socket = sockets[0]!;
    for (let seq = 1; seq <= 9; seq++) socket.push(seq, state);
    expect(socket.acks).toEqual([4, 8]);
    await tick(40);
    expect(socket.acks).toEqual([4, 8, 9]);
    s.close();
  });

  it('refuses an ack interval the edge would close as a slow consumer', () => {
    expect(() => new EventStream({ url: () => '', ackEvery: 129 })).toThrow(RangeError);
  });

  it('resumes after a dropped socket from the last seq and drops repeated events', async () => {
    const { s, sockets, events } = stream();
    const reconnects: number[] = [];
    s.on('reconnecting', ({ code }) => reconnects.push(code));
    s.connect();
    await tick();
    sockets[0]!.push(1, state);
    sockets[0]!.push(2, state);
    sockets[0]!.drop(CLOSE_SLOW_CONSUMER, 'slow consumer');
    await tick(10);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.url).toBe('ws://edge/events?since=2');
    sockets[1]!.push(2, state); // the server may repeat the boundary
    sockets[1]!.push(3, { type: 'state', state: 'connected' });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(reconnects).toEqual([CLOSE_SLOW_CONSUMER]);
    s.close();
  });

  it('ends on the `closed` event and on the session-ended close code, without reconnecting', async () => {
    const a = stream();
    const ends: string[] = [];
    a.s.on('end', ({ reason }) => ends.push(reason));
    a.s.connect();
    await tick();
    a.sockets[0]!.push(1, { type: 'closed', reason: 'node_lost' });
    expect(a.sockets[0]!.acks).toEqual([1]);
    expect(a.sockets[0]!.closed).toBe(true);
    expect(ends).toEqual(['session_closed']);

    const b = stream();
    b.s.on('end', ({ reason, code }) => ends.push(`${reason}:${code}`));
    b.s.connect();
    await tick();
    b.sockets[0]!.drop(CLOSE_SESSION_ENDED);
    await tick(10);
    expect(b.sockets).toHaveLength(1);
    expect(ends).toEqual(['session_closed', `session_closed:${CLOSE_SESSION_ENDED}`]);
  });

  it('ends without reconnecting when the edge cannot resume from our seq', async () => {
    const { s, sockets } = stream();
    const ends: string[] = [];
    s.on('end', ({ reason }) => ends.push(reason));
    s.connect();
    await tick();
    sockets[0]!.drop(CLOSE_RESUME_GAP, 'resume gap');
    await tick(10);
    expect(ends).toEqual(['resume_gap']);
    expect(sockets).toHaveLength(1);
  });

  it('ends without reconnecting when a newer socket of the session replaced this one', async () => {
    const { s, sockets } = stream();
    const ends: string[] = [];
    s.on('end', ({ reason }) => ends.push(reason));
    s.connect();
    await tick();
    sockets[0]!.drop(CLOSE_SOCKET_REPLACED, 'replaced');
    await tick(10);
    expect(ends).toEqual(['replaced']);
    expect(sockets).toHaveLength(1);
  });

  it('reports and skips frames that do not parse', async () => {
    const { s, sockets, events } = stream();
    const invalid: string[] = [];
    s.on('invalid', ({ data }) => invalid.push(data));
    s.connect();
    await tick();
    sockets[0]!.handlers.message('not json');
    sockets[0]!.handlers.message('null');
    sockets[0]!.handlers.message(JSON.stringify({ type: 'state', state: 'bogus', seq: 1 }));
    sockets[0]!.handlers.message(JSON.stringify({ type: 'pong', lastSeq: 0 }));
    sockets[0]!.push(1, state);
    expect(invalid).toHaveLength(3);
    expect(events.map((e) => e.seq)).toEqual([1]);
    s.close();
  });

  it('gives up after the configured attempts when no socket opens', async () => {
    const { s, sockets } = stream({}, false);
    const ended = new Promise<string>((resolve) => s.on('end', ({ reason }) => resolve(reason)));
    s.connect();
    for (let i = 0; i <= fastRetry.maxAttempts; i++) {
      sockets[sockets.length - 1]!.drop();
      await tick(10);
    }
    expect(await ended).toBe('gave_up');
    expect(sockets).toHaveLength(fastRetry.maxAttempts + 1);
  });
});
