import { describe, expect, it } from 'vitest';
import { parseSdpFrag } from './sdpfrag.ts';

describe('parseSdpFrag', () => {
  it('reads credentials, candidates per m-line with their mid, and end-of-candidates', () => {
    const frag = parseSdpFrag(
      [
        'a=ice-ufrag:EsAw',
        'a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1',
        'm=audio 9 RTP/AVP 0',
        'a=mid:0',
        'a=candidate:1 1 UDP 2015363327 127.0.0.1 56295 typ host',
        'm=video 9 RTP/AVP 0',
        'a=mid:1',
        'a=candidate:2 1 TCP 1010827519 127.0.0.1 51191 typ host tcptype passive',
        'a=end-of-candidates',
        '',
      ].join('\r\n'),
    );
    expect(frag).toEqual({
      ufrag: 'EsAw',
      pwd: 'P2uYro0UCOQ4zxjKXaWCBui1',
      endOfCandidates: true,
      candidates: [
        {
          candidate: 'candidate:1 1 UDP 2015363327 127.0.0.1 56295 typ host',
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: 'EsAw',
        },
        {
          candidate: 'candidate:2 1 TCP 1010827519 127.0.0.1 51191 typ host tcptype passive',
          sdpMid: '1',
          sdpMLineIndex: 1,
          usernameFragment: 'EsAw',
        },
      ],
    });
  });

  it('takes credentials given inside the media section and LF line ends', () => {
    const frag = parseSdpFrag(
      'm=audio 9 RTP/AVP 0\na=mid:a\na=ice-ufrag:u2\na=ice-pwd:p2\na=candidate:1 1 udp 1 127.0.0.1 1 typ host\n',
    );
    expect(frag.ufrag).toBe('u2');
    expect(frag.candidates[0]).toMatchObject({ sdpMid: 'a', usernameFragment: 'u2' });
  });

  it('an end-of-candidates-only fragment has no candidates', () => {
    expect(parseSdpFrag('a=end-of-candidates\r\n').candidates).toEqual([]);
  });

  it('refuses a body that is not SDP lines with 400 invalid_request', () => {
    expect(() => parseSdpFrag('{"candidates":[]}')).toThrow(
      expect.objectContaining({ code: 'invalid_request', status: 400 }),
    );
  });
});
