/**
 * The events socket survives a drop: the SDK reconnects with `?since=<last seq>` and the edge
 * replays what it missed, so the client sees every event once, in order, without gaps, and a
 * renegotiation offered while it was away is still answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  globalSocketFactory,
  type SocketFactory,
  type SocketLike,
} from '../client/event-stream.ts';
import { MediaSession } from '../client/session.ts';
import { wrapWeriftPeer } from '../client/werift-peer.ts';
import type { SessionEvent } from '../shared/events.ts';
import { createLoopbackPeer } from './support/loopback-peer.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift } from './support/werift-participant.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.teardown();
});

async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('events socket resume', () => {
  it('replays missed events after a dropped socket, once each and in order', async () => {
    const opened: Array<{ url: string; socket: SocketLike }> = [];
    const socketFactory: SocketFactory = (url, handlers) => {
      const socket = globalSocketFactory(url, handlers);
      opened.push({ url, socket });
      return socket;
    };
    const session = new MediaSession({
      api: await stack.api('resumer'),
      request: { room: 'resume-room' },
      socketFactory,
      peerFactory: () => {
        const pc = createLoopbackPeer();
        pc.addTransceiver('audio', { direction: 'sendrecv' });
        pc.addTransceiver('video', { direction: 'sendrecv' });
        return wrapWeriftPeer(pc);
      },
    });
    const events: SessionEvent[] = [];
    const publishers = new Set<string>();
    const errors: Error[] = [];
    session.on('event', (e) => events.push(e));
    session.on('track', (t) => {
      for (const id of t.streamIds) publishers.add(id);
    });
    session.on('error', (e) => errors.push(e));
    await session.start();
    const other = await joinWerift({
      api: await stack.api('newcomer-0'),
      room: 'resume-room',
      name: 'first',
      test: 'resume',
    });
    try {
      await eventually('connected', () =>
        events.some((e) => e.type === 'state' && e.state === 'connected'),
      );
      const seenBeforeDrop = events.at(-1)?.seq ?? 0;
      // Dropped from our side, as a flaky network would: the SDK must reconnect on its own.
      opened[0]?.socket.close(4001, 'test drop');
      const newcomer = await joinWerift({
        api: await stack.api('newcomer-1'),
        room: 'resume-room',
        name: 'second',
        test: 'resume',
      });
      try {
        await eventually("the newcomer's tracks", () =>
          events.some((e) => e.type === 'track' && e.publisherDeviceId === 'newcomer-1'),
        );
        expect(opened).toHaveLength(2);
        expect(new URL(opened[1]?.url ?? '').searchParams.get('since')).toBe(
          String(seenBeforeDrop),
        );
        const seqs = events.map((e) => e.seq);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
        // The renegotiation offered for the newcomer was answered: its tracks arrive.
        expect(events.some((e) => e.type === 'offer' && e.seq > seenBeforeDrop)).toBe(true);
        await eventually("the newcomer's tracks on our peer", () =>
          publishers.has(newcomer.sessionId()),
        );
        expect(errors).toEqual([]);
      } finally {
        await newcomer.leave();
      }
    } finally {
      await other.leave();
      await session.leave();
    }
  });
});
