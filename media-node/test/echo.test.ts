import dns from 'node:dns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localSocketAddresses } from '../../test/support/loopback-peer.ts';
import { pump, TestClient } from './helpers/test-client.ts';
import { eventually, startTestNode, type TestNode } from './helpers/test-node.ts';

describe('echo session', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(async () => {
    await t.close();
  });

  it('gets its own audio, video and data back, over loopback only', async () => {
    const lookups = vi.spyOn(dns, 'lookup');
    const client = new TestClient(t, 'echo-1', 7, { echo: true });
    const answer = await client.join();
    // ICE-lite with exactly one host candidate on 127.0.0.1.
    const candidates = new Set(answer.split('\r\n').filter((l) => l.startsWith('a=candidate:')));
    expect([...candidates]).toHaveLength(1);
    expect([...candidates][0]).toContain(' 127.0.0.1 ');
    expect(answer).toContain('a=ice-lite');
    await t.edge.waitForEvent(
      (e) => e.sessionId === 'echo-1' && e.type === 'state' && e.state === 'connected',
    );

    await client.waitForChannel();
    const stop = pump([client]);
    client.channel.send('hello me');
    await eventually(
      () => client.count(7, 'audio') >= 10 && client.count(7, 'video') >= 10,
      5_000,
      'echoed RTP',
    );
    await eventually(() => client.messages.includes('hello me'), 5_000, 'echoed message');
    stop();

    // Nothing but loopback: every client socket is bound to 127.0.0.1, no name was resolved
    // (werift's default STUN server would need a lookup of stun.l.google.com).
    for (const address of localSocketAddresses(client.pc))
      expect(address.address).toBe('127.0.0.1');
    const names = lookups.mock.calls.map((c) => c[0]);
    expect(names.filter((n) => n !== '127.0.0.1' && n !== 'localhost')).toEqual([]);
    lookups.mockRestore();

    const view = await t.api.request('GET', '/internal/v1/sessions/echo-1');
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ sessionId: 'echo-1', echo: true, state: 'connected' });
    expect(view.json.tracks.map((tr: { kind: string }) => tr.kind).sort()).toEqual([
      'audio',
      'video',
    ]);

    const del = await t.api.request(
      'DELETE',
      '/internal/v1/sessions/echo-1?reason=closed_by_client',
    );
    expect(del.status).toBe(204);
    await t.edge.waitForEvent((e) => e.sessionId === 'echo-1' && e.type === 'closed');
    // connected, its two tracks announced (the publisher included), ended; alone in its room,
    // it gets no participant events.
    expect(t.edge.eventsFor('echo-1').map((e) => e.type)).toEqual([
      'state',
      'track',
      'track',
      'state',
      'closed',
    ]);
    expect(t.edge.eventsFor('echo-1').at(-2)).toMatchObject({
      state: 'closed',
      reason: 'closed_by_client',
    });
    expect((await t.api.request('GET', '/internal/v1/sessions/echo-1')).status).toBe(404);
    expect((await t.api.request('DELETE', '/internal/v1/sessions/echo-1')).status).toBe(204);
    await client.close();
  });
});
