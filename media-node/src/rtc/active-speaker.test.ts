import { describe, expect, it } from 'vitest';
import { ActiveSpeakerDetector, type LevelSample } from './active-speaker.ts';
import { AudioLevelMeter, audioLevelId } from './audio-level.ts';

const TICK_MS = 100;

/** Runs `ticks` ticks with fixed levels (dBov per id; undefined = silent); returns the changes. */
function run(
  d: ActiveSpeakerDetector,
  levels: Record<string, number | undefined>,
  ticks: number,
): Array<{ tick: number; speaker: string | null }> {
  const changes = [];
  for (let t = 1; t <= ticks; t++) {
    const samples: LevelSample[] = Object.entries(levels).map(([id, dbov]) => ({ id, dbov }));
    const changed = d.tick(samples);
    if (changed !== undefined) changes.push({ tick: t, speaker: changed });
  }
  return changes;
}

describe('ActiveSpeakerDetector', () => {
  it('makes the loudest of three the speaker within 1 s', () => {
    const d = new ActiveSpeakerDetector();
    const changes = run(d, { a: 40, b: 20, c: 50 }, 10);
    expect(changes).toEqual([{ tick: 3, speaker: 'b' }]);
    expect(changes[0]!.tick * TICK_MS).toBeLessThanOrEqual(1_000);
    expect(d.speaker).toBe('b');
  });

  it('names nobody while everyone is silent or below the speech threshold', () => {
    const d = new ActiveSpeakerDetector();
    expect(run(d, { a: undefined, b: 127, c: 75 }, 20)).toEqual([]);
    expect(d.speaker).toBeNull();
  });

  it('does not flap on a 3 dB difference, in either order', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: 30, b: 40 }, 10);
    expect(d.speaker).toBe('a');
    // b becomes 3 dB louder than a, and the two trade 3 dB leads: the speaker stays.
    expect(run(d, { a: 30, b: 27 }, 50)).toEqual([]);
    for (let i = 0; i < 20; i++) {
      expect(run(d, i % 2 ? { a: 27, b: 30 } : { a: 30, b: 27 }, 3)).toEqual([]);
    }
    expect(d.speaker).toBe('a');
  });

  it('holds a level through ticks without packets (jitter), not a 3 dB voice taking over', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: 30, b: 33 }, 10);
    expect(d.speaker).toBe('a');
    // b is now 3 dB louder; a's packets bunch up: one or two empty ticks, then a burst.
    for (let i = 0; i < 30; i++) {
      const gap = i % 2 ? 1 : 2;
      expect(run(d, { a: undefined, b: 27 }, gap)).toEqual([]);
      expect(run(d, { a: 30, b: 27 }, 1)).toEqual([]);
    }
    expect(d.speaker).toBe('a');
  });

  it('hands over to a voice well above the speaker within 1 s', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: 30, b: 60, c: 60 }, 10);
    expect(d.speaker).toBe('a');
    const changes = run(d, { a: 30, b: 60, c: 10 }, 10);
    expect(changes).toHaveLength(1);
    expect(changes[0]!.speaker).toBe('c');
    expect(changes[0]!.tick * TICK_MS).toBeLessThanOrEqual(1_000);
  });

  it('hands over when the speaker falls silent and another speaks', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: 20, b: undefined }, 10);
    expect(d.speaker).toBe('a');
    const changes = run(d, { a: undefined, b: 45 }, 10);
    expect(changes.map((c) => c.speaker)).toEqual(['b']);
    expect(changes[0]!.tick * TICK_MS).toBeLessThanOrEqual(1_000);
  });

  it('keeps a silent speaker while nobody else speaks', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: 20, b: undefined }, 10);
    expect(run(d, { a: undefined, b: undefined }, 50)).toEqual([]);
    expect(d.speaker).toBe('a');
  });

  it('ignores a short burst (fewer ticks than the switch needs)', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: 30, b: 70 }, 10);
    // One 100 ms cough from b, 30 dB above a: the smoothed lead does not last 3 ticks.
    expect(run(d, { a: 30, b: 0 }, 1)).toEqual([]);
    expect(run(d, { a: 30, b: 70 }, 20)).toEqual([]);
    expect(d.speaker).toBe('a');
  });

  it('clears the speaker at once when it leaves, then picks the next one', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: 20, b: 40 }, 10);
    expect(d.speaker).toBe('a');
    expect(d.tick([{ id: 'b', dbov: 40 }])).toBeNull();
    expect(run(d, { b: 40 }, 5)).toEqual([{ tick: 3, speaker: 'b' }]);
    expect(d.level('a')).toBeUndefined();
  });

  it('treats out-of-range levels as the nearest valid one', () => {
    const d = new ActiveSpeakerDetector();
    run(d, { a: -5, b: Number.NaN }, 5);
    expect(d.speaker).toBe('a');
    expect(d.level('a')).toBeCloseTo(0);
    expect(d.level('b')).toBe(-127);
  });
});

describe('AudioLevelMeter', () => {
  const ext = (id: number, byte: number) => ({ id, payload: Buffer.from([byte]) });

  it('averages the level byte of the negotiated id, ignoring the voice bit and other ids', () => {
    const m = new AudioLevelMeter();
    m.add([ext(1, 0x00), ext(3, 0x80 | 20)], 3);
    m.add([ext(3, 40)], 3);
    m.add([ext(2, 10)], 3);
    m.add([], 3);
    expect(m.take()).toBe(30);
    expect(m.take()).toBeUndefined();
  });

  it('finds the negotiated id of ssrc-audio-level', () => {
    expect(
      audioLevelId([
        { id: 1, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
        { id: 5, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
      ]),
    ).toBe(5);
    expect(audioLevelId([])).toBe(0);
  });
});
