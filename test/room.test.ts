/**
 * Issue 4, test 2: three werift clients in one room each receive the other two's media; a
 * fourth joining is seen by all; one leaving disappears from the others.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeView } from '../edge/src/registry/node-record.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

let stack: TestStack;
const joined: WeriftParticipant[] = [];
const ROOM = 'room-of-four';
const FRAMES = 5;

beforeAll(async () => {
  stack = await startTestStack();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail());
});

afterAll(async () => {
  await Promise.allSettled(joined.map((p) => p.leave()));
  await stack?.teardown();
});

async function join(name: string): Promise<WeriftParticipant> {
  const api = await stack.api(name);
  const p = await joinWerift({ api, room: ROOM, name, test: 'room' });
  joined.push(p);
  return p;
}

/** Resolves once `receiver` decoded-worthy frames from every one of `publishers`. */
function receivesFrom(receiver: WeriftParticipant, publishers: WeriftParticipant[]) {
  return receiver.until(`frames from ${publishers.map((p) => p.name).join(', ')}`, () =>
    publishers.every((p) => receiver.framesFrom(p.sessionId()) >= FRAMES),
  );
}

/** The node's per-worker load as the edge's admin view shows it, once the room is counted. */
async function roomWorkers(nodeId: string): Promise<NonNullable<NodeView['load']['workers']>> {
  const token = await stack.token({ device: 'ops', admin: true });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${stack.edgeUrl}/api/media/nodes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const { nodes } = (await res.json()) as { nodes: NodeView[] };
    const workers = nodes.find((n) => n.id === nodeId)?.load.workers ?? [];
    if (workers.reduce((n, w) => n + w.sessions, 0) === 3 || Date.now() > deadline) return workers;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a room of werift clients through the edge', () => {
  it('forwards everyone to everyone, adds a newcomer and drops a leaver', async () => {
    const [a, b, c] = [await join('alice'), await join('bob'), await join('carol')] as const;
    expect(new Set([a.nodeId(), b.nodeId(), c.nodeId()]).size).toBe(1);
    await Promise.all([receivesFrom(a, [b, c]), receivesFrom(b, [a, c]), receivesFrom(c, [a, b])]);
    // The node runs the room on one of its worker threads and tells the edge, per worker.
    const workers = await roomWorkers(a.nodeId());
    expect(workers.length).toBeGreaterThanOrEqual(1);
    expect(workers.filter((w) => w.rooms === 1 && w.sessions === 3)).toHaveLength(1);

    const d = await join('dave');
    expect(d.nodeId()).toBe(a.nodeId());
    // Each member is told that dave joined, and about his tracks.
    const sawJoin = (p: WeriftParticipant) =>
      p.until('dave joined with his tracks', () => {
        const joined = p.events.some(
          (e) =>
            e.type === 'participant' &&
            e.action === 'joined' &&
            e.participantSessionId === d.sessionId() &&
            e.deviceId === 'dave',
        );
        const tracks = ['audio', 'video'].every((kind) =>
          p.events.some(
            (e) =>
              e.type === 'track' &&
              e.action === 'added' &&
              e.kind === kind &&
              e.publisherDeviceId === 'dave',
          ),
        );
        return joined && tracks;
      });
    await Promise.all([a, b, c].map(sawJoin));
    await Promise.all([
      receivesFrom(a, [d]),
      receivesFrom(b, [d]),
      receivesFrom(c, [d]),
      receivesFrom(d, [a, b, c]),
    ]);

    const bobSession = b.sessionId();
    await b.leave();
    const sawLeave = (p: WeriftParticipant) =>
      p.until('bob left and his tracks were removed', () => {
        const left = p.events.some(
          (e) =>
            e.type === 'participant' &&
            e.action === 'left' &&
            e.participantSessionId === bobSession,
        );
        const tracks = ['audio', 'video'].every((kind) =>
          p.events.some(
            (e) =>
              e.type === 'track' &&
              e.action === 'removed' &&
              e.kind === kind &&
              e.publisherSessionId === bobSession,
          ),
        );
        return left && tracks;
      });
    await Promise.all([a, c, d].map(sawLeave));

    const room = await (await stack.api('observer', { admin: true })).getRoom(ROOM);
    expect(room.participants.map((p) => p.deviceId).sort()).toEqual(['alice', 'carol', 'dave']);

    // Nothing more arrives from bob once his tracks are gone.
    const before = [a, c, d].map((p) => p.framesFrom(bobSession));
    await new Promise((r) => setTimeout(r, 1_000));
    expect([a, c, d].map((p) => p.framesFrom(bobSession))).toEqual(before);
    // ...while the others keep flowing.
    const aliceFromCarol = a.framesFrom(c.sessionId());
    await a.until(
      'more frames from carol',
      () => a.framesFrom(c.sessionId()) > aliceFromCarol + FRAMES,
    );
  });
});
