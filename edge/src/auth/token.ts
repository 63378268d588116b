/**
 * Client tokens: HS256 JWTs with the device id as `sub`, an optional `room` restriction and a
 * `scope` whose `admin` word grants operator calls. Pure WebCrypto, so the token script and the
 * tests use it in Node as well as the Worker.
 *
 * Verification is done here rather than by `hono/jwt` for two reasons: the HMAC key is imported
 * once per secret and isolate (hono imports it on every call: measurable per request), and the
 * time claims get a clock-skew tolerance and a maximum lifetime, which hono's verify lacks.
 */
import { sign } from 'hono/jwt';
import { z } from 'zod';
import { nameSchema } from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';

/** Clock difference tolerated between the token issuer and the edge, in seconds. */
export const CLOCK_SKEW_S = 30;
/** Default longest lifetime of a token (`MAX_TOKEN_TTL_S`), in seconds: 24 h. */
export const DEFAULT_MAX_TOKEN_TTL_S = 86_400;

export const claimsSchema = z.object({
  sub: nameSchema,
  room: nameSchema.optional(),
  scope: z.string().max(256).optional(),
  exp: z.number().int(),
  iat: z.number().int().optional(),
  nbf: z.number().int().optional(),
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

export interface VerifyTokenOptions {
  /** Longest accepted lifetime (`exp - iat`, or `exp - now` without `iat`), in seconds. */
  maxTtlSeconds?: number;
  /** Now, in seconds since the epoch. */
  nowSeconds?: number;
}

const INVALID = 'the token is invalid or expired';
const encoder = new TextEncoder();
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
/** One imported key per secret (a rotation adds one); bounded so it cannot grow without end. */
const keys = new Map<string, Promise<HmacKey>>();
const MAX_KEYS = 8;

function verifyKey(secret: string): Promise<HmacKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    keys.set(secret, key);
    if (keys.size > MAX_KEYS) keys.delete(keys.keys().next().value as string);
  }
  return key;
}

function base64UrlBytes(part: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new Error('not base64url');
  const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

function base64UrlJson(part: string): unknown {
  return JSON.parse(new TextDecoder().decode(base64UrlBytes(part)));
}

/** Signs a client token. */
export async function signToken(secret: string, options: TokenOptions): Promise<string> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const claims = claimsSchema.parse({
    sub: options.device,
    room: options.room,
    scope: options.admin ? 'admin' : undefined,
    exp: now + options.ttlSeconds,
    iat: now,
  });
  return sign(claims, secret, 'HS256');
}

function hasAdminScope(scope: string | undefined): boolean {
  return scope?.split(/\s+/).includes('admin') ?? false;
}

type Claims = z.infer<typeof claimsSchema>;

/**
 * Tokens whose signature and claims this isolate already checked, with their claims: a client
 * sends the same token with every call, and the HMAC verify, two base64 decodes, two JSON parses
 * and the schema cost more than the rest of a read. Only tokens that verified are kept (a flood
 * of bad ones cannot fill it), each with the secret it verified under (a rotated secret finds no
 * entry); the time claims are still checked on every call. Bounded: the oldest entry goes first.
 */
const verified = new Map<string, { secret: string; claims: Claims }>();
export const VERIFIED_TOKENS_MAX = 4_096;

/** The verified claims, or undefined for anything malformed or badly signed. */
async function verifiedClaims(secret: string, token: string): Promise<Claims | undefined> {
  const hit = verified.get(token);
  if (hit?.secret === secret) return hit.claims;
  const claims = await checkedClaims(secret, token);
  if (claims) {
    verified.set(token, { secret, claims });
    if (verified.size > VERIFIED_TOKENS_MAX)
      verified.delete(verified.keys().next().value as string);
  }
  return claims;
}

async function checkedClaims(secret: string, token: string): Promise<Claims | undefined> {
  const [head, body, mac, extra] = token.split('.');
  if (head === undefined || body === undefined || mac === undefined || extra !== undefined) {
    return undefined;
  }
  try {
    const header = base64UrlJson(head) as { alg?: unknown } | null;
    if (header?.alg !== 'HS256') return undefined;
    const valid = await crypto.subtle.verify(
      'HMAC',
      await verifyKey(secret),
      base64UrlBytes(mac),
      encoder.encode(`${head}.${body}`),
    );
    if (!valid) return undefined;
    const parsed = claimsSchema.safeParse(base64UrlJson(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a token and returns the caller; 401 `unauthorized` for a missing, malformed, badly
 * signed, expired or not-yet-valid token (one message for all: callers learn nothing about
 * which), and for a lifetime past `maxTtlSeconds` (with its own message: a policy, no secret).
 * `iat`, `nbf` and `exp` are compared with {@link CLOCK_SKEW_S} of tolerance.
 */
export async function verifyToken(
  secret: string,
  token: string | undefined,
  options: VerifyTokenOptions = {},
): Promise<Caller> {
  if (!token) throw new MediaError('unauthorized', 'a bearer token is required');
  const claims = await verifiedClaims(secret, token);
  if (!claims) throw new MediaError('unauthorized', INVALID);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const expired = now > claims.exp + CLOCK_SKEW_S;
  const early =
    (claims.iat !== undefined && claims.iat > now + CLOCK_SKEW_S) ||
    (claims.nbf !== undefined && claims.nbf > now + CLOCK_SKEW_S);
  if (expired || early) throw new MediaError('unauthorized', INVALID);
  const maxTtl = options.maxTtlSeconds ?? DEFAULT_MAX_TOKEN_TTL_S;
  const lifetime = claims.iat !== undefined ? claims.exp - claims.iat : claims.exp - now;
  if (lifetime > maxTtl || claims.exp - now > maxTtl + CLOCK_SKEW_S) {
    throw new MediaError(
      'unauthorized',
      `the token's lifetime exceeds the maximum of ${maxTtl} s (MAX_TOKEN_TTL_S)`,
      { limit: maxTtl },
    );
  }
  return { deviceId: claims.sub, room: claims.room, admin: hasAdminScope(claims.scope) };
}
