/**
 * Issue 14: offer -> connected through each way in, measured in one run on one node (same
 * machine, same load): direct UDP, TURN/UDP and TURN/TCP (coturn on loopback), ICE-TCP (the
 * node's ICE_TCP_PORT, a client that cannot use UDP). Modes are interleaved so that load spikes
 * hit them alike; prints the table that BENCHMARKS.md quotes.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerConfig } from 'werift';
import {
  loopbackClientPeerConfig,
  relayClientPeerConfig,
  tcpOnlyClientPeerConfig,
} from '../media-node/src/rtc/peer-config.ts';
import type { IceServer } from '../shared/api.ts';
import { startTestCoturn, type TestCoturn, turnFor } from './support/coturn.ts';
import { freePorts } from './support/free-port.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift } from './support/werift-participant.ts';

const ROUNDS = 6;
const MODES: Record<string, (servers: IceServer[]) => Partial<PeerConfig>> = {
  'direct UDP': () => loopbackClientPeerConfig(),
  'TURN/UDP': (servers) => relayClientPeerConfig(turnFor(servers, 'udp')),
  'TURN/TCP': (servers) => relayClientPeerConfig(turnFor(servers, 'tcp')),
  'ICE-TCP': () => tcpOnlyClientPeerConfig(),
};

let coturn: TestCoturn;
let stack: TestStack;

beforeAll(async () => {
  const [tcpPort = 0] = await freePorts(1);
  coturn = await startTestCoturn();
  stack = await startTestStack({
    nodes: 1,
    nodeEnv: { ICE_TCP_PORT: String(tcpPort), WORKERS: '0' },
    edgeVars: { TURN_URLS: coturn.urls.join(','), TURN_SECRET: coturn.secret },
  });
}, 90_000);

afterAll(async () => {
  await stack?.teardown();
  await coturn?.stop();
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

describe('setup time by way in', () => {
  it('connects every way and prints offer -> connected per way', async () => {
    const times = new Map<string, number[]>(Object.keys(MODES).map((m) => [m, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, peerConfig] of Object.entries(MODES)) {
        const name = `setup-${round}-${mode.replace(/\W/g, '')}`;
        const client = await joinWerift({
          api: await stack.api(name),
          room: name,
          name,
          echo: true,
          test: `reach ${mode}`,
          peerConfig,
        });
        try {
          await client.until(
            'connected',
            () => client.participant.session?.peer?.connectionState === 'connected',
          );
          const ms = client.participant.session?.timings.offerToConnectedMs;
          if (ms === undefined) throw new Error(`${mode}: no offerToConnectedMs`);
          times.get(mode)?.push(ms);
        } finally {
          await client.leave();
        }
      }
    }
    const rows = [...times].map(
      ([mode, v]) =>
        `| ${mode.padEnd(10)} | ${String(v.length).padStart(2)} | ${percentile(v, 50).toFixed(0).padStart(5)} | ${Math.max(
          ...v,
        )
          .toFixed(0)
          .padStart(5)} |`,
    );
    console.log(
      ['| way in     |  n |   p50 |   max |', '| --- | --: | --: | --: |', ...rows].join('\n'),
    );
    for (const v of times.values()) expect(v).toHaveLength(ROUNDS);
  }, 240_000);
});
