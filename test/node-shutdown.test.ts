/**
 * Issue 4, test 5: SIGTERM to the media node hosting sessions. It drains (no new sessions),
 * closes what is left at the drain deadline with `node_shutdown`, and exits 0 within the
 * deadline; the clients rejoin on the other node and get media again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pairInRoom, rejoinedElsewhere, toldEnded } from './support/failover.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import type { WeriftParticipant } from './support/werift-participant.ts';

/** Short, so the test waits seconds rather than the production default of 30 s. */
const DRAIN_TIMEOUT_MS = 4_000;
/** Exit deadline: the drain plus time to close peers, report to the edge and close the server. */
const EXIT_DEADLINE_MS = DRAIN_TIMEOUT_MS + 3_000;
let stack: TestStack;
const participants: WeriftParticipant[] = [];

beforeAll(async () => {
  stack = await startTestStack({ nodeEnv: { DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS) } });
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail());
});

afterAll(async () => {
  await Promise.allSettled(participants.map((p) => p.leave()));
  await stack?.teardown();
});

describe('a media node stopped with SIGTERM', () => {
  it('tells its clients node_shutdown, they rejoin elsewhere, and it exits 0 in time', async () => {
    const [a, b] = await pairInRoom(stack, 'drain-room', 'node-shutdown');
    participants.push(a, b);
    const hosting = a.nodeId();
    const victim = stack.nodes.find((n) => n.id === hosting);
    if (!victim) throw new Error(`room is on ${hosting}, not a node of this stack`);
    const old = { a: a.sessionId(), b: b.sessionId() };

    const signalledAt = performance.now();
    victim.child.signal('SIGTERM');
    const exit = victim.child.exited.then((e) => ({ ...e, ms: performance.now() - signalledAt }));

    await Promise.all([
      a.until(
        'node_shutdown',
        () => toldEnded(a, old.a, 'node_shutdown'),
        EXIT_DEADLINE_MS + 5_000,
      ),
      b.until(
        'node_shutdown',
        () => toldEnded(b, old.b, 'node_shutdown'),
        EXIT_DEADLINE_MS + 5_000,
      ),
    ]);
    const { code, signal, ms } = await exit;
    console.log(`node exited ${code ?? signal} ${Math.round(ms)} ms after SIGTERM`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_DEADLINE_MS);

    await rejoinedElsewhere(a, b, old, hosting, 15_000);
    expect(a.nodeId()).not.toBe(hosting);
  });
});
