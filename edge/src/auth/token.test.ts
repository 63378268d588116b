import { sign } from 'hono/jwt';
import { describe, expect, it, vi } from 'vitest';
import { MediaError } from '../../../shared/errors.ts';
import { assertAdmin, assertRoomAccess, assertSessionAccess, roomForNewSession } from './access.ts';
import { signToken, VERIFIED_TOKENS_MAX, verifyToken } from './token.ts';

const SECRET = 'unit-test-secret-0123456789';

describe('tokens', () => {
  it('round-trips device, room and admin scope', async () => {
    const t = await signToken(SECRET, { device: 'd1', room: 'r1', admin: true, ttlSeconds: 60 });
    expect(await verifyToken(SECRET, t)).toEqual({ deviceId: 'd1', room: 'r1', admin: true });
    const plain = await signToken(SECRET, { device: 'd2', ttlSeconds: 60 });
    expect(await verifyToken(SECRET, plain)).toEqual({
      deviceId: 'd2',
      room: undefined,
      admin: false,
    });
  });

  it('refuses missing, expired, foreign and exp-less tokens as unauthorized', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      undefined,
      'x.y.z',
      await signToken(SECRET, { device: 'd', ttlSeconds: 10, nowSeconds: now - 100 }),
      await signToken('other-secret-0123456789', { device: 'd', ttlSeconds: 60 }),
      await sign({ sub: 'd' }, SECRET, 'HS256'),
      await sign({ sub: 'd', exp: now + 60 }, SECRET, 'HS512'),
    ];
    for (const t of bad) {
      await expect(verifyToken(SECRET, t)).rejects.toMatchObject({
        code: 'unauthorized',
        status: 401,
      });
    }
  });

  it('imports the HMAC key once per secret, and a rotated secret gets its own key', async () => {
    const secret = `cache-test-secret-${crypto.randomUUID()}`;
    const tokens = await Promise.all(
      ['a', 'b', 'c'].map((device) => signToken(secret, { device, ttlSeconds: 60 })),
    );
    const imports = vi.spyOn(crypto.subtle, 'importKey');
    try {
      for (const t of tokens) await verifyToken(secret, t);
      for (const t of tokens) await verifyToken(secret, t);
      expect(imports).toHaveBeenCalledTimes(1);
      const rotated = `${secret}-rotated`;
      const next = await signToken(rotated, { device: 'a', ttlSeconds: 60 });
      expect(await verifyToken(rotated, next)).toMatchObject({ deviceId: 'a' });
      await expect(verifyToken(secret, next)).rejects.toMatchObject({ code: 'unauthorized' });
    } finally {
      imports.mockRestore();
    }
  });

  it('checks a token signature once per isolate, its time claims on every call', async () => {
    const secret = `verified-cache-secret-${crypto.randomUUID()}`;
    const now = Math.floor(Date.now() / 1000);
    const t = await signToken(secret, { device: 'd', ttlSeconds: 60, nowSeconds: now });
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      for (let i = 0; i < 5; i++)
        expect(await verifyToken(secret, t)).toMatchObject({ deviceId: 'd' });
      expect(verify).toHaveBeenCalledTimes(1);
      // Cached, and still refused once it expires (exp + skew), or under another secret.
      await expect(verifyToken(secret, t, { nowSeconds: now + 200 })).rejects.toMatchObject({
        code: 'unauthorized',
      });
      await expect(verifyToken(`${secret}-other`, t)).rejects.toMatchObject({
        code: 'unauthorized',
      });
      // A tampered signature is never served from the cache.
      const forged = `${t.slice(0, -2)}${t.endsWith('AA') ? 'BB' : 'AA'}`;
      await expect(verifyToken(secret, forged)).rejects.toMatchObject({ code: 'unauthorized' });
    } finally {
      verify.mockRestore();
    }
  });

  it('keeps at most VERIFIED_TOKENS_MAX verified tokens, dropping the oldest', async () => {
    const secret = `bounded-cache-secret-${crypto.randomUUID()}`;
    const first = await signToken(secret, { device: 'first', ttlSeconds: 60 });
    await verifyToken(secret, first);
    for (let i = 0; i < VERIFIED_TOKENS_MAX; i++) {
      await verifyToken(secret, await signToken(secret, { device: `d${i}`, ttlSeconds: 60 }));
    }
    const verify = vi.spyOn(crypto.subtle, 'verify');
    try {
      expect(await verifyToken(secret, first)).toMatchObject({ deviceId: 'first' });
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
    }
  });

  it('refuses lifetimes past the maximum (exp - iat, or exp - now without iat)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const century = await signToken(SECRET, { device: 'd', ttlSeconds: 100 * 365 * 86_400 });
    await expect(verifyToken(SECRET, century)).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/lifetime.*86400/),
    });
    const noIat = await sign({ sub: 'd', exp: now + 2 * 86_400 }, SECRET, 'HS256');
    await expect(verifyToken(SECRET, noIat)).rejects.toMatchObject({
      message: expect.stringMatching(/lifetime/),
    });
    const day = await signToken(SECRET, { device: 'd', ttlSeconds: 86_400 });
    expect(await verifyToken(SECRET, day)).toMatchObject({ deviceId: 'd' });
    const short = await signToken(SECRET, { device: 'd', ttlSeconds: 120 });
    await expect(verifyToken(SECRET, short, { maxTtlSeconds: 60 })).rejects.toMatchObject({
      message: expect.stringMatching(/lifetime.*60 s/),
    });
  });

  it('tolerates 30 s of clock skew on iat, nbf and exp, and no more', async () => {
    const now = Math.floor(Date.now() / 1000);
    const at = (claims: Record<string, number>) =>
      sign({ sub: 'd', exp: now + 600, ...claims }, SECRET, 'HS256');
    const accepted: Array<Record<string, number>> = [
      { iat: now + 5 },
      { iat: now + 25, nbf: now + 25 },
      { exp: now - 20 },
    ];
    const refused: Array<Record<string, number>> = [
      { iat: now + 60 },
      { nbf: now + 60 },
      { exp: now - 60 },
    ];
    for (const ok of accepted) {
      expect(await verifyToken(SECRET, await at(ok))).toMatchObject({ deviceId: 'd' });
    }
    for (const bad of refused) {
      await expect(verifyToken(SECRET, await at(bad))).rejects.toMatchObject({
        code: 'unauthorized',
      });
    }
  });

  it('refuses device ids outside the name pattern when signing', async () => {
    await expect(signToken(SECRET, { device: 'has space', ttlSeconds: 60 })).rejects.toThrow();
  });
});

describe('access rules', () => {
  const device = { deviceId: 'd1', room: undefined, admin: false };
  const roomBound = { deviceId: 'd1', room: 'r1', admin: false };
  const admin = { deviceId: 'ops', room: undefined, admin: true };

  it('a device touches only its own sessions, in its room', () => {
    expect(() => assertSessionAccess(device, 'd1', 'any')).not.toThrow();
    expect(() => assertSessionAccess(device, 'd2', 'any')).toThrow(MediaError);
    expect(() => assertSessionAccess(roomBound, 'd1', 'r2')).toThrow(/room/);
    expect(() => assertSessionAccess(admin, 'd2', 'r2')).not.toThrow();
  });

  it('rooms for new sessions follow the claim', () => {
    expect(roomForNewSession(device, undefined)).toBeUndefined();
    expect(roomForNewSession(roomBound, undefined)).toBe('r1');
    expect(roomForNewSession(roomBound, 'r1')).toBe('r1');
    expect(() => roomForNewSession(roomBound, 'r2')).toThrow(MediaError);
    expect(() => assertRoomAccess(roomBound, 'r2')).toThrow(MediaError);
    expect(() => roomForNewSession(device, `p-${'a'.repeat(32)}`)).toThrow(/reserved/);
    expect(() => roomForNewSession(admin, 'p-lobby')).toThrow(/reserved/);
    expect(() => roomForNewSession({ ...device, room: 'p-x' }, undefined)).toThrow(/reserved/);
    expect(() => assertAdmin(device)).toThrow(/admin/);
    expect(() => assertAdmin(admin)).not.toThrow();
  });
});
