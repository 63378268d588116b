/** The edge's middleware, each a small factory returning a named handler. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { matchedRoutes } from 'hono/route';
import { MediaError } from '../../../shared/errors.ts';
import { INTERNAL_BASE } from '../../../shared/internal.ts';
import { verifyToken } from '../auth/token.ts';
import { log } from '../log.ts';
import { type Background, recordRequest } from '../metrics/request-flush.ts';
import { UNMATCHED_ROUTE } from '../metrics/request-metrics.ts';
import { type AppContext, type AppEnv, config } from './context.ts';
import { chargeAddressOnFailure, chargeDevice } from './rate-limit.ts';

const TOO_LARGE = 'the request body is larger than the limit';

/**
 * The pattern of the handler that matched (`/api/media/sessions/:id`), not of a middleware, and
 * never the raw path: a bounded metric label, and query strings may carry an access token.
 */
export function routePattern(c: AppContext): string {
  const handler = matchedRoutes(c).findLast((r) => r.method !== 'ALL');
  return handler?.path ?? UNMATCHED_ROUTE;
}

/** The request's ExecutionContext; absent when the app is called without one (some tests). */
function executionContext(c: AppContext): Background | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/**
 * Whether a finished request gets a log line: every error (status >= 400) and every request
 * slower than `slowMs`, and a `sampleRate` fraction of the rest. Why: a JSON line per request
 * took ~18 % of the isolate's CPU under load; the metrics count every request anyway.
 */
export function shouldLog(
  status: number,
  ms: number,
  { sampleRate, slowMs }: { sampleRate: number; slowMs: number },
  random: () => number = Math.random,
): boolean {
  if (status >= 400 || ms >= slowMs) return true;
  return sampleRate > 0 && random() < sampleRate;
}

/**
 * Gives every request an id (echoed in `x-request-id`), logs errors, slow requests and a sample
 * of the rest (`shouldLog`), and counts every request in the request metrics. Durations are as
 * the Workers runtime reports time: it advances across I/O (Durable Object and node calls),
 * which is where the edge's latency is.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const requestId = crypto.randomUUID();
    const started = Date.now();
    c.set('requestId', requestId);
    // Set before the handler runs, so it goes into the response the handler makes (c.json,
    // c.body, the error handler's). Set after, hono copies the finished Response to add it.
    c.header('x-request-id', requestId);
    await next();
    // A handler that built its own Response lacks it; a 101 carries the WebSocket, whose headers
    // are the runtime's and must stay untouched.
    if (c.res.status !== 101 && !c.res.headers.has('x-request-id')) {
      c.header('x-request-id', requestId);
    }
    const ms = Date.now() - started;
    const route = routePattern(c);
    const { method } = c.req;
    // Heartbeats and event batches arrive every few seconds per node: counted, logged on failure.
    const routine = c.res.status < 400 && route.startsWith(INTERNAL_BASE);
    const { LOG_SAMPLE_RATE, LOG_SLOW_MS } = config(c);
    const sampled = shouldLog(c.res.status, ms, {
      sampleRate: LOG_SAMPLE_RATE,
      slowMs: LOG_SLOW_MS,
    });
    if (!routine && sampled) {
      log('info', 'request', { requestId, method, route, status: c.res.status, ms });
    }
    recordRequest(c.env, executionContext(c), {
      method,
      route,
      status: c.res.status,
      seconds: ms / 1000,
    });
  };
}

/** hono's body limit per MAX_BODY_BYTES value, built once rather than once per request. */
const bodyLimits = new Map<number, MiddlewareHandler<AppEnv>>();

function bodyLimitOf(maxSize: number): MiddlewareHandler<AppEnv> {
  let limit = bodyLimits.get(maxSize);
  if (!limit) {
    limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new MediaError('payload_too_large', TOO_LARGE, { limit: maxSize });
      },
    });
    bodyLimits.set(maxSize, limit);
  }
  return limit;
}

/** 413 `payload_too_large` for bodies over MAX_BODY_BYTES, before anything parses them. */
export function limitBody(): MiddlewareHandler<AppEnv> {
  return async function limitBody(c, next) {
    // A GET or DELETE has no body: nothing to count.
    if (!c.req.raw.body) return next();
    return bodyLimitOf(config(c).MAX_BODY_BYTES)(c, next);
  };
}

/**
 * Authenticates the client (401 without a valid token) and applies the rate limits (429): the
 * device's for a valid token, the client address's for a refused one. WebSocket upgrades may
 * pass `?access_token=` instead, since browsers cannot set headers on them.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const header = c.req.header('authorization');
    const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    const token = bearer ?? (upgrade ? c.req.query('access_token') : undefined);
    const { JWT_SECRET, MAX_TOKEN_TTL_S } = config(c);
    const caller = await chargeAddressOnFailure(c, () =>
      verifyToken(JWT_SECRET, token, { maxTtlSeconds: MAX_TOKEN_TTL_S }),
    );
    chargeDevice(c, caller.deviceId);
    c.set('caller', caller);
    await next();
  };
}
