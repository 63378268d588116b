import { describe, expect, it } from 'vitest';
import { MediaApi } from './api.ts';
import { isRetryable, MediaApiError, MediaTransportError } from './errors.ts';
import { fakeFetch } from './test-fakes.ts';

describe('MediaApi', () => {
  it('throws the server error with its code, details and Retry-After', async () => {
    const http = fakeFetch(() => ({
      status: 429,
      body: { error: { code: 'too_many_ice_candidates', message: 'at most 50', limit: 50 } },
      headers: { 'retry-after': '3' },
    }));
    const api = new MediaApi({ baseUrl: 'http://edge/', token: 't', fetch: http.fetch });
    const error = await api.sendCandidates('a b', [{ candidate: '' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaApiError);
    expect(error).toMatchObject({
      status: 429,
      code: 'too_many_ice_candidates',
      details: { limit: 50 },
      retryAfterSeconds: 3,
    });
    expect(http.requests[0]!.url).toBe('http://edge/api/media/sessions/a%20b/candidates');
  });

  it('turns an answer without an error body into a transport error', async () => {
    const api = new MediaApi({
      baseUrl: 'http://edge',
      token: 't',
      fetch: async () => new Response('<html>bad gateway</html>', { status: 502 }),
    });
    const error = await api.getSession('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaTransportError);
    expect(isRetryable(error)).toBe(true);
  });

  it('builds the events URL with the token and resume point', () => {
    const api = new MediaApi({ baseUrl: 'https://edge.example', token: () => 'a.b.c' });
    expect(api.eventsUrl('s1', 7)).toBe(
      'wss://edge.example/api/media/sessions/s1/events?access_token=a.b.c&since=7',
    );
  });

  it('passes list filters as query parameters', async () => {
    const http = fakeFetch(() => ({ status: 200, body: { sessions: [], nextCursor: null } }));
    const api = new MediaApi({ baseUrl: 'http://edge', token: 't', fetch: http.fetch });
    await api.listSessions({ room: 'r1', limit: 10 });
    expect(http.requests[0]!.url).toBe('http://edge/api/media/sessions?room=r1&limit=10');
  });
});
