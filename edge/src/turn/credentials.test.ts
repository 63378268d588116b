import { describe, expect, it } from 'vitest';
import { hmacSha1Base64, mintTurnServer } from './credentials.ts';
import { parseTurnSettings } from './settings.ts';

const secret = '0123456789abcdef-secret';
const settings = { kind: 'coturn' as const, urls: ['turn:127.0.0.1:3478'], secret, ttlS: 3600 };

describe('TURN REST credentials', () => {
  it('matches an HMAC-SHA1 computed by openssl', async () => {
    // echo -n 1700003600:s_abc | openssl dgst -sha1 -hmac 0123456789abcdef-secret -binary | base64
    expect(await hmacSha1Base64(secret, '1700003600:s_abc')).toBe('bbzVITSJZgYXKr8sxw4yhBtM0dQ=');
  });

  it('names the expiry and the session in the username', async () => {
    const server = await mintTurnServer({ settings, sessionId: 's_abc', nowS: 1_700_000_000.7 });
    expect(server).toEqual({
      urls: ['turn:127.0.0.1:3478'],
      username: '1700003600:s_abc',
      credential: 'bbzVITSJZgYXKr8sxw4yhBtM0dQ=',
    });
  });
});

describe('TURN settings', () => {
  it('is off without TURN_URLS', () => {
    expect(parseTurnSettings({})).toBeUndefined();
    expect(parseTurnSettings({ TURN_URLS: ' ', TURN_SECRET: 'short' })).toBeUndefined();
  });

  it('accepts UDP, TCP and TLS urls with a default TTL', () => {
    expect(
      parseTurnSettings({
        TURN_URLS:
          'turn:turn.example.com:3478, turn:turn.example.com:3478?transport=tcp,turns:turn.example.com:443?transport=tcp,turn:[::1]:3478',
        TURN_SECRET: secret,
      }),
    ).toEqual({
      kind: 'coturn',
      urls: [
        'turn:turn.example.com:3478',
        'turn:turn.example.com:3478?transport=tcp',
        'turns:turn.example.com:443?transport=tcp',
        'turn:[::1]:3478',
      ],
      secret,
      ttlS: 3600,
    });
  });

  it('names the bad variable', () => {
    expect(() => parseTurnSettings({ TURN_URLS: 'stun:x:3478', TURN_SECRET: secret })).toThrow(
      /TURN_URLS: "stun:x:3478"/,
    );
    expect(() => parseTurnSettings({ TURN_URLS: 'turn:x:70000', TURN_SECRET: secret })).toThrow(
      /TURN_URLS/,
    );
    expect(() =>
      parseTurnSettings({ TURN_URLS: 'turn:x?transport=sctp', TURN_SECRET: secret }),
    ).toThrow(/TURN_URLS/);
    expect(() => parseTurnSettings({ TURN_URLS: 'turn:x' })).toThrow(/TURN_SECRET/);
    expect(() =>
      parseTurnSettings({ TURN_URLS: 'turn:x', TURN_SECRET: secret, TURN_TTL_S: '10' }),
    ).toThrow(/TURN_TTL_S/);
    expect(() =>
      parseTurnSettings({ TURN_URLS: 'turn:x', TURN_SECRET: secret, TURN_TTL_S: 'soon' }),
    ).toThrow(/TURN_TTL_S/);
  });
});
