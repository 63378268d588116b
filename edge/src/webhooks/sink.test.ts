import { describe, expect, it } from 'vitest';
import { dispatcherFor, type WebhookEvent, webhookEvent } from './events.ts';
import type { HandoffStore, PendingEvent } from './handoff-store.ts';
import { HANDOFF_RETRY_MS, OutboxSink } from './sink.ts';

const room = (n: number) => `room:r${n}`;

class ArrayStore implements HandoffStore {
  rows: PendingEvent[] = [];
  #seq = 0;
  add(event: WebhookEvent) {
    this.rows.push({ seq: ++this.#seq, event: structuredClone(event) });
  }
  oldest(limit: number) {
    return this.rows.slice(0, limit);
  }
  remove(seqs: readonly number[]) {
    this.rows = this.rows.filter((r) => !seqs.includes(r.seq));
  }
  count() {
    return this.rows.length;
  }
}

function setup(enqueue: (i: number, events: WebhookEvent[]) => Promise<unknown>) {
  const store = new ArrayStore();
  const woken: number[] = [];
  let retried = 0;
  const sink = new OutboxSink({
    store,
    enqueue,
    wake: (at) => woken.push(at),
    retried: (n) => {
      retried += n;
    },
    now: () => 1_000,
  });
  return { sink, store, woken, retried: () => retried };
}

describe('OutboxSink', () => {
  it('stores each event at emit (arming the alarm), hands over in emit order, deletes on ack', async () => {
    const received: Array<[number, string[]]> = [];
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const t = setup(async (i, events) => {
      await gate;
      received.push([i, events.map((e) => e.type)]);
    });
    t.sink.emit(webhookEvent('session.created', room(1), {} as never, 1));
    expect(t.store.count()).toBe(1);
    expect(t.woken).toEqual([1_000 + HANDOFF_RETRY_MS]);
    const first = t.sink.flush();
    t.sink.emit(webhookEvent('session.ended', room(1), {} as never, 2));
    const second = t.sink.flush();
    release?.();
    await Promise.all([first, second]);
    // One dispatcher for the room, the events in emit order (in one call or two).
    expect(new Set(received.map(([i]) => i))).toEqual(new Set([dispatcherFor(room(1))]));
    expect(received.flatMap(([, types]) => types)).toEqual(['session.created', 'session.ended']);
    expect(t.store.count()).toBe(0);
    expect(t.sink.pending).toBe(false);
  });

  it('keeps events whose hand-off failed, retries them first and in order, with the same ids', async () => {
    let fail = true;
    const received: WebhookEvent[] = [];
    const t = setup(async (_i, events) => {
      if (fail) throw new Error('dispatcher unreachable');
      received.push(...events);
    });
    const started = webhookEvent('room.started', room(2), {} as never, 1);
    const finished = webhookEvent('room.finished', room(2), {} as never, 2);
    t.sink.emit(started);
    t.sink.emit(finished);
    await t.sink.flush();
    expect(received).toEqual([]);
    expect(t.store.count()).toBe(2);
    expect(t.retried()).toBe(2);
    expect(t.sink.pending).toBe(true);
    // The alarm is asked for again after the failure.
    expect(t.woken.at(-1)).toBe(1_000 + HANDOFF_RETRY_MS);
    fail = false;
    const later = webhookEvent('session.created', room(2), {} as never, 3);
    t.sink.emit(later);
    await t.sink.flush();
    expect(received.map((e) => e.id)).toEqual([started.id, finished.id, later.id]);
    expect(t.store.count()).toBe(0);
  });

  it('a failing dispatcher does not hold up the others', async () => {
    const bad = dispatcherFor(room(1));
    let other = 2;
    while (dispatcherFor(room(other)) === bad) other++;
    const received: string[] = [];
    const t = setup(async (i, events) => {
      if (i === bad) throw new Error('down');
      received.push(...events.map((e) => e.key));
    });
    t.sink.emit(webhookEvent('room.started', room(1), {} as never, 1));
    t.sink.emit(webhookEvent('room.started', room(other), {} as never, 2));
    await t.sink.flush();
    expect(received).toEqual([room(other)]);
    expect(t.store.rows.map((r) => r.event.key)).toEqual([room(1)]);
  });

  it('hands over what a restart left in the outbox on its first flush', async () => {
    const store = new ArrayStore();
    store.add(webhookEvent('node.lost', 'node:a', { nodeId: 'a', reason: 'node_lost' }, 1));
    const received: string[] = [];
    const sink = new OutboxSink({
      store,
      enqueue: async (_i, events) => received.push(...events.map((e) => e.type)),
      wake() {},
      retried() {},
    });
    await sink.flush();
    expect(received).toEqual(['node.lost']);
  });

  it('gives every event its own delivery id', () => {
    const a = webhookEvent('node.lost', 'node:a', { nodeId: 'a', reason: 'node_lost' }, 1);
    const b = webhookEvent('node.lost', 'node:a', { nodeId: 'a', reason: 'node_lost' }, 1);
    expect(a.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(a.id).not.toBe(b.id);
  });
});
