import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { EXT_URI } from '../../fast/rtp-extensions.ts';
import {
  extensionsForNewSection,
  offersTransportCc,
  stripTransportCcFromReceived,
  weriftHeaderExtensions,
  withoutRefusedTransportCc,
  withoutTransportCcFeedback,
} from './header-extensions.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

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
    const full = Array.from({ length: 14 }, (_, i) => ({ id: i + 1, uri: `urn:x:${i}` }));
    expect(extensionsForNewSection(wanted, full)).toEqual([]);
  });
});

describe('transport-cc in re-offers', () => {
  it("reads from the client's offer whether it takes transport-cc", () => {
    expect(offersTransportCc(fixture('chromium-offer.sdp'))).toBe(true);
    // webrtcbin offers rtcp-fb transport-cc but no extmap: it must not get it (GStreamer 1.22).
    expect(offersTransportCc(fixture('webrtcbin-max-bundle-offer.sdp'))).toBe(false);
    const dataOnly = 'v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n';
    expect(offersTransportCc(dataOnly)).toBeUndefined();
  });

  it('takes the transport-cc feedback lines out of an offer, and nothing else', () => {
    const sdp =
      'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 transport-cc\r\n' +
      'a=rtcp-fb:111 transport-cc\r\na=rtcp-fb:96 ccm fir\r\n';
    expect(withoutTransportCcFeedback(sdp)).toBe(
      'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 ccm fir\r\n',
    );
  });

  it('leaves transport-cc out only for a client that showed it does not take it', () => {
    const wanted = [
      { id: 1, uri: EXT_URI.mid },
      { id: 2, uri: EXT_URI.transportCc },
    ];
    expect(withoutRefusedTransportCc(wanted, false)).toEqual([{ id: 1, uri: EXT_URI.mid }]);
    expect(withoutRefusedTransportCc(wanted, true)).toEqual(wanted);
    expect(withoutRefusedTransportCc(wanted, undefined)).toEqual(wanted);
  });
});

describe('stripTransportCcFromReceived', () => {
  it('keeps transport-cc only on sections the node sends on, and returns the client id', () => {
    const tcc = { id: 3, uri: EXT_URI.transportCc };
    const mid = { id: 4, uri: EXT_URI.mid };
    const sections = [
      { offerDirection: 'recvonly', headerExtensions: [mid, tcc] }, // the client publishes
      { offerDirection: 'sendrecv', headerExtensions: [mid, tcc] }, // echo
      { offerDirection: 'sendonly', headerExtensions: [mid, tcc] }, // a WHEP viewer's slot
    ];
    expect(stripTransportCcFromReceived(sections)).toBe(3);
    expect(sections.map((s) => s.headerExtensions.map((e) => e.id))).toEqual([[4], [4], [4, 3]]);
    expect(
      stripTransportCcFromReceived([{ offerDirection: 'recvonly', headerExtensions: [mid] }]),
    ).toBeUndefined();
  });
});
