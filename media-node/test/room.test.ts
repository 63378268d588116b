import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pump, TestClient } from './helpers/test-client.ts';
import { eventually, startTestNode, type TestNode } from './helpers/test-node.ts';

describe('room of three', () => {
  let t: TestNode;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await t.close();
  });

  it('forwards every track and data message to the others, PLI to the publisher, and cleans up on leave', async () => {
    for (const [i, id] of ['a', 'b', 'c'].entries()) {
      const client = new TestClient(t, `room-${id}`, i + 1, {
        room: 'lobby',
        deviceId: `web-${id}`,
      });
      clients.push(client);
      await client.join();
      await client.waitForChannel();
    }
    const [a, b] = clients as [TestClient, TestClient, TestClient];
    const stop = pump(clients);
    // Each needs two renegotiations at most (one per other participant, merged when possible).
    await eventually(
      () =>
        clients.every((me) =>
          clients.every(
            (other) =>
              other === me ||
              (me.count(other.marker, 'audio') > 5 && me.count(other.marker, 'video') > 5),
          ),
        ),
      10_000,
      'every client receiving the other two',
    );
    // Nobody gets its own media back outside echo mode.
    for (const me of clients) expect(me.count(me.marker, 'video')).toBe(0);

    for (const me of clients) me.channel.send(`from-${me.sessionId}`);
    await eventually(() => clients.every((me) => me.messages.length >= 2), 5_000, 'relayed data');
    for (const me of clients) {
      expect(me.messages.sort()).toEqual(
        clients
          .filter((o) => o !== me)
          .map((o) => `from-${o.sessionId}`)
          .sort(),
      );
    }

    // b asks for a keyframe of a's video: the node relays it to a's sender.
    await new Promise((r) => setTimeout(r, 300)); // past the keyframe-request merge window
    const before = a.plis;
    const fromA = b.pc
      .getTransceivers()
      .find((tr) => tr.receiver.remoteStreamId === 'room-a' && tr.kind === 'video');
    expect(fromA).toBeDefined();
    const ssrc = fromA?.receiver.track.ssrc;
    expect(ssrc).toBeDefined();
    await fromA?.receiver.sendRtcpPLI(ssrc as number);
    await eventually(() => a.plis > before, 3_000, 'PLI at the publisher');

    const room = await t.api.request('GET', '/internal/v1/rooms/lobby');
    expect(room.status).toBe(200);
    expect(room.json.participants).toHaveLength(3);
    // Every member is told about every other one (recipient <- participant).
    const joined = t.edge.events.flatMap((e) =>
      e.type === 'participant' && e.action === 'joined'
        ? [`${e.sessionId}<-${e.participantSessionId}`]
        : [],
    );
    expect(joined.sort()).toEqual([
      'room-a<-room-b',
      'room-a<-room-c',
      'room-b<-room-a',
      'room-b<-room-c',
      'room-c<-room-a',
      'room-c<-room-b',
    ]);
    // Track events go to every member, the publisher included: 3 members x 6 tracks.
    expect(t.edge.events.filter((e) => e.type === 'track' && e.action === 'added')).toHaveLength(
      18,
    );
    for (const p of room.json.participants) expect(p.tracks).toHaveLength(2);

    // c leaves: a and b are told and its tracks are removed from their sessions.
    expect((await t.api.request('DELETE', '/internal/v1/sessions/room-c')).status).toBe(204);
    for (const me of [a, b]) {
      await t.edge.waitForEvent(
        (e) =>
          e.sessionId === me.sessionId &&
          e.type === 'participant' &&
          e.action === 'left' &&
          e.participantSessionId === 'room-c',
      );
      await t.edge.waitForEvent(
        (e) => e.sessionId === me.sessionId && e.type === 'track' && e.action === 'removed',
      );
      const removed = t.edge
        .eventsFor(me.sessionId)
        .filter((e) => e.type === 'track' && e.action === 'removed');
      expect(removed).toHaveLength(2);
    }
    const answeredBefore = a.offersAnswered;
    await eventually(() => a.offersAnswered > answeredBefore, 5_000, 'renegotiation after leave');
    const view = await t.api.request('GET', '/internal/v1/rooms/lobby');
    expect(view.json.participants.map((p: { sessionId: string }) => p.sessionId).sort()).toEqual([
      'room-a',
      'room-b',
    ]);
    stop();
    // Events the fake edge refused would mean the node sent something off-contract.
    expect(t.edge.refused).toEqual({ unauthorized: 0, invalid: 0 });
  });
});
