import { describe, expect, it } from 'vitest';
import { formatSdpText, parseSdpText } from './sdp-text.ts';
import { normalizeSimulcast } from './simulcast-offer.ts';

function offer(...sections: string[][]): string {
  return ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', ...sections.flat(), ''].join('\r\n');
}

function video(mid: string, extra: string[]): string[] {
  return [`m=video 9 UDP/TLS/RTP/SAVPF 96`, `a=mid:${mid}`, 'a=rtpmap:96 VP8/90000', ...extra];
}

function linesOf(sdp: string, mid: string): string[] {
  const section = parseSdpText(sdp).media.find((m) => m.lines.includes(`a=mid:${mid}`));
  return section?.lines.filter((l) => l.startsWith('a=rid:') || l.startsWith('a=simulcast:')) ?? [];
}

describe('normalizeSimulcast', () => {
  it('strips rid restrictions (werift answered them with the wrong direction)', () => {
    const text = parseSdpText(
      offer(
        video('0', [
          'a=rid:q send max-width=320;max-height=180',
          'a=rid:h send',
          'a=rid:f send pt=96',
          'a=simulcast:send q;h;~f',
        ]),
      ),
    );
    expect(normalizeSimulcast(text)).toEqual([]);
    expect(linesOf(formatSdpText(text), '0')).toEqual([
      'a=rid:q send',
      'a=rid:h send',
      'a=rid:f send',
      'a=simulcast:send q;h;f',
    ]);
  });

  it('keeps three layers, and simulcast in the first video section only', () => {
    const rids = ['a=rid:1 send', 'a=rid:2 send', 'a=rid:3 send', 'a=rid:4 send'];
    const text = parseSdpText(
      offer(video('0', rids), video('1', ['a=rid:q send', 'a=rid:f send'])),
    );
    const notes = normalizeSimulcast(text);
    expect(notes).toEqual([
      { mid: '0', rids: ['1', '2', '3'], dropped: ['4'], why: 'at most 3 layers' },
      {
        mid: '1',
        rids: [],
        dropped: ['q', 'f'],
        why: 'only the first video section of a session may be simulcast',
      },
    ]);
    const sdp = formatSdpText(text);
    expect(linesOf(sdp, '0')).toEqual([
      'a=rid:1 send',
      'a=rid:2 send',
      'a=rid:3 send',
      'a=simulcast:send 1;2;3',
    ]);
    expect(linesOf(sdp, '1')).toEqual([]);
  });

  it('leaves an offer without simulcast unchanged', () => {
    const sdp = offer(video('0', ['a=sendonly']));
    const text = parseSdpText(sdp);
    expect(normalizeSimulcast(text)).toEqual([]);
    expect(formatSdpText(text)).toBe(sdp);
  });
});
