/**
 * Issue 17, WHIP and WHEP across the real stack: Debian's simple-whip-client (GStreamer
 * webrtcbin) publishes videotestsrc + audiotestsrc into a room through the edge; a werift SDK
 * participant in the room sees it join and gets its VP8 key frames (320x240 from the bitstream)
 * and frames; werift WHEP viewers get the same, a late one a key frame within 1 s of connecting
 * (the encoder's own key frame interval is 100 s: only the node's PLI brings one). Bad inputs
 * get clean errors and leave nothing behind. Prints WHIP offer -> first key frame at a viewer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventStream } from '../client/event-stream.ts';
import type { ListSessionsResponse, RoomView } from '../shared/api.ts';
import type { SessionEvent } from '../shared/events.ts';
import { launchChromium } from './support/chromium.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { Vp8Counter } from './support/vp8-frames.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';
import { startWhepViewer, type WhepViewer } from './support/whep-viewer.ts';
import { buildWhipShim, startWhipClient, type WhipClient } from './support/whip-client.ts';

const ROOM = 'whip-room';
const VIEWER_SCRIPT = new URL('./interop/whep-viewer.js', import.meta.url).pathname;
const WIDTH = 320;
const HEIGHT = 240;
/** 100 s at 30 fps: within the test, key frames come only when a subscriber asks (PLI). */
const KEYFRAME_MAX_DIST = 3_000;

let stack: TestStack;
let shimDir: string;
let shim: string;
const clients: WhipClient[] = [];
const viewers: WhepViewer[] = [];
const participants: WeriftParticipant[] = [];

beforeAll(async () => {
  shimDir = await mkdtemp(join(tmpdir(), 'whip-shim-'));
  shim = await buildWhipShim(shimDir);
  // TURN settings only to see the per-session credential in the Link header: no client uses it.
  stack = await startTestStack({
    edgeVars: { TURN_URLS: 'turn:127.0.0.1:3478?transport=udp', TURN_SECRET: 'whip-test-secret' },
  });
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    console.error(await stack.logTail(60));
    for (const c of clients) console.error(`--- whip-client\n${c.log().slice(-4000)}`);
  }
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.stop()));
  await Promise.allSettled(viewers.map((v) => v.close()));
  await Promise.allSettled(participants.map((p) => p.leave()));
  await stack?.teardown();
  if (shimDir) await rm(shimDir, { recursive: true, force: true });
});

async function get<T>(path: string, token: string): Promise<T> {
  const res = await fetch(`${stack.edgeUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function publish(device: string): Promise<{ client: WhipClient; sessionId: string }> {
  const token = await stack.token({ device, room: ROOM });
  const client = startWhipClient({
    url: `${stack.edgeUrl}/api/media/whip/${ROOM}`,
    token,
    shim,
    keyframeMaxDist: KEYFRAME_MAX_DIST,
    width: WIDTH,
    height: HEIGHT,
  });
  clients.push(client);
  await client.until('Resource URL');
  const sessionId = client.resourceUrl()?.split('/').pop() ?? '';
  return { client, sessionId };
}

/** Every event of a session so far, read from its events socket. */
async function sessionEvents(sessionId: string, device: string): Promise<SessionEvent[]> {
  const api = await stack.api(device, { room: ROOM });
  const stream = new EventStream({ url: (since) => api.eventsUrl(sessionId, since) });
  const events: SessionEvent[] = [];
  stream.on('event', (event) => events.push(event));
  stream.connect();
  // The socket replays the stored events at once; a moment covers the loopback round trip.
  await new Promise((r) => setTimeout(r, 1_000));
  stream.close();
  return events;
}

async function view(path: string, device: string): Promise<WhepViewer> {
  const token = await stack.token({ device, room: ROOM });
  const viewer = await startWhepViewer(`${stack.edgeUrl}/api/media/whep/${path}`, token);
  viewers.push(viewer);
  return viewer;
}

interface ChromiumReport {
  status: number;
  location: string | null;
  etag: string | null;
  link: string | null;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  audioSamples: number;
  deleteStatus: number;
}

describe('WHIP publish and WHEP view through npm start’s stack', () => {
  let publisherId = '';
  let whip: WhipClient;

  it('whip-client publishes; an SDK participant and a WHEP viewer get its key frames', async () => {
    const frames = new Map<string, Vp8Counter>();
    const sdk = await joinWerift({
      api: await stack.api('sdk-viewer'),
      room: ROOM,
      name: 'sdk-viewer',
      test: 'whip',
      onVideoRtp: (publisher, rtp) => {
        const counter = frames.get(publisher) ?? new Vp8Counter();
        counter.push(rtp);
        frames.set(publisher, counter);
      },
    });
    participants.push(sdk);
    await sdk.until('connected', () => sdk.participant.session?.info !== undefined);

    const published = await publish('whip-encoder');
    whip = published.client;
    publisherId = published.sessionId;
    const offeredAt = whip.seen('Sending SDP offer') ?? 0;
    const connectedAt = await whip.until('PeerConnection connected');
    const fromWhip = () => frames.get(publisherId);
    await sdk.until('10 frames from the WHIP publisher', () => (fromWhip()?.frames ?? 0) >= 10);
    const key = fromWhip()?.firstKeyframe;
    expect(key).toMatchObject({ width: WIDTH, height: HEIGHT });
    const publishToFrameMs = (key?.at ?? 0) - offeredAt;
    console.log(
      `WHIP offer -> first key frame at an SDK viewer: ${publishToFrameMs.toFixed(0)} ms ` +
        `(offer -> whip-client connected ${(connectedAt - offeredAt).toFixed(0)} ms)`,
    );
    // Audio arrives too, and the SDK saw an ordinary participant join with its tracks.
    await sdk.until('WHIP audio', () => (sdk.received.get(publisherId)?.audioPackets ?? 0) > 20);
    expect(sdk.events).toContainEqual(
      expect.objectContaining({
        type: 'participant',
        action: 'joined',
        participantSessionId: publisherId,
        deviceId: 'whip-encoder',
      }),
    );

    // An ordinary session: listed, in the room with its two tracks, connected.
    const admin = await stack.token({ device: 'ops', admin: true });
    const { sessions } = await get<ListSessionsResponse>(`/api/media/sessions?room=${ROOM}`, admin);
    expect(sessions.find((s) => s.sessionId === publisherId)).toMatchObject({
      state: 'connected',
      deviceId: 'whip-encoder',
      metadata: { protocol: 'whip' },
    });
    const room = await get<RoomView>(`/api/media/rooms/${ROOM}`, admin);
    const tracks = room.participants.find((p) => p.sessionId === publisherId)?.tracks ?? [];
    expect(tracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    // Publish-only: the SDK participant's tracks were announced to the WHIP session, but never
    // offered to it (a WHIP client takes no offers; one would stall in its event log).
    const events = await sessionEvents(publisherId, 'whip-encoder');
    const fromSdk = events.filter(
      (e) => e.type === 'track' && e.action === 'added' && e.publisherSessionId === sdk.sessionId(),
    );
    expect(fromSdk.map((e) => e.type === 'track' && e.kind).sort()).toEqual(['audio', 'video']);
    expect(events.filter((e) => e.type === 'offer')).toEqual([]);

    const viewer = await view(ROOM, 'whep-viewer');
    expect(viewer.link).toMatch(
      /^<turn:127\.0\.0\.1:3478\?transport=udp>; rel="ice-server"; username="\d+:[0-9a-f]+"; credential="[^"]+"; credential-type="password"$/,
    );
    await viewer.until(
      '10 frames and audio',
      () => viewer.video.frames >= 10 && viewer.audioPackets > 20,
    );
    expect(viewer.video.firstKeyframe).toMatchObject({ width: WIDTH, height: HEIGHT });
    console.log(
      `WHEP viewer: POST -> first key frame ${((viewer.video.firstKeyframe?.at ?? 0) - viewer.postedAt).toFixed(0)} ms`,
    );
  });

  it('a WHEP viewer of one participant, joining late, gets a key frame within 1 s', async () => {
    expect(publisherId).not.toBe('');
    const viewer = await view(`${ROOM}/whip-encoder`, 'late-viewer');
    await viewer.until('a key frame', () => viewer.video.firstKeyframe !== undefined, 5_000);
    const connectedAt = viewer.connectedAt() ?? viewer.answeredAt;
    const keyAt = viewer.video.firstKeyframe?.at ?? Number.POSITIVE_INFINITY;
    console.log(
      `late WHEP viewer: connected -> key frame ${(keyAt - connectedAt).toFixed(0)} ms, ` +
        `POST -> key frame ${(keyAt - viewer.postedAt).toFixed(0)} ms`,
    );
    expect(keyAt - connectedAt).toBeLessThan(1_000);
    expect(viewer.video.firstKeyframe).toMatchObject({ width: WIDTH, height: HEIGHT });
  });

  it('Chromium, a WHEP viewer on another origin (CORS), decodes the video and audio', async () => {
    expect(publisherId).not.toBe('');
    const browser = await launchChromium({
      fakeMedia: false,
      extraArgs: ['--autoplay-policy=no-user-gesture-required'],
    });
    try {
      const page = await browser.newPage();
      // localhost is another origin than 127.0.0.1: every call below goes through CORS.
      await page.goto(stack.edgeUrl.replace('127.0.0.1', 'localhost') + '/healthz');
      const token = await stack.token({ device: 'chromium-viewer', room: ROOM });
      await page.addScriptTag({ path: VIEWER_SCRIPT });
      const report = (await page.evaluate(
        (o) =>
          (
            globalThis as unknown as { whepViewer: { view(o: object): Promise<unknown> } }
          ).whepViewer.view(o),
        { url: `${stack.edgeUrl}/api/media/whep/${ROOM}`, token, seconds: 4 },
      )) as ChromiumReport;
      expect(report.status).toBe(201);
      expect(report.location).toMatch(/^\/api\/media\/whep\/sessions\/[0-9a-f]+$/);
      expect(report.etag).toMatch(/^"[0-9a-f]+"$/);
      expect(report.link).toMatch(/rel="ice-server"/);
      expect(report.framesDecoded, JSON.stringify(report)).toBeGreaterThan(20);
      expect([report.frameWidth, report.frameHeight]).toEqual([WIDTH, HEIGHT]);
      expect(report.audioSamples).toBeGreaterThan(0);
      expect(report.deleteStatus).toBe(200);
    } finally {
      await browser.close();
    }
  });

  it('bad inputs get clean JSON errors and leave no session behind', async () => {
    const device = 'whip-bad';
    const token = await stack.token({ device, room: ROOM });
    const url = `${stack.edgeUrl}/api/media/whip/${ROOM}`;
    const post = (body: string, headers: Record<string, string>) =>
      fetch(url, { method: 'POST', headers, body });
    const sdp = { 'content-type': 'application/sdp', authorization: `Bearer ${token}` };
    const cases: Array<[Response, number, string]> = [
      [await post('v=0', { ...sdp, 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      [await post('garbage', sdp), 400, 'invalid_request'],
      [await post('v=0', { 'content-type': 'application/sdp' }), 401, 'unauthorized'],
      [
        await fetch(`${stack.edgeUrl}/api/media/whip/another-room`, {
          method: 'POST',
          headers: sdp,
          body: 'v=0',
        }),
        403,
        'forbidden',
      ],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error: { code } });
    }
    const { sessions } = await get<ListSessionsResponse>('/api/media/sessions', token);
    expect(sessions).toEqual([]);

    // A PATCH with a stale ETag changes nothing: 412, and the publisher keeps publishing.
    const owner = await stack.token({ device: 'whip-encoder', room: ROOM });
    const stale = await fetch(`${stack.edgeUrl}/api/media/whip/sessions/${publisherId}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${owner}`,
        'content-type': 'application/trickle-ice-sdpfrag',
        'if-match': '"stale"',
      },
      body: 'a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n',
    });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ error: { code: 'precondition_failed' } });
    const mine = await get<ListSessionsResponse>('/api/media/sessions', owner);
    expect(mine.sessions.map((s) => s.state)).toEqual(['connected']);
  });

  it('whip-client stopping DELETEs its session: it ends and leaves the room', async () => {
    await whip.stop();
    const admin = await stack.token({ device: 'ops', admin: true });
    const deadline = Date.now() + 10_000;
    let room: RoomView | undefined;
    while (Date.now() < deadline) {
      room = await get<RoomView>(`/api/media/rooms/${ROOM}`, admin);
      if (!room.participants.some((p) => p.sessionId === publisherId)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(room?.participants.map((p) => p.sessionId)).not.toContain(publisherId);
    const owner = await stack.token({ device: 'whip-encoder', room: ROOM });
    const { sessions } = await get<ListSessionsResponse>('/api/media/sessions', owner);
    expect(sessions).toMatchObject([{ sessionId: publisherId, state: 'closed' }]);
  });
});
