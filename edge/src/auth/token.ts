/**
 * Client tokens: HS256 JWTs with the device id as `sub`, an optional `room` restriction and a
 * `scope` whose `admin` word grants operator calls. Pure (WebCrypto through hono/jwt), so the
 * token script and the tests use it in Node as well as the Worker.
 */
import { sign, verify } from 'hono/jwt';
import { z } from 'zod';
import { nameSchema } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';

export const claimsSchema = z.object({
  sub: nameSchema,
  room: nameSchema.optional(),
  scope: z.string().max(256).optional(),
  exp: z.number().int(),
});

/** Who is calling, as the routes see it. */
export interface Caller {
  deviceId: string;
  /** The only room this caller may join or see, when the token restricts it. */
  room: string | undefined;
  admin: boolean;
}

export interface TokenOptions {
  device: string;
  room?: string;
  admin?: boolean;
  /** Lifetime in seconds. */
  ttlSeconds: number;
  /** Now, in seconds since the epoch. */
  nowSeconds?: number;
}

/** Signs a client token. */
export async function signToken(secret: string, options: TokenOptions): Promise<string> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const claims = claimsSchema.parse({
    sub: options.device,
    room: options.room,
    scope: options.admin ? 'admin' : undefined,
    exp: now + options.ttlSeconds,
  });
  return sign({ ...claims, iat: now }, secret, 'HS256');
}

function hasAdminScope(scope: string | undefined): boolean {
  return scope?.split(/\s+/).includes('admin') ?? false;
}

/**
 * Verifies a token and returns the caller; 401 `unauthorized` for a missing, malformed, badly
 * signed or expired token (one message for all: callers learn nothing about which).
 */
export async function verifyToken(secret: string, token: string | undefined): Promise<Caller> {
  if (!token) throw new MediaError('unauthorized', 'a bearer token is required');
  try {
    const payload = await verify(token, secret, 'HS256');
    const claims = claimsSchema.parse(payload);
    return { deviceId: claims.sub, room: claims.room, admin: hasAdminScope(claims.scope) };
  } catch {
    throw new MediaError('unauthorized', 'the token is invalid or expired');
  }
}
