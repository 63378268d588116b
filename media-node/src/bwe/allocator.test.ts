import { describe, expect, it } from 'vitest';
import {
  allocate,
  BACKOFF_MS,
  type LayerChoice,
  SubscriberAllocator,
  type TrackDemand,
} from './allocator.ts';

const audio = (trackId: string, bps = 40_000): TrackDemand => ({
  trackId,
  kind: 'audio',
  layers: [{ rid: '', bps }],
});
/** Three simulcast layers at the rates (150k / 500k / 1.5M). */
const video = (trackId: string, extra: Partial<TrackDemand> = {}): TrackDemand => ({
  trackId,
  kind: 'video',
  layers: [
    { rid: 'q', bps: 150_000 },
    { rid: 'h', bps: 500_000 },
    { rid: 'f', bps: 1_500_000 },
  ],
  ...extra,
});
const choices = (m: ReadonlyMap<string, LayerChoice>) => Object.fromEntries(m);

describe('allocate', () => {
  it('keeps audio and pauses video when the estimate cannot carry both', () => {
    const a = allocate(100_000, [audio('a1'), audio('a2'), video('v1')]);
    expect(choices(a.choices)).toEqual({ a1: '', a2: '', v1: 'paused' });
    expect(a.allocatedBps).toBe(80_000);
    expect(a.pausedForBandwidth).toBe(1);
    // Even below the audio's own rate, audio is sent (and every video paused).
    expect(choices(allocate(10_000, [audio('a1'), video('v1')]).choices)).toEqual({
      a1: '',
      v1: 'paused',
    });
  });

  it('gives the lowest layer under a 400 kbit/s estimate, the top one with room', () => {
    expect(allocate(380_000, [audio('a'), video('v')]).choices.get('v')).toBe('q');
    expect(allocate(2_000_000, [audio('a'), video('v')]).choices.get('v')).toBe('f');
    expect(allocate(800_000, [audio('a'), video('v')]).choices.get('v')).toBe('h');
  });

  it("serves the active speaker's video first, after everyone's lowest layer", () => {
    const tracks = [audio('a'), video('other'), video('speaker', { speaker: true })];
    expect(choices(allocate(2_200_000, tracks).choices)).toEqual({
      a: '',
      other: 'q',
      speaker: 'f',
    });
    // Not enough for two lowest layers: the speaker's comes first whatever the order.
    expect(choices(allocate(250_000, tracks).choices)).toEqual({
      a: '',
      other: 'paused',
      speaker: 'q',
    });
  });

  it('shares what is left among the other videos one step at a time', () => {
    const tracks = [audio('a'), video('v1'), video('v2'), video('v3')];
    // 40k audio, 3 x 172.5k to start (a new track's first layer is an upgrade too), then
    // 575k - 150k = 425k for each step to h: room for two of them.
    const a = allocate(1_450_000, tracks);
    expect(choices(a.choices)).toEqual({ a: '', v1: 'h', v2: 'h', v3: 'q' });
  });

  it("applies the subscriber's maxLayer and pause, which cost nothing", () => {
    const a = allocate(5_000_000, [
      audio('a'),
      video('capped', { maxLayer: 'h' }),
      video('thumb', { maxLayer: 'q' }),
      video('hidden', { paused: true }),
    ]);
    expect(choices(a.choices)).toEqual({ a: '', capped: 'h', thumb: 'q', hidden: 'paused' });
    expect(a.allocatedBps).toBe(40_000 + 500_000 + 150_000);
    expect(a.pausedForBandwidth).toBe(0);
  });

  it('takes a track without simulcast whole or pauses it', () => {
    const plain: TrackDemand = { trackId: 'p', kind: 'video', layers: [{ rid: '', bps: 900_000 }] };
    expect(allocate(1_200_000, [audio('a'), plain]).choices.get('p')).toBe('');
    expect(allocate(800_000, [audio('a'), plain]).choices.get('p')).toBe('paused');
  });

  it('needs headroom to go up but not to stay (no flapping around a layer boundary)', () => {
    const tracks = [audio('a'), video('v')];
    const onH = new Map<string, LayerChoice>([['v', 'h']]);
    const onQ = new Map<string, LayerChoice>([['v', 'q']]);
    // 40k + 500k: kept at 560k, not reached from q below 40k + 575k.
    expect(allocate(560_000, tracks, onH).choices.get('v')).toBe('h');
    expect(allocate(600_000, tracks, onQ).choices.get('v')).toBe('q');
    expect(allocate(620_000, tracks, onQ).choices.get('v')).toBe('h');
    // Over the link: down at once.
    expect(allocate(520_000, tracks, onH).choices.get('v')).toBe('q');
  });
});

describe('SubscriberAllocator', () => {
  it('does not flap on an estimate wobbling by 5 % around a layer', () => {
    const tracks = [audio('a'), video('v')];
    const wobble = (alloc: SubscriberAllocator, from: number) => {
      let changes = 0;
      for (let i = 0; i < 100; i++) {
        const estimate = 580_000 * (1 + 0.05 * Math.sin(i));
        changes += alloc.update(estimate, tracks, from + i * 500).changed.size;
      }
      return changes;
    };
    // From nothing: q, and h (615k with headroom) is never reached.
    const fresh = new SubscriberAllocator();
    expect(wobble(fresh, 0)).toBe(2);
    expect(fresh.current.get('v')).toBe('q');
    // From f: down to h once, which 551k..609k keeps.
    const high = new SubscriberAllocator();
    high.update(2_000_000, tracks, 0);
    expect(wobble(high, 1_000)).toBe(1);
    expect(high.current.get('v')).toBe('h');
  });

  it('backs off after a downgrade, longer after a failed upgrade', () => {
    const alloc = new SubscriberAllocator();
    const tracks = [audio('a'), video('v')];
    const at = (estimate: number, t: number) => alloc.update(estimate, tracks, t).allocation;
    expect(at(2_000_000, 0).choices.get('v')).toBe('f');
    expect(at(400_000, 1_000).choices.get('v')).toBe('q');
    expect(at(2_000_000, 1_000 + BACKOFF_MS - 1).choices.get('v')).toBe('q');
    expect(at(2_000_000, 1_000 + BACKOFF_MS).choices.get('v')).toBe('f');
    // The upgrade failed within the probe window: twice the back-off.
    expect(at(400_000, 4_000).choices.get('v')).toBe('q');
    expect(at(2_000_000, 4_000 + 2 * BACKOFF_MS - 1).choices.get('v')).toBe('q');
    expect(at(2_000_000, 4_000 + 2 * BACKOFF_MS).choices.get('v')).toBe('f');
  });

  it("applies the subscriber's un-pause at once, even during a back-off", () => {
    const alloc = new SubscriberAllocator();
    const tracks = [audio('a'), video('v'), video('w', { paused: true })];
    alloc.update(3_000_000, tracks, 0);
    alloc.update(1_000_000, tracks, 1_000); // v: f -> h, back-off until 3 s
    const tracks2 = [audio('a'), video('v'), video('w')];
    const { changed } = alloc.update(3_000_000, tracks2, 1_500);
    expect(choices(changed)).toEqual({ w: 'q' });
    // Lowering a cap is no congestion: no back-off starts.
    const capped = [audio('a'), video('v', { maxLayer: 'q' }), video('w')];
    alloc.update(3_000_000, capped, 3_000);
    const after = alloc.update(3_000_000, capped, 3_100);
    expect(after.allocation.choices.get('w')).toBe('f');
  });

  it('reports only the tracks whose choice changed', () => {
    const alloc = new SubscriberAllocator();
    const tracks = [audio('a'), video('v')];
    expect(choices(alloc.update(2_000_000, tracks, 0).changed)).toEqual({ a: '', v: 'f' });
    expect(alloc.update(2_000_000, tracks, 500).changed.size).toBe(0);
    expect(choices(alloc.current)).toEqual({ a: '', v: 'f' });
  });
});
