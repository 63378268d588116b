/**
 * `429 rate_limited` with `Retry-After` and `RateLimit-*` headers: per device for authenticated
 * calls, per client address (`CF-Connecting-IP`) for unauthenticated or refused ones.
 *
 * Token buckets in memory, one table per isolate. The Workers Rate Limiting binding was
 * considered: it is not available under `workerd serve` (the local stack; Miniflare emulates it
 * with its own worker and a Durable Object that writes SQLite per call), it reports no
 * remaining count or reset time for `Retry-After`, and its periods are 10 or 60 s. In
 * production each isolate counts on its own, so a device spread over several isolates gets
 * that many times the limit: the bound protects the objects behind the edge from one client's
 * flood, it is not a billing quota.
 */
import type { MiddlewareHandler } from 'hono';
import { MediaError } from '../../../shared/errors.ts';
import { type BucketRule, TokenBuckets } from '../limits/token-bucket.ts';
import { type AppContext, type AppEnv, config } from './context.ts';

const devices = new TokenBuckets();
const addresses = new TokenBuckets();

/** Without Cloudflare in front (the local stack) every client shares this key. */
const UNKNOWN_ADDRESS = 'unknown';

function refuse(c: AppContext, rule: BucketRule, result: ReturnType<TokenBuckets['take']>) {
  c.header('ratelimit-limit', String(rule.burst));
  c.header('ratelimit-remaining', '0');
  c.header('ratelimit-reset', String(result.resetSeconds));
  return new MediaError(
    'rate_limited',
    `too many requests: at most ${rule.burst} at once and ${rule.perSecond} per second`,
    { limit: rule.perSecond, burst: rule.burst },
    result.retryAfterSeconds,
  );
}

/** True for calls that only read (their own bucket: `RATE_LIMIT_DEVICE_READ_*`). */
function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** Counts one call of `deviceId`; throws 429 past the device's read or write limit. */
export function chargeDevice(c: AppContext, deviceId: string): void {
  const cfg = config(c);
  const read = isRead(c.req.method);
  const rule = read
    ? { perSecond: cfg.RATE_LIMIT_DEVICE_READ_PER_S, burst: cfg.RATE_LIMIT_DEVICE_READ_BURST }
    : { perSecond: cfg.RATE_LIMIT_DEVICE_PER_S, burst: cfg.RATE_LIMIT_DEVICE_BURST };
  const result = devices.take(`${read ? 'r' : 'w'}:${deviceId}`, rule, Date.now());
  if (!result.ok) throw refuse(c, rule, result);
}

/** Counts one unauthenticated or refused call of the client's address; throws 429 past it. */
export function chargeAddress(c: AppContext): void {
  const cfg = config(c);
  const rule = { perSecond: cfg.RATE_LIMIT_IP_PER_S, burst: cfg.RATE_LIMIT_IP_BURST };
  const ip = c.req.header('cf-connecting-ip') ?? UNKNOWN_ADDRESS;
  const result = addresses.take(ip, rule, Date.now());
  if (!result.ok) throw refuse(c, rule, result);
}

/**
 * For calls that fail authentication: the address is charged, and a caller past its limit
 * gets 429 instead of the 401 (a token-guessing flood is slowed down, not answered).
 */
export async function chargeAddressOnFailure<T>(c: AppContext, work: () => Promise<T>) {
  try {
    return await work();
  } catch (err) {
    if (err instanceof MediaError && err.code === 'unauthorized') chargeAddress(c);
    throw err;
  }
}

/** Per-address limit for routes that need no token (e.g. the OpenAPI document). */
export function limitByAddress(): MiddlewareHandler<AppEnv> {
  return async function limitByAddress(c, next) {
    chargeAddress(c);
    await next();
  };
}
