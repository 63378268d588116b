import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const secrets = { JWT_SECRET: 'x'.repeat(16), NODE_SHARED_SECRET: 'y'.repeat(16) };

describe('edge config', () => {
  it('applies defaults and parses [vars] strings', () => {
    const c = loadConfig({
      ...secrets,
      SHARD_COUNT: '8',
      ICE_SERVERS: '[{"urls":"stun:127.0.0.1:3478"}]',
    });
    expect(c).toMatchObject({ SHARD_COUNT: 8, MAX_ICE_CANDIDATES: 50, NODE_TIMEOUT_MS: 5_000 });
    expect(c.ICE_SERVERS).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
    expect(loadConfig({ ...secrets, SHARD_COUNT: '' }).SHARD_COUNT).toBe(32);
  });

  it('names the bad field exactly', () => {
    expect(() => loadConfig({ ...secrets, SHARD_COUNT: '0' })).toThrow(/SHARD_COUNT/);
    expect(() => loadConfig({ ...secrets, NODE_TIMEOUT_MS: 'soon' })).toThrow(/NODE_TIMEOUT_MS/);
    expect(() => loadConfig({ NODE_SHARED_SECRET: 'y'.repeat(16) })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ ...secrets, ICE_SERVERS: '[' })).toThrow(
      /invalid edge configuration/,
    );
  });
});
