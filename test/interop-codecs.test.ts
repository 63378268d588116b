/**
 * Codec negotiation through the public API (werift clients with chosen codecs): an offer with no
 * codec the node forwards is `400 unsupported_codecs` naming what it offered, and the session
 * takes a corrected offer afterwards; a subscriber that did not offer a publisher's codec gets a
 * `track` event `unsupported_codec` for it (the node does not transcode) and the rest as usual.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaStreamTrack, type PeerConfig, RTCPeerConnection, RtpHeader, RtpPacket } from 'werift';
import { MediaApiError } from '../client/errors.ts';
import { EventStream } from '../client/event-stream.ts';
import { loopbackClientPeerConfig } from '../media-node/src/rtc/peer-config.ts';
import type { SessionEvent } from '../shared/events.ts';
import { waitForConnected, waitForGathering } from './support/loopback-peer.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

let stack: TestStack;
const cleanup: Array<() => void | Promise<void>> = [];

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  for (const c of cleanup.splice(0)) await c();
  await stack?.teardown();
});

/** A loopback werift client that negotiates only the codecs whose MIME type `keep` accepts. */
function peer(keep: (mime: string) => boolean): RTCPeerConnection {
  const base = loopbackClientPeerConfig();
  const codecs = base.codecs as PeerConfig['codecs'];
  const pc = new RTCPeerConnection({
    ...base,
    codecs: {
      audio: codecs.audio?.filter((c) => keep(c.mimeType)) ?? [],
      video: codecs.video?.filter((c) => keep(c.mimeType)) ?? [],
    },
  });
  cleanup.push(() => pc.close());
  return pc;
}

async function offerOf(pc: RTCPeerConnection): Promise<string> {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForGathering(pc);
  return pc.localDescription?.sdp ?? '';
}

describe('codec negotiation', () => {
  it('answers an H.265 + G.722 offer with 400 unsupported_codecs, then takes a corrected offer', async () => {
    const api = await stack.api('codecs-bad');
    const { sessionId } = await api.createSession({ echo: true });
    const pc = peer(() => true);
    pc.addTransceiver('video', { direction: 'sendrecv' });
    pc.addTransceiver('audio', { direction: 'sendrecv' });
    const good = await offerOf(pc);
    const bad = good
      .replace(/a=rtpmap:96 VP8\/90000/, 'a=rtpmap:96 H265/90000')
      .replace(/m=video (\d+) ([A-Z/]+) [0-9 ]+/, 'm=video $1 $2 96')
      .replace(/a=rtpmap:111 opus\/48000\/2/, 'a=rtpmap:111 G722/8000')
      .replace(/m=audio (\d+) ([A-Z/]+) [0-9 ]+/, 'm=audio $1 $2 111');
    const error = await api.sendOffer(sessionId, bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MediaApiError);
    const e = error as MediaApiError;
    expect(e.status).toBe(400);
    expect(e.code).toBe('unsupported_codecs');
    expect(e.details).toMatchObject({ offered: ['video/H265', 'audio/G722'] });

    const answer = await api.sendOffer(sessionId, good);
    await pc.setRemoteDescription(answer);
    await waitForConnected(pc);
    await expect.poll(async () => (await api.getSession(sessionId)).state).toBe('connected');
  }, 40_000);

  it('tells a VP8-only subscriber that an H.264 track is unsupported_codec', async () => {
    const room = 'codecs-room';
    const apiA = await stack.api('codecs-a', { room });
    const apiB = await stack.api('codecs-b', { room });
    // A publishes H.264 video and Opus audio.
    const a = peer((m) => /h264|opus/i.test(m));
    const video = new MediaStreamTrack({ kind: 'video' });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    a.addTransceiver(video, { direction: 'sendonly' });
    a.addTransceiver(audio, { direction: 'sendonly' });
    const sa = await apiA.createSession({ room });
    await a.setRemoteDescription(await apiA.sendOffer(sa.sessionId, await offerOf(a)));
    await waitForConnected(a);
    let seq = 0;
    const timer = setInterval(() => {
      seq++;
      const header = (ssrc: number) =>
        new RtpHeader({ sequenceNumber: seq, timestamp: seq * 3000, ssrc, marker: true });
      // An IDR-typed single NAL unit: the content does not matter, only that packets flow.
      video.writeRtp(new RtpPacket(header(11), Buffer.from([0x65, 0x88, 0x84, 0x00])));
      audio.writeRtp(new RtpPacket(header(12), Buffer.from([0xfc, 0xff, 0xfe])));
    }, 50);
    cleanup.push(() => clearInterval(timer));

    // B can receive VP8 and Opus only.
    const b = peer((m) => /vp8|opus/i.test(m));
    b.addTransceiver('video', { direction: 'recvonly' });
    b.addTransceiver('audio', { direction: 'recvonly' });
    const sb = await apiB.createSession({ room });
    const events: SessionEvent[] = [];
    const stream = new EventStream({ url: (since) => apiB.eventsUrl(sb.sessionId, since) });
    stream.on('event', (event) => {
      events.push(event);
    });
    stream.connect();
    cleanup.push(() => stream.close());
    await b.setRemoteDescription(await apiB.sendOffer(sb.sessionId, await offerOf(b)));
    await waitForConnected(b);
    // Every member hears of every track (`added`); B then learns it will not get A's video.
    const about = (kind: string) =>
      events
        .filter(
          (e) => e.type === 'track' && e.kind === kind && e.publisherSessionId === sa.sessionId,
        )
        .map((e) => (e.type === 'track' ? `${e.action} ${e.codec ?? ''}`.trim() : ''));
    await expect
      .poll(() => about('video'), { timeout: 10_000 })
      .toEqual(['added', 'unsupported_codec video/H264']);
    await expect.poll(() => about('audio'), { timeout: 10_000 }).toEqual(['added']);
    // Only the audio track is offered to B.
    await expect.poll(() => events.some((e) => e.type === 'offer'), { timeout: 10_000 }).toBe(true);
    const offer = events.find((e) => e.type === 'offer');
    const sdp = offer?.type === 'offer' ? offer.sdp : '';
    expect(sdp.match(/^m=audio [1-9]/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(sdp).not.toMatch(/H264/);
  }, 40_000);
});
