import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_SECRETS, isDevelopmentSecret } from './dev-secrets.ts';

// A path string, not a URL: this file is type-checked with both Node's and the Workers' URL.
const root = decodeURIComponent(new URL('..', import.meta.url).pathname);
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');
/** `NAME=value` lines of an env file whose name says secret or key. */
function secretValues(text: string): string[] {
  return [...text.matchAll(/^\s*[A-Z_]*(?:SECRET|KEY)[A-Z_]*\s*=\s*(\S+)/gm)].map((m) => m[1]!);
}

describe('development secrets', () => {
  it('lists every secret committed in .dev.vars and the example env files', () => {
    const committed = [
      ...secretValues(read('.dev.vars')),
      ...secretValues(read('ops/systemd/media-node.env.example')),
    ];
    expect(committed.length).toBeGreaterThanOrEqual(3);
    for (const value of committed) expect(DEVELOPMENT_SECRETS).toContain(value);
  });

  it('recognises the committed values and placeholders, not real secrets', () => {
    for (const value of DEVELOPMENT_SECRETS) expect(isDevelopmentSecret(value)).toBe(true);
    expect(isDevelopmentSecret('please-CHANGE-ME-later-0123')).toBe(true);
    expect(isDevelopmentSecret('9f2c1e0b7a8d4f3e2a1b0c9d8e7f6a5b')).toBe(false);
  });
});
