import { describe, expect, it } from 'vitest';
import { NAME_PATTERN } from '../../../shared/limits.ts';
import { isPrivateRoom, isSessionId, newSessionId, privateRoom } from './ids.ts';

describe('session ids', () => {
  it('are 128 random bits, URL-safe, and fit a private room name', () => {
    const ids = new Set(Array.from({ length: 1000 }, newSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(isSessionId(id)).toBe(true);
      expect(privateRoom(id)).toMatch(NAME_PATTERN);
      expect(isPrivateRoom(privateRoom(id))).toBe(true);
    }
    expect(isSessionId('../x')).toBe(false);
  });
});
