/**
 * Issue 16, parts 1, 2 and 4: a werift publisher sends three simulcast layers (synthetic VP8 with
 * real keyframes, q/h/f); two werift subscribers receive it through the node. One is capped at
 * `q` with `PUT .../subscriptions/:trackId`: it moves to q within a second, on a keyframe the
 * node asked the publisher's q layer for, with one continuous sequence of numbers; the other
 * stays on f. Pausing stops that subscriber's video within a second; resuming brings it back on
 * a keyframe, still without a gap. The node counts the switch. Dynacast: once nobody targets
 * f, the publisher is told to stop it (a `layers` event), and to resume it when someone does.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RtpPacket } from 'werift';
import { MediaApiError } from '../client/errors.ts';
import type { SubscriptionView } from '../shared/api.ts';
import { parseMetrics, sampleValue } from './support/prometheus.ts';
import {
  joinSimulcastPublisher,
  LAYER_WIDTH,
  type Layer,
  layerOf,
  type SimulcastPublisher,
} from './support/simulcast-publisher.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { parseKeyframe } from './support/vp8-frames.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

const ROOM = 'simulcast-room';
/** The bound for `maxLayer` / `paused` to take effect. */
const APPLY_MS = 1_000;

/** One video packet from the publisher as a subscriber received it. */
interface Got {
  at: number;
  seq: number;
  ts: number;
  layer: Layer | undefined;
  keyframeWidth: number | undefined;
}

let stack: TestStack;
let publisher: SimulcastPublisher | undefined;
const joined: WeriftParticipant[] = [];
const got = new Map<string, Got[]>();

beforeAll(async () => {
  stack = await startTestStack();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail());
});

afterAll(async () => {
  await Promise.allSettled([publisher?.leave(), ...joined.map((p) => p.leave())]);
  await stack?.teardown();
});

async function subscriber(name: string): Promise<WeriftParticipant> {
  const list: Got[] = [];
  got.set(name, list);
  const p = await joinWerift({
    api: await stack.api(name),
    room: ROOM,
    name,
    test: 'simulcast',
    onVideoRtp: (from: string, rtp: RtpPacket) => {
      if (from !== publisher?.sessionId()) return;
      list.push({
        at: performance.now(),
        seq: rtp.header.sequenceNumber,
        ts: rtp.header.timestamp,
        layer: layerOf(rtp.payload),
        keyframeWidth: parseKeyframe(rtp)?.width,
      });
    },
  });
  joined.push(p);
  return p;
}

/** Every packet follows the one before with the next sequence number and a later timestamp. */
function expectContinuous(list: readonly Got[]): void {
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1] as Got;
    const cur = list[i] as Got;
    expect({ i, step: (cur.seq - prev.seq) & 0xffff }).toEqual({ i, step: 1 });
    expect((cur.ts - prev.ts) >>> 0).toBeGreaterThan(0);
  }
}

/** The publisher's video track id, from a subscriber's `track` events. */
function videoTrackId(p: WeriftParticipant): string {
  const e = p.events.find(
    (ev) =>
      ev.type === 'track' &&
      ev.action === 'added' &&
      ev.kind === 'video' &&
      ev.publisherSessionId === publisher?.sessionId(),
  );
  if (e?.type !== 'track') throw new Error('no track event for the publisher');
  return e.trackId;
}

describe('simulcast: per-subscriber layers', () => {
  it('caps one subscriber at q and pauses it, while the other stays on f', async () => {
    publisher = await joinSimulcastPublisher({ api: await stack.api('publisher'), room: ROOM });
    const a = await subscriber('alice');
    const b = await subscriber('bob');
    const gotA = got.get('alice') as Got[];
    const gotB = got.get('bob') as Got[];
    const onF = (list: Got[]) => list.filter((g) => g.layer === 'f').length >= 20;
    await Promise.all([
      a.until('20 packets of f', () => onF(gotA), 20_000),
      b.until('20 packets of f', () => onF(gotB), 20_000),
    ]);
    // Each subscriber's forwarder asked the publisher's f layer for a keyframe (a PLI to the
    // SSRC the node learnt from f's packets), and both started on the top layer at a keyframe.
    expect(publisher.pliKeyframes.f).toBeGreaterThan(0);
    for (const list of [gotA, gotB]) {
      expect(list[0]?.keyframeWidth).toBe(LAYER_WIDTH.f);
      expect(new Set(list.map((g) => g.layer))).toEqual(new Set(['f']));
    }

    const trackId = videoTrackId(b);
    const pliBefore = publisher.pliKeyframes.q;
    const capped: SubscriptionView = await b.participant.setSubscription(trackId, {
      maxLayer: 'q',
    });
    const cappedAt = performance.now();
    expect(capped).toMatchObject({ trackId, kind: 'video', rids: ['q', 'h', 'f'], maxLayer: 'q' });
    await b.until('q after the cap', () => gotB.some((g) => g.layer === 'q'), 10_000);
    const firstQ = gotB.findIndex((g) => g.layer === 'q');
    const switchAt = gotB[firstQ] as Got;
    expect(switchAt.at - cappedAt).toBeLessThan(APPLY_MS);
    // The switch is on a keyframe of q, one the node asked the publisher's q layer for with a
    // PLI (its periodic keyframe is 30 s away).
    expect(switchAt.keyframeWidth).toBe(LAYER_WIDTH.q);
    expect(publisher.pliKeyframes.q).toBeGreaterThan(pliBefore);
    const countB = gotB.length;
    await b.until('20 more packets', () => gotB.length >= countB + 20, 10_000);
    expect(gotB.slice(firstQ).every((g) => g.layer === 'q')).toBe(true);
    expect(gotB.slice(0, firstQ).every((g) => g.layer === 'f')).toBe(true);
    expectContinuous(gotB);
    // The session's quality stats name the layer bob receives.
    const bobApi = await stack.api('bob');
    const layerInStats = async () => {
      const view = (await bobApi.getSession(b.sessionId())) as unknown as {
        stats: {
          tracks: Array<{ trackId: string; direction: string; layer: string | null }>;
        } | null;
      };
      return view.stats?.tracks.find((t) => t.trackId === trackId && t.direction === 'out')?.layer;
    };
    const deadline = performance.now() + 10_000;
    while ((await layerInStats()) !== 'q' && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await layerInStats()).toBe('q');
    // Alice was not touched.
    expect(new Set(gotA.map((g) => g.layer))).toEqual(new Set(['f']));
    expectContinuous(gotA);

    // Pause: nothing arrives after the pause took effect (1 s), for 1.5 s more.
    await b.participant.setSubscription(trackId, { paused: true });
    await new Promise((r) => setTimeout(r, APPLY_MS));
    const pausedCount = gotB.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(gotB.length).toBe(pausedCount);
    const aCount = gotA.length;
    await a.until('alice goes on', () => gotA.length > aCount + 5, 5_000);

    // Resume: q again within 1 s, on a keyframe, the numbering going on from before the pause.
    const resumed = await b.participant.setSubscription(trackId, { paused: false });
    const resumedAt = performance.now();
    expect(resumed).toMatchObject({ maxLayer: 'q', paused: false });
    await b.until('video after resuming', () => gotB.length > pausedCount, 10_000);
    const back = gotB[pausedCount] as Got;
    expect(back.at - resumedAt).toBeLessThan(APPLY_MS);
    expect(back).toMatchObject({ layer: 'q', keyframeWidth: LAYER_WIDTH.q });
    expectContinuous(gotB);

    // Dynacast: alice is capped at h: nobody needs f, which the publisher is told to stop
    // (after 2 s), and does; alice goes on with h, seamlessly.
    // (Alone in the room, the publisher was told to pause everything; the first subscriber
    // brought every layer back.)
    const events = publisher.layerEvents;
    expect(events.at(-1)?.active ?? ['q', 'h', 'f']).toEqual(['q', 'h', 'f']);
    const before = events.length;
    await a.participant.setSubscription(videoTrackId(a), { maxLayer: 'h' });
    await a.until('layers [q, h]', () => events.length > before, 10_000);
    expect(events.slice(before).map((e) => e.active)).toEqual([['q', 'h']]);
    const fSent = publisher.sent.f;
    await new Promise((r) => setTimeout(r, 500));
    expect(publisher.sent.f).toBe(fSent);
    expect(gotA.at(-1)?.layer).toBe('h');
    expectContinuous(gotA);
    // Back to f: resumed at once, and alice gets f again on the keyframe that restarts it.
    const uncapped = gotA.length;
    await a.participant.setSubscription(videoTrackId(a), { maxLayer: 'f' });
    const uncappedAt = performance.now();
    await a.until('f again', () => gotA.slice(uncapped).some((g) => g.layer === 'f'), 10_000);
    expect(publisher.layerEvents.at(-1)?.active).toEqual(['q', 'h', 'f']);
    const fAgain = gotA.slice(uncapped).find((g) => g.layer === 'f') as Got;
    expect(fAgain.at - uncappedAt).toBeLessThan(APPLY_MS);
    expect(fAgain.keyframeWidth).toBe(LAYER_WIDTH.f);
    expectContinuous(gotA);

    const metrics = parseMetrics(
      await (await fetch(`${stack.nodes.find((n) => n.id === b.nodeId())?.url}/metrics`)).text(),
    );
    expect(
      sampleValue(metrics, 'media_layer_switches_total', { direction: 'down' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('refuses an unknown track (404) and a bad body (400)', async () => {
    const b = joined.find((p) => p.name === 'bob') as WeriftParticipant;
    const refused = (change: unknown, trackId = videoTrackId(b)) =>
      b.participant
        .setSubscription(trackId, change as never)
        .then(() => undefined)
        .catch((error: unknown) => error);
    const unknown = await refused({ maxLayer: 'h' }, `${b.sessionId()}:99`);
    expect(unknown).toBeInstanceOf(MediaApiError);
    expect(unknown).toMatchObject({ status: 404, code: 'track_not_found' });
    expect(await refused({ maxLayer: 'x' })).toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    expect(await refused({})).toMatchObject({ status: 400, code: 'invalid_request' });
  });
});
