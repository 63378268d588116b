import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';

const base = { JWT_SECRET: 'x'.repeat(16), NODE_SHARED_SECRET: 'y'.repeat(16) };
const SECRET = `whsec_${btoa('k'.repeat(32))}`;

describe('webhook settings', () => {
  it('are off by default, and parse a comma-separated list with a secret', () => {
    expect(loadConfig({ ...base }).WEBHOOK_URLS).toEqual([]);
    const c = loadConfig({
      ...base,
      WEBHOOK_URLS: ' http://127.0.0.1:9000/a , https://hooks.example.com/b ,',
      WEBHOOK_SECRET: SECRET,
    });
    expect(c.WEBHOOK_URLS).toEqual(['http://127.0.0.1:9000/a', 'https://hooks.example.com/b']);
    expect(c).toMatchObject({ WEBHOOK_BACKOFF_BASE_MS: 5_000, WEBHOOK_RETRY_FOR_MS: 90_000_000 });
  });

  it('refuse other schemes, credentials in URLs, duplicates, too many URLs', () => {
    const bad = (urls: string) => () =>
      loadConfig({ ...base, WEBHOOK_URLS: urls, WEBHOOK_SECRET: SECRET });
    expect(bad('ftp://127.0.0.1/x')).toThrow(/WEBHOOK_URLS.*http/);
    expect(bad('127.0.0.1:9000')).toThrow(/WEBHOOK_URLS/);
    expect(bad('http://user:pw@127.0.0.1/x')).toThrow(/without credentials/);
    expect(bad('http://127.0.0.1/x,http://127.0.0.1/x')).toThrow(/twice/);
    const eleven = Array.from({ length: 11 }, (_, i) => `http://127.0.0.1/${i}`).join(',');
    expect(bad(eleven)).toThrow(/at most 10/);
  });

  it('need a whsec_ secret of 24..64 bytes when URLs are set', () => {
    const urls = { WEBHOOK_URLS: 'http://127.0.0.1:9000/a' };
    expect(() => loadConfig({ ...base, ...urls })).toThrow(/WEBHOOK_SECRET must be set/);
    for (const secret of [
      'secret',
      `whsec_${btoa('short')}`,
      'whsec_!!!!',
      `whsec_${btoa('k'.repeat(65))}`,
    ]) {
      expect(() => loadConfig({ ...base, ...urls, WEBHOOK_SECRET: secret })).toThrow(
        /WEBHOOK_SECRET must be whsec_/,
      );
    }
  });

  it('keep the retry window at a day or more', () => {
    expect(() => loadConfig({ ...base, WEBHOOK_RETRY_FOR_MS: '3600000' })).toThrow(
      /WEBHOOK_RETRY_FOR_MS/,
    );
  });
});
