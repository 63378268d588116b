import { describe, expect, it } from 'vitest';
import {
  cloudflareTurnRequest,
  fetchCloudflareIceServers,
  parseCloudflareIceServers,
} from './cloudflare.ts';
import { sessionIceServers } from './ice-servers.ts';
import { parseTurnSettings } from './settings.ts';

const KEY_ID = '0123456789abcdef0123456789abcdef';
const TOKEN = 'cf-api-token-0123456789';
const settings = { kind: 'cloudflare' as const, keyId: KEY_ID, apiToken: TOKEN, ttlS: 3600 };
/** The answer documented at developers.cloudflare.com/realtime/turn/generate-credentials/. */
const ANSWER = {
  iceServers: [
    { urls: ['stun:stun.cloudflare.com:3478', 'stun:stun.cloudflare.com:53'] },
    {
      urls: [
        'turn:turn.cloudflare.com:3478?transport=udp',
        'turn:turn.cloudflare.com:3478?transport=tcp',
        'turns:turn.cloudflare.com:5349?transport=tcp',
      ],
      username:
        'bc91b63e2b5d759f8eb9f3b58062439e0a0e15893d76317d833265ad08d6631099ce7c7087caabb31ad3e1c386424e3e',
      credential:
        'ebd71f1d3edbc2b0edae3cd5a6d82284aeb5c3b8fdaa9b8e3bf9cec683e0d45fe9f5b44e5145db3300f06c250a15b4a0',
    },
  ],
};

describe('Cloudflare TURN', () => {
  it('is selected by TURN_URLS=cloudflare:<key id>, the API token in TURN_SECRET', () => {
    expect(
      parseTurnSettings({
        TURN_URLS: `cloudflare:${KEY_ID}`,
        TURN_SECRET: TOKEN,
        TURN_TTL_S: '600',
      }),
    ).toEqual({ ...settings, ttlS: 600 });
    expect(() =>
      parseTurnSettings({ TURN_URLS: 'cloudflare:not-a-key-id', TURN_SECRET: TOKEN }),
    ).toThrow(/TURN_URLS/);
  });

  it('asks the documented endpoint with the bearer token and the TTL', async () => {
    const req = cloudflareTurnRequest(settings);
    expect(req.method).toBe('POST');
    expect(req.url).toBe(
      `https://rtc.live.cloudflare.com/v1/turn/keys/${KEY_ID}/credentials/generate-ice-servers`,
    );
    expect(req.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(req.headers.get('content-type')).toBe('application/json');
    expect(await req.json()).toEqual({ ttl: 3600 });
  });

  it('passes the answer on, checked', async () => {
    const fetcher = (async () => Response.json(ANSWER, { status: 201 })) as typeof fetch;
    expect(await fetchCloudflareIceServers(settings, fetcher)).toEqual(ANSWER.iceServers);
    expect(() => parseCloudflareIceServers({ iceServers: [{ urls: 'http://evil' }] })).toThrow(
      /malformed/,
    );
    expect(() => parseCloudflareIceServers({})).toThrow(/no iceServers/);
  });

  it('a refusing API leaves the session with the static servers', async () => {
    const fetcher = (async () => new Response('no', { status: 401 })) as typeof fetch;
    await expect(fetchCloudflareIceServers(settings, fetcher)).rejects.toThrow(/answered 401/);
    const statics = [{ urls: 'stun:stun.example.net:3478' }];
    const env = { TURN_URLS: `cloudflare:${KEY_ID}`, TURN_SECRET: TOKEN };
    expect(await sessionIceServers(statics, env, 's_1', { fetcher })).toEqual(statics);
  });
});
