import { describe, expect, it } from 'vitest';
import { answerFrag, iceUfragOf, restartOffer } from './ice-restart.ts';

const OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:0',
  'a=ice-ufrag:old1',
  'a=ice-pwd:oldpasswordoldpassword1',
  'a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host',
  'a=end-of-candidates',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:1',
  'a=ice-ufrag:old1',
  'a=ice-pwd:oldpasswordoldpassword1',
  '',
].join('\r\n');

const ANSWER = [
  'v=0',
  'o=- 2 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=ice-lite',
  'a=group:BUNDLE 0 1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:0',
  'a=ice-ufrag:srv2',
  'a=ice-pwd:serverpasswordserverpwd2',
  'a=candidate:7 1 udp 2130706431 127.0.0.1 50000 typ host',
  'a=end-of-candidates',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:1',
  'a=ice-ufrag:srv2',
  'a=ice-pwd:serverpasswordserverpwd2',
  '',
].join('\r\n');

describe('ICE restart over PATCH', () => {
  it('builds the re-offer: new credentials everywhere, old candidates out, new ones in place', () => {
    const sdp = restartOffer(OFFER, 'new2', 'newpasswordnewpassword22', [
      {
        candidate: 'candidate:9 1 udp 2122260223 127.0.0.2 41000 typ host',
        sdpMid: '1',
        sdpMLineIndex: 1,
        usernameFragment: 'new2',
      },
      {
        candidate: 'candidate:8 1 udp 2122260223 127.0.0.2 41001 typ host',
        sdpMid: null,
        sdpMLineIndex: 0,
        usernameFragment: null,
      },
    ]);
    expect(sdp).not.toMatch(/old1|oldpassword|40000|end-of-candidates/);
    expect(sdp.match(/^a=ice-ufrag:new2\r$/gm)).toHaveLength(2);
    expect(sdp.match(/^a=ice-pwd:newpasswordnewpassword22\r$/gm)).toHaveLength(2);
    const [video, audio] = sdp.split('m=audio');
    expect(video).toContain('a=candidate:8 1 udp 2122260223 127.0.0.2 41001 typ host');
    expect(audio).toContain('a=candidate:9 1 udp 2122260223 127.0.0.2 41000 typ host');
    expect(sdp.endsWith('\r\n')).toBe(true);
    expect(sdp).not.toMatch(/[^\r]\n/);
  });

  it('answers with the server credentials and candidates as an sdpfrag', () => {
    expect(answerFrag(ANSWER)).toBe(
      [
        'a=ice-lite',
        'a=group:BUNDLE 0 1',
        'a=ice-ufrag:srv2',
        'a=ice-pwd:serverpasswordserverpwd2',
        'm=video 9 UDP/TLS/RTP/SAVPF 96',
        'a=mid:0',
        'a=candidate:7 1 udp 2130706431 127.0.0.1 50000 typ host',
        'a=end-of-candidates',
        '',
      ].join('\r\n'),
    );
  });

  it('reads the first ice-ufrag of an SDP', () => {
    expect(iceUfragOf(OFFER)).toBe('old1');
    expect(iceUfragOf('v=0\r\n')).toBeUndefined();
  });
});
