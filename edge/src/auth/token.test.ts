import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../shared/errors.ts';
import { assertAdmin, assertRoomAccess, assertSessionAccess, roomForNewSession } from './access.ts';
import { signToken, verifyToken } from './token.ts';

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
    expect(() => assertAdmin(device)).toThrow(/admin/);
    expect(() => assertAdmin(admin)).not.toThrow();
  });
});
