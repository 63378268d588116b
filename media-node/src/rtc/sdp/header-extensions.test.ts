import { describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { EXT_URI } from '../../fast/rtp-extensions.ts';
import { extensionsForNewSection, weriftHeaderExtensions } from './header-extensions.ts';

/** Chromium 156's ids in its offers. */
const CHROMIUM = [
  { id: 1, uri: EXT_URI.audioLevel },
  { id: 2, uri: EXT_URI.absSendTime },
  { id: 3, uri: EXT_URI.transportCc },
  { id: 4, uri: EXT_URI.mid },
  { id: 10, uri: EXT_URI.rid },
  { id: 11, uri: EXT_URI.repairedRid },
];

describe('weriftHeaderExtensions', () => {
  it('gives each URI one id across audio and video (werift numbers the lists)', () => {
    const config = weriftHeaderExtensions();
    // werift assigns the ids when the configuration is applied.
    const pc = new RTCPeerConnection({ headerExtensions: config, iceServers: [] });
    const ids = new Map<string, Set<number>>();
    for (const e of [...config.audio, ...config.video]) {
      ids.set(e.uri, (ids.get(e.uri) ?? new Set()).add(e.id));
    }
    for (const set of ids.values()) expect(set.size).toBe(1);
    const all = [...ids.values()].map((s) => [...s][0]);
    expect(new Set(all).size).toBe(all.length);
    void pc.close();
  });
});

describe('extensionsForNewSection', () => {
  const wanted = [
    { id: 5, uri: EXT_URI.mid },
    { id: 6, uri: EXT_URI.absSendTime },
    { id: 7, uri: EXT_URI.transportCc },
    { id: 4, uri: EXT_URI.audioLevel },
  ];

  it("reuses the client's ids and never gives an id a second URI", () => {
    const got = extensionsForNewSection(wanted, CHROMIUM).map((e) => ({ id: e.id, uri: e.uri }));
    expect(got).toEqual([
      { id: 4, uri: EXT_URI.mid },
      { id: 2, uri: EXT_URI.absSendTime },
      { id: 3, uri: EXT_URI.transportCc },
      { id: 1, uri: EXT_URI.audioLevel },
    ]);
  });

  it('keeps configured ids when free, else takes the lowest free id, else leaves it out', () => {
    const partial = [
      { id: 4, uri: 'urn:other' },
      { id: 7, uri: EXT_URI.transportCc },
    ];
    const got = extensionsForNewSection(wanted, partial).map((e) => [e.id, e.uri]);
    expect(got).toEqual([
      [5, EXT_URI.mid],
      [6, EXT_URI.absSendTime],
      [7, EXT_URI.transportCc],
      [1, EXT_URI.audioLevel],
    ]);
    // transport-cc only where the client offered it (webrtcbin: rtcp-fb without the extmap).
    const noTwcc = extensionsForNewSection(wanted, [{ id: 4, uri: 'urn:other' }]);
    expect(noTwcc.map((e) => e.uri)).not.toContain(EXT_URI.transportCc);
    expect(noTwcc).toHaveLength(3);
    const full = Array.from({ length: 14 }, (_, i) => ({ id: i + 1, uri: `urn:x:${i}` }));
    expect(extensionsForNewSection(wanted, full)).toEqual([]);
  });
});
