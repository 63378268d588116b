import { describe, expect, it } from 'vitest';
import { CLOSE_RESUME_GAP } from '../shared/limits.ts';
import { MediaApiError } from './errors.ts';
import { RoomParticipant } from './participant.ts';
import { MediaSession } from './session.ts';
import { setup, tick } from './test-fakes.ts';

describe('MediaSession', () => {
  it('creates, offers, applies the answer and trickles candidates after it', async () => {
    const t = setup();
    const session = new MediaSession({ ...t, request: { room: 'r' } });
    await session.start();
    const peer = t.peers[0]!;
    expect(peer.calls).toEqual(['createOffer', 'setLocal:offer', 'setRemote:answer:server-answer']);
    expect(t.sockets[0]!.url).toBe(
      'ws://edge/api/media/sessions/s1/events?access_token=t0k&since=0',
    );
    peer.gather({
      candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    });
    peer.gather(null);
    await tick(30);
    const posted = t.http.requests.filter((r) => r.url.endsWith('/candidates'));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.body).toEqual({
      candidates: [
        { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
        { candidate: '', sdpMid: null, sdpMLineIndex: 0 },
      ],
    });
    expect(t.http.requests[0]!.headers.authorization).toBe('Bearer t0k');
    expect(t.http.requests[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    await session.leave();
  });

  it('answers a server offer and adds server candidates', async () => {
    const t = setup();
    const session = new MediaSession({ ...t, request: {} });
    await session.start();
    const socket = t.sockets[0]!;
    socket.push(1, { type: 'offer', sdp: 'renegotiate' });
    socket.push(2, {
      type: 'candidate',
      candidate: { candidate: 'candidate:9 1 udp 1 127.0.0.1 9 typ host' },
    });
    await tick(10);
    const peer = t.peers[0]!;
    expect(peer.calls.slice(3)).toEqual([
      'setRemote:offer:renegotiate',
      'createAnswer',
      'setLocal:answer',
    ]);
    const answer = t.http.requests.find((r) => r.url.endsWith('/answer'));
    expect(answer?.body).toEqual({ type: 'answer', sdp: 'client-answer' });
    expect(peer.remoteCandidates).toHaveLength(1);
    await session.leave();
  });

  it("emits the room's speaker changes as typed `speaker` events (the participant too)", async () => {
    const t = setup();
    const participant = new RoomParticipant({ ...t, room: 'r' });
    const heard: unknown[] = [];
    participant.on('speaker', (s) => heard.push(s));
    await participant.join();
    const socket = t.sockets[0]!;
    socket.push(1, { type: 'speaker', participantSessionId: 's9', deviceId: 'dev-talker' });
    socket.push(2, { type: 'speaker', participantSessionId: null, deviceId: null });
    await tick(10);
    expect(heard).toEqual([
      { participantSessionId: 's9', deviceId: 'dev-talker', sessionId: 's1' },
      { participantSessionId: null, deviceId: null, sessionId: 's1' },
    ]);
    await participant.leave();
  });

  it('ends with the reason of a failed state and releases the peer', async () => {
    const t = setup();
    const session = new MediaSession({ ...t, request: {} });
    await session.start();
    t.sockets[0]!.push(1, { type: 'state', state: 'failed', reason: 'node_lost' });
    expect(await session.ended).toBe('node_lost');
    expect(t.peers[0]!.calls.at(-1)).toBe('close');
    expect(t.sockets[0]!.closed).toBe(true);
  });

  it('deletes the session and rethrows when the offer is refused', async () => {
    const t = setup((req) =>
      req.url.endsWith('/offer')
        ? { status: 503, body: { error: { code: 'media_node_unavailable', message: 'down' } } }
        : undefined,
    );
    const session = new MediaSession({ ...t, request: {} });
    const error = await session.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaApiError);
    expect((error as MediaApiError).code).toBe('media_node_unavailable');
    expect(t.http.requests.at(-1)?.method).toBe('DELETE');
    expect(t.peers[0]!.calls.at(-1)).toBe('close');
  });
});

describe('RoomParticipant', () => {
  it.each(['node_shutdown', 'node_overloaded'] as const)(
    'rejoins the room with a new session and peer after %s',
    async (reason) => {
      const t = setup();
      const p = new RoomParticipant({ ...t, room: 'r' });
      const rejoined = new Promise<{ sessionId: string; previousSessionId: string }>((resolve) =>
        p.on('rejoined', resolve),
      );
      await p.join();
      t.sockets[0]!.push(1, { type: 'closed', reason });
      expect(await rejoined).toMatchObject({ sessionId: 's2', previousSessionId: 's1' });
      expect(t.peers).toHaveLength(2);
      const creates = t.http.requests.filter(
        (r) => r.method === 'POST' && r.url.endsWith('/sessions'),
      );
      expect(creates.map((r) => r.body)).toEqual([{ room: 'r' }, { room: 'r' }]);
      await p.leave();
      expect(t.http.requests.at(-1)).toMatchObject({ method: 'DELETE' });
    },
  );

  it('gives up a session whose events cannot be resumed and joins again', async () => {
    const t = setup();
    const p = new RoomParticipant({ ...t, room: 'r' });
    const rejoined = new Promise<{ reason: string }>((resolve) => p.on('rejoined', resolve));
    await p.join();
    t.sockets[0]!.drop(CLOSE_RESUME_GAP, 'resume gap');
    expect(await rejoined).toMatchObject({ reason: 'events_lost' });
    const deleted = t.http.requests.filter((r) => r.method === 'DELETE').map((r) => r.url);
    expect(deleted).toEqual(['http://edge/api/media/sessions/s1']);
    await p.leave();
  });

  it('does not rejoin after other end reasons', async () => {
    const t = setup();
    const p = new RoomParticipant({ ...t, room: 'r' });
    const ended = new Promise<string>((resolve) => p.on('ended', ({ reason }) => resolve(reason)));
    await p.join();
    t.sockets[0]!.push(1, { type: 'closed', reason: 'idle' });
    expect(await ended).toBe('idle');
    expect(t.peers).toHaveLength(1);
  });

  it('retries a rejoin the platform refused as busy', async () => {
    let refusals = 1;
    const t = setup((req) => {
      const isCreate = req.method === 'POST' && req.url.endsWith('/sessions');
      if (isCreate && req.body && t.peers.length === 1 && refusals > 0) {
        refusals -= 1;
        return { status: 503, body: { error: { code: 'no_media_node', message: 'none' } } };
      }
      return undefined;
    });
    const p = new RoomParticipant({
      ...t,
      room: 'r',
      rejoinBackoff: { initialMs: 1, maxMs: 2, maxAttempts: 3 },
    });
    const attempts: number[] = [];
    p.on('rejoining', ({ attempt }) => attempts.push(attempt));
    const rejoined = new Promise((resolve) => p.on('rejoined', resolve));
    await p.join();
    t.sockets[0]!.push(1, { type: 'state', state: 'failed', reason: 'node_lost' });
    await rejoined;
    expect(attempts).toEqual([1, 2]);
    await p.leave();
  });
});
