/**
 * Issue 14, part 2: ICE over TCP. A node with `ICE_TCP_PORT` offers one passive TCP candidate
 * (RFC 6544) on that one port; clients that cannot use UDP connect over it and get a room's
 * media, which the node sends through werift's stock sender (the fast path's UDP sends cannot
 * use a TCP route: it falls back, counted as `ice_route`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpOnlyClientPeerConfig } from '../media-node/src/rtc/peer-config.ts';
import { freePorts } from './support/free-port.ts';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift } from './support/werift-participant.ts';

let stack: TestStack;
let tcpPort: number;

beforeAll(async () => {
  [tcpPort = 0] = await freePorts(1);
  stack = await startTestStack({
    nodes: 1,
    nodeEnv: { ICE_TCP_PORT: String(tcpPort), WORKERS: '0' },
  });
}, 90_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('ICE over TCP', () => {
  it('clients without UDP get a room over the one ICE-TCP port at < 1 % frame loss', async () => {
    const room = 'tcp-room';
    const join = async (name: string) =>
      joinWerift({
        api: await stack.api(name),
        room,
        name,
        test: 'ice-tcp',
        // Only TCP pairs are checked: a client behind a firewall that drops UDP.
        peerConfig: () => tcpOnlyClientPeerConfig(),
      });
    const publisher = await join('tcp-pub');
    const viewer = await join('tcp-view');
    try {
      const pub = publisher.sessionId();
      await viewer.until('frames from the publisher', () => viewer.framesFrom(pub) >= 10, 20_000);
      const sent0 = publisher.source.framesSent;
      const got0 = viewer.framesFrom(pub);
      await new Promise((r) => setTimeout(r, 5_000));
      const sent = publisher.source.framesSent - sent0;
      const got = viewer.framesFrom(pub) - got0;
      // Frames in flight at either end of the window: allow one.
      const loss = Math.max(0, sent - got - 1) / sent;
      console.log(`ICE-TCP: ${got}/${sent} frames in 5 s, loss ${(loss * 100).toFixed(2)} %`);
      expect(sent).toBeGreaterThan(50);
      expect(loss).toBeLessThan(0.01);
      const node = stack.nodes[0];
      if (!node) throw new Error('no node');
      const metrics = parseMetrics(await (await fetch(`${node.url}/metrics`)).text());
      expect(
        sampleValue(metrics, 'media_forwarder_fallbacks_total', { reason: 'ice_route' }),
      ).toBeGreaterThan(0);
    } catch (error) {
      console.error(await stack.logTail());
      throw error;
    } finally {
      await viewer.leave();
      await publisher.leave();
    }
  }, 60_000);
});
