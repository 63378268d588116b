import { describe, expect, it } from 'vitest';
import { MediaApiError } from './errors.ts';
import { msidOf } from './peer.ts';
import { describeEnd, describeError } from './plain-words.ts';

const sdp = [
  'v=0',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:0',
  'a=msid:pub-1 audio-1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:1',
  'a=msid:pub-2 video-2',
  '',
].join('\r\n');

describe('msidOf', () => {
  it('reads the stream and track id of the m-section with the mid', () => {
    expect(msidOf(sdp, '1')).toEqual({ streamIds: ['pub-2'], trackId: 'video-2' });
    expect(msidOf(sdp, '7')).toEqual({ streamIds: [], trackId: null });
  });
});

describe('plain words', () => {
  it('explains node loss and auth failures to a person', () => {
    expect(describeEnd('node_lost')).toMatch(/stopped responding/);
    expect(describeError(new MediaApiError(401, 'unauthorized', 'bad token'))).toMatch(/token/);
    expect(describeError(new MediaApiError(400, 'invalid_request', 'room: too long'))).toMatch(
      /room: too long/,
    );
  });
});
