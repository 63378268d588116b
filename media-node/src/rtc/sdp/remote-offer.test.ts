import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../../shared/errors.ts';
import { prepareRemoteOffer } from './remote-offer.ts';
import { bundleGroup, mLine, parseSdpText } from './sdp-text.ts';

/** Offers captured from the real stacks (candidates moved to 127.0.0.1). */
function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}.sdp`, import.meta.url), 'utf8');
}

/** The m-sections of `sdp` as `kind port fmts`. */
function mLines(sdp: string): string[] {
  return parseSdpText(sdp).media.map(
    (m) => `${m.kind} ${mLine(m).port} ${mLine(m).fmts.join(' ')}`,
  );
}

/** Replaces the formats of the (first) video section of a Chromium offer with `lines`. */
function chromiumVideoOnly(formats: string, lines: string[]): string {
  const text = parseSdpText(fixture('chromium-offer'));
  const video = text.media.find((m) => m.kind === 'video');
  if (!video) throw new Error('fixture has no video');
  video.lines = [
    `m=video 9 UDP/TLS/RTP/SAVPF ${formats}`,
    ...video.lines.slice(1).filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb):/.test(l)),
    ...lines,
  ];
  const session = text.session.map((l) =>
    l.startsWith('a=group:BUNDLE') ? 'a=group:BUNDLE 1' : l,
  );
  return [...session, ...video.lines, ''].join('\r\n');
}

function unsupported(sdp: string): MediaError {
  try {
    prepareRemoteOffer(sdp);
  } catch (error) {
    if (error instanceof MediaError) return error;
    throw error;
  }
  throw new Error('expected unsupported_codecs');
}

describe('prepareRemoteOffer', () => {
  it('bundles webrtcbin max-bundle audio (m=audio 0 + a=bundle-only) instead of rejecting it', () => {
    const offer = fixture('webrtcbin-max-bundle-offer');
    expect(mLines(offer)).toEqual(['video 9 96', 'audio 0 111']);
    const prepared = prepareRemoteOffer(offer);
    expect(mLines(prepared.sdp)).toEqual(['video 9 96', 'audio 9 111']);
    expect(prepared.sdp).not.toContain('a=bundle-only');
    expect(bundleGroup(parseSdpText(prepared.sdp))).toEqual(['video0', 'audio1']);
    expect(prepared.rejected).toEqual([]);
    expect(prepared.accepted.map((c) => c.name)).toEqual(['vp8', 'opus']);
  });

  it('leaves a port-0 section that is not in the BUNDLE group rejected', () => {
    const offer = fixture('webrtcbin-max-bundle-offer').replace(
      'a=group:BUNDLE video0 audio1',
      'a=group:BUNDLE video0',
    );
    expect(mLines(prepareRemoteOffer(offer).sdp)).toEqual(['video 9 96', 'audio 0 111']);
  });

  it('keeps webrtcbin H.264 constrained baseline (42c015, packetization-mode 1)', () => {
    const prepared = prepareRemoteOffer(fixture('webrtcbin-h264-offer'));
    expect(mLines(prepared.sdp)).toEqual(['video 9 102', 'audio 9 111']);
    expect(prepared.accepted[0]).toMatchObject({ kind: 'video', name: 'h264' });
  });

  it("drops Chromium's H.264 packetization-mode 0, VP9 profile 2, RED/ULPFEC and their RTX", () => {
    const prepared = prepareRemoteOffer(fixture('chromium-offer'));
    const video = mLines(prepared.sdp)[1];
    // 96/97 VP8+rtx, 102/103 + 108/109 + 116/117 H.264 pm1 (+rtx), 45/46 AV1, 98/99 VP9 p0;
    // gone: 104/107, 114/115, 39/40 (pm0), 100/101 (VP9 profile 2), 118/119 red, 120 ulpfec.
    expect(video).toBe('video 9 96 97 102 103 108 109 116 117 45 46 98 99');
    expect(prepared.sdp).not.toMatch(/a=fmtp:104 /);
    expect(prepared.sdp).not.toMatch(/a=rtcp-fb:100 /);
    expect(prepared.rejected).toEqual([]);
  });

  it('accepts aiortc (opus/PCMU/PCMA, VP8, H.264 42001f and 42e01f, legacy DTLS/SCTP)', () => {
    const prepared = prepareRemoteOffer(fixture('aiortc-offer'));
    expect(mLines(prepared.sdp)).toEqual([
      'audio 9 96 0 8'.replace(' 9 ', ' 42436 '),
      'video 48545 97 98 99 100 101 102',
      'application 33211 5000',
    ]);
    expect(new Set(prepared.accepted.map((c) => c.name))).toEqual(
      new Set(['opus', 'pcmu', 'pcma', 'vp8', 'h264']),
    );
  });

  it('rejects an unsupported section with port 0, out of BUNDLE, and says why', () => {
    const offer = fixture('chromium-offer').replace(
      /m=video 9 UDP\/TLS\/RTP\/SAVPF [0-9 ]+/,
      'm=video 9 UDP/TLS/RTP/SAVPF 49',
    );
    const withH265 = offer.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:49 H265/90000');
    const prepared = prepareRemoteOffer(withH265);
    expect(mLines(prepared.sdp)[1]).toBe('video 0 49');
    expect(bundleGroup(parseSdpText(prepared.sdp))).toEqual(['0', '2']);
    expect(prepared.rejected).toEqual([
      { mid: '1', kind: 'video', reason: expect.stringContaining('video/H265') },
    ]);
  });

  it('refuses an H.264-only offer without packetization-mode 1 and names what was offered', () => {
    const sdp = chromiumVideoOnly('104', [
      'a=rtpmap:104 H264/90000',
      'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
    ]);
    const error = unsupported(sdp);
    expect(error.code).toBe('unsupported_codecs');
    expect(error.status).toBe(400);
    expect(error.details).toMatchObject({
      field: 'sdp',
      offered: ['video/H264;packetization-mode=0;profile-level-id=42001f'],
      supported: expect.arrayContaining(['video/VP8', 'video/H264', 'audio/opus']),
    });
  });

  it('refuses H.264 high profile (64001f) and H.265', () => {
    const sdp = chromiumVideoOnly('110 49', [
      'a=rtpmap:110 H264/90000',
      'a=fmtp:110 packetization-mode=1;profile-level-id=64001f',
      'a=rtpmap:49 H265/90000',
    ]);
    expect(unsupported(sdp).details.offered).toEqual([
      'video/H264;packetization-mode=1;profile-level-id=64001f',
      'video/H265',
    ]);
  });

  it('accepts a PCMU-only audio endpoint, static payload type without rtpmap included', () => {
    const audio = fixture('aiortc-offer')
      .split('m=video')[0]
      ?.replace('a=group:BUNDLE 0 1 2', 'a=group:BUNDLE 0')
      .replace('UDP/TLS/RTP/SAVPF 96 0 8', 'UDP/TLS/RTP/SAVPF 0')
      .replace(/a=rtpmap:(96|0|8) .*\r?\n/g, '');
    const prepared = prepareRemoteOffer(audio ?? '');
    expect(mLines(prepared.sdp)).toEqual(['audio 42436 0']);
    expect(prepared.accepted).toEqual([
      { kind: 'audio', name: 'pcmu', clockRate: 8000, fmtp: new Map() },
    ]);
  });

  it('serves a data-channel offer whose media is all unsupported (media rejected)', () => {
    const offer = fixture('aiortc-offer')
      .replace(/a=rtpmap:96 opus.*/, 'a=rtpmap:96 G722/8000')
      .replace('UDP/TLS/RTP/SAVPF 96 0 8', 'UDP/TLS/RTP/SAVPF 96')
      .replace(/a=rtpmap:(0|8) .*\r?\n/g, '')
      .replace(/a=rtpmap:(97|99|101) .*/g, 'a=rtpmap:$1 H265/90000');
    const prepared = prepareRemoteOffer(offer);
    expect(prepared.rejected.map((r) => r.kind)).toEqual(['audio', 'video']);
    expect(mLines(prepared.sdp)[2]).toBe('application 33211 5000');
  });
});

describe('header extension ids', () => {
  it("drops a later section's extmap whose id already means another URI (aiortc 1.4)", () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      't=0 0',
      'a=group:BUNDLE 0 1',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111',
      'a=mid:0',
      'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
      'a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      'a=rtpmap:111 opus/48000/2',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=mid:1',
      'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
      'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      'a=rtpmap:96 VP8/90000',
      '',
    ].join('\r\n');
    const out = prepareRemoteOffer(sdp);
    expect(out.sdp).toContain('a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level');
    expect(out.sdp).not.toContain('abs-send-time');
    expect(out.sdp.match(/a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid/g)).toHaveLength(2);
    expect(out.droppedExtensions).toEqual([
      'm=video extmap 2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time (id already means urn:ietf:params:rtp-hdrext:ssrc-audio-level)',
    ]);
  });
});
