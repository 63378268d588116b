/**
 * Issue 16 parts 6 and 7 through the whole stack (edge under workerd, real media nodes): three
 * werift participants send synthetic audio whose RFC 6464 levels the test sets.
 * - The loudest becomes the active speaker within 1 s (the edge's `at` of the event), every SDK
 *   is told, and a voice 3 dB louder than the speaker does not take over (no flapping).
 * - `GET /api/media/sessions/:id` shows live quality stats (fresh within 2 s) that follow the
 *   traffic, and the node's quality histograms fill.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../shared/api.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

let stack: TestStack;
const joined: WeriftParticipant[] = [];
const ROOM = 'speaker-room';
/** RFC 6464 silence. */
const SILENT = 127;

interface SpeakerSeen {
  speaker: string | null;
  /** When the edge accepted the event (its `at`), ms since epoch. */
  at: number;
}

/** Speaker events each participant's SDK emitted, by participant name. */
const seen = new Map<string, SpeakerSeen[]>();

beforeAll(async () => {
  stack = await startTestStack();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail());
});

afterAll(async () => {
  await Promise.allSettled(joined.map((p) => p.leave()));
  await stack?.teardown();
});

async function join(name: string): Promise<WeriftParticipant> {
  const p = await joinWerift({ api: await stack.api(name), room: ROOM, name, test: 'speaker' });
  p.source.audioLevel = SILENT;
  joined.push(p);
  const list: SpeakerSeen[] = [];
  seen.set(name, list);
  // The SDK's typed event, and the raw one for its edge time.
  p.participant.on('speaker', ({ participantSessionId }) => {
    const raw = p.events.findLast((e) => e.type === 'speaker');
    list.push({ speaker: participantSessionId, at: raw ? Date.parse(raw.at) : Date.now() });
  });
  return p;
}

/** Resolves once every participant's SDK heard that `speaker` speaks (after `since`). */
async function everyoneHears(people: WeriftParticipant[], speaker: string, since: number) {
  await Promise.all(
    people.map((p) =>
      p.until(`speaker ${speaker}`, () =>
        (seen.get(p.name) ?? []).some((s) => s.speaker === speaker && s.at >= since),
      ),
    ),
  );
  const firsts = people.map(
    (p) => (seen.get(p.name) ?? []).find((s) => s.speaker === speaker && s.at >= since)?.at ?? 0,
  );
  return Math.min(...firsts) - since;
}

const receivesAudio = (p: WeriftParticipant, from: WeriftParticipant[]) =>
  p.until(`audio at ${p.name}`, () =>
    from.every((o) => (p.received.get(o.sessionId())?.audioPackets ?? 0) >= 10),
  );

describe('active speaker and quality stats', () => {
  let a: WeriftParticipant;
  let b: WeriftParticipant;
  let c: WeriftParticipant;

  it('makes the loudest the speaker within 1 s, does not flap on 3 dB, and tells every SDK', async () => {
    [a, b, c] = [await join('alice'), await join('bob'), await join('carol')];
    const all = [a, b, c];
    await Promise.all([
      receivesAudio(a, [b, c]),
      receivesAudio(b, [a, c]),
      receivesAudio(c, [a, b]),
    ]);
    // Silent so far: nobody is the speaker.
    expect([...seen.values()].flat()).toEqual([]);

    // alice -30 dBov, bob -45, carol -50: alice is the loudest.
    const t0 = Date.now();
    a.source.audioLevel = 30;
    b.source.audioLevel = 45;
    c.source.audioLevel = 50;
    const tookA = await everyoneHears(all, a.sessionId(), t0);
    console.info(`[speaker] loudest named after ${tookA} ms (edge time)`);
    expect(tookA).toBeLessThanOrEqual(1_000);

    // bob becomes 3 dB louder than alice, for 3 s: alice stays the speaker, nobody is told.
    const events = () => [...seen.values()].flat().length;
    const before = events();
    b.source.audioLevel = 27;
    await new Promise((r) => setTimeout(r, 3_000));
    expect(events()).toBe(before);
    const room = await (await stack.api('observer', { admin: true })).getRoom(ROOM);
    expect(room.activeSpeaker).toBe(a.sessionId());

    // carol speaks up, 17 dB above bob and 20 above alice: she takes over within 1 s.
    const t1 = Date.now();
    c.source.audioLevel = 10;
    const tookC = await everyoneHears(all, c.sessionId(), t1);
    console.info(`[speaker] handover after ${tookC} ms (edge time)`);
    expect(tookC).toBeLessThanOrEqual(1_000);
    // Exactly two changes each: alice, then carol (no flapping in between).
    for (const p of all) {
      expect((seen.get(p.name) ?? []).map((s) => s.speaker)).toEqual([
        a.sessionId(),
        c.sessionId(),
      ]);
    }
    const after = await (await stack.api('observer', { admin: true })).getRoom(ROOM);
    expect(after.activeSpeaker).toBe(c.sessionId());
  });

  it('GET /sessions/:id shows fresh stats that follow the traffic', async () => {
    const api = await stack.api('alice');
    const read = async (): Promise<SessionView> => api.getSession(a.sessionId());
    const first = await read();
    const stats = first.stats;
    if (!stats) throw new Error('no stats on a connected session');
    expect(Date.now() - Date.parse(stats.at)).toBeLessThan(2_000);
    // alice publishes audio and video, and receives bob's and carol's.
    expect(stats.inbound.bitrateBps).toBeGreaterThan(0);
    expect(stats.outbound.bitrateBps).toBeGreaterThan(0);
    expect(stats.inbound.lossRatio).toBe(0);
    const inTracks = stats.tracks.filter((t) => t.direction === 'in');
    const outTracks = stats.tracks.filter((t) => t.direction === 'out');
    expect(inTracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    expect(outTracks).toHaveLength(4);
    expect(stats.tracks.every((t) => t.layer === null)).toBe(true);
    // alice receives: the node estimates her downlink. werift's transport-cc feedback is
    // malformed (werift drops it), so a werift client's estimate rests on its receiver reports.
    expect(stats.estimateBps).toBeGreaterThan(0);
    expect(stats.estimateSource).toBe('loss');

    // The counts grow with the traffic, and the round trip comes from alice's receiver reports.
    await new Promise((r) => setTimeout(r, 1_500));
    let later = await read();
    expect(later.stats?.inbound.packets).toBeGreaterThan(stats.inbound.packets);
    expect(later.stats?.outbound.packets).toBeGreaterThan(stats.outbound.packets);
    const deadline = Date.now() + 15_000;
    while (later.stats?.rttMs === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      later = await read();
    }
    const { tracks: _tracks, ...summary } = later.stats ?? {};
    console.info(`[stats] ${JSON.stringify(summary)}`);
    expect(later.stats?.rttMs).toBeGreaterThanOrEqual(0);
    expect(later.stats?.rttMs).toBeLessThan(500);

    // alice stops sending: her inbound bitrate falls to 0 while she still receives.
    a.source.stop();
    await new Promise((r) => setTimeout(r, 2_500));
    const quiet = await read();
    expect(quiet.stats?.inbound.bitrateBps).toBe(0);
    expect(quiet.stats?.outbound.bitrateBps).toBeGreaterThan(0);

    // The node's histograms saw the streams (bounded labels only).
    const node = stack.nodes.find((n) => n.id === first.node?.id);
    if (!node) throw new Error(`node ${first.node?.id} not in the stack`);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const count = (name: string, labels: string[]) => {
      const line = metrics
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
      return Number(line?.split(' ').pop() ?? 0);
    };
    const stream = (direction: string, kind: string) => [
      `direction="${direction}"`,
      `kind="${kind}"`,
    ];
    expect(count('media_stream_bitrate_bps_count', stream('in', 'audio'))).toBeGreaterThan(0);
    expect(count('media_stream_bitrate_bps_count', stream('out', 'video'))).toBeGreaterThan(0);
    expect(count('media_stream_loss_ratio_count', stream('in', 'video'))).toBeGreaterThan(0);
    expect(count('media_stream_jitter_seconds_count', stream('in', 'audio'))).toBeGreaterThan(0);
    expect(count('media_rtt_seconds_count', [])).toBeGreaterThan(0);
    expect(metrics).not.toMatch(/session_id|sessionId/);
  });
});
