import { describe, expect, it } from 'vitest';
import {
  chooseLayer,
  effectiveTarget,
  LayerSelector,
  Offer,
  ridRanks,
  type TargetLayer,
} from './layers.ts';

const ALL = 0b111;

function selector(ranks = [0, 1, 2]) {
  const asked: number[] = [];
  const s = new LayerSelector({ ranks, requestKeyframe: (layer) => asked.push(layer) });
  return { s, asked };
}

describe('ridRanks', () => {
  it('ranks q/h/f by name whatever their order, other names by position', () => {
    expect(ridRanks(['f', 'q', 'h'])).toEqual([2, 0, 1]);
    expect(ridRanks(['q', 'f'])).toEqual([0, 2]);
    expect(ridRanks(['low', 'mid', 'high'])).toEqual([0, 1, 2]);
    expect(ridRanks(['q', 'x'])).toEqual([0, 1]);
  });
});

describe('chooseLayer', () => {
  it('takes the highest active layer within the cap', () => {
    expect(chooseLayer([0, 1, 2], ALL, 2)).toBe(2);
    expect(chooseLayer([0, 1, 2], ALL, 1)).toBe(1);
    expect(chooseLayer([0, 1, 2], 0b011, 2)).toBe(1);
  });

  it('never exceeds the cap: waits for the highest layer within it when none is active', () => {
    expect(chooseLayer([0, 1, 2], 0b110, 0)).toBe(0);
    expect(chooseLayer([0, 1, 2], 0, 1)).toBe(1);
  });

  it('maps a cap onto layers named q and f only', () => {
    expect(chooseLayer([0, 2], 0b11, 1)).toBe(0);
  });
});

describe('effectiveTarget', () => {
  it('is the lower cap of the subscriber and the allocator, paused when either pauses', () => {
    const t = (maxLayer: 'q' | 'h' | 'f', paused: boolean, a: TargetLayer) =>
      effectiveTarget({ maxLayer, paused }, a);
    expect(t('f', false, 'h')).toBe('h');
    expect(t('q', false, 'f')).toBe('q');
    expect(t('f', true, 'f')).toBe('paused');
    expect(t('f', false, 'paused')).toBe('paused');
  });
});

describe('LayerSelector', () => {
  it('starts a simulcast track on a keyframe of the highest layer, asking for one once', () => {
    const { s, asked } = selector();
    expect(s.current).toBe(-1);
    expect(s.offer(2, false, ALL)).toBe(Offer.Drop);
    expect(s.offer(2, false, ALL)).toBe(Offer.Drop);
    expect(s.offer(0, true, ALL)).toBe(Offer.Drop);
    expect(asked).toEqual([2]);
    expect(s.offer(2, true, ALL)).toBe(Offer.Switch);
    expect(s.current).toBe(2);
    expect(s.offer(2, false, ALL)).toBe(Offer.Forward);
  });

  it('keeps the current layer until the target layer sends a keyframe, then switches', () => {
    const { s, asked } = selector();
    s.offer(2, true, ALL);
    s.setTarget('q');
    expect(s.offer(2, false, ALL)).toBe(Offer.Forward);
    expect(asked).toEqual([0]);
    expect(s.offer(0, false, ALL)).toBe(Offer.Drop);
    expect(s.offer(2, false, ALL)).toBe(Offer.Forward);
    expect(s.offer(0, true, ALL)).toBe(Offer.Switch);
    expect(s.offer(2, false, ALL)).toBe(Offer.Drop);
    expect(s.offer(1, true, ALL)).toBe(Offer.Drop);
    expect(s.offer(0, false, ALL)).toBe(Offer.Forward);
  });

  it('pauses at once and resumes on a keyframe', () => {
    const { s } = selector([0]);
    expect(s.current).toBe(0);
    expect(s.offer(0, false, 1)).toBe(Offer.Forward);
    s.setTarget('paused');
    expect(s.target).toBe('paused');
    expect(s.offer(0, true, 1)).toBe(Offer.Drop);
    s.setTarget('f');
    expect(s.offer(0, false, 1)).toBe(Offer.Drop);
    expect(s.offer(0, true, 1)).toBe(Offer.Switch);
  });

  it('moves down when the current layer stops and back up when it returns', () => {
    const { s, asked } = selector();
    s.offer(2, true, ALL);
    // f stopped (the publisher dropped it): h is wanted, on its next keyframe.
    expect(s.offer(1, false, 0b011)).toBe(Offer.Drop);
    expect(asked).toEqual([1]);
    expect(s.offer(1, true, 0b011)).toBe(Offer.Switch);
    expect(s.offer(2, true, ALL)).toBe(Offer.Switch);
    expect(s.current).toBe(2);
  });

  it('setting the same target again asks for nothing new', () => {
    const { s, asked } = selector();
    s.offer(2, true, ALL);
    s.setTarget('h');
    s.offer(2, false, ALL);
    s.setTarget('h');
    s.offer(2, false, ALL);
    expect(asked).toEqual([1]);
  });
});
