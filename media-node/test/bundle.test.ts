/**
 * werift's default `bundlePolicy` is `max-compat` (one ICE + DTLS transport per m-line). The
 * node must bundle everything on one transport: one BUNDLE group with every mid in its answer,
 * one DTLS transport and one ICE socket per session, also after renegotiation adds m-lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSocketAddresses } from '../../test/support/loopback-peer.ts';
import { pump, TestClient } from './helpers/test-client.ts';
import { eventually, startTestNode, type TestNode } from './helpers/test-node.ts';

describe('max-bundle', () => {
  let t: TestNode;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await t.close();
  });

  it('answers with one BUNDLE group and keeps one transport after renegotiation', async () => {
    const a = new TestClient(t, 'bundle-a', 1, { room: 'bundle' });
    const b = new TestClient(t, 'bundle-b', 2, { room: 'bundle' });
    clients.push(a, b);
    const answer = await a.join();
    const mids = [...answer.matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]);
    expect(mids.length).toBe(3); // audio, video, data
    expect(answer).toContain(`a=group:BUNDLE ${mids.join(' ')}`);
    await b.join();
    const stop = pump(clients);
    await eventually(() => a.count(2, 'video') > 3 && b.count(1, 'video') > 3, 10_000, 'media');
    stop();
    // Server offers added two m-lines to each: still one transport on both sides.
    const offers = t.edge.events.filter((e) => e.type === 'offer');
    expect(offers.length).toBeGreaterThan(0);
    for (const e of offers) {
      if (e.type !== 'offer') continue;
      const group = /^a=group:BUNDLE (.*)$/m.exec(e.sdp)?.[1]?.trim().split(' ') ?? [];
      expect(group.length).toBe([...e.sdp.matchAll(/^m=/gm)].length);
    }
    for (const c of clients) {
      expect(c.pc.dtlsTransports).toHaveLength(1);
      expect(localSocketAddresses(c.pc)).toHaveLength(1);
    }
  });
});
