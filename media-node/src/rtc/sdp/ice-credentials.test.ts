import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../../shared/errors.ts';
import { iceCredentialsOf, reofferKind } from './ice-credentials.ts';

const section = (mid: string, ufrag?: string, pwd?: string, port = 9) =>
  [
    `m=audio ${port} UDP/TLS/RTP/SAVPF 111`,
    ...(ufrag ? [`a=ice-ufrag:${ufrag}`] : []),
    ...(pwd ? [`a=ice-pwd:${pwd}`] : []),
    `a=mid:${mid}`,
  ].join('\r\n');
const sdp = (...sections: string[]) => ['v=0', 's=-', ...sections, ''].join('\r\n');

const refusal = (fn: () => unknown): MediaError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof MediaError) return error;
    throw error;
  }
  throw new Error('did not throw');
};

describe('iceCredentialsOf', () => {
  it('reads the one pair of a bundled offer, session-level lines included', () => {
    expect(iceCredentialsOf(sdp(section('0', 'aaaa', 'p1'), section('1', 'aaaa', 'p1')))).toEqual({
      ufrag: 'aaaa',
      pwd: 'p1',
    });
    const sessionLevel = ['v=0', 's=-', 'a=ice-ufrag:uu', 'a=ice-pwd:pp', section('0'), ''];
    expect(iceCredentialsOf(sessionLevel.join('\r\n'))).toEqual({ ufrag: 'uu', pwd: 'pp' });
  });

  it('takes the first section in use, and refuses one without credentials', () => {
    expect(iceCredentialsOf(sdp(section('0', 'a', 'p', 0), section('1', 'b', 'q')))).toEqual({
      ufrag: 'b',
      pwd: 'q',
    });
    // Unbundled clients give each section its own credentials: the first one's count.
    expect(iceCredentialsOf(sdp(section('0', 'a', 'p'), section('1', 'b', 'q')))).toEqual({
      ufrag: 'a',
      pwd: 'p',
    });
    const missing = refusal(() => iceCredentialsOf(sdp(section('0', 'a'))));
    expect(missing.code).toBe('invalid_request');
    expect(missing.details).toEqual({ field: 'sdp' });
    expect(missing.message).toMatch(/ice-pwd/);
    expect(refusal(() => iceCredentialsOf('v=0\r\n')).code).toBe('invalid_request');
  });
});

describe('reofferKind', () => {
  const current = { ufrag: 'cur1', pwd: 'current-password-0001' };

  it('keeps the ICE session on the same credentials and restarts on new ones', () => {
    expect(reofferKind(current, [], { ...current })).toBe('same');
    expect(reofferKind(current, ['old1'], { ufrag: 'new1', pwd: 'new-password-00000001' })).toBe(
      'restart',
    );
  });

  it('refuses half a change and an earlier generation', () => {
    const ufragOnly = refusal(() => reofferKind(current, [], { ufrag: 'new1', pwd: current.pwd }));
    expect(ufragOnly.code).toBe('invalid_request');
    expect(ufragOnly.message).toMatch(/both ice-ufrag and ice-pwd/);
    expect(refusal(() => reofferKind(current, [], { ufrag: 'cur1', pwd: 'x' })).code).toBe(
      'invalid_request',
    );
    const replay = refusal(() => reofferKind(current, ['old1'], { ufrag: 'old1', pwd: 'zz' }));
    expect(replay.message).toMatch(/earlier ICE generation/);
  });
});
