/**
 * Issue 14, part 3: 100 ICE restarts in a row leak nothing on the media node. The node runs its
 * sessions on the main thread (WORKERS=0), so its process metrics cover them, and with
 * --expose-gc, so each scrape collects garbage first (ops-routes.ts): handles back where they
 * were, heap within 10 %.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

const RESTARTS = 100;
let stack: TestStack;
const joined: WeriftParticipant[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    nodes: 1,
    nodeEnv: {
      WORKERS: '0',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim(),
    },
  });
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail(60));
});
afterAll(async () => {
  await Promise.allSettled(joined.map((p) => p.leave()));
  await stack?.teardown();
});

async function nodeStats(url: string) {
  const families = parseMetrics(await (await fetch(`${url}/metrics`)).text());
  return {
    handles: sampleValue(families, 'nodejs_active_handles_total'),
    heap: sampleValue(families, 'nodejs_heap_size_used_bytes'),
    completed: sampleValue(families, 'media_ice_restarts_total', { result: 'completed' }),
    sessions: sampleValue(families, 'media_active_sessions'),
  };
}

/** Resolves once the client's restarted ICE agent nominated a pair again. */
async function nominated(pc: RTCPeerConnection): Promise<void> {
  const deadline = performance.now() + 5_000;
  const agent = () => pc.iceTransports[0]?.connection as unknown as { nominated?: unknown };
  while (!agent()?.nominated) {
    if (performance.now() > deadline) throw new Error('restart did not nominate a pair in 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ICE restarts in a row', () => {
  it(`leaks nothing on the node over ${RESTARTS} restarts`, async () => {
    for (const name of ['restarter', 'watcher']) {
      joined.push(
        await joinWerift({ api: await stack.api(name), room: 'leak-room', name, test: 'leak' }),
      );
    }
    const [a, b] = joined as [WeriftParticipant, WeriftParticipant];
    await b.until('frames from a', () => b.framesFrom(a.sessionId()) >= 3);
    const session = a.participant.session;
    const pc = a.pc();
    const node = stack.nodes[0];
    if (!session || !pc || !node) throw new Error('not joined');
    const restartOnce = async () => {
      await session.restartIce();
      await nominated(pc);
    };
    // Warm-up: first-use allocations (code paths, pools) are not leaks.
    for (let i = 0; i < 5; i++) await restartOnce();
    const base = await nodeStats(node.url);
    const startedAt = performance.now();
    for (let i = 0; i < RESTARTS; i++) await restartOnce();
    const perRestartMs = (performance.now() - startedAt) / RESTARTS;
    const frames = b.framesFrom(a.sessionId());
    await b.until(
      'frames from a after the restarts',
      () => b.framesFrom(a.sessionId()) >= frames + 3,
    );
    const end = await nodeStats(node.url);
    console.log(
      `${RESTARTS} restarts: ${perRestartMs.toFixed(0)} ms each; node handles ${base.handles} -> ${end.handles}, ` +
        `heap ${(base.heap / 2 ** 20).toFixed(1)} -> ${(end.heap / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(end.completed - base.completed).toBe(RESTARTS);
    expect(end.sessions).toBe(2);
    expect(a.participant.session).toBe(session);
    // An HTTP keep-alive socket may come or go; a leak per restart would be 100 or more.
    expect(end.handles).toBeLessThanOrEqual(base.handles + 3);
    expect(end.heap).toBeLessThan(base.heap * 1.1);
  });
});
