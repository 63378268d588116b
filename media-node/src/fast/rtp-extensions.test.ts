import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import {
  audioLevelOf,
  EXT_URI,
  extensionRewrite,
  MAX_EXTENSION_BLOCK,
  passThroughList,
  writeExtensionBlock,
} from './rtp-extensions.ts';

/** Chromium's default ids in an offer: mid 4 (here 9), audio level 1, twcc 3, abs-send-time 2. */
const PUBLISHER = [
  { id: 1, uri: EXT_URI.audioLevel },
  { id: 2, uri: EXT_URI.absSendTime },
  { id: 3, uri: EXT_URI.transportCc },
  { id: 9, uri: EXT_URI.mid },
];
/** werift's ids (assigned 1.. over its configured list). */
const SUBSCRIBER = [
  { id: 1, uri: EXT_URI.mid },
  { id: 2, uri: EXT_URI.transportCc },
  { id: 3, uri: EXT_URI.absSendTime },
  { id: 4, uri: EXT_URI.audioLevel },
];

function publisherPacket(profile: 'one' | 'two'): Buffer {
  const header = new RtpHeader({
    sequenceNumber: 7,
    timestamp: 960,
    ssrc: 0x11223344,
    payloadType: 111,
    extension: true,
    extensionProfile: profile === 'one' ? 0xbede : 0x1000,
    extensions: [
      { id: 1, payload: Buffer.from([0x80 | 30]) }, // voice activity, -30 dBov
      { id: 2, payload: Buffer.from([1, 2, 3]) },
      { id: 3, payload: Buffer.from([0xaa, 0xbb]) },
      { id: 9, payload: Buffer.from('0') },
    ],
  });
  return new RtpPacket(header, Buffer.from([0xfc, 1, 2, 3])).serialize();
}

/** Elements of a one-byte block at `b[0..]`: id -> payload. */
function elements(block: Uint8Array): Map<number, Buffer> {
  expect([block[0], block[1]]).toEqual([0xbe, 0xde]);
  const out = new Map<number, Buffer>();
  const end = 4 + 4 * ((block[2]! << 8) | block[3]!);
  expect(end).toBe(block.length);
  let i = 4;
  while (i < end) {
    if (block[i] === 0) {
      i++;
      continue;
    }
    const id = block[i]! >> 4;
    const len = (block[i]! & 15) + 1;
    out.set(id, Buffer.from(block.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return out;
}

describe('writeExtensionBlock', () => {
  const rw = extensionRewrite(PUBLISHER, SUBSCRIBER, '3');

  it.each(['one', 'two'] as const)(
    'rewrites a %s-byte block: own mid, fresh twcc and abs-send-time, audio level re-id',
    (form) => {
      if (!rw) throw new Error('no rewrite');
      const src = publisherPacket(form);
      const out = new Uint8Array(MAX_EXTENSION_BLOCK);
      const n = writeExtensionBlock(src, src.length, rw, out, 0, 64_000 + 500, () => 0x1_0005);
      const got = elements(out.subarray(0, n));
      expect([...got.keys()].sort()).toEqual([1, 2, 3, 4]);
      expect(got.get(1)?.toString()).toBe('3');
      expect([...(got.get(2) ?? [])]).toEqual([0, 5]); // wrapped to 16 bits
      // 0.5 s in 6.18 fixed point (64 s wrap).
      expect(got.get(3)?.readUIntBE(0, 3)).toBe(0.5 * 262_144);
      expect([...(got.get(4) ?? [])]).toEqual([0x80 | 30]);
    },
  );

  it('writes nothing when the subscriber negotiated no extension we write', () => {
    expect(extensionRewrite(PUBLISHER, [], '0')).toBeUndefined();
    const only = extensionRewrite(PUBLISHER, [{ id: 5, uri: EXT_URI.rid }], '0');
    expect(only).toBeUndefined();
  });

  it('drops the audio level when the publisher did not negotiate it', () => {
    const rw2 = extensionRewrite([], SUBSCRIBER, '1');
    if (!rw2) throw new Error('no rewrite');
    const src = publisherPacket('one');
    const out = new Uint8Array(MAX_EXTENSION_BLOCK);
    const n = writeExtensionBlock(src, src.length, rw2, out, 0, 0, () => 1);
    expect([...elements(out.subarray(0, n)).keys()].sort()).toEqual([1, 2, 3]);
  });

  it('refuses ids above 14 (output is one-byte form) and stops at a truncated block', () => {
    const high = extensionRewrite(PUBLISHER, [{ id: 15, uri: EXT_URI.audioLevel }], '0');
    expect(high).toBeUndefined();
    const onlyLevel = extensionRewrite(PUBLISHER, [{ id: 4, uri: EXT_URI.audioLevel }], undefined);
    if (!onlyLevel) throw new Error('no rewrite');
    const src = publisherPacket('one');
    // Claim a longer block than the packet holds: nothing is read past the end.
    const bad = Buffer.from(src);
    bad[15] = 200;
    const out = new Uint8Array(MAX_EXTENSION_BLOCK);
    expect(writeExtensionBlock(bad, bad.length, onlyLevel, out, 0, 0, () => 0)).toBe(0);
    // No X bit: nothing to pass through.
    const plain = new RtpPacket(new RtpHeader({ sequenceNumber: 1 }), Buffer.from([1])).serialize();
    expect(writeExtensionBlock(plain, plain.length, onlyLevel, out, 0, 0, () => 0)).toBe(0);
  });
});

describe('passThroughList and audioLevelOf', () => {
  it('keeps only the audio level, under the subscriber id', () => {
    const rw = extensionRewrite(PUBLISHER, SUBSCRIBER, '0');
    const parsed = RtpPacket.deSerialize(publisherPacket('one')).header.extensions;
    expect(passThroughList(parsed, rw)).toEqual([{ id: 4, payload: Buffer.from([0x80 | 30]) }]);
    expect(passThroughList(parsed, undefined)).toEqual([]);
    expect(audioLevelOf(parsed, 1)).toBe(30);
    expect(audioLevelOf(parsed, 0)).toBeUndefined();
    expect(audioLevelOf(parsed, 5)).toBeUndefined();
  });
});
