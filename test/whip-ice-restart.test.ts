/**
 * Issue 17, ICE restart over WHIP PATCH (RFC 9725 section 4.3.2), across the real stack: a
 * werift WHIP publisher moves to another address mid-stream (its old sockets close) and restarts
 * ICE by PATCHing its new credentials with `If-Match`; the node (sessions on worker threads)
 * re-answers with new credentials, the publisher applies them, and a werift WHEP viewer in the
 * room gets frames again, on the same session. Then the error paths against the real stack:
 * the old ETag 412, no If-Match 428, a malformed fragment 400; media keeps flowing through them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ListSessionsResponse } from '../shared/api.ts';
import { localSocketAddresses } from './support/loopback-peer.ts';
import { moveToAddress } from './support/network-move.ts';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { startWeriftWhip, type WeriftWhipPublisher } from './support/werift-whip.ts';
import { startWhepViewer, type WhepViewer } from './support/whep-viewer.ts';

const ROOM = 'whip-restart';
const FRAMES = 10;
let stack: TestStack;
let publisher: WeriftWhipPublisher | undefined;
let viewer: WhepViewer | undefined;

beforeAll(async () => {
  stack = await startTestStack({ nodes: 1 });
});
afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail(60));
});
afterAll(async () => {
  await publisher?.close().catch(() => {});
  await viewer?.close().catch(() => {});
  await stack?.teardown();
});

async function moreFrames(v: WhepViewer, what: string): Promise<void> {
  const from = v.video.frames;
  await v.until(what, () => v.video.frames >= from + FRAMES, 10_000);
}

describe('ICE restart over WHIP PATCH', () => {
  it('a werift WHIP publisher changes address and restarts ICE: the viewer gets frames again, same session', async () => {
    const token = await stack.token({ device: 'whip-mover', room: ROOM });
    publisher = await startWeriftWhip(`${stack.edgeUrl}/api/media/whip/${ROOM}`, token);
    viewer = await startWhepViewer(
      `${stack.edgeUrl}/api/media/whep/${ROOM}`,
      await stack.token({ device: 'whep-watcher', room: ROOM }),
    );
    await moreFrames(viewer, 'frames before the move');
    const node = stack.nodes[0];
    if (!node) throw new Error('no node');
    const before = parseMetrics(await (await fetch(`${node.url}/metrics`)).text());
    const firstEtag = publisher.etag;

    await moveToAddress(publisher.pc, '127.0.0.2');
    // The old path is gone: frames stop (give in-flight packets a moment to drain).
    await new Promise((r) => setTimeout(r, 500));
    const stalled = viewer.video.frames;
    await new Promise((r) => setTimeout(r, 500));
    expect(viewer.video.frames - stalled).toBeLessThanOrEqual(1);

    const movedAt = performance.now();
    const result = await publisher.restartIce();
    expect(result.status).toBe(200);
    expect(result.body).toMatch(/^a=ice-ufrag:\S+$/m);
    expect(result.body).toMatch(/^a=candidate:.* typ host/m);
    expect(publisher.etag).toMatch(/^"[0-9a-f]{20}"$/);
    expect(publisher.etag).not.toBe(firstEtag);
    await moreFrames(viewer, 'frames after the restart');
    const tookMs = performance.now() - movedAt;
    console.log(
      `WHIP ICE restart over PATCH -> ${FRAMES} more frames at the viewer: ${Math.round(tookMs)} ms`,
    );
    expect(localSocketAddresses(publisher.pc).map((s) => s.address)).toEqual(['127.0.0.2']);

    const after = parseMetrics(await (await fetch(`${node.url}/metrics`)).text());
    const restarts = (m: typeof after, result: string) =>
      sampleValue(m, 'media_ice_restarts_total', { result }) ?? 0;
    expect(restarts(after, 'accepted') - restarts(before, 'accepted')).toBe(1);
    expect(restarts(after, 'completed') - restarts(before, 'completed')).toBe(1);
    // The same session, still connected: a restart is not a new publish.
    const res = await fetch(`${stack.edgeUrl}/api/media/sessions?room=${ROOM}`, {
      headers: { authorization: `Bearer ${await stack.token({ device: 'ops', admin: true })}` },
    });
    const { sessions } = (await res.json()) as ListSessionsResponse;
    const mine = sessions.filter((s) => s.deviceId === 'whip-mover');
    expect(mine.map((s) => [s.sessionId, s.state])).toEqual([[publisher.sessionId, 'connected']]);
  });

  it('refuses a stale ETag (412), a restart without If-Match (428), a malformed fragment (400); media flows on', async () => {
    const p = publisher;
    const v = viewer;
    if (!p || !v) throw new Error('the first test did not start the peers');
    const frag = [
      'a=ice-ufrag:zzzz',
      'a=ice-pwd:zzzzzzzzzzzzzzzzzzzzzzzz',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:0',
      '',
    ].join('\r\n');
    const stale = await p.patch(frag, '"0123456789abcdef0123"');
    expect(stale.status).toBe(412);
    expect(JSON.parse(stale.body)).toMatchObject({
      error: { code: 'precondition_failed', etag: p.etag },
    });
    const missing = await p.patch(frag, null);
    expect(missing.status).toBe(428);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'precondition_required' } });
    const malformed = await p.patch('a=ice-ufrag:zzzz\r\nthis is not sdp\r\n', p.etag);
    expect(malformed.status).toBe(400);
    const noPwd = await p.patch('a=ice-ufrag:zzzz\r\n', p.etag);
    expect(noPwd.status).toBe(400);
    await moreFrames(v, 'frames after the refused PATCHes');
    // And a second real restart still works on the current ETag.
    const again = await p.restartIce();
    expect(again.status).toBe(200);
    await moreFrames(v, 'frames after the second restart');
  });
});
