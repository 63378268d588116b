/**
 * Issue 14, part 1: TURN with short-lived credentials minted per session by the edge, checked
 * against a real coturn (Debian `coturn`) started by this file on loopback.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { mintTurnServer } from '../edge/src/turn/credentials.ts';
import { relayClientPeerConfig } from '../media-node/src/rtc/peer-config.ts';
import type { IceServer } from '../shared/api.ts';
import { startTestCoturn, type TestCoturn, turnFor } from './support/coturn.ts';
import { waitForGathering } from './support/loopback-peer.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift } from './support/werift-participant.ts';

let coturn: TestCoturn;
let stack: TestStack;

beforeAll(async () => {
  coturn = await startTestCoturn();
  stack = await startTestStack({
    edgeVars: { TURN_URLS: coturn.urls.join(','), TURN_SECRET: coturn.secret, TURN_TTL_S: '600' },
  });
}, 90_000);

afterAll(async () => {
  await stack?.teardown();
  await coturn?.stop();
});

async function echoThroughTurn(transport: 'udp' | 'tcp') {
  const api = await stack.api(`turn-${transport}`);
  const client = await joinWerift({
    api,
    room: `turn-${transport}`,
    name: `turn-${transport}`,
    echo: true,
    test: `turn-${transport}`,
    peerConfig: (servers) => relayClientPeerConfig(turnFor(servers, transport)),
  });
  try {
    const self = client.sessionId();
    await client.until('own video back', () => client.framesFrom(self) >= 10);
    const view = await api.getSession(self);
    // The node saw the client's relayed address only: coturn's relay, never the client itself.
    return { client, view };
  } catch (error) {
    console.error(await coturn.log(), await stack.logTail());
    await client.leave();
    throw error;
  }
}

/** Gathers with `servers` under the relay policy; the relay candidates it got. */
async function relayCandidates(servers: IceServer[]): Promise<string[]> {
  const pc = new RTCPeerConnection(relayClientPeerConfig(servers));
  try {
    pc.addTransceiver('audio', { direction: 'sendrecv' });
    await pc.setLocalDescription(await pc.createOffer());
    await waitForGathering(pc, 25_000);
    return (pc.localDescription?.sdp ?? '').split('\n').filter((l) => / typ relay/.test(l));
  } finally {
    await pc.close();
  }
}

describe('TURN credentials from the session', () => {
  it('hands each session a coturn REST credential that expires after TURN_TTL_S', async () => {
    const api = await stack.api('turn-shape');
    const before = Math.floor(Date.now() / 1000);
    const session = await api.createSession({ room: 'turn-shape' });
    const turn = session.iceServers.find((s) => s.username !== undefined);
    expect(turn?.urls).toEqual(coturn.urls);
    const [expiry, sessionId] = (turn?.username ?? '').split(':');
    expect(sessionId).toBe(session.sessionId);
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(600);
    expect(Number(expiry) - before).toBeLessThanOrEqual(602);
    await api.deleteSession(session.sessionId);
  });

  it('a relay-only werift client gets its echo through coturn over UDP', async () => {
    const { client, view } = await echoThroughTurn('udp');
    expect(view.state).toBe('connected');
    await client.leave();
  });

  it('a relay-only werift client gets its echo through coturn over TCP', async () => {
    const { client, view } = await echoThroughTurn('tcp');
    expect(view.state).toBe('connected');
    await client.leave();
  });

  it('coturn refuses an expired credential and one signed with another secret', async () => {
    const settings = {
      kind: 'coturn' as const,
      urls: coturn.urls,
      secret: coturn.secret,
      ttlS: 600,
    };
    const nowS = Date.now() / 1000;
    const good = await mintTurnServer({ settings, sessionId: 's_check', nowS });
    const expired = await mintTurnServer({ settings, sessionId: 's_check', nowS: nowS - 660 });
    const forged = await mintTurnServer({
      settings: { ...settings, secret: 'another-secret-of-enough-length' },
      sessionId: 's_check',
      nowS,
    });
    // The control: the same gathering with a valid credential does allocate.
    expect(await relayCandidates(turnFor([good], 'udp'))).toHaveLength(1);
    expect(await relayCandidates(turnFor([expired], 'udp'))).toEqual([]);
    expect(await relayCandidates(turnFor([forged], 'udp'))).toEqual([]);
    // coturn names the refused user; for the forged one it answers 401 on a bad MESSAGE-INTEGRITY.
    expect(await coturn.log()).toContain(`Cannot find credentials of user <${expired.username}>`);
  }, 90_000);
});
