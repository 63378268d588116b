import { describe, expect, it } from 'vitest';
import { readDemoLink, requestDemoToken, tabName } from './demo-link.ts';

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> {
  const items = new Map<string, string>();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) };
}

describe('readDemoLink', () => {
  it('reads a token and a room', () => {
    expect(readDemoLink('#token=abc&room=lobby')).toEqual({ token: 'abc', room: 'lobby' });
  });

  it('reads the local token service of the npm start link', () => {
    const link = readDemoLink(`#mint=${encodeURIComponent('http://127.0.0.1:41234')}&key=k1`);
    expect(link.mint).toEqual({ url: 'http://127.0.0.1:41234', key: 'k1' });
  });

  it('refuses a token service off this machine', () => {
    for (const url of ['http://evil.example:80', 'https://127.0.0.1:1', 'javascript:alert(1)']) {
      expect(readDemoLink(`#mint=${encodeURIComponent(url)}&key=k`).mint).toBeUndefined();
    }
  });
});

describe('tabName', () => {
  it('makes up a name once per tab and keeps it', () => {
    const tab = memoryStorage();
    const name = tabName(tab, () => 0.4821);
    expect(name).toBe('guest-4821');
    expect(tabName(tab, () => 0.1)).toBe(name);
    expect(tabName(memoryStorage(), () => 0.1)).toBe('guest-1000');
  });
});

describe('requestDemoToken', () => {
  const mint = { url: 'http://127.0.0.1:41234', key: 'k1' };

  it('posts the name with the key and returns the token', async () => {
    let seen: { url: string; init: RequestInit | undefined } | undefined;
    const fake = (async (url: string, init?: RequestInit) => {
      seen = { url, init };
      return new Response(JSON.stringify({ token: 't-alice' }), { status: 200 });
    }) as typeof fetch;
    expect(await requestDemoToken(mint, 'alice', fake)).toBe('t-alice');
    expect(seen?.url).toBe('http://127.0.0.1:41234/token');
    expect(seen?.init?.body).toBe('{"device":"alice"}');
    expect(new Headers(seen?.init?.headers).get('authorization')).toBe('Bearer k1');
  });

  it('says what the service refused, or that it is gone', async () => {
    const refusing = (async () =>
      new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'no key' } }), {
        status: 401,
      })) as typeof fetch;
    await expect(requestDemoToken(mint, 'alice', refusing)).rejects.toThrow(/refused: no key/);
    const gone = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    await expect(requestDemoToken(mint, 'alice', gone)).rejects.toThrow(/npm start still running/);
  });
});
