import { describe, expect, it } from 'vitest';
import { dispatcherFor, type WebhookEvent, webhookEvent } from './events.ts';
import { BufferedSink } from './sink.ts';

const room = (n: number) => `room:r${n}`;

describe('BufferedSink', () => {
  it('hands events over in emit order per dispatcher, flushes one after another', async () => {
    const received: Array<[number, string[]]> = [];
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sink = new BufferedSink(
      async (i, events: WebhookEvent[]) => {
        await gate;
        received.push([i, events.map((e) => e.type)]);
      },
      () => {},
    );
    sink.emit(webhookEvent('session.created', room(1), {} as never, 1));
    const first = sink.flush();
    sink.emit(webhookEvent('session.ended', room(1), {} as never, 2));
    const second = sink.flush();
    release?.();
    await Promise.all([first, second]);
    const i = dispatcherFor(room(1));
    expect(received).toEqual([
      [i, ['session.created']],
      [i, ['session.ended']],
    ]);
  });

  it('retries a failed hand-off once, then counts the events as lost', async () => {
    let calls = 0;
    let lost = 0;
    const sink = new BufferedSink(
      async () => {
        calls++;
        throw new Error('dispatcher unreachable');
      },
      (n) => {
        lost += n;
      },
    );
    sink.emit(webhookEvent('room.started', room(2), {} as never, 1));
    sink.emit(webhookEvent('room.finished', room(2), {} as never, 2));
    await sink.flush();
    expect(calls).toBe(2);
    expect(lost).toBe(2);
  });

  it('gives every event its own delivery id', () => {
    const a = webhookEvent('node.lost', 'node:a', { nodeId: 'a', reason: 'node_lost' }, 1);
    const b = webhookEvent('node.lost', 'node:a', { nodeId: 'a', reason: 'node_lost' }, 1);
    expect(a.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(a.id).not.toBe(b.id);
  });
});
