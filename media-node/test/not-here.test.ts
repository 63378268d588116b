/** Issue 11: a node asked for the public API says where the API is (the edge), in JSON. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './helpers/test-node.ts';

describe('unknown public paths on a media node', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answer a JSON 404 naming the edge URL of the API', async () => {
    for (const path of ['/api/media/sessions', '/api/media/sessions/abc', '/']) {
      const res = await fetch(`${t.node.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = (await res.json()) as { error: unknown };
      expect(body.error).toEqual({
        code: 'not_found',
        message: `this is a media node, not the API: the public API is on the edge, at ${t.edge.url}/api/media`,
        apiUrl: `${t.edge.url}/api/media`,
      });
    }
    const post = await fetch(`${t.node.url}/api/media/sessions`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: { apiUrl?: string } }).error.apiUrl).toBe(
      `${t.edge.url}/api/media`,
    );
  });

  it('keeps the plain 404 for unknown internal routes', async () => {
    const res = await t.api.request('GET', '/internal/v1/nowhere');
    expect(res.status).toBe(404);
    expect(res.json.error).toEqual({ code: 'not_found', message: 'no such route' });
  });
});
