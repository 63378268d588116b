/**
 * Issue 4, test 4: `kill -9` of the media node hosting a room. Within 15 s its sessions turn
 * `failed/node_lost` on their event sockets; the clients rejoin, land on the other node and get
 * media again.
 *
 * Node loss is noticed through missed heartbeats, with the default settings: a heartbeat every
 * 3 s, a node lost after 9 s of silence (the registry's alarm fires then), its sessions failed
 * by that alarm's fan-out: at most ~9 s plus the fan-out after the kill.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pairInRoom, rejoinedElsewhere, toldEnded } from './support/failover.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import type { WeriftParticipant } from './support/werift-participant.ts';

const DETECTION_BUDGET_MS = 15_000;
let stack: TestStack;
const participants: WeriftParticipant[] = [];

beforeAll(async () => {
  stack = await startTestStack();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail());
});

afterAll(async () => {
  await Promise.allSettled(participants.map((p) => p.leave()));
  await stack?.teardown();
});

describe('a media node killed with SIGKILL', () => {
  it('fails its sessions with node_lost within 15 s and the room rejoins on the other node', async () => {
    const [a, b] = await pairInRoom(stack, 'lost-room', 'node-lost');
    participants.push(a, b);
    const hosting = a.nodeId();
    expect(b.nodeId()).toBe(hosting);
    const victim = stack.nodes.find((n) => n.id === hosting);
    if (!victim) throw new Error(`room is on ${hosting}, not a node of this stack`);
    const old = { a: a.sessionId(), b: b.sessionId() };

    const killedAt = performance.now();
    victim.child.signal('SIGKILL');
    expect((await victim.child.exited).signal).toBe('SIGKILL');

    await Promise.all([
      a.until('node_lost', () => toldEnded(a, old.a, 'node_lost'), DETECTION_BUDGET_MS),
      b.until('node_lost', () => toldEnded(b, old.b, 'node_lost'), DETECTION_BUDGET_MS),
    ]);
    const detectedMs = performance.now() - killedAt;
    console.log(`node_lost reached both clients ${Math.round(detectedMs)} ms after kill -9`);
    expect(detectedMs).toBeLessThan(DETECTION_BUDGET_MS);

    await rejoinedElsewhere(a, b, old, hosting, 15_000);
    console.log(`media flowing again ${Math.round(performance.now() - killedAt)} ms after kill -9`);
    expect(a.nodeId()).toBe(b.nodeId());
  });
});
