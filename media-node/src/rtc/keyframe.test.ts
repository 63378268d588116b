import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKeyframeStart, type KeyframeCodec, keyframeCodec } from './keyframe.ts';

/**
 * Real packets from Chromium (fixtures/capture-keyframe-packets.ts): still noise with a small
 * moving box, so a keyframe is 10+ packets and a delta frame 1 to 5; a frame's size is the
 * label, independent of the code under test. Frames of 6-9 packets are left unlabelled.
 */
interface Frame {
  count: number;
  packets: string[];
}
const FIXTURE = JSON.parse(
  readFileSync(new URL('./fixtures/keyframe-packets.json', import.meta.url), 'utf8'),
) as Record<string, Frame[]>;

const first = (f: Frame) => Buffer.from(f.packets[0] ?? '', 'hex');

describe.each([
  ['VP8', 'vp8'],
  ['VP9', 'vp9'],
  ['H264', 'h264'],
  ['AV1', 'av1'],
] as const)('%s from Chromium', (name, codec: KeyframeCodec) => {
  const frames = FIXTURE[name] ?? [];

  it('has keyframes and deltas to tell apart', () => {
    expect(frames.length).toBeGreaterThan(25);
    expect(frames.filter((f) => f.count >= 10).length).toBeGreaterThanOrEqual(2);
    expect(frames.filter((f) => f.count <= 5).length).toBeGreaterThan(20);
  });

  it('finds the first packet of every keyframe, the first frame included', () => {
    expect(isKeyframeStart(codec, first(frames[0] as Frame))).toBe(true);
    for (const f of frames.filter((x) => x.count >= 10)) {
      expect(isKeyframeStart(codec, first(f)), f.packets[0]).toBe(true);
    }
  });

  it('finds none in delta frames nor in a keyframe after its first packet', () => {
    for (const f of frames.filter((x) => x.count <= 5)) {
      for (const p of f.packets)
        expect(isKeyframeStart(codec, Buffer.from(p, 'hex')), p).toBe(false);
    }
    for (const f of frames.filter((x) => x.count >= 10)) {
      const second = Buffer.from(f.packets[1] ?? '', 'hex');
      // H.264: Chromium's second packet is the IDR's first FU-A fragment (S=1), a keyframe start too.
      if (codec !== 'h264') expect(isKeyframeStart(codec, second), f.packets[1]).toBe(false);
    }
  });

  it('answers false on short or empty payloads', () => {
    const p = first(frames[0] as Frame);
    expect(isKeyframeStart(codec, new Uint8Array())).toBe(false);
    for (let n = 0; n < 2; n++)
      expect(() => isKeyframeStart(codec, p.subarray(0, n))).not.toThrow();
  });
});

describe('hand-built packets', () => {
  it('H.264: IDR alone, SPS in STAP-A, FU-A start of IDR only', () => {
    expect(isKeyframeStart('h264', Uint8Array.of(0x65, 0x88))).toBe(true);
    expect(isKeyframeStart('h264', Uint8Array.of(0x41, 0x9a))).toBe(false);
    // STAP-A: a 2-byte PPS-less SEI (6) then an IDR.
    expect(isKeyframeStart('h264', Uint8Array.of(0x78, 0, 2, 0x06, 0, 0, 2, 0x65, 0))).toBe(true);
    expect(isKeyframeStart('h264', Uint8Array.of(0x78, 0, 2, 0x06, 0, 0, 2, 0x41, 0))).toBe(false);
    expect(isKeyframeStart('h264', Uint8Array.of(0x7c, 0x85))).toBe(true);
    expect(isKeyframeStart('h264', Uint8Array.of(0x7c, 0x05))).toBe(false); // continuation
    expect(isKeyframeStart('h264', Uint8Array.of(0x7c, 0x81))).toBe(false); // non-IDR slice
  });

  it('AV1: N bit; a sequence header OBU first; a continuation never', () => {
    expect(isKeyframeStart('av1', Uint8Array.of(0x18, 0x00))).toBe(true); // W=1, N=1
    expect(isKeyframeStart('av1', Uint8Array.of(0x10, 0x0a))).toBe(true); // W=1, OBU type 1
    expect(isKeyframeStart('av1', Uint8Array.of(0x20, 0x05, 0x0a))).toBe(true); // W=2, LEB128
    expect(isKeyframeStart('av1', Uint8Array.of(0x90, 0x0a))).toBe(false); // Z=1
    expect(isKeyframeStart('av1', Uint8Array.of(0x10, 0x32))).toBe(false); // frame OBU (6)
  });

  it('VP8 and VP9: descriptor fields are skipped before the flag', () => {
    // VP8: X, I with a 15-bit picture id, then a payload header with P=0.
    expect(isKeyframeStart('vp8', Uint8Array.of(0x90, 0x80, 0x81, 0x02, 0x10))).toBe(true);
    expect(isKeyframeStart('vp8', Uint8Array.of(0x90, 0x80, 0x81, 0x02, 0x11))).toBe(false);
    expect(isKeyframeStart('vp8', Uint8Array.of(0x80, 0x80, 0x81, 0x02, 0x10))).toBe(false); // S=0
    // VP9: L present, SID 1: not the base layer.
    expect(isKeyframeStart('vp9', Uint8Array.of(0xa8, 0x05, 0x02))).toBe(false);
    expect(isKeyframeStart('vp9', Uint8Array.of(0xa8, 0x05, 0x00))).toBe(true);
  });

  it('keyframeCodec reads MIME types', () => {
    expect(keyframeCodec('video/VP8')).toBe('vp8');
    expect(keyframeCodec('video/H264')).toBe('h264');
    expect(keyframeCodec('audio/opus')).toBeUndefined();
    expect(keyframeCodec(undefined)).toBeUndefined();
  });
});
