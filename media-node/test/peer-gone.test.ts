/**
 * A peer that vanished without Leave (tab closed, laptop lid shut) sends nothing any more: no
 * ICE consent checks, no media, no DTLS close. The node must notice within the ICE grace
 * (ICE_GRACE_MS, 15 s: long enough for an ICE restart, issue 14; 10 s before), not after the
 * 60 s idle timeout (issue 12 item 13).
 */
import type { Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pump, TestClient } from './helpers/test-client.ts';
import { startTestNode, type TestNode } from './helpers/test-node.ts';

/** Makes a werift client silent: every datagram it would send is discarded. */
function silence(client: TestClient): void {
  for (const ice of client.pc.iceTransports) {
    const protocols = (ice.connection as unknown as { protocols: Array<{ transport?: unknown }> })
      .protocols;
    for (const p of protocols) {
      const socket = (p.transport as { socket?: Socket } | undefined)?.socket;
      if (!socket) continue;
      socket.send = (() => {}) as unknown as Socket['send'];
    }
  }
}

describe('a peer that vanished', () => {
  let t: TestNode;
  beforeAll(async () => {
    // The defaults: 60 s idle timeout, 15 s ICE grace.
    t = await startTestNode();
  });
  afterAll(async () => {
    await t.close();
  });

  it('fails ICE_GRACE_MS (15 s) after its last consent check or packet', async () => {
    const client = new TestClient(t, 'vanish-1', 5, { echo: true });
    const stop = pump([client]);
    try {
      await client.join();
      await t.edge.waitForEvent(
        (e) => e.sessionId === 'vanish-1' && e.type === 'state' && e.state === 'connected',
      );
      // Still there after 6 s of life: consent checks and media keep it.
      await new Promise((r) => setTimeout(r, 6_000));
      expect((await t.api.request('GET', '/internal/v1/sessions/vanish-1')).json.state).toBe(
        'connected',
      );
      const gone = performance.now();
      silence(client);
      const failed = await t.edge.waitForEvent(
        (e) => e.sessionId === 'vanish-1' && e.type === 'state' && e.state === 'failed',
        20_000,
      );
      const tookMs = performance.now() - gone;
      expect(failed).toMatchObject({ reason: 'ice_failed' });
      expect(tookMs).toBeGreaterThan(14_000);
      expect(tookMs).toBeLessThan(17_000);
      expect((await t.api.request('GET', '/internal/v1/sessions/vanish-1')).status).toBe(404);
    } finally {
      stop();
      await client.close();
    }
  }, 50_000);
});
