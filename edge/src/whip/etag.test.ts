import { describe, expect, it } from 'vitest';
import { ifMatches, sessionEtag } from './etag.ts';

describe('session ETag', () => {
  it('is a stable strong tag per session and ICE generation, different between them', async () => {
    const a = await sessionEtag('s1', 1);
    expect(a).toMatch(/^"[0-9a-f]{20}"$/);
    expect(await sessionEtag('s1', 1)).toBe(a);
    expect(await sessionEtag('s2', 1)).not.toBe(a);
    expect(await sessionEtag('s1', 2)).not.toBe(a);
  });

  it('If-Match matches the tag, *, or a list holding it; never a weak or other tag', async () => {
    const tag = await sessionEtag('s1', 1);
    expect(ifMatches(tag, tag)).toBe(true);
    expect(ifMatches('*', tag)).toBe(true);
    expect(ifMatches(`"x", ${tag}`, tag)).toBe(true);
    expect(ifMatches(`W/${tag}`, tag)).toBe(false);
    expect(ifMatches('"stale"', tag)).toBe(false);
  });
});
